// The leads list's filters and how they become a LeadWhereInput. Custom
// fields are filtered through the workspace's typed schema (docs/api.md
// "Typed per-workspace schema"): a condition on `budget` becomes
// `budgetGTE`, `budgetIsNil`, … of the where input, never the generic
// `attributes` predicates.
import type { CompareOp, LeadTier, LeadWhereInput, LeadStatus } from '../gql/graphql';
import { arity, opsFor, searchableDefs, valueComplete, type FieldDef } from './fields';
import { typedValue } from './typedFields';

/**
 * A condition on a custom field, with its value as the typed where input
 * takes it: an option's enum value name (FieldOption.graphqlName), a date as
 * YYYY-MM-DD, a number; a list for IN, NOT_IN, BETWEEN and a multi-select's
 * CONTAINS. Kept this way in the URL and in saved views, so the list's
 * request needs no field definitions.
 */
export interface FieldCond {
  key: string;
  op: CompareOp;
  value?: unknown;
}

/** A condition as earlier versions kept it (generic attributes: option values); reconcileFilter turns it into a FieldCond. */
export interface AttrCond {
  key: string;
  op: CompareOp;
  value?: unknown;
}

export type TagMode = 'any' | 'all' | 'none';

export interface LeadFilter {
  /** Name contains, case-insensitive. */
  q?: string;
  /** Exact phone (the server normalises it). */
  phone?: string;
  sources?: string[];
  /** 'me', 'none' (public pool), or a user id. */
  owner?: string;
  stageIDs?: string[];
  tiers?: LeadTier[];
  scoreMin?: number | null;
  scoreMax?: number | null;
  tagMode?: TagMode;
  tagIDs?: string[];
  /** Conditions on custom fields (typed). */
  fields?: FieldCond[];
  /** Conditions of an earlier version (a saved view, a shared link); read through reconcileFilter. */
  attributes?: AttrCond[];
  poolID?: string;
  statuses?: LeadStatus[];
  /** The members of a segment (its latest computation). */
  segmentID?: string;
}

// The typed where input's filter of each operator (entgql's suffixes);
// BETWEEN is GTE and LTE together, the emptiness tests take a Boolean.
const SUFFIX: Partial<Record<CompareOp, string>> = {
  EQ: '', NEQ: 'NEQ', IN: 'In', NOT_IN: 'NotIn', CONTAINS: 'Contains', GT: 'GT', GTE: 'GTE', LT: 'LT', LTE: 'LTE',
};

/** The typed where input of one complete condition: {budgetGTE: 100}, {cityIn: [SHANGHAI]}, {visit_dateGTE, visit_dateLTE}. */
export function typedWhere(c: FieldCond): Record<string, unknown> {
  switch (c.op) {
    case 'IS_EMPTY':
      return { [`${c.key}IsNil`]: true };
    case 'IS_NOT_EMPTY':
      return { [`${c.key}NotNil`]: true };
    case 'BETWEEN': {
      const [lo, hi] = c.value as unknown[];
      return { [`${c.key}GTE`]: lo, [`${c.key}LTE`]: hi };
    }
    default:
      return { [c.key + (SUFFIX[c.op] ?? '')]: c.value };
  }
}

const complete = (c: FieldCond) => !!c.key && !!c.op && valueComplete(c.op, c.value);

/**
 * toWhere turns filter into the API's where input; viewerID resolves owner
 * 'me'. Conditions of an earlier version (attributes) are not sent: read the
 * filter through reconcileFilter first.
 */
