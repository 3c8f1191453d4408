/**
 * GPT-2's pre-tokenization: the split HF's `ByteLevel` pre-tokenizer applies with `use_regex: true`, before any
 * merge. Contractions, letters and digits each with one optional leading space, other symbols likewise, then
 * whitespace (a run of spaces keeps its last space for the next word: `\s+(?!\S)`).
 *
 * The pattern is written exactly as @huggingface/tokenizers 0.2.0 compiles it (JavaScript `u` mode), because that
 * library encodes at run time and training must split text the same way. The Rust library compiles the same
 * source with Oniguruma, whose `\s` differs from JavaScript's on two characters (U+FEFF is whitespace only in
 * JavaScript, U+0085 only in Oniguruma); text holding them splits differently there.
 */
export const GPT2_SPLIT_SOURCE =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const GPT2_SPLIT = new RegExp(GPT2_SPLIT_SOURCE, 'gu');

/** The pieces of `text` (its concatenation is `text` again: every character falls in one piece). */
export function preTokenize(text: string): string[] {
  return text.match(GPT2_SPLIT) ?? [];
}
