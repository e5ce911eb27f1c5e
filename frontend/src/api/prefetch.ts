// Starting the leads list's first request before React renders: on a reload
// of /leads with a known session, the rows are on their way while the app's
// code is still starting. index.html's inline script starts it earlier still,
// before the app's code is evaluated, with the body kept from the last load.
import type { Client } from 'urql';
import { LeadsDoc } from './ops';
import type { LeadsQueryVariables } from '../gql/graphql';
import { getToken } from './client';

export const FIRST_PAGE = 50;

/** The variables of the leads list as it first opens (no filter, newest first). */
export function initialLeadsVariables(): LeadsQueryVariables {
  return {
    first: FIRST_PAGE,
    after: null,
    where: { statusIn: ['ACTIVE'] },
    orderBy: { field: 'CREATED_AT', direction: 'DESC' },
    orderByAttribute: null,
  };
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

export function prefetchLeads(client: Client, path: string, signedIn: boolean): void {
  if (!signedIn || path !== '/leads') return;
  prefetched = true;
  // Keeps the result in urql's cache until the page subscribes to it.
  const sub = client.query(LeadsDoc, initialLeadsVariables(), { requestPolicy: 'network-only', additionalTypenames: ['Lead'], fetch: firstPageFetch }).subscribe(() => {
    setTimeout(() => sub.unsubscribe(), 5000);
  });
}
