import { ERROR_CATALOG, type ErrorCode } from './catalog.js';

/** An error a user can act on: a stable code from the catalog and a message that says what to do. */
export class TlcError extends Error {
  readonly code: ErrorCode;
  /** When retrying makes sense, after how many seconds (sent as Retry-After). */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TlcError';
    this.code = code;
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** HTTP status for this error, from the catalog. */
  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isTlcError(value: unknown): value is TlcError {
  return value instanceof TlcError;
}

/** The message of any thrown value, for wrapping foreign errors into a TlcError. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
