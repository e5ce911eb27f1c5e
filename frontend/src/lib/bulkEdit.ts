// Bulk field edit and bulk stage move (bulkUpdateLeads' update and moveStage
// actions): which fields a viewer may set on many leads at once, how the
// form's values (one or more fields) become the action's input, through the
// workspace's typed schema for custom fields, where the API's errors of the
// action go on the form, and the CSV of the leads an inline answer did not
// change. The input of a custom field is the widget its type declares
// (fieldTypes, through AttributeInput), never a table here.
import type { Failure } from './failures';
import type { BulkLeadActionInput } from '../gql/graphql';
import type { FieldDef } from './fields';
import { typedValue } from './typedFields';

/** A field bulk edit offers: a built-in one, or a custom field (key "attr:<key>"). */
export interface BulkField {
  key: string;
  /** The built-in field of UpdateLeadInput, or the custom field. */
  builtin?: 'company' | 'source' | 'sourceDetail' | 'territory';
  def?: FieldDef;
  /** A unique custom field: one value cannot go on many leads, so it can only be cleared. */
  clearOnly?: boolean;
}

const BUILTINS = ['company', 'source', 'sourceDetail', 'territory'] as const;

/**
 * The fields bulk edit offers: company, source, source detail, territory
 * (when the viewer reads territories) and the live custom fields the viewer
 * does not see masked (a masked value can be neither read nor written back).
 * name, phone and email belong to one lead and are not offered.
 */
export function bulkFields(defs: FieldDef[], opts: { territory: boolean }): BulkField[] {
  const out: BulkField[] = BUILTINS.filter((b) => b !== 'territory' || opts.territory).map((b) => ({ key: b, builtin: b }));
  for (const d of defs) {
    if (d.archived || d.masked) continue;
    out.push({ key: `attr:${d.key}`, def: d, clearOnly: !!(d as FieldDef & { unique?: boolean }).unique });
  }
  return out;
}

/** Whether a form value is empty (nothing entered). */
export function emptyValue(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
}

/** One field of a bulk field edit, as the dialog's row holds it. */
export interface BulkEdit {
  field: BulkField;
  value?: unknown;
  /** Clear the field rather than set it (always, for a clear-only field). */
  clear?: boolean;
}

/**
 * The update action setting or clearing every field of edits on every lead,
 * one UpdateLeadInput: a built-in field by its name (clearing: an empty
 * text, clearTerritory), a custom field by its key as the workspace's typed
 * schema takes it (an option's enum value name, a date as YYYY-MM-DD, null
 * clears it), not through the generic attributes. Text values are trimmed.
 */
export function updateAction(edits: BulkEdit[]): BulkLeadActionInput {
  const update: Record<string, unknown> = {};
  for (const { field, value, clear: asked } of edits) {
    const clear = !!asked || !!field.clearOnly;
    const v = typeof value === 'string' ? value.trim() : value;
    if (field.def) update[field.def.key] = clear ? null : typedValue(field.def, v);
    else if (field.builtin === 'territory') Object.assign(update, clear ? { clearTerritory: true } : { territoryID: String(v) });
    else update[field.builtin!] = clear ? '' : String(v ?? '');
  }
  // UpdateLeadInput's generated type is the static schema's, without the
  // workspace's custom fields, which the typed schema adds.
  return { update } as BulkLeadActionInput;
}

/**
 * The key of the bulk field (BulkField.key) an error of the update action
 * names: action.update.<builtin>, action.update.territoryID or
 * clearTerritory, action.update.<key> of a custom field (the typed
 * schema's path) or action.update.attributes.<key> (the bulk service's);
 * null for anything else.
 */
export function updateErrorKey(path: string): string | null {
  const rest = path.startsWith('action.update.') ? path.slice('action.update.'.length) : null;
  if (!rest || rest === 'attributes') return null;
  if (rest === 'territoryID' || rest === 'clearTerritory') return 'territory';
  if ((BUILTINS as readonly string[]).includes(rest)) return rest;
  const key = rest.startsWith('attributes.') ? rest.slice('attributes.'.length) : rest;
  return /^[a-z][a-z0-9_]*$/.test(key) ? `attr:${key}` : null;
}

