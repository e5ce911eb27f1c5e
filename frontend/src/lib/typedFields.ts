// Custom fields through the workspace's typed schema (docs/api.md "Typed
// per-workspace schema"): each live custom field is a real Lead field named
// by its key, a SELECT is an enum whose value names the API gives per option
// (FieldOption.graphqlName, never rebuilt here), and updateLead / ingestLeads
// take the same keys as input fields. The generated types (src/gql) come from
// the static schema, which has no custom fields, so the selection is added
// to a generated document at run time. Pure functions, no React: the lead
// page, the new-lead form and lists can share them.
// graphql.web (urql's own GraphQL parser and printer, already in the bundle)
// rather than graphql-js: this module is on the leads page's first load, and
// graphql-js was a 172 kB chunk there for these two functions.
import { Kind, visit, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from '@0no-co/graphql.web';
import type { FieldDef } from './fields';

/** What these functions need of a definition (FieldDef has it). */
export type TypedDef = Pick<FieldDef, 'key' | 'options' | 'widget' | 'archived'>;

/** The form's (and the generic attributes') shape: key → value, option values for selects. */
export type FormValues = Record<string, unknown>;

const isSelect = (d: TypedDef) => d.widget === 'select' || d.widget === 'multiSelect';
const live = <D extends Pick<TypedDef, 'archived'>>(defs: D[]) => defs.filter((d) => !d.archived);

/** The selection of the live custom fields: "budget city", or with alias(key) "cf_budget: budget …". */
export function typedSelection(defs: TypedDef[], alias?: (key: string) => string): string {
  return live(defs)
    .map((d) => (alias && alias(d.key) !== d.key ? `${alias(d.key)}: ${d.key}` : d.key))
    .join(' ');
}

/** A sortable custom field's LeadOrderField value: its key upper-cased, as the typed schema names it. */
export function typedOrderField(key: string): string {
  return key.toUpperCase();
}

/** The name of the fragment withTypedFields adds. */
export const TYPED_FRAGMENT = 'LeadTypedFields';

/**
 * A copy of doc that also selects the live custom fields, through a fragment
 * on Lead spread into every inline fragment `... on Lead` and every
 * selection set that spreads `besideSpread` (e.g. "LeadRow"). The result's
 * generated type still describes the built-in fields; read the custom ones
 * with readTyped. Without live fields doc itself is returned.
 */
export function withTypedFields<D extends DocumentNode>(doc: D, defs: Pick<TypedDef, 'key' | 'archived'>[], opts: { besideSpread?: string; alias?: (key: string) => string } = {}): D {
  const fields = live(defs);
  if (fields.length === 0) return doc;
  const spread = { kind: Kind.FRAGMENT_SPREAD, name: { kind: Kind.NAME, value: TYPED_FRAGMENT } } as const;
  const wants = (set: SelectionSetNode, parentIsLeadFragment: boolean) =>
    parentIsLeadFragment || (opts.besideSpread !== undefined && set.selections.some((s) => s.kind === Kind.FRAGMENT_SPREAD && s.name.value === opts.besideSpread));
  const added = visit(doc, {
    // On entering, so that the copy (not the original) is what is walked on:
    // the visitors differ in what leave is handed after its children changed.
    SelectionSet: {
      enter(set, _key, parent) {
        const onLead = !!parent && !Array.isArray(parent) && (parent as { kind?: string }).kind === Kind.INLINE_FRAGMENT
          && (parent as { typeCondition?: { name: { value: string } } }).typeCondition?.name.value === 'Lead';
        if (!wants(set, onLead) || set.selections.some((s) => s.kind === Kind.FRAGMENT_SPREAD && s.name.value === TYPED_FRAGMENT)) return undefined;
        return { ...set, selections: [...set.selections, spread] };
      },
    },
  });
  const fragment: FragmentDefinitionNode = {
    kind: Kind.FRAGMENT_DEFINITION,
    name: { kind: Kind.NAME, value: TYPED_FRAGMENT },
    typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'Lead' } },
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: fields.map((d) => {
        const a = opts.alias?.(d.key);
        return {
          kind: Kind.FIELD,
          name: { kind: Kind.NAME, value: d.key },
          ...(a && a !== d.key ? { alias: { kind: Kind.NAME, value: a } } : {}),
        };
      }),
    },
  };
  // A new document, not a copy: a client that keyed doc (urql keeps its
  // key and printed text on the object, __key and loc) would otherwise
  // take the copy for doc itself and send doc's text.
  return { kind: Kind.DOCUMENT, definitions: [...added.definitions, fragment] } as unknown as D;
}

