/**
 * Recognising a feed-forward block by its structure: MatMul(x, W_up [D,F]) followed by any function that acts
 * on each of the F neurons separately (bias Add, com.microsoft Gelu / FastGelu, Relu, a decomposed erf or tanh
 * GELU…), read only by MatMul(·, W_down [F,D']). Every node between the two must be elementwise, its other
 * inputs scalar constants or constant [F] vectors (sliced with the neurons), and every value must stay
 * inside the block. Then neuron j is column j of W_up, entry j of each vector and row j of W_down.
 */
import type { Node, Tensor } from '../../../onnx/ir.js';
import { type Match, soleWeight } from './attention-parts.js';
import { describe, isOp, type Level } from './level.js';

export interface FfnBlock {
  readonly up: { readonly matmul: Node; readonly weight: Tensor };
  readonly down: { readonly matmul: Node; readonly weight: Tensor };
  /** Constant inputs with one entry per neuron (biases, FastGelu's bias…). */
  readonly perNeuron: readonly { readonly node: Node; readonly index: number; readonly tensor: Tensor }[];
  readonly width: number;
  readonly nodes: readonly Node[];
  readonly values: readonly string[];
}

/** Ops that act on each element independently (their broadcast operands are checked separately). */
const ELEMENTWISE: Readonly<Record<string, ReadonlySet<string>>> = {
  '': new Set([
    'Add',
    'Sub',
    'Mul',
    'Div',
    'Pow',
    'Max',
    'Min',
    'PRelu',
    'Clip',
    'Cast',
    'Identity',
    'Relu',
    'LeakyRelu',
    'Elu',
    'Selu',
    'Celu',
    'Gelu',
    'Erf',
    'Tanh',
    'Sigmoid',
    'HardSigmoid',
    'HardSwish',
    'Softplus',
    'Softsign',
    'Mish',
    'Exp',
    'Log',
    'Neg',
    'Abs',
    'Sqrt',
    'Reciprocal',
  ]),
  'com.microsoft': new Set(['Gelu', 'FastGelu', 'BiasGelu', 'QuickGelu']),
};

function isElementwise(node: Node): boolean {
  return ELEMENTWISE[node.domain]?.has(node.opType) ?? false;
}

/** Elementwise ops that are affine: a block of only these is a plain projection chain, not an FFN. */
const AFFINE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Identity', 'Cast']);

export type FfnMatch = Match<FfnBlock> & {
  /** On failure: whether it looked like an FFN (a non-linear activation follows the projection). */
  readonly plausible?: boolean;
};

/**
 * The constant operands of an elementwise node inside the block that hold one value per neuron ([width]);
 * scalars broadcast and are skipped, computed operands are checked once the whole block is known. A constant of
 * any other shape is the reason the block cannot be pruned.
 */
function perNeuronOperands(
  level: Level,
  c: Node,
  inside: ReadonlySet<string>,
  width: number,
): { node: Node; index: number; tensor: Tensor }[] | string {
  const out: { node: Node; index: number; tensor: Tensor }[] = [];
  for (let i = 0; i < c.inputs.length; i++) {
    const name = c.inputs[i]!;
    if (name === '' || inside.has(name)) continue;
    const k = level.constant(name);
    if (k === undefined) continue;
    const n = k.dims.reduce((a, b) => a * b, 1);
    if (n === 1) continue;
    if (k.dims[k.dims.length - 1] === width && n === width) out.push({ node: c, index: i, tensor: k });
    else
      return `${describe(c)} reads constant "${name}" of shape [${k.dims}], neither a scalar nor [${width}]`;
  }
  return out;
}

export function matchFfn(level: Level, up: Node): FfnMatch {
  const w = level.constant(up.inputs[1] ?? '');
  if (w === undefined || w.dims.length !== 2)
    return { ok: false, reason: `${describe(up)} has no constant 2-D weight` };
  const width = w.dims[1]!;
  let plausible = false;
  const fail = (reason: string): FfnMatch => ({ ok: false, reason, plausible });
  const start = up.outputs[0]!;
  const inside = new Set<string>([start]);
  const nodes: Node[] = [];
  const seen = new Set<Node>();
  const perNeuron: { node: Node; index: number; tensor: Tensor }[] = [];
  const downs = new Set<Node>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    if (level.index.isGraphOutput(v)) return fail(`"${v}" is a graph output`);
    const readers = level.consumers(v);
    if (readers.length === 0) return fail(`"${v}" is not read`);
    for (const c of readers) {
      if (seen.has(c)) continue;
      if (isOp(c, 'MatMul') && c.inputs[0] === v && !inside.has(c.inputs[1]!)) {
        downs.add(c);
        continue;
      }
      if (!isElementwise(c)) {
        return fail(
          `${describe(up)}'s output reaches ${describe(c)}, which is not an elementwise function of each neuron`,
        );
      }
      seen.add(c);
      const operands = perNeuronOperands(level, c, inside, width);
      if (typeof operands === 'string') return fail(operands);
      perNeuron.push(...operands);
      nodes.push(c);
      plausible ||= !(c.domain === '' && AFFINE.has(c.opType));
      for (const o of c.outputs) {
        if (o === '') continue;
        inside.add(o);
        queue.push(o);
      }
    }
  }
  // A node may read an operand that was produced later in the traversal; re-check every operand is inside.
  for (const c of nodes) {
    for (const name of c.inputs) {
      if (name !== '' && !inside.has(name) && level.constant(name) === undefined) {
        return fail(`${describe(c)} reads "${name}", a computed value from outside the block`);
      }
    }
  }
  if (downs.size !== 1) {
    return fail(
      downs.size === 0
        ? `${describe(up)}'s output reaches no down-projection MatMul`
        : `${describe(up)}'s output reaches ${downs.size} MatMuls: ${[...downs].map(describe).join(', ')}`,
    );
  }
  const upW = soleWeight(level, up);
  if (typeof upW === 'string') return fail(upW);
  const down = [...downs][0]!;
  const downW = soleWeight(level, down);
  if (typeof downW === 'string') return fail(downW);
  if (downW.dims[0] !== width)
    return fail(`${describe(down)}: weight has ${downW.dims[0]} rows, expected ${width}`);
  return {
    ok: true,
    block: {
      up: { matmul: up, weight: upW },
      down: { matmul: down, weight: downW },
      perNeuron,
      width,
      nodes: [up, ...nodes, down],
      values: [...inside],
    },
  };
}
