/**
 * Dropout masks for one step, drawn in JavaScript from a generator seeded by (seed, step, micro-batch, site):
 * the same step always gets the same masks, so a resumed run repeats an uninterrupted one bit for bit
 * (ONNX Runtime's own random ops advance per session run and cannot be restored).
 */
import { TlcError } from '../errors/index.js';
import type { DropoutSite } from '../models/context.js';
import { Rng } from '../util/rng.js';

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

/**
 * A keep-mask (1 = keep) with P(drop) = rate (to 1/65536), two decisions per 32-bit draw. The generator is a
 * local xorshift128 seeded from `rng`: tens of millions of decisions per step make a tight loop worth it
 * (a method call per draw took 25 ns; this takes about 2).
 */
export function dropoutMask(length: number, rate: number, rng: Rng): Uint8Array {
  const mask = new Uint8Array(length);
  const threshold = Math.round(rate * 65536);
  let s0 = rng.nextU32() | 1;
  let s1 = rng.nextU32();
  let s2 = rng.nextU32();
  let s3 = rng.nextU32();
  for (let i = 0; i < length; i += 2) {
    const t = s0 ^ (s0 << 11);
    s0 = s1;
    s1 = s2;
    s2 = s3;
    s3 = s3 ^ (s3 >>> 19) ^ t ^ (t >>> 8);
    mask[i] = (s3 & 0xffff) >= threshold ? 1 : 0;
    if (i + 1 < length) mask[i + 1] = s3 >>> 16 >= threshold ? 1 : 0;
  }
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
