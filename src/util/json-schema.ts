/** Validating the JSON files of run and model folders on read, with errors that name the file and the field. */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { ErrorCode } from '../errors/index.js';
import { TlcError } from '../errors/index.js';

const ajv = new Ajv2020({ strict: false, allErrors: false });

function describe(error: ErrorObject | undefined): string {
  if (error === undefined) return 'invalid';
  const where = error.instancePath === '' ? 'the top level' : error.instancePath;
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** A checker of `schema`: returns the value typed as T, or throws `code` naming `path` and the first problem. */
export function jsonChecker<T>(schema: object, code: ErrorCode): (value: unknown, path: string) => T {
  const validate = ajv.compile(schema);
  return (value, path) => {
    if (!validate(value)) throw new TlcError(code, `${path}: ${describe(validate.errors?.[0])}`);
    return value as T; // the schema just checked its shape
  };
}
