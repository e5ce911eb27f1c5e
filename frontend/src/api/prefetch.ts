// Starting the leads list's first request before React renders: on a reload
// of /leads with a known session, the rows are on their way while the app's
// code is still starting.
import type { Client } from 'urql';
import { LeadsDoc } from './ops';
import type { LeadsQueryVariables } from '../gql/graphql';

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

export function prefetchLeads(client: Client, path: string, signedIn: boolean): void {
  if (!signedIn || path !== '/leads') return;
  prefetched = true;
  // Keeps the result in urql's cache until the page subscribes to it.
  const sub = client.query(LeadsDoc, initialLeadsVariables(), { requestPolicy: 'network-only', additionalTypenames: ['Lead'] }).subscribe(() => {
    setTimeout(() => sub.unsubscribe(), 5000);
  });
}
