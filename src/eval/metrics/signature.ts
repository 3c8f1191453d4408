/**
 * sacreBLEU's reproducibility signature (`nrefs:2|case:mixed|…|version:2.6.0`): `key:value` fields joined by
 * `|`, version last. TLC writes `version:tlc` so a TLC score is never mistaken for one sacreBLEU printed.
 */
export const SIGNATURE_VERSION = 'tlc';

export function formatSignature(fields: readonly (readonly [string, string | number])[]): string {
  return [...fields, ['version', SIGNATURE_VERSION] as const]
    .map(([key, value]) => `${key}:${value}`)
    .join('|');
}
