/**
 * npm start — serves the built-in models at once and builds what is missing behind the server: `tlc serve
 * --watch` on <cache>/models starts first (empty or not), then `models:build --fp32-first` exports each model
 * still to build as fp32 (the server loads it as it appears) and then compresses and scores them one by one
 * (the server reloads each folder when its variants are in). A start where everything is built serves it all at
 * once and builds nothing. Ctrl-C (to the process group, as a terminal sends it) or SIGTERM (to this script)
 * stops the build and drains the server; the server's exit is this script's.
 *   npm start [-- --port 8080 …flags of tlc serve]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const models = join(root, '.cache', 'models');
const serveFlags = process.argv.slice(2);

const server = spawn(
  process.execPath,
  [
    join(root, 'dist', 'cli', 'tlc.js'),
    'serve',
    '--models',
    models,
    '--allow-empty',
    '--watch',
    '1s',
    ...serveFlags,
  ],
  { stdio: 'inherit' },
);
let builder: ChildProcess | undefined = spawn(
  process.execPath,
  ['--import', 'tsx', join(root, 'scripts', 'build-models.ts'), '--fp32-first'],
  { stdio: 'inherit', cwd: root },
);
builder.on('exit', (code, signal) => {
  builder = undefined;
  if (code !== 0 && signal === null)
    process.stderr.write(`models:build failed (exit ${code}); serving what was built\n`);
});

// A terminal's Ctrl-C reaches the server and the build directly (one process group): passing SIGINT on too would
// count as a second stop and cut the server's drain short. A supervisor's SIGTERM reaches this process only.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {
  builder?.kill('SIGTERM');
  server.kill('SIGTERM');
});

server.on('exit', (code, signal) => {
  builder?.kill('SIGTERM');
  process.exitCode = code ?? (signal === null ? 1 : 128);
});