/**
 * The moveStage action: to a LOST stage it carries the lost reason picked
 * (lostReasonID) and the note as its reason, as the kanban's move does;
 * to any other stage neither.
 */
export function moveStageAction(stageID: string, lost: boolean, v: { lostReasonID?: string | null; note?: string | null }): BulkLeadActionInput {
  if (!lost) return { moveStage: { stageID } };
  return { moveStage: { stageID, lostReasonID: v.lostReasonID || null, reason: v.note?.trim() || null } };
}

/**
 * The form field an error of the action belongs on: the value input of the
 * field updateErrorKey names for action.update.<field>, the field picker for
 * action.update itself, the stage, lost reason and note of a move, the tags,
 * owner and reason of the other actions; null for anything else (shown
 * above the form).
 */
export function bulkErrorField(path: string): 'value' | 'field' | 'stageID' | 'lostReasonID' | 'note' | 'tagIDs' | 'ownerID' | 'reason' | null {
  if (path === 'action.update') return 'field';
  if (path.startsWith('action.update.')) return 'value';
  if (/^action\.(addTags|removeTags)(\[\d+\])?$/.test(path)) return 'tagIDs';
  switch (path) {
    case 'action.moveStage.stageID':
      return 'stageID';
    case 'action.moveStage.lostReasonID':
      return 'lostReasonID';
    case 'action.moveStage.reason':
      return 'note';
    case 'action.assign.ownerID':
      return 'ownerID';
    case 'action.assign.reason':
      return 'reason';
  }
  return null;
}

/** What bulkUpdateLeads did at once, without a job (at most 200 leads matched: the server's longjob.BulkInlineMax). */
export interface BulkInlineResult {
  matched: number;
  changed: number;
  /** The leads not changed, as FailureList shows them (names: leadID → name; gone: the lead no longer exists, its leadID is made up). */
  failures: (Failure & { gone?: boolean })[];
  names: Record<string, string>;
}

/**
 * The inline result of bulkUpdateLeads' answer, or null when it started a
 * job (the dialog then follows the job). A failure without a lead (it was
 * deleted meanwhile) or without a name (no longer readable) is listed under
 * "—" or its id.
 */
export function inlineResult(p: {
  matched: number;
  changed?: number | null;
  failures?: ({ leadID?: string | null; name?: string | null } & Omit<Failure, 'leadID'>)[] | null;
  job?: unknown;
}): BulkInlineResult | null {
  if (p.job || p.changed == null) return null;
  const names: Record<string, string> = {};
  const failures = (p.failures ?? []).map((f, i) => {
    const leadID = f.leadID ?? `gone-${i}`;
    names[leadID] = f.name ?? (f.leadID ? f.leadID : '—');
    return { leadID, code: f.code, reason: f.reason, message: f.message, until: f.until, limit: f.limit, pool: f.pool, ...(f.leadID ? {} : { gone: true }) };
  });
  return { matched: p.matched, changed: p.changed, failures, names };
}

/** A CSV cell: quoted when it holds a separator, a quote or a line break; a leading =, +, -, @ is escaped so a spreadsheet does not run it as a formula. */
export function csvCell(v: string): string {
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The CSV of an inline result's failures: a header (in the UI's language),
 * then per lead its id (empty when it no longer exists), its name as the
 * viewer sees it, the reason's code and the reason in the UI's language
 * (reason(code)). UTF-8 with a byte-order mark, so that Excel opens Chinese
 * correctly; lines end in CRLF.
 */
export function failuresCSV(r: BulkInlineResult, header: [string, string, string, string], reason: (f: Failure) => string): string {
  const rows = [header, ...r.failures.map((f) => [f.gone ? '' : f.leadID, r.names[f.leadID] ?? '', f.code, reason(f)])];
  return '\uFEFF' + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/**
 * An input error's message without the path the API puts before it (the
 * typed schema's "action.update.budget: …", a field's own "attributes.budget:
 * …"): the form shows it under the field's input already.
 */
export function withoutPath(message: string, field?: string): string {
  let m = message;
  if (field && m.startsWith(`${field}: `)) m = m.slice(field.length + 2);
  const key = field?.split('.').at(-1);
  if (key) for (const p of [`attributes.${key}: `, `${key}: `]) if (m.startsWith(p)) m = m.slice(p.length);
  return m;
}
