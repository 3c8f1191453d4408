/** Reading and writing tensor bytes kept beside the .onnx file (TensorProto.external_data). */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import type { ExternalDataReader, ExternalDataRef } from './decode-context.js';
import type { Tensor } from './ir.js';
import { tensorBytes } from './tensor.js';

/** ONNX asks for page-aligned offsets so that runtimes can mmap the data (onnx.proto, external_data). */
export const EXTERNAL_ALIGNMENT = 4096;

/** Opens external data files lazily, relative to the model's folder, and reads tensors into fresh memory. */
export class ExternalDataFiles {
  private readonly fds = new Map<string, { fd: number; size: number }>();

  constructor(
    private readonly baseDir: string,
    private readonly source: string,
  ) {}

  readonly read: ExternalDataReader = (ref: ExternalDataRef, tensorName: string) => {
    const file = this.open(ref.location, tensorName);
    const length = ref.length ?? file.size - ref.offset;
    if (ref.offset + length > file.size || length < 0) {
      throw new TlcError(
        'ONNX_EXTERNAL_DATA',
        `${this.source}: tensor "${tensorName}" wants bytes ${ref.offset}..${ref.offset + length} of "${ref.location}", which has ${file.size}`,
      );
    }
    // A fresh ArrayBuffer at offset 0 is aligned for every element type, so the tensor can adopt it.
    const bytes = new Uint8Array(new ArrayBuffer(length));
    let done = 0;
    while (done < length) {
      const n = readSync(file.fd, bytes, done, Math.min(length - done, 1 << 30), ref.offset + done);
      if (n === 0) break;
      done += n;
    }
    return bytes;
  };

  private open(location: string, tensorName: string): { fd: number; size: number } {
    const cached = this.fds.get(location);
    if (cached !== undefined) return cached;
    const path = resolveExternalPath(this.baseDir, location, this.source, tensorName);
    try {
      const fd = openSync(path, 'r');
      const entry = { fd, size: fstatSync(fd).size };
      this.fds.set(location, entry);
      return entry;
    } catch (error) {
      throw new TlcError(
        'ONNX_EXTERNAL_DATA',
        `${this.source}: tensor "${tensorName}" is stored in "${location}", which cannot be opened (${messageOf(error)})`,
        { cause: error },
      );
    }
  }

  close(): void {
    for (const { fd } of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

/** The file an external location names; it must stay inside the model's folder (as ONNX Runtime requires). */
export function resolveExternalPath(
  baseDir: string,
  location: string,
  source: string,
  tensorName: string,
): string {
  const path = resolve(baseDir, location);
  const rel = relative(resolve(baseDir), path);
  if (isAbsolute(location) || rel.startsWith('..') || isAbsolute(rel)) {
    throw new TlcError(
      'ONNX_EXTERNAL_DATA',
      `${source}: tensor "${tensorName}" points outside the model folder ("${location}"); external data must sit beside the model`,
    );
  }
  return path;
}

/** Appends tensors to one external data file at aligned offsets. */
export class ExternalDataWriter {
  private offset = 0;
  private count = 0;

  constructor(
    private readonly fd: number,
    readonly location: string,
  ) {}

  write(tensor: Tensor): ExternalDataRef {
    const bytes = tensorBytes(tensor);
    const start = Math.ceil(this.offset / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
    let done = 0;
    while (done < bytes.byteLength) {
      done += writeSync(this.fd, bytes, done, Math.min(bytes.byteLength - done, 1 << 30), start + done);
    }
    this.offset = start + bytes.byteLength;
    this.count += 1;
    return { location: this.location, offset: start, length: bytes.byteLength };
  }

  get bytesWritten(): number {
    return this.offset;
  }

  get tensorsWritten(): number {
    return this.count;
  }
}

/** Default side-file name for a model file, as Hugging Face Optimum names it (`model.onnx_data`). */
export function defaultExternalLocation(modelFileName: string): string {
  return `${modelFileName}_data`;
}

export function joinPath(dir: string, name: string): string {
  return join(dir, name);
}
