/**
 * The HTTP contract, loaded from openapi.yaml and enforced on every request: the path, query and body of
 * each operation are checked with JSON Schema (Ajv, draft 2020-12 as OpenAPI 3.1 uses); a violation is
 * REQUEST_INVALID with the failing field in the message. Paths match exactly (case and trailing slash
 * included): the server routes by this match (app.ts), so the operation that validates a request is the one
 * that answers it.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { TlcError } from '../errors/index.js';

interface ParameterSpec {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required?: boolean;
  readonly schema?: unknown;
  readonly $ref?: string;
}

interface OperationSpec {
  readonly operationId: string;
  readonly parameters?: readonly ParameterSpec[];
  readonly requestBody?: {
    readonly required?: boolean;
    readonly content?: Record<string, { schema?: unknown }>;
  };
}

export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, OperationSpec>>;
  readonly components: { readonly parameters?: Record<string, ParameterSpec> };
}

export interface Operation {
  readonly id: string;
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly pathNames: readonly string[];
  validatePath?: ValidateFunction;
  validateQuery?: ValidateFunction;
  validateBody?: ValidateFunction;
  readonly bodyRequired: boolean;
}

/** An operation matched by method and path; `malformed` names a path parameter whose %-escape is broken. */
export interface OperationMatch {
  readonly operation: Operation;
  readonly params: Record<string, string>;
  readonly malformed?: string;
}

export interface RequestParts {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  readonly hasBody: boolean;
}

/** `/v2/models/{model}/infer` → a regex with one group per parameter. */
function templatePattern(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (m === null) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('');
  return { pattern: new RegExp(`^${source}$`), names };
}

function jsonPointer(...parts: string[]): string {
  return parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function describe(errors: ErrorObject[] | null | undefined, where: string): string {
  const e = errors?.[0];
  if (e === undefined) return `${where} is invalid`;
  const at = e.instancePath === '' ? where : `${where}${e.instancePath.replace(/\//g, '.')}`;
  if (e.keyword === 'additionalProperties')
    return `${at} has an unknown property "${String((e.params as { additionalProperty: string }).additionalProperty)}"`;
  if (e.keyword === 'required')
    return `${at} needs "${String((e.params as { missingProperty: string }).missingProperty)}"`;
  if (e.keyword === 'enum')
    return `${at} must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  return `${at} ${e.message ?? 'is invalid'}`;
}

export class OpenApiValidator {
  readonly operations: Operation[] = [];

  constructor(readonly document: OpenApiDocument) {
    const ajv = new Ajv2020({ strict: false, allErrors: false, coerceTypes: false });
    ajv.addSchema(document as object, 'openapi');
    for (const [template, methods] of Object.entries(document.paths)) {
      const { pattern, names } = templatePattern(template);
      for (const [method, op] of Object.entries(methods)) {
        const params = (op.parameters ?? []).map((p) => this.resolve(p));
        const objectOf = (where: 'path' | 'query') => {
          const ps = params.filter((p) => p.in === where);
          if (ps.length === 0) return undefined;
          return ajv.compile({
            type: 'object',
            properties: Object.fromEntries(ps.map((p) => [p.name, p.schema ?? {}])),
            required: ps.filter((p) => p.required).map((p) => p.name),
          });
        };
        const json = op.requestBody?.content?.['application/json'];
        this.operations.push({
          id: op.operationId,
          method: method.toUpperCase(),
          template,
          pattern,
          pathNames: names,
          ...(objectOf('path') && { validatePath: objectOf('path') }),
          ...(objectOf('query') && { validateQuery: objectOf('query') }),
          ...(json?.schema !== undefined && {
            validateBody: ajv.compile({
              $ref: `openapi#/${jsonPointer('paths', template, method, 'requestBody', 'content', 'application/json', 'schema')}`,
            }),
          }),
          bodyRequired: op.requestBody?.required ?? false,
        });
      }
    }
  }

  static fromFile(path: string): OpenApiValidator {
    return new OpenApiValidator(parse(readFileSync(path, 'utf8')) as OpenApiDocument);
  }

  /**
   * The operation for a method and path, if the contract has one. Never throws: a malformed %-escape is
   * reported by `check`, so that the caller can decide access first (an admin path answers 401 to a client
   * without the key, whatever the path holds).
   */
  match(method: string, path: string): OperationMatch | undefined {
    for (const operation of this.operations) {
      if (operation.method !== method.toUpperCase()) continue;
      const m = operation.pattern.exec(path);
      if (m === null) continue;
      const params: Record<string, string> = {};
      let malformed: string | undefined;
      operation.pathNames.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]!);
        } catch {
          malformed ??= name;
          params[name] = m[i + 1]!;
        }
      });
      return { operation, params, ...(malformed !== undefined && { malformed }) };
    }
    return undefined;
  }

  /** Throws REQUEST_INVALID when the request breaks the contract; undefined when no operation matches. */
  validate(request: RequestParts): Operation | undefined {
    const found = this.match(request.method, request.path);
    if (found === undefined) return undefined;
    this.check(found, request);
    return found.operation;
  }

  /** Throws REQUEST_INVALID when the request breaks the matched operation's path, query or body schema. */
  check(found: OperationMatch, request: Omit<RequestParts, 'method' | 'path'>): void {
    const { operation, params, malformed } = found;
    if (malformed !== undefined)
      throw new TlcError('REQUEST_INVALID', `the path segment for {${malformed}} has a malformed %-escape`);
    if (operation.validatePath && !operation.validatePath(params))
      throw new TlcError('REQUEST_INVALID', describe(operation.validatePath.errors, 'path'));
    if (operation.validateQuery && !operation.validateQuery(request.query))
      throw new TlcError('REQUEST_INVALID', describe(operation.validateQuery.errors, 'query'));
    if (!operation.validateBody) return;
    if (!request.hasBody) {
      if (operation.bodyRequired)
        throw new TlcError(
          'REQUEST_INVALID',
          'the request needs a JSON body (Content-Type: application/json)',
        );
    } else if (!operation.validateBody(request.body)) {
      throw new TlcError('REQUEST_INVALID', describe(operation.validateBody.errors, 'body'));
    }
  }

  private resolve(p: ParameterSpec): ParameterSpec {
    if (p.$ref === undefined) return p;
    const name = p.$ref.split('/').at(-1)!;
    const found = this.document.components.parameters?.[name];
    if (found === undefined) throw new Error(`openapi.yaml: unresolved parameter ${p.$ref}`);
    return found;
  }
}
