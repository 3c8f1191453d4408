/** Models trained once per test process and shared between test files' cases. */
import { type BpeModel, Tokenizer, trainBpe } from '../../src/tokenizer/index.js';
import { mobyDickTexts } from './corpus.js';

/** Multilingual sentences so that non-Latin scripts get merges of their own, not only byte tokens. */
export const MULTILINGUAL: readonly string[] = [
  'The quick brown fox jumps over the lazy dog.',
  "Élève, où est l'hôpital ? Les élèves français étudient à l'école — très bien, déjà, ça va.",
  'مرحبا بالعالم. اللغة العربية جميلة، والعالم كبير.',
  '你好，世界。我们在学习中文，中文很有意思。',
  'Emoji: 🙂🙂 👍🏽 👨‍👩‍👧 🇫🇷 😀😀',
];

const models = new Map<number, BpeModel>();

/** Trained on the first half of Moby-Dick (records 0–69) and the multilingual sentences. */
export function mobyModel(vocabSize: number): BpeModel {
  let model = models.get(vocabSize);
  if (!model) {
    model = trainBpe([...mobyDickTexts().slice(0, 70), ...MULTILINGUAL, ...MULTILINGUAL], { vocabSize });
    models.set(vocabSize, model);
  }
  return model;
}

export function mobyTokenizer(vocabSize: number): Tokenizer {
  return Tokenizer.fromModel(mobyModel(vocabSize));
}