/**
 * The custom-field values of a typed answer (an object holding the fields
 * withTypedFields selected) in the form's shape: enum value names become
 * option values (an unknown name is dropped), missing fields are null.
 */
export function readTyped(node: object | null | undefined, defs: TypedDef[], alias?: (key: string) => string): FormValues {
  const out: FormValues = {};
  const row = (node ?? {}) as Record<string, unknown>;
  for (const d of live(defs)) out[d.key] = formValue(d, row[alias?.(d.key) ?? d.key]);
  return out;
}

/** One typed value (an answer's, or a filter's) in the form's shape: enum value names become option values, an unknown name is dropped. */
export function formValue(d: TypedDef, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (!isSelect(d)) return v;
  const byName = new Map(d.options.map((o) => [o.graphqlName ?? o.value, o.value]));
  return Array.isArray(v) ? v.flatMap((n) => (byName.has(String(n)) ? [byName.get(String(n))!] : [])) : (byName.get(String(v)) ?? null);
}

const empty = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** One form value as the typed input field takes it: option value → enum name, dates as YYYY-MM-DD, empty → null. */
export function typedValue(d: TypedDef, v: unknown): unknown {
  if (empty(v)) return null;
  if (isSelect(d)) {
    const byValue = new Map(d.options.map((o) => [o.value, o.graphqlName]));
    const name = (x: unknown) => {
      const n = byValue.get(String(x));
      if (!n) throw new Error(`no GraphQL name for option ${JSON.stringify(x)} of ${d.key}`);
      return n;
    };
    return Array.isArray(v) ? v.map(name) : name(v);
  }
  if (d.widget === 'date' && typeof v === 'string') return v.slice(0, 10);
  if (d.widget === 'date' && typeof v === 'object' && v !== null && 'format' in v) return (v as { format: (f: string) => string }).format('YYYY-MM-DD');
  return v;
}

/**
 * The typed input fields for form values (key → value): every live field
 * given, or with `before` only those that changed (a cleared field is null).
 * With `omitEmpty` (a new lead) empty fields are left out rather than null.
 * `skip(def, value)` leaves a field out (e.g. a masked value shown as is).
 */
export function typedInput<D extends TypedDef>(
  defs: D[],
  values: FormValues | undefined,
  opts: { before?: FormValues; omitEmpty?: boolean; skip?: (d: D, v: unknown) => boolean } = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of live(defs)) {
    const now = values?.[d.key];
    if (opts.omitEmpty && empty(now)) continue;
    if (opts.before && JSON.stringify(empty(now) ? null : now) === JSON.stringify(opts.before[d.key] ?? null)) continue;
    if (opts.skip?.(d, now)) continue;
    out[d.key] = typedValue(d, now);
  }
  return out;
}

/**
 * The API's error paths of the custom fields (`input.budget`,
 * `input.leads[0].budget`, and the generic `…attributes.budget`) mapped to
 * the form's field names ([group, key]), for applyFormErrors' `map`.
 */
export function typedErrorMap(defs: TypedDef[], prefixes: string[] = ['input.'], group = 'attributes'): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const d of defs) {
    for (const p of prefixes) {
      out[`${p}${d.key}`] = [group, d.key];
      out[`${p}attributes.${d.key}`] = [group, d.key];
    }
  }
  return out;
}

/** Whether an answer's errors say the document names a field the schema no longer has (an archived field). */
export function isStaleSchema(codes: (string | undefined)[]): boolean {
  return codes.includes('GRAPHQL_VALIDATION_FAILED');
}
