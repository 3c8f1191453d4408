/**
 * Parsing command-line values, once for every command: numbers (finite, integer, bounds), comma lists, choices
 * from a fixed list (devices, corpora, tasks), durations. Each failure is CLI_USAGE naming the flag and the value.
 */
import { TlcError } from '../errors/index.js';
import type { Device } from '../ort/session.js';
import { parseDuration } from '../util/duration.js';

export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'webgpu', 'auto'];

function usage(message: string): never {
  throw new TlcError('CLI_USAGE', message);
}

/** A finite number ≥ `min` (default: any finite number); `integer` requires a whole number. */
export function numberFlag(
  text: string | undefined,
  flag: string,
  o: { integer?: boolean; min?: number; above?: number } = {},
): number {
  const n = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
  const kind = o.integer ? 'an integer' : 'a number';
  const bound = o.min !== undefined ? ` ≥ ${o.min}` : o.above !== undefined ? ` > ${o.above}` : '';
  if (
    !Number.isFinite(n) ||
    (o.integer && !Number.isInteger(n)) ||
    (o.min !== undefined && n < o.min) ||
    (o.above !== undefined && n <= o.above)
  )
    usage(`${flag} must be ${kind}${bound}, got "${text ?? ''}"`);
  return n;
}

/** A whole number ≥ `min` (default 1). */
export function integerFlag(text: string | undefined, flag: string, min = 1): number {
  return numberFlag(text, flag, { integer: true, min });
}

/** Comma-separated whole numbers, each ≥ `min`. */
export function integerListFlag(text: string, flag: string, min = 1): number[] {
  const list = text.split(',').map((s) => s.trim());
  if (list.some((s) => s === '' || !Number.isInteger(Number(s)) || Number(s) < min))
    usage(`${flag} takes integers ≥ ${min} separated by commas, got "${text}"`);
  return list.map(Number);
}

/** One of `allowed`. */
export function choiceFlag<T extends string>(text: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(text))
    usage(`${flag} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

export function deviceFlag(text: string, flag = '--device'): Device {
  return choiceFlag(text, DEVICES, flag);
}

/** Comma-separated devices. */
export function deviceListFlag(text: string, flag = '--devices'): Device[] {
  return text.split(',').map((d) => deviceFlag(d.trim(), flag));
}

/** Seconds, from `90s`, `15m`, `1h30m` or plain seconds. */
export function durationFlag(text: string, flag: string): number {
  return parseDuration(text, flag);
}
