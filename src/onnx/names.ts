/** Fresh value and node names: the base itself when free, else `base_1`, `base_2`, … (never the empty name). */
export class NameAllocator {
  private readonly counters = new Map<string, number>();

  /** `taken` is shared, not copied: names the caller adds to it later stay taken. */
  constructor(readonly taken: Set<string> = new Set()) {}

  fresh(base: string): string {
    let name = base;
    let n = this.counters.get(base) ?? 0;
    while (name === '' || this.taken.has(name)) {
      n += 1;
      name = `${base}_${n}`;
    }
    this.counters.set(base, n);
    this.taken.add(name);
    return name;
  }
}
