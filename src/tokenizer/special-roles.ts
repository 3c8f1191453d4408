/**
 * Which token plays each special role when tokenizer_config.json does not say (a folder with tokenizer.json
 * only): the special added tokens of tokenizer.json, by the spellings of the families TLC reads — BERT's
 * `[MASK]`, `[CLS]`… and RoBERTa's `<mask>`, `<s>`… (issue 28: a BERT tokenizer.json alone was refused for
 * "no mask token" with `[MASK]` among its added tokens).
 */
import type { SpecialRole } from './model.js';

/** Spellings of each role, in order of preference (BERT's CLS/SEP play BOS/EOS, as in ROLE_KEYS). */
const SPELLINGS: Readonly<Record<SpecialRole, readonly string[]>> = {
  bos: ['<s>', '[CLS]'],
  eos: ['</s>', '[SEP]'],
  pad: ['<pad>', '[PAD]'],
  unk: ['<unk>', '[UNK]'],
  mask: ['<mask>', '[MASK]'],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The special added tokens of a parsed tokenizer.json (those marked `special`, or all when none says). */
function specialAddedTokens(tokenizerJson: Record<string, unknown>): Set<string> {
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens.filter(isObject) : [];
  const special = added.filter((t) => t.special !== false);
  return new Set(special.map((t) => t.content).filter((c): c is string => typeof c === 'string'));
}

/**
 * The token of each role that tokenizer.json's special added tokens name, and its model's `unk_token`; roles
 * with none of the known spellings are left out.
 */
export function rolesFromTokenizerJson(
  tokenizerJson: Record<string, unknown>,
): Partial<Record<SpecialRole, string>> {
  const tokens = specialAddedTokens(tokenizerJson);
  const roles: Partial<Record<SpecialRole, string>> = {};
  for (const role of Object.keys(SPELLINGS) as SpecialRole[]) {
    const found = SPELLINGS[role].find((t) => tokens.has(t));
    if (found !== undefined) roles[role] = found;
  }
  const model = tokenizerJson.model;
  if (roles.unk === undefined && isObject(model) && typeof model.unk_token === 'string')
    roles.unk = model.unk_token;
  return roles;
}
