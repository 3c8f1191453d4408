/**
 * State shared while a Transformer graph is built: the GraphBuilder, the config, the parameter registry
 * (with initial values and optimizer hints) and the dropout sites whose masks the trainer feeds.
 */
import { attr } from '../onnx/attributes.js';
import { GraphBuilder } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import type { Dim } from '../onnx/ir.js';
import { tensorFromNumbers } from '../onnx/tensor.js';
import type { Rng } from '../util/rng.js';
import type { TransformerConfig } from './config.js';

export type ParamRole = 'weight' | 'bias' | 'norm' | 'embedding';

export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: ParamRole;
}

/** A dropout mask the trainer supplies each step: a bool input of the given symbolic shape. */
export interface DropoutSite {
  readonly input: string;
  /** Symbolic dims: 'batch', 'sequence', 'heads' and fixed sizes. */
  readonly shape: readonly Dim[];
  readonly rate: number;
}

export class ModelContext {
  readonly params: ParamInfo[] = [];
  readonly dropoutSites: DropoutSite[] = [];
  readonly floatType: DataType;

  constructor(
    readonly b: GraphBuilder,
    readonly config: TransformerConfig,
    private readonly rng: Rng,
    /** Graphs that will be differentiated keep LayerNorm statistics for the backward pass. */
    readonly training: boolean,
    /** Dropout masks are graph inputs; without them the graph has no dropout. */
    readonly withDropout: boolean,
  ) {
    this.floatType = config.dtype === 'float64' ? DataType.DOUBLE : DataType.FLOAT;
  }

  /** Registers a parameter initialised from N(0, std²) (std 0), or to a constant fill. */
  param(
    name: string,
    shape: readonly number[],
    role: ParamRole,
    init: { std: number } | { fill: number },
  ): string {
    const n = shape.reduce((a, d) => a * d, 1);
    const values = new Float64Array(n);
    if ('std' in init) for (let i = 0; i < n; i++) values[i] = this.rng.normal() * init.std;
    else values.fill(init.fill);
    this.params.push({ name, shape, role });
    return this.b.initializer(tensorFromNumbers(name, this.floatType, shape, values));
  }

  /** A scalar constant of the model's float type. */
  scalar(value: number): string {
    return this.b.constantOf(this.floatType, [], [value]);
  }

  int64s(values: readonly number[]): string {
    return this.b.constantOf(DataType.INT64, [values.length], values);
  }

  /** Multiplies by a dropout mask fed at run time and rescales by 1/(1−p); identity without dropout. */
  dropout(x: string, rate: number, shape: readonly Dim[], site: string): string {
    if (!this.withDropout || rate === 0) return x;
    const input = this.b.input(`dropout/${site}`, DataType.BOOL, shape);
    this.dropoutSites.push({ input, shape, rate });
    const keep = this.b.op('Cast', [input], { to: attr.int(this.floatType) });
    return this.b.op('Mul', [x, this.b.op('Mul', [keep, this.scalar(1 / (1 - rate))])]);
  }
}

export function createModelContext(
  config: TransformerConfig,
  rng: Rng,
  flags: { training: boolean; dropout: boolean },
  opset = 17,
): ModelContext {
  const b = GraphBuilder.create({ name: 'transformer', opsets: { '': opset } });
  return new ModelContext(b, config, rng, flags.training, flags.dropout);
}
