/**
 * What a gradient rule sees: the builder that appends backward nodes, the forward graph's shapes, and
 * helpers for the chores every rule shares (typed constants, shapes as values, reducing a broadcast gradient
 * back to its input's shape).
 */
import { TlcError } from '../errors/index.js';
import { attr } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { DataType, numel } from '../onnx/dtype.js';
import type { GraphIndex } from '../onnx/graph-index.js';
import type { Dim, Node, Tensor } from '../onnx/ir.js';
import { tensorFromNumbers } from '../onnx/tensor.js';
import { tensorToNumbers } from '../onnx/tensor-values.js';

export interface ValueFacts {
  readonly elemType: DataType | undefined;
  readonly shape: readonly Dim[];
}

/** The node being differentiated and the gradients that reach its outputs. */
export interface GradRequest {
  readonly node: Node;
  /** Gradient of the loss with respect to each output; null where none flows. */
  readonly outputGrads: readonly (string | null)[];
  /** Whether input i needs a gradient (it depends on a value being differentiated). */
  needs(i: number): boolean;
}

/** One gradient (or null) per input of the node. */
export type GradRule = (ctx: GradContext, request: GradRequest) => readonly (string | null)[];

const FLOAT_TYPES: ReadonlySet<number> = new Set([
  DataType.FLOAT,
  DataType.DOUBLE,
  DataType.FLOAT16,
  DataType.BFLOAT16,
]);

export function isFloatType(t: DataType | undefined): boolean {
  return t !== undefined && FLOAT_TYPES.has(t);
}

export class GradContext {
  private readonly cache = new Map<string, string>();

  constructor(
    readonly b: GraphBuilder,
    private readonly facts: Map<string, ValueFacts>,
    readonly index: GraphIndex,
    /** Default-domain opset of the graph. */
    readonly opset: number,
  ) {}

  fail(node: Node, message: string): never {
    throw new TlcError('AUTODIFF_FAILED', `gradient of ${node.opType} node "${node.name}": ${message}`);
  }

  /** Records facts for a value created during differentiation (a gradient has its forward value's shape). */
  remember(name: string, like: string): void {
    const f = this.facts.get(like);
    if (f !== undefined) this.facts.set(name, f);
  }

  /** Declares the element type and shape of an intermediate value created by a rule. */
  assume(name: string, shape: readonly Dim[], like: string): string {
    this.facts.set(name, { elemType: this.elemType(like), shape });
    return name;
  }

  shape(name: string): readonly Dim[] {
    const f = this.facts.get(name);
    if (f === undefined) throw new TlcError('AUTODIFF_FAILED', `no shape is known for "${name}"`);
    return f.shape;
  }

  rank(name: string): number {
    return this.shape(name).length;
  }

  elemType(name: string): DataType {
    const t = this.facts.get(name)?.elemType ?? this.b.typeOf(name);
    if (t === undefined) throw new TlcError('AUTODIFF_FAILED', `no element type is known for "${name}"`);
    return t;
  }

  constant(name: string): Tensor | undefined {
    return this.index.constantValue(name);
  }

  /** Integer values of a constant input, or undefined if the input is not a constant. */
  constantInts(name: string | undefined): number[] | undefined {
    if (name === undefined || name === '') return undefined;
    const t = this.constant(name);
    return t === undefined ? undefined : tensorToNumbers(t);
  }

  op(opType: string, inputs: readonly string[], attributes: Parameters<GraphBuilder['op']>[2] = {}): string {
    return this.b.op(opType, inputs, attributes, { name: `grad/${opType}` });
  }

  /** A scalar constant with the element type of `like` (cached). */
  scalar(value: number, like: string): string {
    const type = this.elemType(like);
    return this.cached(`scalar:${type}:${value}`, () =>
      this.b.constant(tensorFromNumbers('grad/c', type, [], [value])),
    );
  }

