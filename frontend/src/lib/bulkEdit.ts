// Bulk field edit and bulk stage move (bulkUpdateLeads' update and moveStage
// actions): which fields a viewer may set on many leads at once, how the
// form's value becomes the action's input, and where the API's errors of
// the action go on the form. The input of a custom field is the widget its
// type declares (fieldTypes, through AttributeInput), never a table here.
import type { BulkLeadActionInput } from '../gql/graphql';
import type { FieldDef } from './fields';

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

/**
 * The update action setting field to value on every lead, or clearing it
 * (clear: an empty text, no territory, a null custom field, which the API
 * removes). Text values are trimmed.
 */
export function updateAction(field: BulkField, value: unknown, clear: boolean): BulkLeadActionInput {
  const v = typeof value === 'string' ? value.trim() : value;
  if (field.def) return { update: { attributes: { [field.def.key]: clear ? null : v } } };
  switch (field.builtin) {
    case 'territory':
      return { update: clear ? { clearTerritory: true } : { territoryID: String(v) } };
    default:
      return { update: { [field.builtin!]: clear ? '' : String(v ?? '') } };
  }
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
 * The form field an error of the action belongs on: the value input for
 * action.update.<field> (action.update.attributes.<key> for a custom field,
 * territoryID or clearTerritory for the territory), the field picker for
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
  /** The leads not changed, as FailureList shows them (names: leadID → name). */
  failures: { leadID: string; code: string; message: string }[];
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
  failures?: { leadID?: string | null; name?: string | null; code: string; message: string }[] | null;
  job?: unknown;
}): BulkInlineResult | null {
  if (p.job || p.changed == null) return null;
  const names: Record<string, string> = {};
  const failures = (p.failures ?? []).map((f, i) => {
    const leadID = f.leadID ?? `gone-${i}`;
    names[leadID] = f.name ?? (f.leadID ? f.leadID : '—');
    return { leadID, code: f.code, message: f.message };
  });
  return { matched: p.matched, changed: p.changed, failures, names };
}
