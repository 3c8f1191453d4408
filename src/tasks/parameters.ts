/**
 * Request parameters, checked once for both APIs: each task's serving spec gives their JSON Schema (the ranges
 * openapi.yaml also states for v1 bodies); v2 text requests go through `checkParameters`, so a v2 client can
 * no more ask for `top_k: 1e9` or `num_beams: 0` than a v1 client can, and gets the same 400 for it.
 */
import { TlcError } from '../errors/index.js';
import { jsonChecker } from '../util/json-schema.js';
import type { ServingSpec } from './spec.js';

export const TRUNCATION = {
  type: 'boolean',
  description:
    "Cut inputs longer than the model's maximum length to that length (keeping the closing special token) instead of answering 413.",
} as const;

const checkers = new WeakMap<ServingSpec, (value: unknown, path: string) => unknown>();

/**
 * Throws REQUEST_INVALID naming the parameter when one of the task's parameters is out of range or of the
 * wrong type. Other keys pass (KServe v2 requests carry their own parameters beside the task's).
 */
export function checkParameters(spec: ServingSpec, parameters: Readonly<Record<string, unknown>>): void {
  let check = checkers.get(spec);
  if (check === undefined) {
    check = jsonChecker<unknown>(spec.parameters, 'REQUEST_INVALID');
    checkers.set(spec, check);
  }
  const own = Object.fromEntries(Object.entries(parameters).filter(([k]) => k in spec.parameters.properties));
  try {
    check(own, 'parameters');
  } catch (error) {
    if (error instanceof TlcError)
      throw new TlcError('REQUEST_INVALID', error.message.replace('parameters: /', 'parameters.'));
    throw error;
  }
}