  /** A 1-D int64 constant (cached). */
  int64s(values: readonly number[]): string {
    return this.cached(`i64:${values.join(',')}`, () =>
      this.b.constant(tensorFromNumbers('grad/axes', DataType.INT64, [values.length], values)),
    );
  }

  /** Zeros of the element type of `like`, in the shape given by an int64 shape tensor. */
  zeros(shapeTensor: string, like: string): string {
    const zero = tensorFromNumbers('zero', this.elemType(like), [1], [0]);
    return this.op('ConstantOfShape', [shapeTensor], { value: attr.tensor(zero) });
  }

  /** The runtime shape of a value as an int64 tensor (one Shape node per value). */
  shapeOf(name: string): string {
    return this.cached(`shape:${name}`, () => this.op('Shape', [name]));
  }

  private cached(key: string, make: () => string): string {
    let v = this.cache.get(key);
    if (v === undefined) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  /** Normalises a possibly negative axis against a rank. */
  axis(node: Node, axis: number, rank: number): number {
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) this.fail(node, `axis ${axis} is out of range for rank ${rank}`);
    return a;
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.op('ReduceSum', [x, this.int64s(axes)], { keepdims: attr.int(keepdims ? 1 : 0) });
  }

  /** ReduceMean in the form the graph's opset wants (axes became an input at opset 18). */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    const k = { keepdims: attr.int(keepdims ? 1 : 0) };
    return this.opset >= 18
      ? this.op('ReduceMean', [x, this.int64s(axes)], k)
      : this.op('ReduceMean', [x], { ...k, axes: attr.ints(axes) });
  }

  /**
   * Sums a gradient that has the shape of `outName` (the result of a broadcasting op) down to the shape of
   * `inName`. Uses static shapes where they decide it and computes the axes at run time where they do not.
   */
  reduceTo(grad: string, outName: string, inName: string): string {
    const out = this.shape(outName);
    const inn = this.shape(inName);
    if (out.length < inn.length) {
      throw new TlcError(
        'AUTODIFF_FAILED',
        `"${inName}" has a higher rank than the result "${outName}" it broadcasts to`,
      );
    }
    const lead = out.length - inn.length;
    const axes: number[] = [];
    let dynamic = false;
    for (let i = 0; i < out.length; i++) {
      if (i < lead) {
        axes.push(i);
        continue;
      }
      const d = inn[i - lead]!;
      const o = out[i]!;
      if (d === o && d !== null) continue;
      if (d === 1) axes.push(i);
      else if (typeof d === 'number' && typeof o === 'number') {
        throw new TlcError(
          'AUTODIFF_FAILED',
          `cannot broadcast "${inName}" (${d}) to "${outName}" (${o}) on axis ${i}`,
        );
      } else dynamic = true;
    }
    if (!dynamic) {
      if (axes.length === 0) return grad;
      const summed = this.reduceSum(grad, axes, true);
      return lead === 0 ? summed : this.op('Reshape', [summed, this.shapeOf(inName)]);
    }
    // Some dims are symbolic on one side only: find the broadcast axes at run time.
    const leading = this.reduceSum(
      grad,
      axes.filter((a) => a < lead),
      false,
    );
    const isOne = this.op('Equal', [this.shapeOf(inName), this.int64s([1])]);
    const notOne = this.op('Not', [this.op('Equal', [this.op('Shape', [leading]), this.int64s([1])])]);
    const dynAxes = this.op('Reshape', [
      this.op('NonZero', [this.op('And', [isOne, notOne])]),
      this.int64s([-1]),
    ]);
    return this.op('ReduceSum', [leading, dynAxes], {
      keepdims: attr.int(1),
      noop_with_empty_axes: attr.int(1),
    });
  }

  /** Number of elements as a scalar of `like`'s float type (static when known). */
  count(name: string, like: string): string {
    const shape = this.shape(name);
    if (shape.every((d) => typeof d === 'number')) return this.scalar(numel(shape as number[]), like);
    return this.op('Cast', [this.op('Size', [name])], { to: attr.int(this.elemType(like)) });
  }
}
