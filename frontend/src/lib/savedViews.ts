// Saved views of the leads list (filters, columns, sort, page size). They
// are kept on the server per user (savedViews, saveView, updateSavedView,
// deleteSavedView), so a view follows its owner to any browser, and a view
// marked shared is listed to everyone in the workspace (its filters run
// under each viewer's own row scope and masking). Views an earlier version
// of the app kept in this browser's localStorage are moved to the server the
// first time the list is opened, then removed from the browser.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useClient, useQuery, type CombinedError } from 'urql';
import { DeleteSavedViewDoc, SavedViewsDoc, SaveViewDoc, UpdateSavedViewDoc } from '../api/viewOps';
import type { LeadFilter } from './leadFilter';
import { typedOrderField } from './typedFields';

export interface SortState {
  /** A LeadOrderField value: a built-in one, or a custom field's from the typed schema (typedOrderField). */
  field: string;
  direction: 'ASC' | 'DESC';
}

// Earlier versions named a custom field's column and sort "attr:<key>"
// (the generic attributes); the list now names them as the typed schema
// does. Views, links and column choices kept that way still open.
const LEGACY = 'attr:';

/** Columns as the list names them: a custom field's column is its typed field (the key). */
export function migrateColumns(cols: string[]): string[] {
  const out = cols.map((c) => (c.startsWith(LEGACY) ? c.slice(LEGACY.length) : c));
  return out.filter((c, i) => c !== '' && out.indexOf(c) === i);
}

/** A sort as the list names it: a custom field's is its typed LeadOrderField value. */
export function migrateSort(s: SortState | null): SortState | null {
  return s && s.field.startsWith(LEGACY) ? { ...s, field: typedOrderField(s.field.slice(LEGACY.length)) } : s;
}

/** What a view holds: the list's state, as the server keeps it (JSON). */
export interface ViewState {
  filter: LeadFilter;
  columns: string[];
  sort?: SortState | null;
  pageSize?: number;
}

