/**
 * A whole model's gradients against central differences: builds the trainable graph, runs the analytic gradient
 * once, and for each parameter compares sampled entries (its largest-gradient entry and the others `samples`
 * names) with (L(w + ε) − L(w − ε)) / 2ε, within `limit` × the parameter's largest gradient + `absolute`.
 */
import assert from 'node:assert/strict';
import { makeConfig, type TransformerConfig } from '../../src/models/config.js';
import type { BuiltModel } from '../../src/models/encoder.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { Tensor } from '../../src/onnx/ir.js';
import { createSession, type OrtFeeds, ortTensor, runSession } from '../../src/ort/session.js';
import { buildTrainable } from '../../src/train/trainable.js';

/** 2 layers × 8, 2 heads, no dropout: small enough for central differences on every parameter. */
export function gradCheckConfig(settings: Pick<TransformerConfig, 'vocabSize'> & Partial<TransformerConfig>) {
  return makeConfig({
    dModel: 8,
    layers: 2,
    heads: 2,
    ffn: 12,
    maxLength: 8,
    dropout: 0,
    attentionDropout: 0,
    ...settings,
  });
}

export interface GradientCheck {
  /** Starting values of a parameter, from its initial tensor (default: as initialised). */
  readonly start?: (t: Tensor) => Float64Array;
  readonly dtype?: 'float64' | 'float32';
  readonly eps: number;
  readonly limit: number;
  readonly absolute?: number;
  /** Entries to check beside the largest-gradient one (default: a third of the way and the last). */
  readonly samples?: (length: number) => number[];
  /** Whether the parameter must receive a non-zero gradient (default: all). */
  readonly mustMove?: (param: string) => boolean;
}

/** Checks every parameter of `built` (a loss graph) on `data`; returns how many entries were compared. */
export async function assertGradientsMatch(
  built: BuiltModel,
  data: OrtFeeds,
  o: GradientCheck,
): Promise<number> {
  const params = built.params.map((p) => p.name);
  const trainable = await buildTrainable(built.model, params, built.loss!);
  const values = new Map(
    [...trainable.initial].map(([n, t]) => [n, o.start?.(t) ?? Float64Array.from(t.data as Float64Array)]),
  );
  const feeds = (): OrtFeeds => {
    const f: OrtFeeds = { ...data };
    for (const p of params) {
      const dims = trainable.initial.get(p)!.dims;
      const v = values.get(p)!;
      f[p] =
        o.dtype === 'float32'
          ? ortTensor('float32', Float32Array.from(v), dims)
          : ortTensor('float64', v, dims);
    }
    return f;
  };
  const gradSession = await createSession(encodeModel(trainable.model));
  const fwdSession = await createSession(encodeModel(trainable.forward));
  let checked = 0;
  try {
    const out = await runSession(gradSession, feeds());
    const loss = async () =>
      Number((await runSession(fwdSession, feeds(), [built.loss!]))[built.loss!]!.data[0]);
    for (const p of params) {
      const analytic = out[trainable.gradients.get(p)!]!.data as Float64Array;
      const v = values.get(p)!;
      let big = 0;
      for (let i = 1; i < analytic.length; i++)
        if (Math.abs(analytic[i]!) > Math.abs(analytic[big]!)) big = i;
      const scale = Math.max(Math.abs(analytic[big]!), 1e-12);
      if (o.mustMove?.(p) ?? true) assert.ok(scale > 1e-9, `${p} receives a gradient`);
      const others = o.samples?.(v.length) ?? [Math.floor(v.length / 3), v.length - 1];
      for (const i of new Set([big, ...others])) {
        const orig = v[i]!;
        v[i] = orig + o.eps;
        const lp = await loss();
        v[i] = orig - o.eps;
        const lm = await loss();
        v[i] = orig;
        const numeric = (lp - lm) / (2 * o.eps);
        assert.ok(
          Math.abs(numeric - analytic[i]!) < o.limit * scale + (o.absolute ?? 0),
          `${p}[${i}]: analytic ${analytic[i]} vs numeric ${numeric} (relative ${Math.abs(numeric - analytic[i]!) / scale})`,
        );
        checked += 1;
      }
    }
  } finally {
    await gradSession.release();
    await fwdSession.release();
  }
  return checked;
}
