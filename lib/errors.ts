/**
 * Errors raised by npuquant. Every error a user can cause carries a stable `code` so programs can
 * branch on it, and a message that names the problem and what to do.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'   // a value passed to the API is of the wrong type or out of range
  | 'FILE_NOT_FOUND'
  | 'FILE_READ'          // a file exists but could not be read
  | 'FILE_WRITE'         // a file could not be written
  | 'INVALID_MODEL'      // the ONNX file is corrupt, truncated or violates the ONNX spec
  | 'UNSUPPORTED'        // valid ONNX that npuquant does not handle (op, dtype, attribute, size)
  | 'SHAPE_MISMATCH'     // inputs do not match the model
  | 'INVALID_DATA'       // a data file (npy, image, list) is malformed
  | 'NATIVE_LOAD'        // the native addon could not be loaded
  | 'NATIVE'             // the native engine reported an error
  | 'DISPOSED'           // a session was used after dispose()
  | 'BAD_CONFIG'         // a hybrid quantization config file is malformed (syntax, types, unknown keys)
  | 'UNKNOWN_LAYER'      // a config names a layer (node) the model does not have
  | 'UNKNOWN_TENSOR'     // a config names a tensor the model does not have
  | 'UNSUPPORTED_PRECISION'; // a precision the target or the file format cannot express

export class NpuqError extends Error {
  readonly code: ErrorCode;
  /** The file involved, when there is one. */
  readonly file?: string;

  constructor(code: ErrorCode, message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'NpuqError';
    this.code = code;
    if (options?.file !== undefined) this.file = options.file;
  }
}
