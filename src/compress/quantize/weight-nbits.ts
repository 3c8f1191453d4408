/**
 * Weight-only block quantization: constant-weight MatMul (and Gemm) become com.microsoft MatMulNBits with
 * 4- or 8-bit weights in blocks along K (blockwise.ts has the layout), optionally with the following bias Add
 * folded into MatMulNBits' bias input.
 *
 * accuracy_level trades accuracy for speed (onnxruntime-node-probe.md Q1/Q2, this machine): 0 computes in
 * fp32 from the dequantized weights, so outputs match a float MatMul with those weights to ~1e-7 relative,
 * but it is no faster than fp32 (8-bit acc 0 is 5–9× slower at small M); 4 also quantizes A to int8 per
 * block (MLAS int8 kernels), ≈0.5% relative error on top of the weight error and 1.0–1.8× fp32 speed.
 * The default is 4, the fast path.
 */
import type { Graph } from '../../onnx/ir.js';
import { type QuantizeResult, runHandlers } from './driver.js';
import type { WeightOnlyNBitsOptions } from './options.js';
import { WEIGHT_NBITS_HANDLERS } from './registry.js';
import { resolveNBits } from './settings.js';

export const WEIGHT_NBITS_PASS = 'quantize-weight-nbits';

export function weightOnlyNBits(graph: Graph, options: WeightOnlyNBitsOptions = {}): QuantizeResult {
  return runHandlers(graph, WEIGHT_NBITS_PASS, WEIGHT_NBITS_HANDLERS, resolveNBits(options));
}
