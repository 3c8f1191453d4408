/**
 * Cutting token ids to a model's length as Hugging Face's Python tokenizers do with `truncation=True`: the first
 * ids, the closing token (`</s>`, `[SEP]`) kept at the end when the ids had one. The server's `truncation`
 * parameter and the scoring of `--eval-data` cut alike, so a variant is scored on what it would be served.
 */

/** The first `maxLength` ids, the last one kept when it is the tokenizer's closing token (`</s>`, `[SEP]`). */
export function truncateIds(ids: Int32Array, maxLength: number, closing: number | undefined): Int32Array {
  if (ids.length <= maxLength) return ids;
  if (closing === undefined || ids.at(-1) !== closing) return ids.slice(0, maxLength);
  const out = ids.slice(0, maxLength);
  out[maxLength - 1] = closing;
  return out;
}
