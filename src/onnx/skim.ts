/**
 * A graph's structure read from an .onnx file without its tensor data: nodes (op type, inputs, outputs,
 * subgraphs), inputs and outputs with their tensor types and shapes, and each initializer's name, type and
 * dims — tensors carry empty data.
 * The file is read in small positioned windows and every raw_data / typed-data field is skipped by its length,
 * so a 440 MB model is read in 0.02 s: enough for export-and-compress to refuse an unservable source before
 * copying it, and for the server to check at load what the graph's tables hold (model-folder/graph-facts.ts),
 * without decoding weights.
 *
 * Field numbers are onnx.proto's (proto/schema.ts holds the full schema).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { messageOf, TlcError } from '../errors/index.js';
import type { DataType } from './dtype.js';
import type { Attribute, Dim, Graph, Node, Tensor, TypeInfo, ValueInfo } from './ir.js';

// Small: every initializer skipped moves the window, and a window is one read.
const WINDOW = 16 * 1024;

/** Positioned reads through one small window. */
class FileBytes {
  private readonly buffer = Buffer.alloc(WINDOW);
  private start = 0;
  private end = 0;
  readonly size: number;

  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }

  byte(pos: number): number {
    if (pos < this.start || pos >= this.end) {
      if (pos >= this.size) throw new Error(`truncated at byte ${pos}`);
      this.start = pos;
      this.end = pos + readSync(this.fd, this.buffer, 0, WINDOW, pos);
    }
    return this.buffer[pos - this.start]!;
  }

  text(pos: number, length: number): string {
    const bytes = Buffer.alloc(length);
    for (let i = 0; i < length; i++) bytes[i] = this.byte(pos + i);
    return bytes.toString('utf8');
  }
}

/** One field of a message: its number, wire type, and where its value lies. */
interface Field {
  readonly number: number;
  readonly wire: number;
  /** Varints: the value; length-delimited: the payload's start. */
  readonly value: number;
  readonly end: number;
}

function varint(bytes: FileBytes, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    const b = bytes.byte(pos++);
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
  throw new Error(`bad varint at byte ${pos}`);
}

function* fields(bytes: FileBytes, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [key, next] = varint(bytes, pos);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const [value, after] = varint(bytes, next);
      yield { number, wire, value, end: after };
      pos = after;
    } else if (wire === 2) {
      const [length, at] = varint(bytes, next);
      yield { number, wire, value: at, end: at + length };
      pos = at + length;
    } else if (wire === 1 || wire === 5) {
      pos = next + (wire === 1 ? 8 : 4);
    } else throw new Error(`unsupported wire type ${wire} at byte ${pos}`);
  }
}

const text = (bytes: FileBytes, f: Field) => bytes.text(f.value, f.end - f.value);

function tensor(bytes: FileBytes, start: number, end: number): Tensor {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  for (const f of fields(bytes, start, end)) {
    if (f.number === 8 && f.wire === 2) name = text(bytes, f);
    else if (f.number === 2 && f.wire === 0) dataType = f.value;
    else if (f.number === 1 && f.wire === 0) dims.push(f.value);
    else if (f.number === 1 && f.wire === 2)
      for (let p = f.value; p < f.end; ) {
        const [d, next] = varint(bytes, p);
        dims.push(d);
        p = next;
      }
  }
  return { name, dataType: dataType as DataType, dims, data: new Float32Array(0) };
}

function attribute(bytes: FileBytes, start: number, end: number): [string, Attribute] | undefined {
  let name = '';
  const graphs: Graph[] = [];
  let many = false;
  for (const f of fields(bytes, start, end)) {
    if (f.number === 1 && f.wire === 2) name = text(bytes, f);
    else if (f.number === 6 && f.wire === 2) graphs.push(graph(bytes, f.value, f.end));
    else if (f.number === 11 && f.wire === 2) {
      many = true;
      graphs.push(graph(bytes, f.value, f.end));
    }
  }
  if (graphs.length === 0) return undefined;
  return [name, many ? { type: 'GRAPHS', value: graphs } : { type: 'GRAPH', value: graphs[0]! }];
}

