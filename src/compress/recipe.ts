/**
 * Compression recipes: `int8`, `prune:0.5+int8`, `heads:0.25+ffn:0.5+int8`, `q4`, `q8`, `fp16`… A recipe is a
 * chain of steps joined by `+`; each step is `name` or `name:value`. Parsing validates names and values once,
 * at the boundary, and gives the variant its file-name suffix.
 */
import { TlcError } from '../errors/index.js';

export type StepName = 'prune' | 'heads' | 'ffn' | 'int8' | 'static-int8' | 'q4' | 'q8' | 'fp16';

export interface RecipeStep {
  readonly name: StepName;
  /** Fraction for prune / heads / ffn. */
  readonly amount?: number;
}

export interface Recipe {
  readonly text: string;
  readonly steps: readonly RecipeStep[];
  /** Variant name used in file names: `model_<suffix>.onnx`. */
  readonly suffix: string;
}

interface StepSpec {
  readonly takesAmount: boolean;
  /** File-name part for this step. */
  readonly label: (amount: number | undefined) => string;
}

const STEPS: Readonly<Record<StepName, StepSpec>> = {
  prune: { takesAmount: true, label: (a) => `pruned${Math.round(a! * 100)}` },
  heads: { takesAmount: true, label: (a) => `heads${Math.round(a! * 100)}` },
  ffn: { takesAmount: true, label: (a) => `ffn${Math.round(a! * 100)}` },
  int8: { takesAmount: false, label: () => 'int8' },
  'static-int8': { takesAmount: false, label: () => 'static_int8' },
  q4: { takesAmount: false, label: () => 'q4' },
  q8: { takesAmount: false, label: () => 'q8' },
  fp16: { takesAmount: false, label: () => 'fp16' },
};

export const STEP_NAMES = Object.keys(STEPS) as StepName[];

/** Quantizing twice, or pruning after quantizing, makes no sense: quantization steps go last, at most one. */
const QUANTIZERS: ReadonlySet<StepName> = new Set(['int8', 'static-int8', 'q4', 'q8', 'fp16']);

export function parseRecipe(text: string): Recipe {
  const parts = text.split('+').map((p) => p.trim());
  if (text.trim() === '' || parts.some((p) => p === ''))
    throw new TlcError('CLI_USAGE', `empty step in recipe "${text}"`);
  const steps: RecipeStep[] = parts.map((part) => {
    const [rawName, rawAmount, extra] = part.split(':');
    const name = rawName as StepName;
    const spec = Object.hasOwn(STEPS, name) ? STEPS[name] : undefined;
    if (spec === undefined || extra !== undefined) {
      throw new TlcError(
        'CLI_USAGE',
        `unknown recipe step "${part}" in "${text}"; steps: ${STEP_NAMES.join(', ')} (prune/heads/ffn take :fraction)`,
      );
    }
    if (!spec.takesAmount) {
      if (rawAmount !== undefined)
        throw new TlcError('CLI_USAGE', `recipe step "${name}" takes no value (in "${text}")`);
      return { name };
    }
    const amount = Number(rawAmount);
    if (rawAmount === undefined || !(amount > 0 && amount < 1)) {
      throw new TlcError(
        'CLI_USAGE',
        `recipe step "${name}" needs a fraction in (0, 1), e.g. ${name}:0.5 (in "${text}")`,
      );
    }
    return { name, amount };
  });
  const quantizers = steps.filter((s) => QUANTIZERS.has(s.name));
  if (quantizers.length > 1) throw new TlcError('CLI_USAGE', `recipe "${text}" quantizes more than once`);
  if (quantizers.length === 1 && steps[steps.length - 1] !== quantizers[0]) {
    throw new TlcError('CLI_USAGE', `recipe "${text}": quantization must be the last step`);
  }
  if (new Set(steps.map((s) => s.name)).size !== steps.length)
    throw new TlcError('CLI_USAGE', `recipe "${text}" repeats a step`);
  return { text, steps, suffix: steps.map((s) => STEPS[s.name].label(s.amount)).join('_') };
}

/** `model.onnx` → `model_int8.onnx`, `encoder_model.onnx` → `encoder_model_int8.onnx`. */
export function variantFileName(file: string, recipe: Recipe): string {
  return file.replace(/\.onnx$/, `_${recipe.suffix}.onnx`);
}
