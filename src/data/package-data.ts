/**
 * Access to the npm packages that ship the built-in corpora (all CommonJS). They are required lazily, on first use,
 * so importing `src/data` costs nothing until a corpus is asked for.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { messageOf, TlcError } from '../errors/index.js';

const require = createRequire(import.meta.url);

function missing(name: string, error: unknown): TlcError {
  return new TlcError(
    'DATA_INVALID',
    `corpus package ${name} cannot be loaded (${messageOf(error)}); run \`npm ci\``,
    { cause: error },
  );
}

/** The package's main export. */
export function requirePackage(name: string): unknown {
  try {
    return require(name) as unknown;
  } catch (error) {
    throw missing(name, error);
  }
}

/** A JSON file inside a package, parsed (not kept in the require cache). */
export function readPackageJson(name: string, subpath: string): unknown {
  let file: string;
  try {
    file = require.resolve(`${name}/${subpath}`);
  } catch (error) {
    throw missing(name, error);
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new TlcError('DATA_INVALID', `${file}: ${messageOf(error)}`, { cause: error });
  }
}

/** The installed version of a package, from its package.json. */
export function installedVersion(name: string): string {
  const meta = readPackageJson(name, 'package.json');
  const version = (meta as { version?: unknown }).version;
  if (typeof version !== 'string') throw new TlcError('DATA_INVALID', `${name}: package.json has no version`);
  return version;
}

/** Throws a DATA_INVALID error naming the package when its data no longer has the expected shape. */
export function unexpectedShape(name: string, what: string): TlcError {
  return new TlcError(
    'DATA_INVALID',
    `corpus package ${name}: unexpected data layout (${what}); TLC's loader needs updating for this version`,
  );
}
