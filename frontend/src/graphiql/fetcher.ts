// What GraphiQL sends: the query to the server's own /graphql, with the web
// app's session token, so a signed-in user explores the API as themselves.
import type { ExecutionResult } from 'graphql';
import { getToken } from '../api/client';

export interface FetchParams {
  query: string;
  operationName?: string | null;
  variables?: unknown;
}

/**
 * The headers of one request: JSON, the session's bearer token when there
 * is one, then the headers typed in GraphiQL's header editor, which win (an
 * X-API-Key or another Authorization there replaces the session's).
 */
export function requestHeaders(token: string | null, typed: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  for (const [k, v] of Object.entries(typed ?? {})) {
    if (v === undefined || v === null) continue;
    // Header names are case-insensitive: a typed "authorization" replaces ours.
    for (const have of Object.keys(headers)) if (have.toLowerCase() === k.toLowerCase()) delete headers[have];
    headers[k] = String(v);
  }
  return headers;
}

/** GraphiQL's fetcher: POST /graphql on this origin. */
export async function fetchGraphQL(params: FetchParams, opts?: { headers?: Record<string, unknown> }): Promise<ExecutionResult> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: requestHeaders(getToken(), opts?.headers),
    body: JSON.stringify(params),
    credentials: 'same-origin',
  });
  const text = await res.text();
  try {
    return JSON.parse(text) as ExecutionResult;
  } catch {
    // Not GraphQL (a proxy's error page): show what came back.
    return { errors: [{ message: `HTTP ${res.status}: ${text.slice(0, 500)}` }] } as unknown as ExecutionResult;
  }
}
