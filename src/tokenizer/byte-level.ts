/**
 * GPT-2's byte-to-unicode table: every byte 0–255 gets a printable character, so a byte-level BPE vocabulary
 * is a set of ordinary strings. Printable Latin-1 bytes (`!`–`~`, `¡`–`¬`, `®`–`ÿ`) map to themselves; the other
 * 68 bytes map, in byte order, to U+0100 onwards (space → `Ġ`, newline → `Ċ`). This is the table of GPT-2's
 * `encoder.py`, of HF tokenizers' `ByteLevel` and of tokenizers.js's `BYTES_TO_UNICODE`.
 */

function buildByteToChar(): readonly string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : 256 + shifted++);
  return Object.freeze(table);
}

/** Byte → its one-character symbol. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Symbol (char code) → byte; -1 for characters outside the alphabet. Indexed by char code (max U+0143). */
export const CHAR_CODE_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => {
    table[c.charCodeAt(0)] = b;
  });
  return table;
})();

/**
 * The 256 symbols sorted by code point: the order HF's BPE trainer gives the initial alphabet
 * (`compute_alphabet` sorts kept characters by `char as u32`), so ids 5… run `!`, `"`, `#`, … `Ń`.
 */
export const BYTE_ALPHABET: readonly string[] = Object.freeze(
  [...BYTE_TO_CHAR].sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0)),
);

const utf8 = new TextEncoder();

/** A pre-tokenized piece as its byte-level symbols (UTF-8 bytes, each mapped through BYTE_TO_CHAR). */
export function toByteLevel(piece: string): string {
  // ASCII fast path: most pieces of most corpora; avoids allocating the byte array.
  let ascii = true;
  for (let i = 0; i < piece.length; i++) {
    if (piece.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  let out = '';
  if (ascii) {
    for (let i = 0; i < piece.length; i++) out += BYTE_TO_CHAR[piece.charCodeAt(i)];
    return out;
  }
  // Lone surrogates become U+FFFD's bytes, as TextEncoder (and tokenizers.js) encode them.
  for (const b of utf8.encode(piece)) out += BYTE_TO_CHAR[b];
  return out;
}

/** The UTF-8 bytes a string of byte-level symbols stands for; throws RangeError on a foreign character. */
export function fromByteLevel(symbols: string): Uint8Array {
  const bytes = new Uint8Array(symbols.length);
  for (let i = 0; i < symbols.length; i++) {
    const code = symbols.charCodeAt(i);
    const b = code < CHAR_CODE_TO_BYTE.length ? CHAR_CODE_TO_BYTE[code]! : -1;
    if (b < 0) throw new RangeError(`'${symbols[i]}' (U+${code.toString(16)}) is not a byte-level symbol`);
    bytes[i] = b;
  }
  return bytes;
}
