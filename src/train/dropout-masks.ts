/**
 * Dropout masks for one step, drawn in JavaScript from a generator seeded by (seed, step, micro-batch, site):
 * the same step always gets the same masks, so a resumed run repeats an uninterrupted one bit for bit
 * (ONNX Runtime's own random ops advance per session run and cannot be restored).
 */
import { TlcError } from '../errors/index.js';
import type { DropoutSite } from '../models/context.js';
import { Rng } from './rng.js';

/** Resolves a site's symbolic shape against the batch's dimension sizes. */
export function siteShape(site: DropoutSite, dims: Readonly<Record<string, number>>): number[] {
  return site.shape.map((d) => {
    if (typeof d === 'number') return d;
    const v = d === null ? undefined : dims[d];
    if (v === undefined)
      throw new TlcError(
        'CONFIG_INVALID',
        `dropout site ${site.input}: the batch gives no size for dimension "${d}"`,
      );
    return v;
  });
}

/** A keep-mask (1 = keep) with P(drop) = rate, 16 random bits per decision. */
export function dropoutMask(length: number, rate: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(length);
  const threshold = Math.round(rate * 65536);
  let i = 0;
  for (; i + 1 < length; i += 2) {
    const r = rng.nextU32();
    mask[i] = (r & 0xffff) >= threshold ? 1 : 0;
    mask[i + 1] = r >>> 16 >= threshold ? 1 : 0;
  }
  if (i < length) mask[i] = (rng.nextU32() & 0xffff) >= threshold ? 1 : 0;
  return mask;
}

export function stepMasks(
  sites: readonly DropoutSite[],
  dims: Readonly<Record<string, number>>,
  seed: number,
  step: number,
  micro: number,
): { input: string; mask: Uint8Array; shape: number[] }[] {
  return sites.map((site, k) => {
    const shape = siteShape(site, dims);
    const length = shape.reduce((a, d) => a * d, 1);
    return {
      input: site.input,
      mask: dropoutMask(length, site.rate, Rng.seeded(seed, step, micro, k)),
      shape,
    };
  });
}
