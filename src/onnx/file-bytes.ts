/**
 * What a model costs on disk: its .onnx file and the external data files its tensors point at
 * (TensorProto.external_data `location`, e.g. Optimum's `model.onnx_data`). A size from the .onnx file alone
 * counts a few hundred kilobytes of graph for a model whose weights are beside it (issue 28: an inline int8
 * variant showed as 7072% of such an fp32).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import { decodeModelProto, type PGraph, type PTensor } from './proto/codec.js';

function locationsOf(tensors: readonly PTensor[] | undefined, into: Set<string>): void {
  for (const t of tensors ?? []) {
    const location = t.external_data?.find((e) => e.key === 'location')?.value;
    if (location) into.add(location);
  }
}

function graphLocations(graph: PGraph | null | undefined, into: Set<string>): void {
  if (!graph) return;
  locationsOf(graph.initializer, into);
  locationsOf(
    (graph.sparse_initializer ?? []).flatMap((s) => [s.values, s.indices].filter((t): t is PTensor => !!t)),
    into,
  );
  for (const node of graph.node ?? [])
    for (const a of node.attribute ?? []) {
      locationsOf([...(a.t ? [a.t] : []), ...(a.tensors ?? [])], into);
      graphLocations(a.g, into);
      for (const g of a.graphs ?? []) graphLocations(g, into);
    }
}

/** The external data files (relative to the model's folder) that the .onnx file at `path` reads. */
export function externalDataFiles(path: string): string[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new TlcError('ONNX_READ_FAILED', `${path}: cannot read the model file (${messageOf(error)})`, {
      cause: error,
    });
  }
  // Every external tensor names its file under the key "location": without those bytes there is none, and a
  // large inline model is not decoded just to find that out.
  if (bytes.indexOf('location') < 0) return [];
  const locations = new Set<string>();
  graphLocations(decodeModelProto(bytes).graph, locations);
  return [...locations];
}

/** Bytes of the model files `files` (relative to `dir`) and of their external data, each file counted once. */
export function modelFilesBytes(dir: string, files: readonly string[]): number {
  const counted = new Set<string>();
  let total = 0;
  const add = (path: string) => {
    if (counted.has(path)) return;
    counted.add(path);
    total += statSync(path).size;
  };
  for (const file of files) {
    const path = join(dir, file);
    add(path);
    for (const location of externalDataFiles(path)) add(join(dirname(path), location));
  }
  return total;
}
