/**
 * `tlc serve`: the inference server over a models directory. Flags win over the environment (PORT,
 * TLC_MODELS, TLC_DEVICE, TLC_THREADS, TLC_API_KEY); SIGTERM and SIGINT drain in-flight requests first.
 * Sessions live in session worker processes (`--isolation process`, the default): a reload or unload ends the old
 * worker, which gives back all its memory. On Linux those run with glibc malloc settings (cli/malloc-tuning.ts,
 * SERVING_MALLOC_TUNABLES; `TLC_MALLOC_TUNING=off` opts out). With `--isolation thread` the server itself
 * relaunches with those settings and with `gc` exposed so that a worker thread collects its model-loading garbage
 * once its sessions exist (session-worker.ts); the launcher stays as the parent and passes every signal on, so
 * the PID a supervisor knows still drains and stops the server.
 */

import type { Command } from 'commander';
import { TlcError } from '../../errors/index.js';
import { ISOLATIONS, type Isolation } from '../../runtime/worker/channel.js';
import { DEFAULT_BATCHING, startServer } from '../../server/server.js';
import { TASKS } from '../../tasks/index.js';
import { action } from '../errors.js';
import { choiceFlag, deviceFlag, durationFlag, integerFlag } from '../flags.js';
import { onStopSignals, relaunch, servingEnvironment } from '../malloc-tuning.js';

interface ServeFlags {
  port?: string;
  host: string;
  models?: string;
  device?: string;
  threads?: string;
  workers: string;
  isolation: string;
  maxBatch: string;
  maxDelay: string;
  maxQueue: string;
  requestTimeout: string;
  maxWork: string;
  maxClientWork: string;
  maxBatchWork: string;
  apiKey?: string;
  allowEmpty?: boolean;
  refuseDegraded?: boolean;
  watch?: string | boolean;
}

const integer = (text: string, flag: string, min: number): number => integerFlag(text, flag, min);

/** --port or PORT: 0 (any free port) to 65535. */
function port(text: string): number {
  const n = integer(text, '--port (or PORT)', 0);
  if (n > 65535) throw new TlcError('CLI_USAGE', `--port (or PORT) must be at most 65535, got ${n}`);
  return n;
}

/**
 * `tlc serve`. With session worker processes (the default) the sessions live in the workers: they get the serving
 * malloc settings in their environment, and this process serves as started. With worker threads the sessions live
 * here: it relaunches itself with the settings where they apply (the launcher then only waits and exits as the
 * server did). Either way the server stops cleanly on SIGTERM / SIGINT.
 */
async function serve(flags: ServeFlags): Promise<void> {
  const isolation = choiceFlag(flags.isolation, ISOLATIONS, '--isolation');
  const tuned = servingEnvironment(process.env, process.platform);
  if (isolation === 'thread' && tuned !== undefined) {
    process.exitCode = await relaunch(tuned, ['--expose-gc']);
    return;
  }
  await startServing(flags, isolation, isolation === 'process' ? tuned : undefined);
}

/** Starts the server from the flags (or their environment variables) and stops it cleanly on SIGTERM / SIGINT. */
async function startServing(
  flags: ServeFlags,
  isolation: Isolation,
  workerEnv: NodeJS.ProcessEnv | undefined,
): Promise<void> {
  const env = process.env;
  const device = deviceFlag(flags.device ?? env.TLC_DEVICE ?? 'cpu');
  const threads = flags.threads ?? env.TLC_THREADS;
  const apiKey = flags.apiKey ?? env.TLC_API_KEY;
  const server = await startServer({
    modelsDir: flags.models ?? env.TLC_MODELS ?? 'models',
    port: port(flags.port ?? env.PORT ?? '8080'),
    allowEmpty: flags.allowEmpty ?? false,
    host: flags.host,
    device,
    ...(threads !== undefined && { threads: integer(threads, '--threads', 1) }),
    workersPerVariant: integer(flags.workers, '--workers', 1),
    isolation,
    ...(workerEnv !== undefined && { workerEnv }),
    batching: {
      maxBatchSize: integer(flags.maxBatch, '--max-batch', 1),
      maxDelayMs: integer(flags.maxDelay, '--max-delay', 0),
      maxQueue: integer(flags.maxQueue, '--max-queue', 1),
      timeoutMs: integer(flags.requestTimeout, '--request-timeout', 1),
      maxWork: integer(flags.maxWork, '--max-work', 1),
      maxClientWork: integer(flags.maxClientWork, '--max-client-work', 1),
      maxBatchWork: integer(flags.maxBatchWork, '--max-batch-work', 1),
    },
    ...(apiKey !== undefined && apiKey !== '' && { apiKey }),
    refuseDegraded: flags.refuseDegraded ?? false,
    ...(flags.watch !== undefined && {
      watchMs: 1000 * (flags.watch === true ? 2 : durationFlag(String(flags.watch), '--watch')),
    }),
  });
  // Listening before the start is announced (whoever reads it may stop the server at once). The first stop drains;
  // a second one ends the process at once, by the signal's default action. A stop that reaches this process both
  // directly and through the launcher (a terminal's Ctrl-C goes to the whole process group) counts once
  // (onStopSignals), or a single Ctrl-C would skip the drain.
  const stopListening = onStopSignals((signal, count) => {
    if (count > 1) {
      stopListening();
      process.kill(process.pid, signal);
      return;
    }
    process.stderr.write(`${signal}: finishing ${server.context.inFlight} request(s), then stopping\n`);
    void server.close().then(() => process.exit(0));
  });
  const models = server.context.registry.list();
  process.stderr.write(
    `serving ${models.filter((m) => m.status === 'ready').length}/${models.length} model(s) at ${server.url} (console: ${server.url}/ · API docs: ${server.url}/docs)\n`,
  );
  for (const m of models.filter((x) => x.status === 'failed' || x.status === 'unsupported'))
    process.stderr.write(`warning: model ${m.name} is not served: ${m.error}\n`);
  for (const [name, reason] of server.context.registry.skipped())
    process.stderr.write(`warning: ${name} in the models folder is skipped: ${reason}\n`);
}