export function toWhere(f: LeadFilter, viewerID: string): LeadWhereInput {
  const w: LeadWhereInput = {};
  const and: LeadWhereInput[] = [];
  if (f.q?.trim()) w.nameContainsFold = f.q.trim();
  if (f.phone?.trim()) w.phone = f.phone.trim();
  if (f.sources?.length) w.sourceIn = f.sources;
  if (f.owner === 'me') w.ownerID = viewerID;
  else if (f.owner === 'none') w.hasOwner = false;
  else if (f.owner) w.ownerID = f.owner;
  if (f.stageIDs?.length) w.stageIDIn = f.stageIDs;
  if (f.tiers?.length) w.tierIn = f.tiers;
  if (f.scoreMin != null) w.scoreGTE = f.scoreMin;
  if (f.scoreMax != null) w.scoreLTE = f.scoreMax;
  if (f.poolID) w.poolID = f.poolID;
  if (f.segmentID) w.inSegment = f.segmentID;
  w.statusIn = f.statuses?.length ? f.statuses : ['ACTIVE'];
  const tags = f.tagIDs ?? [];
  if (tags.length) {
    switch (f.tagMode ?? 'any') {
      case 'any':
        w.hasTagsWith = [{ idIn: tags }];
        break;
      case 'all':
        for (const id of tags) and.push({ hasTagsWith: [{ id }] });
        break;
      case 'none':
        w.not = { hasTagsWith: [{ idIn: tags }] };
        break;
    }
  }
  // Two conditions on one filter (budgetGT twice) cannot share an object:
  // the second goes to `and`.
  for (const c of (f.fields ?? []).filter(complete)) {
    const part = typedWhere(c);
    if (Object.keys(part).some((k) => k in w)) and.push(part as LeadWhereInput);
    else Object.assign(w, part);
  }
  if (and.length) w.and = and;
  return w;
}

/** How many filters are set, for the "Filters (3)" badge. */
export function activeCount(f: LeadFilter): number {
  let n = 0;
  if (f.q?.trim()) n++;
  if (f.phone?.trim()) n++;
  if (f.sources?.length) n++;
  if (f.owner) n++;
  if (f.stageIDs?.length) n++;
  if (f.tiers?.length) n++;
  if (f.scoreMin != null || f.scoreMax != null) n++;
  if (f.tagIDs?.length) n++;
  if (f.poolID) n++;
  if (f.segmentID) n++;
  n += (f.fields ?? []).filter(complete).length;
  return n;
}

/** How many values a condition takes: as arity, but a multi-select's CONTAINS ("has all of") takes a list. */
export function condArity(def: Pick<FieldDef, 'widget'>, op: CompareOp): ReturnType<typeof arity> {
  return op === 'CONTAINS' && def.widget === 'multiSelect' ? 'list' : arity(op);
}

const optionNames = (d: FieldDef) => new Set(d.options.map((o) => o.graphqlName));

/** Whether c can be sent for the field d the viewer may filter by: an operator of its type, options it still has. */
function servable(d: FieldDef, c: FieldCond): boolean {
  if (!opsFor(d).includes(c.op)) return false;
  if ((d.widget !== 'select' && d.widget !== 'multiSelect') || c.value === undefined || c.value === null) return true;
  const names = optionNames(d);
  return (Array.isArray(c.value) ? c.value : [c.value]).every((v) => names.has(String(v)));
}

/**
 * The filter as the field definitions serve it: conditions an earlier
 * version kept as attributes (option values) become typed ones (enum value
 * names), and those the viewer can no longer send are dropped (the field
 * archived or masked to the viewer, an operator or option it lost). A row
 * still being chosen (no field yet) stays. f itself when nothing changes,
 * so that it can be compared by identity.
 */
export function reconcileFilter(f: LeadFilter, defs: FieldDef[]): LeadFilter {
  const byKey = new Map(searchableDefs(defs).map((d) => [d.key, d]));
  const migrated = (f.attributes ?? []).flatMap((a): FieldCond[] => {
    const d = byKey.get(a.key);
    if (!d) return a.key ? [] : [{ key: '', op: a.op }];
    try {
      return [{ key: a.key, op: a.op, value: typedValue(d, a.value) ?? undefined }];
    } catch {
      return []; // an option the field no longer has
    }
  });
  const fields = [...(f.fields ?? []), ...migrated].filter((c) => {
    if (!c.key) return true;
    const d = byKey.get(c.key);
    return !!d && servable(d, c);
  });
  if (!f.attributes && fields.length === (f.fields ?? []).length) return f;
  const out: LeadFilter = { ...f, fields };
  delete out.attributes;
  if (fields.length === 0) delete out.fields;
  return out;
}