function node(bytes: FileBytes, start: number, end: number): Node {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes: Record<string, Attribute> = {};
  let name = '';
  let opType = '';
  let domain = '';
  for (const f of fields(bytes, start, end)) {
    if (f.wire !== 2) continue;
    if (f.number === 1) inputs.push(text(bytes, f));
    else if (f.number === 2) outputs.push(text(bytes, f));
    else if (f.number === 3) name = text(bytes, f);
    else if (f.number === 4) opType = text(bytes, f);
    else if (f.number === 7) domain = text(bytes, f);
    else if (f.number === 5) {
      const a = attribute(bytes, f.value, f.end);
      if (a !== undefined) attributes[a[0]] = a[1];
    }
  }
  return { name, opType, domain, inputs, outputs, attributes };
}

/** TensorShapeProto.Dimension: dim_value (1) or dim_param (2); neither is an unknown axis. */
function dimension(bytes: FileBytes, start: number, end: number): Dim {
  for (const f of fields(bytes, start, end)) {
    if (f.number === 1 && f.wire === 0) return f.value;
    if (f.number === 2 && f.wire === 2) return text(bytes, f);
  }
  return null;
}

/** TypeProto.tensor_type (1): elem_type (1) and shape (2, its dims field 1); other kinds are left untyped. */
function tensorType(bytes: FileBytes, start: number, end: number): TypeInfo | undefined {
  for (const t of fields(bytes, start, end)) {
    if (t.number !== 1 || t.wire !== 2) continue;
    let elemType = 0;
    let shape: Dim[] | undefined;
    for (const f of fields(bytes, t.value, t.end)) {
      if (f.number === 1 && f.wire === 0) elemType = f.value;
      else if (f.number === 2 && f.wire === 2) {
        shape = [];
        for (const d of fields(bytes, f.value, f.end))
          if (d.number === 1 && d.wire === 2) shape.push(dimension(bytes, d.value, d.end));
      }
    }
    return { kind: 'tensor', elemType: elemType as DataType, ...(shape !== undefined && { shape }) };
  }
  return undefined;
}

/** ValueInfoProto: name (1) and type (2). */
function valueInfo(bytes: FileBytes, start: number, end: number): ValueInfo {
  let name = '';
  let type: TypeInfo | undefined;
  for (const f of fields(bytes, start, end)) {
    if (f.number === 1 && f.wire === 2) name = text(bytes, f);
    else if (f.number === 2 && f.wire === 2) type = tensorType(bytes, f.value, f.end);
  }
  return { name, ...(type !== undefined && { type }) };
}

function graph(bytes: FileBytes, start: number, end: number): Graph {
  const nodes: Node[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const initializers = new Map<string, Tensor>();
  let name = '';
  for (const f of fields(bytes, start, end)) {
    if (f.wire !== 2) continue;
    if (f.number === 1) nodes.push(node(bytes, f.value, f.end));
    else if (f.number === 2) name = text(bytes, f);
    else if (f.number === 5) {
      const t = tensor(bytes, f.value, f.end);
      initializers.set(t.name, t);
    } else if (f.number === 11) inputs.push(valueInfo(bytes, f.value, f.end));
    else if (f.number === 12) outputs.push(valueInfo(bytes, f.value, f.end));
  }
  return { name, nodes, inputs, outputs, valueInfo: [], initializers, sparseInitializers: [] };
}

/** The main graph of the .onnx file at `path`, structure only (tensors have dims and no data). */
export function skimGraph(path: string): Graph {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new TlcError('ONNX_READ_FAILED', `${path}: cannot read the model file (${messageOf(error)})`, {
      cause: error,
    });
  }
  try {
    const bytes = new FileBytes(fd);
    for (const f of fields(bytes, 0, bytes.size))
      if (f.number === 7 && f.wire === 2) return graph(bytes, f.value, f.end);
    throw new Error('no graph');
  } catch (error) {
    if (error instanceof TlcError) throw error;
    throw new TlcError('ONNX_DECODE_FAILED', `${path}: not a valid ONNX model (${messageOf(error)})`, {
      cause: error,
    });
  } finally {
    closeSync(fd);
  }
}
