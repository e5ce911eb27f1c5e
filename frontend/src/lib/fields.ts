// Custom fields (FieldDefinition) on the client: how values are shown and
// how an input's value becomes the JSON the API expects. Which operators a
// type takes, which input shows its values (the widget), whether it sorts
// and whether the viewer sees it masked come from the server's one
// descriptor per field type (the fieldTypes query), never from a copy here.
import type { CompareOp, FieldType } from '../gql/graphql';
import { fmtNumber, fmtTime } from './format';

export interface FieldDef {
  id: string;
  key: string;
  label: string;
  type: FieldType;
  helpText?: string;
  required?: boolean;
  /** graphqlName: the option's enum value name in the workspace's typed schema (FieldOption.graphqlName). */
  options: { value: string; label: string; graphqlName?: string }[];
  min?: number | null;
  max?: number | null;
  archived?: boolean;
  /** The filter operators of the field's type (fieldTypes); none when masked. */
  ops?: CompareOp[];
  /** The viewer sees values masked, so it cannot filter, sort or segment by the field. */
  masked?: boolean;
  /** The input of the field's type (fieldTypes): text, textarea, number, money, date, datetime,
   * switch, select, multiSelect, phone, email, url; anything else shows a text input. */
  widget?: string;
  /** Lead lists can be ordered by the field's type (fieldTypes). */
  sortable?: boolean;
}

/** Widgets whose values are option values of the field. */
export function hasOptions(def: FieldDef): boolean {
  return def.widget === 'select' || def.widget === 'multiSelect';
}

/** Widgets whose values are numbers. */
export function isNumeric(def: FieldDef): boolean {
  return def.widget === 'number' || def.widget === 'money';
}

/** The filter operators a custom field takes: none for a field the viewer sees masked. */
export function opsFor(def: FieldDef): CompareOp[] {
  return def.masked ? [] : (def.ops ?? []);
}

/** Fields the viewer may filter, sort and segment by: live and not masked. */
export function searchableDefs(defs: FieldDef[]): FieldDef[] {
  return defs.filter((d) => !d.archived && !d.masked);
}

/** How many values an operator takes: none, one, two (BETWEEN) or a list. */
export function arity(op: CompareOp): 'none' | 'one' | 'two' | 'list' {
  switch (op) {
    case 'IS_EMPTY':
    case 'IS_NOT_EMPTY':
      return 'none';
    case 'BETWEEN':
      return 'two';
    case 'IN':
    case 'NOT_IN':
      return 'list';
    default:
      return 'one';
  }
}

/** Whether a filter value is complete enough to send for op. */
export function valueComplete(op: CompareOp, value: unknown): boolean {
  switch (arity(op)) {
    case 'none':
      return true;
    case 'two':
      return Array.isArray(value) && value.length === 2 && value.every((v) => v !== null && v !== undefined && v !== '');
    case 'list':
      return Array.isArray(value) && value.length > 0;
    default:
      return value !== null && value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0);
  }
}

/** A custom-field value as text, with option labels for selects. */
export function formatAttr(def: FieldDef | undefined, v: unknown, yesNo: [string, string] = ['是', '否']): string {
  if (v === null || v === undefined || v === '') return '';
  if (!def) return typeof v === 'object' ? JSON.stringify(v) : String(v);
  const label = (x: unknown) => def.options.find((o) => o.value === x)?.label ?? String(x);
  switch (def.widget) {
    case 'switch':
      return v ? yesNo[0] : yesNo[1];
    case 'select':
      return label(v);
    case 'multiSelect':
      return Array.isArray(v) ? v.map(label).join(', ') : label(v);
    case 'number':
      return typeof v === 'number' ? fmtNumber(v, 4) : String(v);
    case 'money':
      return typeof v === 'number' ? fmtNumber(v, 2) : String(v);
    case 'datetime':
      return typeof v === 'string' ? fmtTime(v) : String(v);
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}
