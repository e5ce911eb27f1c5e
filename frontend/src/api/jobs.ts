// Long jobs (imports, exports, the WeCom sync, bulk updates): polling a job
// until it ends (soon after it starts, then once a second: lib/jobs.ts
// pollDelay), and downloading its result CSV (Job.resultURL), which needs
// the session's bearer token, so it is fetched and saved as a blob rather
// than opened as a link.
import { useCallback, useEffect, useState } from 'react';
import { useClient } from 'urql';
import { JobDoc } from './ops';
import { errorText } from './errors';
import { getToken } from './client';
import { translate, type Lang, type MessageKey } from '../i18n';
import { jobFinished, pollDelay, type JobProgress } from '../lib/jobs';
import { dispositionFilename } from '../lib/importMapping';

export const JOB_POLL_MS = 1000;

export interface JobState extends JobProgress {
  id: string;
  kind?: string;
  resultURL?: string | null;
}

/**
 * The job being watched: watch(job) shows the mutation's answer at once and
 * polls node(id:) until the job has ended, every 200 ms at first (lib/jobs.ts pollDelay)
 * and at most every JOB_POLL_MS once it runs long; stop() stops polling
 * (the job stays shown), reset() forgets it. A failed poll is kept in error
 * and polling goes on.
 */
export function useJob() {
  const client = useClient();
  const [jobID, setJobID] = useState<string | null>(null);
  const [job, setJob] = useState<JobState | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!jobID) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let polls = 0;
    const poll = async () => {
      const r = await client.query(JobDoc, { id: jobID }, { requestPolicy: 'network-only' }).toPromise();
      if (stopped) return;
      const node = r.data?.node;
      if (r.error) setError(errorText(r.error));
      else if (node?.__typename === 'Job') {
        setError(null);
        setJob({
          id: node.id, kind: node.kind, status: node.status, total: node.total, done: node.done,
          failed: node.failed, error: node.error, resultURL: node.resultURL,
        });
        if (jobFinished(node.status)) return;
      }
      polls++;
      timer = setTimeout(poll, pollDelay(polls, JOB_POLL_MS));
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, jobID]);

  const watch = useCallback((j: JobState) => {
    setError(null);
    setJob(j);
    setJobID(jobFinished(j.status) ? null : j.id);
  }, []);
  const stop = useCallback(() => setJobID(null), []);
  const reset = useCallback(() => {
    setJobID(null);
    setJob(null);
    setError(null);
  }, []);
  return { job, error, watch, stop, reset, setJob, setError };
}

/** A download that failed, with its message in the UI's language. */
export class DownloadError extends Error {}

function statusCode(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  return 'INTERNAL_SERVER_ERROR';
}

/**
 * Fetches a job's result with the session's token and saves it under the
 * server's file name (else fallback); resolves to the name. Rejects with a
 * DownloadError saying why in lang.
 */
export async function downloadJobResult(url: string, fallback: string, lang: Lang): Promise<string> {
  const token = getToken();
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch {
    throw new DownloadError(translate(lang, 'error.NETWORK' as MessageKey));
  }
  if (!res.ok) throw new DownloadError(translate(lang, `error.${statusCode(res.status)}` as MessageKey));
  const blob = await res.blob();
  const name = dispositionFilename(res.headers.get('Content-Disposition')) ?? fallback;
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return name;
}
