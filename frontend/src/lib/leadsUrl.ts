// The leads list's state in its URL (filters, sort, page, page size, saved
// view, columns), so that Back, a reload and a shared link open the list as
// it was. Only what differs from the list's defaults is written, so the
// plain /leads stays plain. Anything unreadable in a URL (an old or
// hand-edited link) falls back to the default rather than failing; an
// earlier version's custom-field columns and sort (attr:<key>) are renamed.
import type { LeadFilter } from './leadFilter';
import { migrateColumns, migrateSort, type SortState } from './savedViews';

export interface LeadsUrlState {
  filter: LeadFilter;
  sort: SortState | null;
  pageSize: number;
  /** 0-based page. */
  page: number;
  /** The after-cursor of each page up to page (cursors[0] is null). */
  cursors: (string | null)[];
  viewID: string | null;
  /** null: the columns the user last chose (kept in the browser). */
  columns: string[] | null;
}

export interface LeadsUrlDefaults {
  pageSize: number;
  pageSizes: number[];
}

const KEYS = ['q', 'filter', 'sort', 'size', 'page', 'after', 'view', 'cols'];

/** Whether search carries any of the list's state. */
export function hasListState(search: string): boolean {
  const p = new URLSearchParams(search);
  return KEYS.some((k) => p.has(k));
}

function json<T>(raw: string | null, ok: (v: unknown) => boolean): T | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as unknown;
    return ok(v) ? (v as T) : null;
  } catch {
    return null;
  }
}

/** The list's state read from a location's search string. */
export function fromSearch(search: string, d: LeadsUrlDefaults): LeadsUrlState {
  const p = new URLSearchParams(search);
  const filter: LeadFilter = json<LeadFilter>(p.get('filter'), (v) => !!v && typeof v === 'object' && !Array.isArray(v)) ?? {};
  delete filter.q;
  const q = p.get('q');
  if (q) filter.q = q;

  let sort: SortState | null = null;
  const s = p.get('sort');
  const i = s ? s.lastIndexOf('.') : -1;
  if (s && i > 0) {
    const dir = s.slice(i + 1).toUpperCase();
    if (dir === 'ASC' || dir === 'DESC') sort = migrateSort({ field: s.slice(0, i), direction: dir });
  }

  const size = Number(p.get('size'));
  const pageSize = d.pageSizes.includes(size) ? size : d.pageSize;

  // A page beyond the first needs the cursors that lead to it.
  const after = json<string[]>(p.get('after'), (v) => Array.isArray(v) && v.every((c) => typeof c === 'string' && c !== '')) ?? [];
  const n = Math.floor(Number(p.get('page')));
  const page = Number.isFinite(n) && n > 1 && after.length >= n - 1 ? n - 1 : 0;
  const cursors: (string | null)[] = [null, ...after.slice(0, page)];

  const cols = p.get('cols');
  const columns = cols ? migrateColumns(cols.split(',')) : null;

  return { filter, sort, pageSize, page, cursors, viewID: p.get('view') || null, columns: columns?.length ? columns : null };
}

function emptyFilterValue(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/** The search string (without "?") of the list's state; "" for the defaults. */
export function toSearch(st: LeadsUrlState, d: LeadsUrlDefaults): string {
  const p = new URLSearchParams();
  if (st.filter.q?.trim()) p.set('q', st.filter.q);
  const rest = Object.fromEntries(Object.entries(st.filter).filter(([k, v]) => k !== 'q' && !emptyFilterValue(v)));
  if (Object.keys(rest).length) p.set('filter', JSON.stringify(rest));
  if (st.sort) p.set('sort', `${st.sort.field}.${st.sort.direction.toLowerCase()}`);
  if (st.pageSize !== d.pageSize) p.set('size', String(st.pageSize));
  const after = st.cursors.slice(1, st.page + 1);
  if (st.page > 0 && after.length === st.page && after.every((c) => !!c)) {
    p.set('page', String(st.page + 1));
    p.set('after', JSON.stringify(after));
  }
  if (st.viewID) p.set('view', st.viewID);
  if (st.columns?.length) p.set('cols', st.columns.join(','));
  return p.toString();
}
