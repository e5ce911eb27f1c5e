// The fields, operators and default values the segment builder offers.
import type { Field, RuleType } from 'react-querybuilder';
import type { CompareOp } from '../../gql/graphql';
import { arity, opsFor, searchableDefs, type FieldDef } from '../../lib/fields';
import { opLabel } from '../../lib/labels';
import type { TFunc, MessageKey } from '../../i18n';

type BuiltinKind = 'text' | 'number' | 'time' | 'bool' | 'choice' | 'ref';

// Built-in lead fields a segment can compare (internal/segment/compile.go).
export const builtinFields: { key: string; kind: BuiltinKind; choices?: string[] }[] = [
  { key: 'name', kind: 'text' },
  { key: 'company', kind: 'text' },
  { key: 'source', kind: 'text' },
  { key: 'sourceDetail', kind: 'text' },
  { key: 'score', kind: 'number' },
  { key: 'tier', kind: 'choice', choices: ['A', 'B', 'C', 'D'] },
  { key: 'status', kind: 'choice', choices: ['ACTIVE', 'ARCHIVED'] },
  { key: 'territory', kind: 'ref' },
  { key: 'createdAt', kind: 'time' },
  { key: 'updatedAt', kind: 'time' },
  { key: 'claimedAt', kind: 'time' },
  { key: 'lastFollowUpAt', kind: 'time' },
  { key: 'protectedUntil', kind: 'time' },
  { key: 'locked', kind: 'bool' },
];

const builtinOps: Record<BuiltinKind, CompareOp[]> = {
  text: ['EQ', 'NEQ', 'IN', 'NOT_IN', 'CONTAINS', 'IS_EMPTY', 'IS_NOT_EMPTY'],
  number: ['EQ', 'NEQ', 'IN', 'NOT_IN', 'GT', 'GTE', 'LT', 'LTE', 'BETWEEN'],
  time: ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE', 'BETWEEN', 'IS_EMPTY', 'IS_NOT_EMPTY'],
  bool: ['EQ', 'NEQ'],
  choice: ['EQ', 'NEQ', 'IN', 'NOT_IN', 'IS_EMPTY', 'IS_NOT_EMPTY'],
  ref: ['EQ', 'NEQ', 'IN', 'NOT_IN', 'IS_EMPTY', 'IS_NOT_EMPTY'],
};

/** A FieldDef standing in for a built-in field, so values use the same inputs as custom fields. */
export function builtinDef(key: string, territories: { id: string; name: string }[]): FieldDef {
  const b = builtinFields.find((x) => x.key === key);
  const base = { id: key, key, label: key, options: [] as { value: string; label: string }[] };
  switch (b?.kind) {
    case 'number':
      return { ...base, type: 'NUMBER', widget: 'number' };
    case 'time':
      return { ...base, type: 'DATETIME', widget: 'datetime' };
    case 'bool':
      return { ...base, type: 'BOOLEAN', widget: 'switch' };
    case 'choice':
      return { ...base, type: 'SELECT', widget: 'select', options: (b.choices ?? []).map((c) => ({ value: c, label: c })) };
    case 'ref':
      return { ...base, type: 'SELECT', widget: 'select', options: territories.map((x) => ({ value: x.id, label: x.name })) };
    default:
      return { ...base, type: 'TEXT', widget: 'text' };
  }
}

const ops = (t: TFunc, list: CompareOp[]) => list.map((o) => ({ name: o, value: o, label: opLabel(t, o) }));

export function builderFields(t: TFunc, defs: FieldDef[], canUsers: boolean) {
  const custom: Field[] = searchableDefs(defs).map((d) => ({
    name: `attr:${d.key}`, value: `attr:${d.key}`, label: d.label, operators: ops(t, opsFor(d)),
  }));
  const builtin: Field[] = builtinFields.map((b) => ({
    name: `builtin:${b.key}`,
    value: `builtin:${b.key}`,
    label: t(`lead.${b.key}` as MessageKey),
    operators: ops(t, builtinOps[b.kind]),
  }));
  const special: Field[] = [
    {
      name: 'tag', value: 'tag', label: t('segment.field.tag'),
      operators: [{ name: 'any', value: 'any', label: t('filters.tagsAny') }, { name: 'all', value: 'all', label: t('filters.tagsAll') }, { name: 'none', value: 'none', label: t('filters.tagsNone') }],
    },
    {
      name: 'stage', value: 'stage', label: t('segment.field.stage'),
      operators: [{ name: 'in', value: 'in', label: t('segment.op.in') }, { name: 'notIn', value: 'notIn', label: t('segment.op.notIn') }],
    },
    {
      name: 'owner', value: 'owner', label: t('segment.field.owner'),
      operators: [
        ...(canUsers ? [{ name: 'in', value: 'in', label: t('segment.op.ownedBy') }] : []),
        { name: 'public', value: 'public', label: t('segment.op.public') },
        { name: 'owned', value: 'owned', label: t('segment.op.owned') },
      ],
    },
    {
      name: 'event', value: 'event', label: t('segment.field.event'),
      operators: [{ name: 'did', value: 'did', label: t('segment.op.did') }, { name: 'didNot', value: 'didNot', label: t('segment.op.didNot') }],
    },
    {
      name: 'segment', value: 'segment', label: t('segment.field.segment'),
      operators: [{ name: 'in', value: 'in', label: t('segment.op.memberOf') }, { name: 'notIn', value: 'notIn', label: t('segment.op.notMemberOf') }],
    },
  ];
  return [
    { label: t('segment.group.custom'), options: custom },
    { label: t('segment.group.builtin'), options: builtin },
    { label: t('segment.group.other'), options: special },
  ].filter((g) => g.options.length > 0);
}

/** The value a rule starts with after its field or operator changes. */
export function defaultValue(rule: RuleType): unknown {
  const f = rule.field;
  if (f === 'event') return { name: '', minCount: 1, withinDays: 30 };
  if (f === 'segment') return '';
  if (f === 'owner') return rule.operator === 'in' ? [] : null;
  if (f === 'tag' || f === 'stage') return [];
  switch (arity(rule.operator as CompareOp)) {
    case 'list':
      return [];
    case 'two':
      return [null, null];
    case 'none':
      return null;
    default:
      return '';
  }
}
