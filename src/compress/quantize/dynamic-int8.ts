/**
 * Dynamic int8 quantization for CPU serving: constant-weight MatMul and Gemm become com.microsoft
 * DynamicQuantizeMatMul (int8 weights, symmetric, one scale per output column; activations quantized to
 * uint8 per run by the kernel), with `MatMul → Add(bias)` folded into its bias input; embedding Gathers read
 * an int8 table with one scale per row.
 *
 * Embedding layout, measured on this machine (ORT 1.30 CPU, 2 threads, 2-core EPYC VM): a Gather-only model
 * with a 32000 × 512 float table, 8 × 128 ids, two runs of 50 timed calls each:
 *
 * | layout | file | RSS after session create | RSS after 55 runs | median run |
 * | --- | --- | --- | --- | --- |
 * | float32 table | 65.5 MB | +92 MB | +110–135 MB | 1.8–5.7 ms |
 * | 'gather-dequantize' | 16.5 MB | +42 MB | +63–88 MB | 0.7–2.6 ms |
 * | 'dequantize-gather' | 16.5 MB | +42 MB | +192 MB | 13–22 ms |
 *
 * ORT does not constant-fold DequantizeLinear back to float at load (session memory stays at the int8 size;
 * it keeps DQ nodes for its QDQ fusions), so 'dequantize-gather' dequantizes the whole table on every run:
 * 8–10× slower than float and a float copy of the table per run. 'gather-dequantize' (Gather the int8 rows
 * and their [V, 1] scales, Cast, Mul) works in proportion to the ids looked up and is the default; both
 * shrink the file alike.
 *
 * A tied embedding (TLC's Gemm(transB=1) head reading `embeddings.word`) keeps one int8 table: the head reads
 * it through a Transpose that ORT constant-folds at load, and per-row scales of [V, D] are exactly the
 * per-column scales of the projection. Measured on the 4 × 256 encoder (vocab 8000, batch 8 × 128): 5.60 MB
 * with the shared table vs 13.76 MB with `embeddings: false` (float table for the Gather, a transposed int8
 * copy for the head), both ≈ 115–120 ms per run against ≈ 200 ms float: the folded Transpose output is
 * prepacked like an initializer.
 */
import type { Graph } from '../../onnx/ir.js';
import { type QuantizeResult, runHandlers } from './driver.js';
import type { DynamicInt8Options } from './options.js';
import { DYNAMIC_INT8_HANDLERS } from './registry.js';
import { resolveDynamicInt8 } from './settings.js';

export const DYNAMIC_INT8_PASS = 'quantize-dynamic-int8';

export function dynamicInt8(graph: Graph, options: DynamicInt8Options = {}): QuantizeResult {
  return runHandlers(graph, DYNAMIC_INT8_PASS, DYNAMIC_INT8_HANDLERS, resolveDynamicInt8(options));
}
