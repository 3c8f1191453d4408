/**
 * The gradient rule table: `opType` (default domain) or `domain::opType` → rule. A rule returns one gradient
 * per input, null where none flows. Add an op by adding its rule to one of the family files.
 */
import type { GradRule } from '../context.js';
import { ARITHMETIC_RULES } from './arithmetic.js';
import { LOSS_RULES } from './loss.js';
import { MATMUL_RULES } from './matmul.js';
import { NORMALIZATION_RULES } from './normalization.js';
import { REDUCE_RULES } from './reduce.js';
import { SHAPE_RULES } from './shape.js';
import { UNARY_RULES } from './unary.js';

export const GRADIENT_RULES: Readonly<Record<string, GradRule>> = Object.freeze({
  ...ARITHMETIC_RULES,
  ...UNARY_RULES,
  ...MATMUL_RULES,
  ...REDUCE_RULES,
  ...SHAPE_RULES,
  ...NORMALIZATION_RULES,
  ...LOSS_RULES,
});

export function ruleKey(domain: string, opType: string): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}::${opType}`;
}
