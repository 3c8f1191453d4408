export { ERROR_CATALOG, type ErrorCode } from './catalog.js';
export { isTlcError, messageOf, TlcError } from './tlc-error.js';
