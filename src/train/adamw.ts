/**
 * AdamW (Loshchilov & Hutter) with decoupled weight decay, over Float32Array parameters in JavaScript memory.
 * The update runs here rather than in the ONNX graph: returning gradients costs one copy of the parameters
 * per step, where an in-graph update would return parameters and both moments (three copies), and this keeps
 * clipping and gradient accumulation simple. Same arithmetic as torch.optim.AdamW.
 */

export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWOptions = { beta1: 0.9, beta2: 0.98, epsilon: 1e-6, weightDecay: 0.01 };

export interface ParamState {
  readonly m: Float32Array;
  readonly v: Float32Array;
}

export class AdamW {
  readonly state = new Map<string, ParamState>();
  /** Number of updates applied so far. */
  step = 0;

  constructor(readonly options: AdamWOptions = DEFAULT_ADAMW) {}

  /**
   * One update. `gradScale` multiplies every gradient first (clipping and accumulation averaging);
   * parameters not in `decay` get no weight decay.
   */
  update(
    params: ReadonlyMap<string, Float32Array>,
    grads: ReadonlyMap<string, Float32Array>,
    lr: number,
    decay: ReadonlySet<string>,
    gradScale = 1,
  ): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const bc1 = 1 - beta1 ** this.step;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.step);
    const stepSize = lr / bc1;
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (g === undefined) continue;
      let s = this.state.get(name);
      if (s === undefined) {
        s = { m: new Float32Array(p.length), v: new Float32Array(p.length) };
        this.state.set(name, s);
      }
      const { m, v } = s;
      const shrink = decay.has(name) ? 1 - lr * weightDecay : 1;
      adamwKernel(p, g, m, v, gradScale, beta1, beta2, shrink, stepSize, 1 / bc2Sqrt, epsilon);
    }
  }
}

/** The element loop, kept monomorphic and free of property loads (about 4 ns per parameter here). */
function adamwKernel(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  gradScale: number,
  beta1: number,
  beta2: number,
  shrink: number,
  stepSize: number,
  invBc2Sqrt: number,
  epsilon: number,
): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]! * gradScale;
    const mi = beta1 * m[i]! + c1 * gi;
    const vi = beta2 * v[i]! + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i]! * shrink - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + epsilon);
  }
}

/** √Σ g² over every gradient. */
export function globalNorm(grads: Iterable<Float32Array>): number {
  let sum = 0;
  for (const g of grads) {
    let s = 0;
    for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
    sum += s;
  }
  return Math.sqrt(sum);
}

/** The factor that brings the global norm down to `maxNorm` (1 when already below, or no limit). */
export function clipScale(norm: number, maxNorm: number | undefined): number {
  if (maxNorm === undefined || maxNorm <= 0 || !(norm > maxNorm)) return 1;
  return maxNorm / (norm + 1e-6);
}
