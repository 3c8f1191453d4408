/** Reverse-mode autodiff over ONNX graphs. */
export { GradContext, type GradRequest, type GradRule, isFloatType, type ValueFacts } from './context.js';
export { type GradientOptions, type GradientResult, gradient, MIN_AUTODIFF_OPSET } from './gradient.js';
export { GRADIENT_RULES, ruleKey } from './rules/index.js';
