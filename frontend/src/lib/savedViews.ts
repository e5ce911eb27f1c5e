// Saved views of the leads list (filters, columns, sort, page size). They
// are kept in this browser's localStorage, per workspace and user: nothing
// is stored on the server, so a view does not follow the user to another
// browser.
import type { LeadFilter } from './leadFilter';

export interface SortState {
  /** A LeadOrderField, or "attr:<key>" for a custom field. */
  field: string;
  direction: 'ASC' | 'DESC';
}

export interface LeadView {
  id: string;
  name: string;
  filter: LeadFilter;
  columns: string[];
  sort?: SortState | null;
  pageSize?: number;
}

function key(workspaceID: string, userID: string): string {
  return `scrm.leadViews.${workspaceID}.${userID}`;
}

export function loadViews(workspaceID: string, userID: string): LeadView[] {
  try {
    const raw = localStorage.getItem(key(workspaceID, userID));
    const list = raw ? (JSON.parse(raw) as unknown) : [];
    return Array.isArray(list) ? (list as LeadView[]).filter((v) => v && typeof v.name === 'string' && v.filter) : [];
  } catch {
    return [];
  }
}

function store(workspaceID: string, userID: string, views: LeadView[]): void {
  localStorage.setItem(key(workspaceID, userID), JSON.stringify(views));
}

/** saveView adds view, replacing one of the same name. */
export function saveView(workspaceID: string, userID: string, view: Omit<LeadView, 'id'>): LeadView[] {
  const views = loadViews(workspaceID, userID);
  const existing = views.find((v) => v.name === view.name);
  const saved: LeadView = { ...view, id: existing?.id ?? `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` };
  const next = existing ? views.map((v) => (v.id === existing.id ? saved : v)) : [...views, saved];
  store(workspaceID, userID, next);
  return next;
}

export function deleteView(workspaceID: string, userID: string, id: string): LeadView[] {
  const next = loadViews(workspaceID, userID).filter((v) => v.id !== id);
  store(workspaceID, userID, next);
  return next;
}

/** The columns last chosen, so the list opens as it was left. */
export function loadColumns(workspaceID: string, userID: string): string[] | null {
  try {
    const raw = localStorage.getItem(`scrm.leadColumns.${workspaceID}.${userID}`);
    const v = raw ? (JSON.parse(raw) as unknown) : null;
    return Array.isArray(v) ? (v as string[]) : null;
  } catch {
    return null;
  }
}

export function storeColumns(workspaceID: string, userID: string, cols: string[]): void {
  localStorage.setItem(`scrm.leadColumns.${workspaceID}.${userID}`, JSON.stringify(cols));
}
