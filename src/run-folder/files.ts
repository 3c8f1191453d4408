/**
 * The files of a training run folder (`tlc train --out DIR`), named once:
 *   run.json                the settings (RunConfig), written at start; `--resume` and `tlc eval` read them
 *   tokenizer.json          the byte-level BPE tokenizer trained on the train split (+ tokenizer_config.json)
 *   log.jsonl               one row per evaluation (LogRow), appended
 *   checkpoint.safetensors  the latest state (parameters, AdamW moments, step), for --resume
 *   best.safetensors        the state at the best validation loss
 *   summary.json            the final summary, with the task's baselines
 *   run.lock                while a run writes the folder: its PID (lock.ts); a second writer is refused
 */
export const RUN_FILE = 'run.json';
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const LOG_FILE = 'log.jsonl';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const BEST_FILE = 'best.safetensors';
export const SUMMARY_FILE = 'summary.json';
export const LOCK_FILE = 'run.lock';
