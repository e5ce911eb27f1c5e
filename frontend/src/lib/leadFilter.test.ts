import { describe, expect, it } from 'vitest';
import { activeCount, condArity, reconcileFilter, toWhere, typedWhere, type LeadFilter } from './leadFilter';
import type { FieldDef } from './fields';
import type { CompareOp } from '../gql/graphql';

describe('toWhere', () => {
  it('defaults to active leads', () => {
    expect(toWhere({}, 'me1')).toEqual({ statusIn: ['ACTIVE'] });
  });

  it('maps the built-in filters', () => {
    expect(
      toWhere({ q: ' 王 ', sources: ['官网'], owner: 'me', stageIDs: ['s1'], tiers: ['A'], scoreMin: 60, scoreMax: 90, poolID: 'p1' }, 'U1'),
    ).toEqual({
      nameContainsFold: '王', sourceIn: ['官网'], ownerID: 'U1', stageIDIn: ['s1'], tierIn: ['A'],
      scoreGTE: 60, scoreLTE: 90, poolID: 'p1', statusIn: ['ACTIVE'],
    });
    expect(toWhere({ owner: 'none' }, 'U1').hasOwner).toBe(false);
    expect(toWhere({ segmentID: 'seg1' }, 'U1')).toEqual({ inSegment: 'seg1', statusIn: ['ACTIVE'] });
    expect(activeCount({ segmentID: 'seg1', poolID: 'p1' })).toBe(2);
    expect(toWhere({ owner: 'U9' }, 'U1').ownerID).toBe('U9');
    expect(toWhere({ scoreMin: 0 }, 'U1').scoreGTE).toBe(0);
  });

  it('composes tag modes from entgql filters', () => {
    expect(toWhere({ tagMode: 'any', tagIDs: ['a', 'b'] }, 'u').hasTagsWith).toEqual([{ idIn: ['a', 'b'] }]);
    expect(toWhere({ tagMode: 'all', tagIDs: ['a', 'b'] }, 'u').and).toEqual([{ hasTagsWith: [{ id: 'a' }] }, { hasTagsWith: [{ id: 'b' }] }]);
    expect(toWhere({ tagMode: 'none', tagIDs: ['a'] }, 'u').not).toEqual({ hasTagsWith: [{ idIn: ['a'] }] });
  });

  it('sends complete custom-field conditions only, as typed filters', () => {
    const w = toWhere(
      {
        fields: [
          { key: 'budget', op: 'GTE', value: 100000 },
          { key: 'city', op: 'EQ', value: '' },
          { key: 'age', op: 'BETWEEN', value: [1] },
          { key: 'note', op: 'IS_EMPTY', value: 'ignored' },
          { key: 'level', op: 'IN', value: ['GOLD'] },
          { key: 'visit', op: 'BETWEEN', value: ['2026-01-01', '2026-06-30'] },
          { key: 'has_car', op: 'IS_NOT_EMPTY' },
          { key: 'hobbies', op: 'CONTAINS', value: ['GOLF', 'TENNIS'] },
          { key: 'city', op: 'NOT_IN', value: ['V_68c77e1551'] },
          { key: '', op: 'EQ', value: 'x' },
        ],
      },
      'u',
    ) as Record<string, unknown>;
    expect(w).toEqual({
      statusIn: ['ACTIVE'], budgetGTE: 100000, noteIsNil: true, levelIn: ['GOLD'], visitGTE: '2026-01-01', visitLTE: '2026-06-30',
      has_carNotNil: true, hobbiesContains: ['GOLF', 'TENNIS'], cityNotIn: ['V_68c77e1551'],
    });
    expect(w).not.toHaveProperty('attributes');
  });

  it('puts a second condition on the same filter in and', () => {
    const w = toWhere({ tagMode: 'all', tagIDs: ['t'], fields: [{ key: 'budget', op: 'GT', value: 1 }, { key: 'budget', op: 'GT', value: 5 }] }, 'u');
    expect(w).toMatchObject({ budgetGT: 1, and: [{ hasTagsWith: [{ id: 't' }] }, { budgetGT: 5 }] });
  });

  it('does not send conditions of an earlier version', () => {
    expect(toWhere({ attributes: [{ key: 'budget', op: 'GT', value: 1 }] }, 'u')).toEqual({ statusIn: ['ACTIVE'] });
  });
});

describe('typedWhere', () => {
  it('names each operator’s filter as the typed schema does', () => {
    const ops: [CompareOp, unknown, Record<string, unknown>][] = [
      ['EQ', 'A', { kA: 'A' }], ['NEQ', 'A', { kANEQ: 'A' }], ['IN', ['A'], { kAIn: ['A'] }], ['NOT_IN', ['A'], { kANotIn: ['A'] }],
      ['CONTAINS', 'x', { kAContains: 'x' }], ['GT', 1, { kAGT: 1 }], ['GTE', 1, { kAGTE: 1 }], ['LT', 1, { kALT: 1 }], ['LTE', 1, { kALTE: 1 }],
      ['BETWEEN', [1, 2], { kAGTE: 1, kALTE: 2 }], ['IS_EMPTY', undefined, { kAIsNil: true }], ['IS_NOT_EMPTY', undefined, { kANotNil: true }],
    ];
    for (const [op, value, want] of ops) expect(typedWhere({ key: 'kA', op, value })).toEqual(want);
  });
});

