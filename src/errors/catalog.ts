/**
 * The one catalog of TLC error codes. Every `TlcError` carries one of these codes; the server maps the
 * code to an HTTP status, the CLI prints `error[CODE]: message` and exits with a non-zero status.
 * A test keeps this table unique and documented.
 */
export const ERROR_CATALOG = {
  ONNX_READ_FAILED: {
    status: 400,
    summary: 'An .onnx file or its external data could not be read from disk.',
  },
  ONNX_DECODE_FAILED: { status: 400, summary: 'The bytes are not a valid ONNX protobuf model.' },
  ONNX_INVALID_MODEL: { status: 400, summary: 'The model decodes but breaks an ONNX rule TLC relies on.' },
  ONNX_EXTERNAL_DATA: {
    status: 400,
    summary: 'A tensor points at external data that is missing or out of range.',
  },
  ONNX_WRITE_FAILED: { status: 500, summary: 'The model could not be encoded or written.' },
  ONNX_UNSUPPORTED: { status: 400, summary: 'The model uses a data type or feature TLC cannot handle.' },
  ORT_SESSION_FAILED: { status: 422, summary: 'ONNX Runtime refused to load the model.' },
  ORT_PROVIDER_UNAVAILABLE: {
    status: 503,
    summary: 'The requested execution provider (CUDA, WebGPU) is not available.',
  },
  ORT_RUN_FAILED: { status: 500, summary: 'ONNX Runtime failed while running the model.' },
  GRAPH_BUILD_FAILED: { status: 500, summary: 'A graph under construction was given inconsistent input.' },
  GRAPH_CYCLE: { status: 400, summary: 'The graph has a cycle or a value used before it is produced.' },
  AUTODIFF_NO_RULE: { status: 500, summary: 'The graph uses an op that has no gradient rule.' },
  AUTODIFF_FAILED: {
    status: 500,
    summary: 'A gradient could not be built (unknown shapes, unsupported attributes).',
  },
  CONFIG_INVALID: { status: 400, summary: 'A model or training setting is out of range or inconsistent.' },
  TOKENIZER_FAILED: {
    status: 400,
    summary: 'A tokenizer could not be loaded (bad tokenizer.json) or was given ids outside its vocabulary.',
  },
  CHECKPOINT_FAILED: {
    status: 500,
    summary: 'A checkpoint could not be written, read or matched to the model.',
  },
  RUN_LOCKED: {
    status: 409,
    summary: 'Another run is writing the run folder (run.lock names its PID).',
  },
  EXPORT_FAILED: { status: 500, summary: 'A model folder could not be exported or written.' },
  CLI_USAGE: { status: 400, summary: 'A command-line argument is missing or invalid.' },
  DATA_INVALID: {
    status: 400,
    summary: 'A corpus or data file is missing, empty, not UTF-8 text or malformed.',
  },
  MODEL_INVALID: {
    status: 422,
    summary: 'A model folder or graph lacks what its task needs (files, inputs, outputs, a tokenizer).',
  },
  MODEL_NOT_FOUND: { status: 404, summary: 'No model of that name is in the model repository.' },
  VARIANT_NOT_FOUND: { status: 404, summary: 'The model has no loaded variant of that name.' },
  VARIANT_DEGRADED: {
    status: 409,
    summary:
      'The variant failed its fidelity probe on this server (`--refuse-degraded`): ask for another variant or variant=auto.',
  },
  MODEL_NOT_READY: { status: 503, summary: 'The model is loading, unloaded or failed to load.' },
  TASK_MISMATCH: { status: 400, summary: 'The route asks a model for a task it does not do.' },
  TASK_NOT_SERVED: {
    status: 422,
    summary: 'The model does a task TLC does not serve (a causal LM, a feature extractor).',
  },
  REQUEST_INVALID: { status: 400, summary: 'The request breaks the API contract in openapi.yaml.' },
  INPUT_INVALID: { status: 422, summary: 'The request is well formed but its content cannot be served.' },
  INPUT_TOO_LARGE: {
    status: 413,
    summary: 'The request has too many inputs, too many tokens or too many bytes.',
  },
  UNAUTHORIZED: { status: 401, summary: 'The route needs a valid API key (Authorization: Bearer).' },
  ROUTE_NOT_FOUND: { status: 404, summary: 'No route matches the method and path.' },
  QUEUE_FULL: {
    status: 429,
    summary:
      'The model variant, or this client, has too much work queued or running (work in token positions).',
  },
  REQUEST_TIMEOUT: { status: 504, summary: 'The request was not answered within its time limit.' },
  SHUTTING_DOWN: { status: 503, summary: 'The server is draining before it stops.' },
  INTERNAL: { status: 500, summary: 'An unexpected failure inside the server.' },
  MODEL_NOT_SERVABLE: {
    status: 422,
    summary:
      'The model could not be served as it is: no tokenizer, a seq2seq without a cached decoder, static shapes, or a config.json / tokenizer.json larger than the graph.',
  },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
