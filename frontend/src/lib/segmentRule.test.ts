import { describe, expect, it } from 'vitest';
import type { RuleGroupType } from 'react-querybuilder';
import { fromRule, groupToInput, toInput, UnsupportedRule, type BuilderState } from './segmentRule';

const g = (combinator: string, rules: RuleGroupType['rules'], not = false): RuleGroupType => ({ combinator, rules, not });

describe('groupToInput', () => {
  it('compiles nested AND/OR groups with NOT', () => {
    const q = g('and', [
      { field: 'attr:budget', operator: 'GTE', value: 300000 },
      g('or', [
        { field: 'tag', operator: 'any', value: ['T1', 'T2'] },
        { field: 'stage', operator: 'notIn', value: ['S1'] },
      ]),
      g('and', [{ field: 'builtin:source', operator: 'EQ', value: '官网' }], true),
      { field: 'event', operator: 'did', value: { name: 'viewed_price', minCount: 3, withinDays: 7 } },
    ]);
    expect(groupToInput(q)).toEqual({
      and: [
        { attribute: { key: 'budget', op: 'GTE', value: 300000 } },
        { or: [{ tag: { any: ['T1', 'T2'] } }, { not: { stage: { in: ['S1'] } } }] },
        { not: { attribute: { key: 'source', op: 'EQ', value: '官网' } } },
        { event: { name: 'viewed_price', minCount: 3, withinDays: 7 } },
      ],
    });
  });

  it('drops incomplete rules and empty groups', () => {
    const q = g('and', [
      { field: 'attr:budget', operator: 'GTE', value: '' },
      { field: 'attr:city', operator: 'IN', value: [] },
      { field: 'attr:note', operator: 'IS_EMPTY', value: null },
      g('or', []),
      { field: 'event', operator: 'did', value: { name: ' ' } },
    ]);
    expect(groupToInput(q)).toEqual({ attribute: { key: 'note', op: 'IS_EMPTY' } });
    expect(groupToInput(g('and', []))).toBeNull();
  });

  it('maps owner, segment and did-not events', () => {
    expect(groupToInput(g('or', [
      { field: 'owner', operator: 'public', value: null },
      { field: 'owner', operator: 'in', value: ['U1'] },
      { field: 'segment', operator: 'notIn', value: 'SEG' },
      { field: 'event', operator: 'didNot', value: { name: 'paid', minCount: 2, withinDays: 30 } },
    ]))).toEqual({
      or: [
        { owner: { public: true } },
        { owner: { in: ['U1'] } },
        { not: { segment: 'SEG' } },
        { event: { name: 'paid', withinDays: 30, maxCount: 0 } },
      ],
    });
  });
});

describe('toInput with set operations', () => {
  const cond = g('and', [{ field: 'attr:city', operator: 'EQ', value: 'sh' }]);
  it('intersects saved segments with the conditions, in operand order', () => {
    const s: BuilderState = { query: cond, setOp: 'difference', operands: [{ kind: 'segment', id: 'A' }, { kind: 'conditions' }] };
    expect(toInput(s)).toEqual({ difference: [{ segment: 'A' }, { attribute: { key: 'city', op: 'EQ', value: 'sh' } }] });
  });
  it('intersects two saved segments without conditions', () => {
    const s: BuilderState = { query: g('and', []), setOp: 'intersect', operands: [{ kind: 'segment', id: 'A' }, { kind: 'segment', id: 'B' }, { kind: 'conditions' }] };
    expect(toInput(s)).toEqual({ intersect: [{ segment: 'A' }, { segment: 'B' }] });
  });
  it('degrades to the single operand left', () => {
    expect(toInput({ query: g('and', []), setOp: 'union', operands: [{ kind: 'segment', id: 'A' }] })).toEqual({ segment: 'A' });
    expect(toInput({ query: g('and', []), setOp: 'union', operands: [] })).toBeNull();
  });
});

describe('fromRule', () => {
  const strip = (x: unknown): unknown =>
    JSON.parse(JSON.stringify(x, (k, v) => (k === 'id' ? undefined : v)));

  it('round-trips what the builder makes', () => {
    const rules: unknown[] = [
      { and: [{ attribute: { key: 'budget', op: 'GTE', value: 1 } }, { or: [{ tag: { none: ['T'] } }, { not: { stage: { in: ['S'] } } }] }] },
      { intersect: [{ segment: 'A' }, { and: [{ attribute: { key: 'score', op: 'GT', value: 60 } }, { owner: { public: false } }] }] },
      { union: [{ segment: 'A' }, { segment: 'B' }] },
      { not: { or: [{ event: { name: 'paid', maxCount: 0, withinDays: 30 } }, { segment: 'X' }] } },
    ];
    for (const r of rules) {
      expect(strip(toInput(fromRule(r)))).toEqual(r);
    }
  });

  it('reads built-in keys as built-in fields', () => {
    const s = fromRule({ attribute: { key: 'source', op: 'EQ', value: 'h5' } });
    expect(s.query.rules[0]).toMatchObject({ field: 'builtin:source', operator: 'EQ', value: 'h5' });
  });

  it('refuses what it cannot show', () => {
    expect(() => fromRule({ and: [{ intersect: [{ segment: 'A' }, { segment: 'B' }] }] })).toThrow(UnsupportedRule);
    expect(() => fromRule({ event: { name: 'x', since: '2026-01-01T00:00:00Z' } })).toThrow(UnsupportedRule);
  });
});