export interface LeadView extends ViewState {
  id: string;
  name: string;
  /** Listed to the whole workspace. */
  shared: boolean;
  /** The viewer owns it (only the owner changes it). */
  mine: boolean;
  ownerName: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * viewState reads a view's state from JSON, keeping only what the list
 * understands; null when it holds no filter object (another app's state,
 * or a hand-written one). An earlier version's custom-field columns and
 * sort are renamed here; its attribute conditions, which need the field
 * definitions, are migrated by reconcileFilter when the view is applied.
 */
export function viewState(raw: unknown): ViewState | null {
  if (!isObject(raw) || !isObject(raw.filter)) return null;
  const columns = migrateColumns(Array.isArray(raw.columns) ? raw.columns.filter((c): c is string => typeof c === 'string') : []);
  let sort: SortState | null = null;
  if (isObject(raw.sort) && typeof raw.sort.field === 'string' && (raw.sort.direction === 'ASC' || raw.sort.direction === 'DESC')) {
    sort = migrateSort({ field: raw.sort.field, direction: raw.sort.direction });
  }
  const pageSize = typeof raw.pageSize === 'number' && Number.isInteger(raw.pageSize) && raw.pageSize > 0 ? raw.pageSize : undefined;
  return { filter: raw.filter as LeadFilter, columns, sort, pageSize };
}

/** The JSON the server keeps for state. */
export function stateJSON(s: ViewState): Record<string, unknown> {
  const out: Record<string, unknown> = { filter: s.filter, columns: s.columns };
  if (s.sort) out.sort = s.sort;
  if (s.pageSize) out.pageSize = s.pageSize;
  return out;
}

/** The views as the list shows them: the viewer's own first, then those others share, each by name. */
export function orderViews(views: LeadView[]): LeadView[] {
  return [...views].sort((a, b) => Number(b.mine) - Number(a.mine) || a.name.localeCompare(b.name, 'zh-CN'));
}

// ------------------------------------------------ views of an earlier app

function localKey(workspaceID: string, userID: string): string {
  return `scrm.leadViews.${workspaceID}.${userID}`;
}

export interface LocalView extends ViewState {
  name: string;
}

/** The views an earlier version of the app kept in this browser. */
export function loadLocalViews(workspaceID: string, userID: string): LocalView[] {
  try {
    const raw = localStorage.getItem(localKey(workspaceID, userID));
    const list = raw ? (JSON.parse(raw) as unknown) : [];
    if (!Array.isArray(list)) return [];
    return list.flatMap((v) => {
      const st = viewState(v);
      const name = isObject(v) && typeof v.name === 'string' ? v.name.trim().slice(0, 60) : '';
      return st && name ? [{ ...st, name }] : [];
    });
  } catch {
    return [];
  }
}

/** Keeps only views in this browser (those that could not be moved), or forgets them all. */
export function storeLocalViews(workspaceID: string, userID: string, views: LocalView[]): void {
  if (views.length === 0) localStorage.removeItem(localKey(workspaceID, userID));
  else localStorage.setItem(localKey(workspaceID, userID), JSON.stringify(views));
}

/** The local views to move: those whose name the viewer has no view of on the server yet. */
export function toMigrate(local: LocalView[], server: LeadView[]): LocalView[] {
  const have = new Set(server.filter((v) => v.mine).map((v) => v.name));
  const seen = new Set<string>();
  return local.filter((v) => {
    if (have.has(v.name) || seen.has(v.name)) return false;
    seen.add(v.name);
    return true;
  });
}

// ------------------------------------------------ columns (per browser)

/** The columns last chosen, so the list opens as it was left (a preference of this browser). */
export function loadColumns(workspaceID: string, userID: string): string[] | null {
  try {
    const raw = localStorage.getItem(`scrm.leadColumns.${workspaceID}.${userID}`);
    const v = raw ? (JSON.parse(raw) as unknown) : null;
    return Array.isArray(v) ? migrateColumns(v.filter((c): c is string => typeof c === 'string')) : null;
  } catch {
    return null;
  }
}

export function storeColumns(workspaceID: string, userID: string, cols: string[]): void {
  localStorage.setItem(`scrm.leadColumns.${workspaceID}.${userID}`, JSON.stringify(cols));
}

// ------------------------------------------------ the hook

export type ViewResult = { ok: true; view?: LeadView } | { ok: false; error: CombinedError };

// One move of a browser's local views at a time, however often the list mounts.
const moving = new Set<string>();

/**
 * useSavedViews reads the viewer's and the shared views of the leads list
 * once enabled, moves views kept in this browser to the server (onMoved gets
 * how many), and saves, shares and deletes views.
 */
export function useSavedViews(workspaceID: string, userID: string, enabled: boolean, onMoved?: (n: number, failed: number) => void) {
  const client = useClient();
  const [res, refetch] = useQuery({
    query: SavedViewsDoc,
    variables: { list: 'LEADS' },
    pause: !enabled,
    context: useMemo(() => ({ additionalTypenames: ['SavedView'] }), []),
  });
  const reload = useCallback(() => refetch({ requestPolicy: 'network-only' }), [refetch]);

  const views = useMemo(
    () =>
      orderViews(
        (res.data?.savedViews ?? []).flatMap((v) => {
          const st = viewState(v.state);
          return st ? [{ ...st, id: v.id, name: v.name, shared: v.shared, mine: v.mine, ownerName: v.owner.name }] : [];
        }),
      ),
    [res.data],
  );

  // The move of this browser's views, once the server's are known.
  const [moved, setMoved] = useState(false);
  useEffect(() => {
    if (!res.data || moved) return;
    setMoved(true);
    const k = `${workspaceID}.${userID}`;
    const local = loadLocalViews(workspaceID, userID);
    if (local.length === 0 || moving.has(k)) return;
    moving.add(k);
    void (async () => {
      const failed: LocalView[] = [];
      let n = 0;
      for (const v of toMigrate(local, views)) {
        const r = await client.mutation(SaveViewDoc, { input: { list: 'LEADS', name: v.name, state: stateJSON(v) } }).toPromise();
        if (r.error) failed.push(v);
        else n++;
      }
      storeLocalViews(workspaceID, userID, failed);
      moving.delete(k);
      if (n > 0) reload();
      onMoved?.(n, failed.length);
    })();
  }, [res.data]); // eslint-disable-line react-hooks/exhaustive-deps

  const save = useCallback(
    async (name: string, state: ViewState, shared?: boolean): Promise<ViewResult> => {
      const r = await client
        .mutation(SaveViewDoc, { input: { list: 'LEADS', name, state: stateJSON(state), ...(shared === undefined ? {} : { shared }) } })
        .toPromise();
      if (r.error || !r.data) return { ok: false, error: r.error! };
      reload();
      const v = r.data.saveView;
      return { ok: true, view: { ...state, id: v.id, name: v.name, shared: v.shared, mine: v.mine, ownerName: v.owner.name } };
    },
    [client, reload],
  );

  const share = useCallback(
    async (id: string, shared: boolean): Promise<ViewResult> => {
      const r = await client.mutation(UpdateSavedViewDoc, { id, input: { shared } }).toPromise();
      if (r.error) return { ok: false, error: r.error };
      reload();
      return { ok: true };
    },
    [client, reload],
  );

  const remove = useCallback(
    async (id: string): Promise<ViewResult> => {
      const r = await client.mutation(DeleteSavedViewDoc, { id }).toPromise();
      if (r.error) return { ok: false, error: r.error };
      reload();
      return { ok: true };
    },
    [client, reload],
  );

  return { views, error: res.error, fetching: res.fetching, save, share, remove };
}
