/** What decoding protobuf messages needs: where the model came from, how to read external data, errors. */
import { TlcError } from '../errors/index.js';
import type { Metadata } from './ir.js';
import type { PStringStringEntry } from './proto/codec.js';

/** Where a tensor's bytes live when they are outside the .onnx file. */
export interface ExternalDataRef {
  readonly location: string;
  readonly offset: number;
  /** undefined: to the end of the file. */
  readonly length?: number;
}

/** Reads the bytes of one externally stored tensor. */
export type ExternalDataReader = (ref: ExternalDataRef, tensorName: string) => Uint8Array;

export interface DecodeContext {
  /** Named in error messages. */
  readonly source: string;
  readonly readExternal?: ExternalDataReader;
}

export const has = (o: object, key: string): boolean => Object.hasOwn(o, key);

export function invalid(ctx: DecodeContext, message: string): never {
  throw new TlcError('ONNX_INVALID_MODEL', `${ctx.source}: ${message}`);
}

export function metadataOf(entries: PStringStringEntry[] | undefined): Metadata | undefined {
  if (entries === undefined || entries.length === 0) return undefined;
  return new Map(entries.map((e) => [e.key ?? '', e.value ?? '']));
}

/** Copies optional string fields that are present on the wire. */
export function optionalStrings<K extends string>(
  src: object,
  map: Record<K, string>,
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [to, from] of Object.entries(map) as [K, string][]) {
    const v = (src as Record<string, unknown>)[from];
    if (has(src, from) && typeof v === 'string') out[to] = v;
  }
  return out;
}
