/** One row of GET /v1/stats: what the web console's Live view shows per loaded variant (server and page share it). */
export interface VariantStats {
  readonly model: string;
  readonly variant: string;
  readonly task: string;
  /** Answered requests since start, by any status, and those not 200. */
  readonly requests: number;
  readonly errors: number;
  /** Over the variant's most recent requests (up to 256); null before the first. */
  readonly p50_ms: number | null;
  readonly p95_ms: number | null;
  readonly queue_depth: number;
  /** Mean items per batch since start (null before the first batch). */
  readonly mean_batch: number | null;
}
