/**
 * Reference streams as sacreBLEU takes them: `references[k][i]` is the k-th reference of segment i, so one
 * stream per reference set. `null` marks a missing reference (a variable number of references per segment,
 * signature `nrefs:var`); an empty string is a reference with no words and still counts, as upstream.
 */
export type ReferenceStreams = readonly (readonly (string | null)[])[];

export interface SegmentReferences {
  /** `perSegment[i]`: the references of segment i, in stream order, without the missing ones. */
  readonly perSegment: readonly (readonly string[])[];
  /** References per segment, or `var` when segments differ (sacreBLEU's `nrefs` field). */
  readonly nrefs: number | 'var';
}

/** Regroups the streams by segment, checking that they line up with the hypotheses. */
export function segmentReferences(
  hypotheses: readonly string[],
  references: ReferenceStreams,
): SegmentReferences {
  if (hypotheses.length === 0) throw new RangeError('no hypotheses to score');
  if (references.length === 0) throw new RangeError('no reference streams given');
  references.forEach((stream, k) => {
    // Upstream zips the streams and silently drops the tail of the longer one; a mismatch is a bug upstream.
    if (stream.length !== hypotheses.length)
      throw new RangeError(
        `reference stream ${k} has ${stream.length} segments, the hypotheses have ${hypotheses.length}`,
      );
  });
  const counts = new Set<number>();
  const perSegment = hypotheses.map((_, i) => {
    const refs: string[] = [];
    for (const stream of references) {
      const ref = stream[i];
      if (ref !== null && ref !== undefined) refs.push(ref);
    }
    if (refs.length === 0) throw new RangeError(`segment ${i} has no reference in any stream`);
    counts.add(refs.length);
    return refs;
  });
  const [only] = counts;
  return { perSegment, nrefs: counts.size === 1 && only !== undefined ? only : 'var' };
}
