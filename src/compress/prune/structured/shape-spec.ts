/**
 * The target shape of a Reshape in an attention block: a constant ([0,0,H,dh] in TLC's graphs), or a Concat
 * of pieces as PyTorch exports it (`Concat(Unsqueeze(B), Unsqueeze(T), Constant [H], Unsqueeze(D/H))`,
 * or `Concat(Slice(Shape(x), 0, -1), Constant [H, dh])`). Entries come back as numbers where a constant
 * gives them and undefined where they are computed; a piece of unknown length is allowed once, and positions
 * after it are counted from the end.
 */

import { getInt } from '../../../onnx/attributes.js';
import { DataType } from '../../../onnx/dtype.js';
import type { Node, Tensor } from '../../../onnx/ir.js';
import { makeTensor } from '../../../onnx/tensor.js';
import { describe, isOp, type Level, type LevelEdit } from './level.js';

interface Piece {
  readonly input: number;
  /** Start position in the shape, and length. */
  readonly at: number;
  readonly length: number;
  /** Constant entries, or undefined for a computed piece. */
  readonly values?: readonly number[];
}

export interface ShapeSpec {
  readonly values: readonly (number | undefined)[];
  /** The Reshape whose shape this is. */
  readonly reshape: Node;
  /** Set when the shape is a Concat of pieces. */
  readonly concat?: Node;
  readonly pieces?: readonly Piece[];
}

export function int64s(values: readonly number[], name = 'shape'): Tensor {
  return makeTensor(name, DataType.INT64, [values.length], BigInt64Array.from(values, BigInt));
}

/** A tensor of `t`'s type and dims (a scalar or [1]) holding `value`. */
export function scalarLike(t: Tensor, value: number): Tensor {
  const data = t.dataType === DataType.INT64 ? BigInt64Array.of(BigInt(value)) : Int32Array.of(value);
  return makeTensor(t.name, t.dataType, t.dims, data);
}

/** The shape `reshape` targets, when it has rank `rank`; a reason otherwise. */
export function shapeSpec(level: Level, reshape: Node, rank: number): ShapeSpec | string {
  const source = reshape.inputs[1] ?? '';
  const constant = level.ints(source);
  if (constant !== undefined) {
    if (constant.length !== rank)
      return `${describe(reshape)} reshapes to rank ${constant.length}, not ${rank}`;
    return { values: constant, reshape };
  }
  const concat = level.producer(source)?.node;
  if (!isOp(concat, 'Concat') || getInt(concat, 'axis', 0) !== 0) {
    return `${describe(reshape)} takes a computed shape ("${source}") that is neither a constant nor a Concat`;
  }
  if (level.soleConsumer(source) !== reshape)
    return `${describe(concat)}: ${level.describeConsumers(source)}`;
  const raw = concat.inputs.map((name, input) => {
    const values = level.ints(name);
    if (values !== undefined) return { input, length: values.length, values };
    // Unsqueeze of a scalar (B, T, D/H in PyTorch exports) is one entry; anything else: unknown length.
    const p = level.producer(name)?.node;
    return { input, length: isOp(p, 'Unsqueeze') ? 1 : -1 };
  });
  const unknown = raw.filter((p) => p.length < 0).length;
  if (unknown > 1) return `${describe(concat)}: more than one shape piece of unknown length`;
  const known = raw.reduce((s, p) => s + Math.max(p.length, 0), 0);
  const pieces: Piece[] = [];
  let at = 0;
  for (const p of raw) {
    const length = p.length < 0 ? rank - known : p.length;
    if (length < 0) return `${describe(concat)} builds a shape longer than rank ${rank}`;
    pieces.push({ input: p.input, at, length, ...('values' in p && { values: p.values }) });
    at += length;
  }
  if (at !== rank) return `${describe(concat)} builds a shape of rank ${at}, not ${rank}`;
  const values: (number | undefined)[] = new Array(rank).fill(undefined);
  for (const p of pieces) {
    p.values?.forEach((v, i) => {
      values[p.at + i] = v;
    });
  }
  return { values, reshape, concat, pieces };
}

/** The Concat input that holds position `at`, when it is a one-entry or a constant piece. */
export function canSet(spec: ShapeSpec, at: number): boolean {
  if (spec.concat === undefined) return true;
  const piece = spec.pieces!.find((p) => at >= p.at && at < p.at + p.length);
  return piece !== undefined && (piece.values !== undefined || piece.length === 1);
}

/** Records a new value for shape entry `at` (a new constant shape, or a new constant Concat piece). */
export function setShapeEntry(edit: LevelEdit, spec: ShapeSpec, at: number, value: number): void {
  if (spec.concat === undefined) {
    const values = spec.values.map((v) => v!);
    values[at] = value;
    edit.setConstant(spec.reshape, 1, int64s(values));
    return;
  }
  const piece = spec.pieces!.find((p) => at >= p.at && at < p.at + p.length)!;
  const values = piece.values === undefined ? [value] : [...piece.values];
  values[at - piece.at] = value;
  edit.setConstant(spec.concat, piece.input, int64s(values));
}

/** Whether a value is computed from any of `values` (walking producers inside this level). */
export function dependsOn(level: Level, value: string, values: ReadonlySet<string>): boolean {
  const seen = new Set<string>();
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (values.has(v)) return true;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = level.producer(v);
    if (p !== undefined) for (const i of p.node.inputs) if (i !== '') stack.push(i);
  }
  return false;
}
