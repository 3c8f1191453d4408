/**
 * The `sequence` field of fill-mask answers: the input with one mask replaced by a candidate, decoded without
 * special tokens. Decoding the whole sequence per candidate (what Hugging Face's pipeline does) costs k full
 * decodes per mask; this decodes the text before and after the mask once and splices each candidate in. A
 * splice equals the full decode only when the pieces are whole UTF-8 characters and no clean-up rule joins
 * them, so it is checked against one full decode per mask, and a candidate whose bytes are not a whole
 * character (decodes to U+FFFD) is always decoded in full.
 */
import type { Tokenizer } from '../../tokenizer/tokenizer.js';

const REPLACEMENT = '\uFFFD';

export function filledSequences(
  tokenizer: Tokenizer,
  ids: Int32Array,
  position: number,
  candidates: readonly number[],
): string[] {
  const skip = { skipSpecialTokens: true };
  const full = (id: number) => {
    const filled = Int32Array.from(ids);
    filled[position] = id;
    return tokenizer.decode(filled, skip);
  };
  if (candidates.length === 0) return [];
  const prefix = tokenizer.decode(ids.subarray(0, position), skip);
  const suffix = tokenizer.decode(ids.subarray(position + 1), skip);
  const piece = (id: number) => tokenizer.decode([id], skip);
  const first = full(candidates[0]!);
  const firstPiece = piece(candidates[0]!);
  const trusted =
    !prefix.includes(REPLACEMENT) &&
    !suffix.includes(REPLACEMENT) &&
    !firstPiece.includes(REPLACEMENT) &&
    prefix + firstPiece + suffix === first;
  return candidates.map((id, i) => {
    if (i === 0) return first;
    if (!trusted) return full(id);
    const p = piece(id);
    return p.includes(REPLACEMENT) ? full(id) : prefix + p + suffix;
  });
}
