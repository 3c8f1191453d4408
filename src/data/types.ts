/** The plain records every corpus loader returns. */

/** One document for masked-language modelling; the batcher tokenizes it whole and cuts the token stream. */
export interface TextDocument {
  /** Unique across corpora and stable across releases; it is also the key that decides the document's split. */
  readonly id: string;
  /** The corpus name (`sotu`, `moby-dick`) or, for user data, the file path. */
  readonly source: string;
  readonly text: string;
}

/** One aligned sentence (or verse) pair for translation. */
export interface TranslationPair {
  /** `chapter:verse` for the Quran; `path:line` for a TSV file. */
  readonly id: string;
  readonly source: string;
  readonly target: string;
}

/** One labelled text for classification. */
export interface LabelledText {
  /** The key that decides its split: texts of one document share it (the paragraphs of one address). */
  readonly id: string;
  readonly text: string;
  readonly label: string;
}
