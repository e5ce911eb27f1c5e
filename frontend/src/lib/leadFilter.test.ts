import { describe, expect, it } from 'vitest';
import { activeCount, toWhere } from './leadFilter';

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
    expect(toWhere({ owner: 'U9' }, 'U1').ownerID).toBe('U9');
    expect(toWhere({ scoreMin: 0 }, 'U1').scoreGTE).toBe(0);
  });

  it('composes tag modes from entgql filters', () => {
    expect(toWhere({ tagMode: 'any', tagIDs: ['a', 'b'] }, 'u').hasTagsWith).toEqual([{ idIn: ['a', 'b'] }]);
    expect(toWhere({ tagMode: 'all', tagIDs: ['a', 'b'] }, 'u').and).toEqual([{ hasTagsWith: [{ id: 'a' }] }, { hasTagsWith: [{ id: 'b' }] }]);
    expect(toWhere({ tagMode: 'none', tagIDs: ['a'] }, 'u').not).toEqual({ hasTagsWith: [{ idIn: ['a'] }] });
  });

  it('sends complete custom-field conditions only', () => {
    const w = toWhere(
      {
        attributes: [
          { key: 'budget', op: 'GTE', value: 100000 },
          { key: 'city', op: 'EQ', value: '' },
          { key: 'age', op: 'BETWEEN', value: [1] },
          { key: 'note', op: 'IS_EMPTY', value: 'ignored' },
          { key: 'tags', op: 'IN', value: ['x'] },
        ],
      },
      'u',
    );
    expect(w.attributes).toEqual([
      { key: 'budget', op: 'GTE', value: 100000 },
      { key: 'note', op: 'IS_EMPTY' },
      { key: 'tags', op: 'IN', value: ['x'] },
    ]);
  });
});

describe('activeCount', () => {
  it('counts set filters', () => {
    expect(activeCount({})).toBe(0);
    expect(activeCount({ q: 'a', tagIDs: ['t'], attributes: [{ key: 'b', op: 'GT', value: 1 }, { key: 'c', op: 'EQ' }] })).toBe(3);
  });
});
