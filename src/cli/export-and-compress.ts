#!/usr/bin/env node
/**
 * `export-and-compress`: a TLC run, a model folder or any .onnx file → a model folder with compressed variants
 * (model_int8.onnx, model_pruned50_int8.onnx, model_q4.onnx, …), each validated and measured, plus report.json.
 */
import { exportAndCompressCommand } from './commands/export-and-compress-command.js';

await exportAndCompressCommand().parseAsync(process.argv);
