/**
 * export-and-compress's pre-flight: what the server could not serve is refused before any work — before the
 * source is even copied — with the fix named, instead of a folder that compresses for minutes and then fails to
 * load (or loads and answers 500). One table of checks over the source's graphs (their structure, read without
 * weights: onnx/skim.ts), config.json and tokenizer; each returns the refusals it finds. preflight.ts gathers what
 * they look at. The server says the same things at load (runtime/graph-truth.ts).
 */
import { basename } from 'node:path';
import { TlcError } from '../errors/index.js';
import { factMismatches, graphFacts, STATIC_SHAPES_FIX, staticShapes } from '../model-folder/graph-facts.js';
import type { Graph } from '../onnx/ir.js';

/** What the checks look at. */
export interface ServableContext {
  /** The source as the user named it (messages name it). */
  readonly source: string;
  /** A bare .onnx source (its tokenizer comes from --tokenizer). */
  readonly bareOnnx: boolean;
  /** Whether TLC serves the model's task: serving checks apply only then. */
  readonly served: boolean;
  /** The fp32 graphs' files as messages name them, and their graphs (structure is enough). */
  readonly files: readonly string[];
  readonly graphs: readonly Graph[];
  /** config.json, parsed, when there is one. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** tokenizer.json's vocabulary size; undefined when there is no tokenizer. */
  readonly tokenizerVocab?: number;
  /** --dynamic-axes: fixed batch and sequence axes are made symbolic after the copy (prepare-source.ts). */
  readonly dynamicAxes?: boolean;
}

export interface Refusal {
  /** Which check refused. */
  readonly check: string;
  readonly message: string;
  /** What to do about it. */
  readonly fix: string;
}

type Check = (ctx: ServableContext) => readonly Refusal[];

function tokenizerPresent(ctx: ServableContext): Refusal[] {
  if (!ctx.served || ctx.tokenizerVocab !== undefined) return [];
  return [
    {
      check: 'tokenizer',
      message: `${ctx.source} has no tokenizer.json, and the server tokenizes every request with it`,
      fix: ctx.bareOnnx
        ? 'pass --tokenizer path/to/tokenizer.json (its tokenizer_config.json beside it is taken too)'
        : "put the model's tokenizer.json in the folder, or pass --tokenizer path/to/tokenizer.json",
    },
  ];
}

const USE_CACHE = 'use_cache_branch';

/** A seq2seq model's decoders: generation needs a key/value cache (decoder-sessions.ts). */
function cachedDecoder(ctx: ServableContext): Refusal[] {
  if (!ctx.served || !ctx.files.some((f) => basename(f).startsWith('encoder_model'))) return [];
  const named = (prefix: string) => ctx.files.findIndex((f) => basename(f).startsWith(prefix));
  const merged = named('decoder_model_merged');
  const withPast = named('decoder_with_past_model');
  if (withPast >= 0) return [];
  if (merged >= 0 && ctx.graphs[merged]!.inputs.some((v) => v.name === USE_CACHE)) return [];
  const has = ctx.files.filter((f) => basename(f).startsWith('decoder')).join(', ') || 'no decoder';
  return [
    {
      check: 'cached-decoder',
      message: `${ctx.source}: a translation model needs a decoder with a key/value cache — decoder_model.onnx with decoder_with_past_model.onnx, or decoder_model_merged.onnx with a ${USE_CACHE} input — and it has ${has}${merged >= 0 ? ` (without ${USE_CACHE})` : ''}`,
      fix: 'export the decoder with its cache: optimum-cli export onnx --task text2text-generation-with-past (or tlc export for a TLC run)',
    },
  ];
}

/** What to do about static shapes: --dynamic-axes here, a re-export where the graph bakes the shape in. */
export const DYNAMIC_AXES_FIX = `pass --dynamic-axes to make them symbolic (TLC then runs the graph at two other shapes), or ${STATIC_SHAPES_FIX}`;

/**
 * Inputs whose batch or sequence axis is a number: the server batches requests of any length. With
 * --dynamic-axes they are fixed after the copy instead (prepare-source.ts symbolicBaseline).
 */
function dynamicAxes(ctx: ServableContext): Refusal[] {
  if (ctx.dynamicAxes) return [];
  return ctx.files.flatMap((file, i) => {
    const message = staticShapes(file, ctx.graphs[i]!);
    return message === undefined ? [] : [{ check: 'dynamic-axes', message, fix: DYNAMIC_AXES_FIX }];
  });
}

/** config.json and tokenizer.json against the first graph's tables (graph-facts.ts). */
function graphTruth(ctx: ServableContext): Refusal[] {
  const file = ctx.files[0];
  const graph = ctx.graphs[0];
  if (file === undefined || graph === undefined) return [];
  const messages = factMismatches(graphFacts(graph), {
    graphFile: file,
    ...(ctx.config !== undefined && { config: ctx.config }),
    ...(ctx.tokenizerVocab !== undefined && { tokenizerVocab: ctx.tokenizerVocab }),
  });
  return messages.map((message) => ({
    check: 'graph-truth',
    message: `${ctx.source}: ${message}`,
    fix: 'the graph is what runs: make config.json and tokenizer.json match it',
  }));
}

/** The checks, in the order their refusals are reported. */
export const SERVABLE_CHECKS: readonly (readonly [string, Check])[] = [
  ['tokenizer', tokenizerPresent],
  ['cached-decoder', cachedDecoder],
  ['dynamic-axes', dynamicAxes],
  ['graph-truth', graphTruth],
];

export function servableRefusals(ctx: ServableContext): Refusal[] {
  return SERVABLE_CHECKS.flatMap(([, check]) => check(ctx));
}

/** Throws MODEL_NOT_SERVABLE naming every refusal and its fix; returns when the folder would serve. */
export function checkServable(ctx: ServableContext): void {
  const refusals = servableRefusals(ctx);
  if (refusals.length === 0) return;
  const lines = refusals.map((r) => `${r.message}; fix: ${r.fix}`);
  throw new TlcError(
    'MODEL_NOT_SERVABLE',
    refusals.length === 1 ? lines[0]! : `the server could not serve it:\n  - ${lines.join('\n  - ')}`,
  );
}
