/**
 * Static int8 quantization in QDQ format: each constant-weight MatMul (and Gemm, rewritten to MatMul + Add)
 * gets QuantizeLinear → DequantizeLinear on its activation input, with the scale and zero point from
 * calibrated ranges (calibrate.ts), and a per-column DequantizeLinear on its int8 weight. ONNX Runtime fuses
 * `Q → DQ(X) × DQ(W) → MatMul` into QuantizeLinear + MatMulIntegerToFloat at load (onnxruntime-node-probe.md
 * Q1); without the activation pair it would instead turn `DQ(W) → MatMul` into MatMulNBits (accuracy level 4).
 * The pass is pure: calibration, which runs the model, happens before it.
 */
import type { Graph } from '../../onnx/ir.js';
import { type QuantizeResult, runHandlers } from './driver.js';
import type { StaticQdqOptions } from './options.js';
import { STATIC_QDQ_HANDLERS } from './registry.js';
import { resolveStaticQdq } from './settings.js';

export const STATIC_QDQ_PASS = 'quantize-static-qdq';

export function staticQdq(graph: Graph, options: StaticQdqOptions): QuantizeResult {
  return runHandlers(graph, STATIC_QDQ_PASS, STATIC_QDQ_HANDLERS, resolveStaticQdq(options));
}
