// What the signed-in user may do, from the effective permissions of their
// roles (Query.permissions), and which pages that opens. The server checks
// every call anyway; this only keeps the UI from offering what would be refused.

export interface Perm {
  resource: string;
  action: string;
}

export type Can = (resource: string, action: string) => boolean;

/** can answers from perms; "*" in a permission matches anything. */
export function makeCan(perms: Perm[]): Can {
  const set = new Set(perms.map((p) => `${p.resource}\u0000${p.action}`));
  return (resource, action) =>
    set.has(`${resource}\u0000${action}`) ||
    set.has(`${resource}\u0000*`) ||
    set.has(`*\u0000${action}`) ||
    set.has(`*\u0000*`);
}

export type PageKey =
  | 'home'
  | 'leads'
  | 'duplicates'
  | 'pool'
  | 'segments'
  | 'broadcasts'
  | 'funnel'
  | 'tasks'
  | 'wecom.contact-ways'
  | 'wecom.media'
  | 'journeys'
  | 'jobs'
  | 'settings.fields'
  | 'settings.pipelines'
  | 'settings.tags'
  | 'settings.pools'
  | 'settings.rules'
  | 'settings.roles'
  | 'settings.territories'
  | 'settings.users'
  | 'settings.apiKeys';

/** The permission each page needs. Settings pages need write: they exist to change things. */
export const pageRules: Record<PageKey, (can: Can) => boolean> = {
  home: (can) => can('lead', 'read'),
  leads: (can) => can('lead', 'read'),
  // Merging needs lead write; the groups are read under the row scope.
  duplicates: (can) => can('lead', 'read') && can('lead', 'write'),
  pool: (can) => can('lead', 'read') && (can('lead', 'claim') || can('lead', 'assign')),
  segments: (can) => can('segment', 'read'),
  broadcasts: (can) => can('broadcast', 'read'),
  funnel: (can) => can('report', 'read'),
  tasks: (can) => can('task', 'read'),
  'wecom.contact-ways': (can) => can('channel', 'read'),
  // The media library: whoever may upload (channel write, as the API asks).
  'wecom.media': (can) => can('channel', 'write'),
  journeys: (can) => can('journey', 'read'),
  // Whoever may start a job (import, export, bulk change) or sees every job (job manage).
  jobs: (can) => can('lead.import', 'write') || can('lead.export', 'read') || can('lead.bulk', 'write') || can('job', 'manage'),
  'settings.fields': (can) => can('field', 'write'),
  'settings.pipelines': (can) => can('pipeline', 'write'),
  'settings.tags': (can) => can('tag', 'write'),
  'settings.pools': (can) => can('pool', 'write'),
  'settings.rules': (can) => can('rule', 'write'),
  'settings.roles': (can) => can('policy', 'read'),
  'settings.territories': (can) => can('territory', 'write'),
  'settings.users': (can) => can('user', 'write') || can('team', 'write') || can('partner', 'write'),
  'settings.apiKeys': (can) => can('apikey', 'read'),
};

export function visiblePages(can: Can): PageKey[] {
  return (Object.keys(pageRules) as PageKey[]).filter((k) => pageRules[k](can));
}

/** The first page a user lands on after signing in. */
export function homePage(can: Can): string {
  const pages = visiblePages(can);
  if (pages.includes('home')) return '/home';
  if (pages.includes('segments')) return '/segments';
  if (pages.includes('funnel')) return '/funnel';
  const first = pages[0];
  return first ? '/' + first.replace('.', '/') : '/welcome';
}
