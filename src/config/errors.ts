// What every layer above config imports its errors from: the kinds (src/core/errors.ts) and the
// reading of zod's issues (src/core/zod-errors.ts), which live below the engine and data.
export { ConfigError, ConflictError, DataError, isUserError, joinPath, NotFoundError, RequestError, UserError, type UserErrorKind } from '../core/errors.js';
export { fromZodError, isConfigError, parseWith } from '../core/zod-errors.js';
