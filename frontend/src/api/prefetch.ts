// Starting the leads list's first request before React renders: on a reload
// of /leads with a known session, the rows are on their way while the app's
// code is still starting. index.html's inline script starts it earlier still,
// before the app's code is evaluated, with the body kept from the last load.
import type { Client } from 'urql';
import { LeadsDoc } from './ops';
import type { LeadsQueryVariables } from '../gql/graphql';
import { getToken } from './client';
import { customColumns, DEFAULT_COLUMNS } from '../components/leads/columns';
import { loadColumns } from '../lib/savedViews';
import { withTypedFields } from '../lib/typedFields';

export const FIRST_PAGE = 50;

/** The variables of the leads list as it first opens (no filter, newest first). */
export function initialLeadsVariables(): LeadsQueryVariables {
  return {
    first: FIRST_PAGE,
    after: null,
    where: { statusIn: ['ACTIVE'] },
    orderBy: { field: 'CREATED_AT', direction: 'DESC' },
  };
}

/**
 * The leads list's document for the columns shown: the generated one plus
 * the custom fields among them as typed fields (their keys; a field
 * archived since is refused by the API and the list retries without it).
 * The page and the first page's early request build it alike, so that the
 * page finds the early answer in the cache.
 */
export function leadsDocument(columns: string[]): typeof LeadsDoc {
  return withTypedFields(LeadsDoc, customColumns(columns).map((key) => ({ key })), { besideSpread: 'LeadRow' });
}

let prefetched = false;

/** Whether prefetchLeads started the first page's request (the page then reads it from the cache). */
export function leadsPrefetched(): boolean {
  return prefetched;
}

/** Where the first page's request body is kept for index.html's early request. */
export const LEADS_REQUEST_KEY = 'scrm.leadsRequest';

/** The request index.html's inline script sent before the app's code ran. */
interface EarlyRequest {
  body: string;
  token: string;
  response: Promise<Response>;
}

/**
 * The fetch of the first page's request: it answers with index.html's early
 * request when that sent the very body urql sends now with the current token
 * (another app version or user sends anew), and keeps the body for the next
 * load.
 */
export function firstPageFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const w = window as unknown as { __scrmLeads?: EarlyRequest };
  const early = w.__scrmLeads;
  w.__scrmLeads = undefined;
  const body = typeof init?.body === 'string' ? init.body : null;
  if (body) {
    try {
      localStorage.setItem(LEADS_REQUEST_KEY, body);
    } catch {
      // A full or blocked storage only costs the next load its early start.
    }
  }
  if (early && body !== null && early.body === body && early.token === getToken()) {
    return early.response.catch(() => fetch(input, init));
  }
  return fetch(input, init);
}

/**
 * The first page's request for viewer (signed in, the list's URL without
 * state), with the columns last chosen in this browser. The promise settles
 * when the answer is in urql's cache (null: nothing was asked).
 */
export function prefetchLeads(client: Client, path: string, viewer: { id: string; workspace: { id: string } } | null): Promise<void> | null {
  if (!viewer || path !== '/leads') return null;
  prefetched = true;
  const doc = leadsDocument(loadColumns(viewer.workspace.id, viewer.id) ?? DEFAULT_COLUMNS);
  // Keeps the result in urql's cache until the page subscribes to it.
  const vars = initialLeadsVariables();
  let answered: () => void = () => {};
  const arrived = new Promise<void>((resolve) => {
    answered = resolve;
  });
  const sub = client.query(doc, vars, { requestPolicy: 'network-only', additionalTypenames: ['Lead'], fetch: firstPageFetch }).subscribe(() => {
    answered();
    setTimeout(() => sub.unsubscribe(), 5000);
  });
  return arrived;
}

/**
 * How long the app waits for the first page before its first render (ms
 * after its code ran): the page's first commit then holds the shell and the
 * rows together, one render and one paint instead of an empty table painted
 * and drawn again. A slower answer gets the shell first, as before.
 */
export const FIRST_PAGE_WAIT_MS = 150;

/** Calls render once first (the first page's answer, or null) has settled, or after FIRST_PAGE_WAIT_MS. */
export function renderWhenFirstPage(first: Promise<void> | null, render: () => void): void {
  if (!first) {
    render();
    return;
  }
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    render();
  };
  const timer = setTimeout(once, FIRST_PAGE_WAIT_MS);
  first.then(() => {
    clearTimeout(timer);
    once();
  }, once);
}
