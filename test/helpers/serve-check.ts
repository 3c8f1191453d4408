/**
 * Run under an emulated CPU by test/compress/quantize/emulated-avx2.test.ts: serves the models folder given as
 * argv[2] and prints one JSON line: whether this CPU's int8 kernel saturates pairs, /v1/models, and the
 * variant `variant=auto` picks for the model named argv[3] (fill-mask).
 */
import { int8PairsSaturate } from '../../src/ort/int8-kernel.js';
import { startServer } from '../../src/server/server.js';

const [modelsDir, model] = process.argv.slice(2);
if (modelsDir === undefined || model === undefined) throw new Error('usage: serve-check.ts MODELS_DIR MODEL');
const server = await startServer({
  modelsDir,
  port: 0,
  host: '127.0.0.1',
  threads: 1,
  // Worker threads: qemu-user emulates the process it starts, not the processes that one forks, so session worker
  // processes would run on the host's CPU.
  isolation: 'thread',
  log: () => {},
  processMetrics: false,
});
try {
  const models = await (await fetch(`${server.url}/v1/models`)).json();
  const auto = await fetch(`${server.url}/v1/models/${model}/fill-mask?variant=auto`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: 'hello [MASK] world' }),
  });
  process.stdout.write(
    `${JSON.stringify({ saturates: await int8PairsSaturate(), models, auto: auto.headers.get('x-tlc-variant') })}\n`,
  );
} finally {
  await server.close();
}
