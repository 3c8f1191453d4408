/**
 * Attribute constructors (`attr.int(1)`, `attr.floats([…])`) and typed readers (`getInt(node, 'axis', -1)`).
 * Types are always explicit: JavaScript cannot tell 1 (INT) from 1.0 (FLOAT).
 */
import type { Attribute, Graph, Node, SparseTensor, Tensor, TypeInfo } from './ir.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function toInt64(value: number | bigint): bigint {
  if (typeof value === 'bigint') return BigInt.asIntN(64, value) === value ? value : rangeError(value);
  if (!Number.isSafeInteger(value)) throw new RangeError(`INT attribute must be an integer, got ${value}`);
  return BigInt(value);
}

function rangeError(value: bigint): never {
  throw new RangeError(`INT attribute ${value} does not fit in int64`);
}

export const attr = {
  float: (value: number): Attribute => ({ type: 'FLOAT', value }),
  int: (value: number | bigint): Attribute => ({ type: 'INT', value: toInt64(value) }),
  string: (value: string): Attribute => ({ type: 'STRING', value: encoder.encode(value) }),
  tensor: (value: Tensor): Attribute => ({ type: 'TENSOR', value }),
  graph: (value: Graph): Attribute => ({ type: 'GRAPH', value }),
  sparseTensor: (value: SparseTensor): Attribute => ({ type: 'SPARSE_TENSOR', value }),
  typeProto: (value: TypeInfo): Attribute => ({ type: 'TYPE_PROTO', value }),
  floats: (value: readonly number[]): Attribute => ({ type: 'FLOATS', value: [...value] }),
  ints: (value: readonly (number | bigint)[]): Attribute => ({ type: 'INTS', value: value.map(toInt64) }),
  strings: (value: readonly string[]): Attribute => ({
    type: 'STRINGS',
    value: value.map((s) => encoder.encode(s)),
  }),
  tensors: (value: readonly Tensor[]): Attribute => ({ type: 'TENSORS', value: [...value] }),
  graphs: (value: readonly Graph[]): Attribute => ({ type: 'GRAPHS', value: [...value] }),
} as const;

function find(node: Node, name: string): Attribute | undefined {
  return Object.hasOwn(node.attributes, name) ? node.attributes[name] : undefined;
}

function wrongType(node: Node, name: string, want: string, got: Attribute): never {
  throw new TypeError(
    `node "${node.name}" (${node.opType}): attribute "${name}" is ${got.type}, expected ${want}`,
  );
}

function safe(node: Node, name: string, v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n))
    throw new RangeError(`node "${node.name}": attribute "${name}" = ${v} is not a safe integer`);
  return n;
}

export function hasAttr(node: Node, name: string): boolean {
  return find(node, name) !== undefined;
}

export function getInt(node: Node, name: string, fallback?: number): number {
  const a = find(node, name);
  if (a === undefined) {
    if (fallback === undefined)
      throw new RangeError(`node "${node.name}" (${node.opType}) has no attribute "${name}"`);
    return fallback;
  }
  return a.type === 'INT' ? safe(node, name, a.value) : wrongType(node, name, 'INT', a);
}

export function getFloat(node: Node, name: string, fallback?: number): number {
  const a = find(node, name);
  if (a === undefined) {
    if (fallback === undefined)
      throw new RangeError(`node "${node.name}" (${node.opType}) has no attribute "${name}"`);
    return fallback;
  }
  return a.type === 'FLOAT' ? a.value : wrongType(node, name, 'FLOAT', a);
}

export function getString(node: Node, name: string, fallback?: string): string {
  const a = find(node, name);
  if (a === undefined) {
    if (fallback === undefined)
      throw new RangeError(`node "${node.name}" (${node.opType}) has no attribute "${name}"`);
    return fallback;
  }
  return a.type === 'STRING' ? decoder.decode(a.value) : wrongType(node, name, 'STRING', a);
}

export function getInts(node: Node, name: string, fallback?: readonly number[]): number[] {
  const a = find(node, name);
  if (a === undefined) {
    if (fallback === undefined)
      throw new RangeError(`node "${node.name}" (${node.opType}) has no attribute "${name}"`);
    return [...fallback];
  }
  return a.type === 'INTS' ? a.value.map((v) => safe(node, name, v)) : wrongType(node, name, 'INTS', a);
}

export function getFloats(node: Node, name: string, fallback?: readonly number[]): number[] {
  const a = find(node, name);
  if (a === undefined) {
    if (fallback === undefined)
      throw new RangeError(`node "${node.name}" (${node.opType}) has no attribute "${name}"`);
    return [...fallback];
  }
  return a.type === 'FLOATS' ? [...a.value] : wrongType(node, name, 'FLOATS', a);
}

export function getTensor(node: Node, name: string): Tensor | undefined {
  const a = find(node, name);
  if (a === undefined) return undefined;
  return a.type === 'TENSOR' ? a.value : wrongType(node, name, 'TENSOR', a);
}

/** Subgraphs held by a node's GRAPH and GRAPHS attributes, with the attribute name. */
export function subgraphsOf(node: Node): { attribute: string; graph: Graph }[] {
  const out: { attribute: string; graph: Graph }[] = [];
  for (const [name, a] of Object.entries(node.attributes)) {
    if (a.type === 'GRAPH') out.push({ attribute: name, graph: a.value });
    else if (a.type === 'GRAPHS') for (const g of a.value) out.push({ attribute: name, graph: g });
  }
  return out;
}
