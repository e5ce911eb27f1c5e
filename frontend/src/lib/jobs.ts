// Long jobs (Job: imports, exports, the WeCom sync) on the client: whether
// one has ended and how far it got.

export type JobStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface JobProgress {
  status: JobStatus;
  total: number;
  done: number;
  failed?: number;
  error?: string | null;
}

/** Whether the job has ended (polling stops). */
export function jobFinished(status: JobStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
}

/** The progress bar's percent: done of total, 100 when it succeeded, 0 before the total is known. */
export function jobPercent(j: JobProgress): number {
  if (j.status === 'SUCCEEDED') return 100;
  if (j.total <= 0) return 0;
  return Math.min(100, Math.floor((j.done / j.total) * 100));
}

/**
 * How long to wait before the nth poll of a job (n from 1, after the first
 * answer): every 200 ms for the first two seconds, every 500 ms for the
 * next five, then every maxMs. A small job (one batch of 500 leads, mostly
 * the wait for a worker) is seen done within 200 ms of its end instead of
 * up to a second later; a long one is polled once a second.
 */
export function pollDelay(n: number, maxMs = 1000): number {
  if (n <= 10) return Math.min(200, maxMs);
  if (n <= 20) return Math.min(500, maxMs);
  return maxMs;
}

export const JOB_KINDS = ['IMPORT', 'EXPORT', 'BULK_UPDATE', 'WECOM_SYNC'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** The jobs page's filter, kept in its URL: ?kind=IMPORT, ?active=1 (queued or running only). */
export interface JobsFilter {
  kind: JobKind | null;
  activeOnly: boolean;
}

/** The filter a URL's search parameters say; an unknown kind is no kind. */
export function parseJobsFilter(params: URLSearchParams): JobsFilter {
  const k = params.get('kind');
  return { kind: (JOB_KINDS as readonly string[]).includes(k ?? '') ? (k as JobKind) : null, activeOnly: params.get('active') === '1' };
}

/** The search parameters of a filter (none for the defaults), other parameters kept. */
export function jobsSearch(params: URLSearchParams, f: JobsFilter): URLSearchParams {
  const next = new URLSearchParams(params);
  if (f.kind) next.set('kind', f.kind);
  else next.delete('kind');
  if (f.activeOnly) next.set('active', '1');
  else next.delete('active');
  return next;
}

/** The jobs query's kinds and statuses for a filter. */
export function jobsVariables(f: JobsFilter): { kinds: JobKind[] | null; statuses: JobStatus[] | null } {
  return { kinds: f.kind ? [f.kind] : null, statuses: f.activeOnly ? ['QUEUED', 'RUNNING'] : null };
}
