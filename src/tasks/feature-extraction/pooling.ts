/**
 * Sentence embeddings from token states, as sentence-transformers defines them: `modules.json` lists the folder's
 * modules, `1_Pooling/config.json` (the Pooling module's path) says which poolings to take — the first token
 * (`cls`), the element-wise `max` over tokens, the `mean` over tokens, the sum over √(token count)
 * (`mean_sqrt_len`), concatenated in that order when several are on — over the tokens under the attention mask;
 * a `Normalize` module makes each embedding unit-length (L2). A graph that outputs `sentence_embedding` has its
 * pooling inside and is used as it is.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../../errors/index.js';

export const POOLING_MODES = ['cls', 'max', 'mean', 'mean_sqrt_len'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

/** sentence-transformers' config keys, in its concatenation order. */
const MODE_KEYS: readonly (readonly [PoolingMode, string])[] = [
  ['cls', 'pooling_mode_cls_token'],
  ['max', 'pooling_mode_max_tokens'],
  ['mean', 'pooling_mode_mean_tokens'],
  ['mean_sqrt_len', 'pooling_mode_mean_sqrt_len_tokens'],
];

export interface Pooling {
  readonly modes: readonly PoolingMode[];
  readonly normalize: boolean;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new TlcError('MODEL_INVALID', `${file}: cannot be read (${messageOf(error)})`);
  }
}

interface StModule {
  readonly type?: unknown;
  readonly path?: unknown;
}

/** The folder's pooling (modules.json and its Pooling module's config), or undefined without modules.json. */
export function readPooling(dir: string): Pooling | undefined {
  const file = join(dir, 'modules.json');
  if (!existsSync(file)) return undefined;
  const modules = readJson(file);
  if (!Array.isArray(modules)) throw new TlcError('MODEL_INVALID', `${file}: expected a list of modules`);
  const typed = modules as StModule[];
  const isType = (m: StModule, name: string) => typeof m.type === 'string' && m.type.endsWith(`.${name}`);
  const pool = typed.find((m) => isType(m, 'Pooling'));
  if (pool === undefined) return undefined;
  const configFile = join(dir, typeof pool.path === 'string' ? pool.path : '1_Pooling', 'config.json');
  if (!existsSync(configFile))
    throw new TlcError('MODEL_INVALID', `${file} names a Pooling module but ${configFile} is missing`);
  const config = readJson(configFile) as Record<string, unknown>;
  const modes = MODE_KEYS.filter(([, key]) => config[key] === true).map(([mode]) => mode);
  if (modes.length === 0)
    throw new TlcError(
      'MODEL_INVALID',
      `${configFile}: no pooling mode TLC knows is on (${MODE_KEYS.map(([, k]) => k).join(', ')})`,
    );
  return { modes, normalize: typed.some((m) => isType(m, 'Normalize')) };
}

/**
 * Pools `hidden` [B, S, D] under `mask` [B, S] (1 on tokens) into [B, D × modes], each row L2-normalized when
 * asked. A row without tokens pools to zeros (its mean divides by at least 1e-9, as sentence-transformers does).
 */
export function pool(
  hidden: Float32Array,
  mask: ArrayLike<bigint | number>,
  dims: readonly [number, number, number],
  pooling: Pooling,
): Float32Array {
  const [b, s, d] = dims;
  const width = d * pooling.modes.length;
  const out = new Float32Array(b * width);
  for (let r = 0; r < b; r++) {
    let count = 0;
    for (let t = 0; t < s; t++) if (Number(mask[r * s + t]) !== 0) count++;
    const sum = new Float64Array(d);
    const max = new Float64Array(d).fill(-1e9);
    for (let t = 0; t < s; t++) {
      if (Number(mask[r * s + t]) === 0) continue;
      const base = (r * s + t) * d;
      for (let j = 0; j < d; j++) {
        const v = hidden[base + j]!;
        sum[j]! += v;
        if (v > max[j]!) max[j] = v;
      }
    }
    const row = out.subarray(r * width, (r + 1) * width);
    pooling.modes.forEach((mode, m) => {
      for (let j = 0; j < d; j++) {
        row[m * d + j] =
          mode === 'cls'
            ? hidden[r * s * d + j]!
            : mode === 'max'
              ? count === 0
                ? 0
                : max[j]!
              : mode === 'mean'
                ? sum[j]! / Math.max(count, 1e-9)
                : sum[j]! / Math.sqrt(Math.max(count, 1e-9));
      }
    });
    if (pooling.normalize) normalizeRow(row);
  }
  return out;
}

/** Scales a row to unit L2 norm (a zero row stays zero; sentence-transformers divides by max(norm, 1e-12)). */
export function normalizeRow(row: Float32Array): void {
  let norm = 0;
  for (const v of row) norm += v * v;
  const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
  for (let j = 0; j < row.length; j++) row[j]! *= scale;
}

/**
 * Writes sentence-transformers' modules.json and 1_Pooling/config.json into `dir` for one pooling `mode` (no
 * Normalize module): what `export-and-compress --pooling` gives a bare `*Model` export. A folder that names its
 * pooling already is refused (its own modules say how it was trained).
 */
export function writePooling(dir: string, mode: string): void {
  if (!(POOLING_MODES as readonly string[]).includes(mode))
    throw new TlcError('CLI_USAGE', `--pooling must be one of ${POOLING_MODES.join(', ')}; got "${mode}"`);
  if (existsSync(join(dir, 'modules.json')))
    throw new TlcError(
      'CLI_USAGE',
      `${dir}: modules.json names the model's pooling already; drop --pooling (or edit its 1_Pooling/config.json)`,
    );
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  writeFileSync(join(dir, 'modules.json'), `${JSON.stringify(modules, null, 2)}\n`);
  mkdirSync(join(dir, '1_Pooling'), { recursive: true });
  const config = Object.fromEntries(MODE_KEYS.map(([m, key]) => [key, m === mode]));
  writeFileSync(join(dir, '1_Pooling', 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}
