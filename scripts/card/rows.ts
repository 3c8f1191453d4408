/** The card row of each `tlc train --task`. */
import type { RunTask } from '../../src/tasks/catalog.js';
import { classifyCard } from './classify.js';
import { mlmCard } from './mlm.js';
import type { CardRow } from './row.js';
import { translationCard } from './translation.js';

export const CARD_ROWS: Readonly<Record<RunTask, CardRow>> = {
  mlm: mlmCard,
  translation: translationCard,
  classify: classifyCard,
};
