/**
 * The trainer's priority queue of merge candidates: a binary max-heap on (count ↓, pair ↑, age ↑).
 * `pair` is the key `left * base + right`, so ascending keys are HF's ascending `(left id, right id)` tie-break.
 * `age` only orders two entries for the same pair and count (possible when a merge re-creates an existing token);
 * HF leaves that order to its BinaryHeap, TLC takes the older entry first so the result is deterministic.
 */
export interface PairEntry {
  /** The pair's weighted count when the entry was pushed (the trainer checks it against the live count). */
  count: number;
  readonly pair: number;
  readonly age: number;
  /** Indices of the words the pair was seen in when pushed: the words a merge of this entry rewrites. */
  readonly words: readonly number[];
}

function before(a: PairEntry, b: PairEntry): boolean {
  if (a.count !== b.count) return a.count > b.count;
  if (a.pair !== b.pair) return a.pair < b.pair;
  return a.age < b.age;
}

export class PairHeap {
  private readonly items: PairEntry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(entry: PairEntry): void {
    const items = this.items;
    let i = items.length;
    items.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!before(entry, p)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): PairEntry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    const n = items.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(items[r]!, items[l]!) ? r : l;
      const c = items[child]!;
      if (!before(c, last)) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