const def = (key: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  id: key, key, label: key, type: 'TEXT', options: [], widget: 'text', ops: ['EQ', 'NEQ', 'IN', 'CONTAINS', 'IS_EMPTY'], ...extra,
});
const defs: FieldDef[] = [
  def('city', { type: 'SELECT', widget: 'select', ops: ['EQ', 'NEQ', 'IN', 'NOT_IN', 'IS_EMPTY'], options: [{ value: 'shanghai', label: '上海', graphqlName: 'SHANGHAI' }, { value: '北京', label: '北京', graphqlName: 'V_68c77e1551' }] }),
  def('hobbies', { type: 'MULTI_SELECT', widget: 'multiSelect', options: [{ value: 'golf', label: '高尔夫', graphqlName: 'GOLF' }] }),
  def('visit', { type: 'DATE', widget: 'date', ops: ['GTE', 'LTE', 'BETWEEN'] }),
  def('note'),
  def('mobile', { type: 'PHONE', masked: true }),
  def('gone', { archived: true }),
];

describe('reconcileFilter', () => {
  it('turns an earlier version’s attribute conditions into typed ones', () => {
    const f: LeadFilter = {
      owner: 'me',
      attributes: [
        { key: 'city', op: 'IN', value: ['shanghai', '北京'] },
        { key: 'hobbies', op: 'CONTAINS', value: ['golf'] },
        { key: 'visit', op: 'BETWEEN', value: ['2026-01-01', '2026-02-01'] },
        { key: 'note', op: 'IS_EMPTY' },
        { key: '', op: 'EQ' },
      ],
    };
    const out = reconcileFilter(f, defs);
    expect(out).toEqual({
      owner: 'me',
      fields: [
        { key: 'city', op: 'IN', value: ['SHANGHAI', 'V_68c77e1551'] },
        { key: 'hobbies', op: 'CONTAINS', value: ['GOLF'] },
        { key: 'visit', op: 'BETWEEN', value: ['2026-01-01', '2026-02-01'] },
        { key: 'note', op: 'IS_EMPTY', value: undefined },
        { key: '', op: 'EQ' },
      ],
    });
    expect(toWhere(out, 'u')).toMatchObject({ cityIn: ['SHANGHAI', 'V_68c77e1551'], hobbiesContains: ['GOLF'], visitGTE: '2026-01-01', visitLTE: '2026-02-01', noteIsNil: true });
  });

  it('drops what the viewer can no longer filter by', () => {
    const out = reconcileFilter({
      attributes: [{ key: 'city', op: 'EQ', value: 'hangzhou' }, { key: 'gone', op: 'EQ', value: 'x' }],
      fields: [
        { key: 'mobile', op: 'EQ', value: '138' }, // masked to the viewer
        { key: 'gone', op: 'EQ', value: 'x' }, // archived
        { key: 'deleted', op: 'EQ', value: 'x' }, // no definition
        { key: 'visit', op: 'CONTAINS', value: '2026' }, // not an operator of its type
        { key: 'city', op: 'EQ', value: 'OLD_OPTION' }, // an option removed since
        { key: 'city', op: 'NEQ', value: 'SHANGHAI' },
      ],
    }, defs);
    expect(out).toEqual({ fields: [{ key: 'city', op: 'NEQ', value: 'SHANGHAI' }] });
    expect(reconcileFilter({ fields: [{ key: 'gone', op: 'EQ', value: 'x' }] }, defs)).toEqual({});
  });

  it('returns the filter itself when nothing changes', () => {
    const f: LeadFilter = { q: 'a', fields: [{ key: 'city', op: 'IN', value: ['SHANGHAI'] }, { key: 'note', op: 'EQ' }] };
    expect(reconcileFilter(f, defs)).toBe(f);
    const plain: LeadFilter = { q: 'a' };
    expect(reconcileFilter(plain, defs)).toBe(plain);
  });
});

describe('condArity', () => {
  it('takes a list for a multi-select’s CONTAINS only', () => {
    expect(condArity({ widget: 'multiSelect' }, 'CONTAINS')).toBe('list');
    expect(condArity({ widget: 'multiSelect' }, 'EQ')).toBe('one');
    expect(condArity({ widget: 'text' }, 'CONTAINS')).toBe('one');
    expect(condArity({ widget: 'number' }, 'BETWEEN')).toBe('two');
  });
});

describe('activeCount', () => {
  it('counts set filters', () => {
    expect(activeCount({})).toBe(0);
    expect(activeCount({ q: 'a', tagIDs: ['t'], fields: [{ key: 'b', op: 'GT', value: 1 }, { key: 'c', op: 'EQ' }] })).toBe(3);
  });
});