/** `tlc serve --help`'s summary: the routes of the task table. */
const SERVE_DESCRIPTION =
  `serve the model folders under --models over HTTP: ${Object.values(TASKS)
    .map((t) => t.serving.route)
    .join(', ')} (Hugging Face formats), the ` +
  'KServe v2 protocol, dynamic batching in session worker processes, Prometheus metrics at /metrics, API docs at /docs';

/** The batching and admission flags (DEFAULT_BATCHING's defaults). */
function addBatchingOptions(command: Command): Command {
  return command
    .option(
      '--max-batch <n>',
      'items per batch (1 turns dynamic batching off)',
      String(DEFAULT_BATCHING.maxBatchSize),
    )
    .option(
      '--max-delay <ms>',
      'how long a request may wait for company when a worker is free (0: dispatch at once; batches form while workers are busy)',
      String(DEFAULT_BATCHING.maxDelayMs),
    )
    .option(
      '--max-queue <n>',
      'queued items per variant before answering 429',
      String(DEFAULT_BATCHING.maxQueue),
    )
    .option('--request-timeout <ms>', 'answer 504 after this long', String(DEFAULT_BATCHING.timeoutMs))
    .option(
      '--max-work <n>',
      'work a variant may hold queued or running before answering 429, in token positions (fill-mask: tokens per input; translate: source tokens + beams × expected new tokens; raw tensors: rows × length)',
      String(DEFAULT_BATCHING.maxWork),
    )
    .option(
      '--max-client-work <n>',
      "one client's share of --max-work (a client is its API key, else its address): a heavy client gets 429 while light ones keep their latency",
      String(DEFAULT_BATCHING.maxClientWork),
    )
    .option(
      '--max-batch-work <n>',
      'padded token positions per batch; a costlier request runs alone on a worker',
      String(DEFAULT_BATCHING.maxBatchWork),
    );
}

export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description(SERVE_DESCRIPTION)
    .option('--port <n>', 'port to listen on (env PORT; default 8080)')
    .option('--host <host>', 'interface to listen on', '0.0.0.0')
    .option('--models <dir>', 'the model repository: one folder per model (env TLC_MODELS; default models)')
    .option(
      '--allow-empty',
      'start even when the models folder is missing or empty (the server reports not ready until a model loads)',
    )
    .option(
      '--device <device>',
      'cpu | cuda | webgpu | auto (env TLC_DEVICE; default cpu); auto falls back to cpu',
    )
    .option(
      '--threads <n>',
      'ONNX Runtime intra-op threads per session (env TLC_THREADS; default cores ÷ workers)',
    )
    .option(
      '--workers <n>',
      'session workers per variant (workers × threads should not exceed the cores)',
      '1',
    )
    .option(
      '--watch [interval]',
      'look at the models folder every interval (default 2s) and load new model folders, reload changed ones ' +
        '(the old version serves until the new one is ready) and unload removed ones',
    )
    .option(
      '--isolation <how>',
      'process: each session worker is a child process, so a reload or unload gives back all its memory and a ' +
        'native crash ends only that worker; thread: a worker thread of the server (less memory per worker, ' +
        'but native memory freed by released sessions stays with the server)',
      'process',
    );
  addBatchingOptions(command)
    .option(
      '--refuse-degraded',
      'answer 409 VARIANT_DEGRADED to requests that name a variant whose fidelity probe fell short on this machine (default: answer them; variant=auto never picks one)',
    )
    .option(
      '--api-key <key>',
      'require Authorization: Bearer <key> for inference and admin routes (env TLC_API_KEY)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  tlc serve --models models --port 8080\n  curl -s localhost:8080/v1/models\n' +
        `  curl -s localhost:8080/v1/models/mlm-large/fill-mask -H 'content-type: application/json' -d '{"inputs":"The <mask> of the people."}'\n`,
    )
    .action(action(serve));
}
