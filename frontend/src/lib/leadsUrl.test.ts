import { describe, expect, it } from 'vitest';
import { fromSearch, hasListState, toSearch, type LeadsUrlState } from './leadsUrl';

const d = { pageSize: 50, pageSizes: [20, 50, 100, 200] };
const plain: LeadsUrlState = { filter: {}, sort: null, pageSize: 50, page: 0, cursors: [null], viewID: null, columns: null };

describe('the leads list in its URL', () => {
  it('writes nothing for the defaults, and reads the defaults from nothing', () => {
    expect(toSearch(plain, d)).toBe('');
    expect(fromSearch('', d)).toEqual(plain);
    expect(hasListState('')).toBe(false);
  });

  it('round-trips filters, sort, page, page size, view and columns', () => {
    const st: LeadsUrlState = {
      filter: {
        q: '张 三',
        owner: 'me',
        tiers: ['A', 'B'],
        scoreMin: 10,
        tagMode: 'all',
        tagIDs: ['VGFnOjE='],
        fields: [{ key: 'city', op: 'EQ', value: 'V_68c77e1551' }, { key: 'note', op: 'CONTAINS', value: '上海&北京' }],
      },
      sort: { field: 'MEMBER_LEVEL', direction: 'ASC' },
      pageSize: 100,
      page: 2,
      cursors: [null, 'Y3Vyc29yOjE=', 'Y3Vy+c29y/Mg=='],
      viewID: 'v1',
      columns: ['name', 'phone', 'city'],
    };
    const search = toSearch(st, d);
    expect(hasListState(search)).toBe(true);
    expect(fromSearch(search, d)).toEqual(st);
    expect(fromSearch('?' + search, d)).toEqual(st);
  });

  it('opens a link of an earlier version: its custom-field columns and sort are the typed fields', () => {
    const st = fromSearch('sort=attr:member_level.desc&cols=name,attr:city,city,attr:budget', d);
    expect(st.sort).toEqual({ field: 'MEMBER_LEVEL', direction: 'DESC' });
    expect(st.columns).toEqual(['name', 'city', 'budget']);
  });

  it('drops empty filter values and keeps the name search readable', () => {
    const search = toSearch({ ...plain, filter: { q: 'acme', sources: [], phone: '', owner: undefined } }, d);
    expect(search).toBe('q=acme');
  });

  it('falls back to defaults on what it cannot read', () => {
    const st = fromSearch('filter=%7Bnot-json&sort=score.sideways&size=7&page=3&after=%5B%22c1%22%5D&cols=', d);
    expect(st).toEqual(plain);
  });

  it('opens the first page when the cursors of a later one are missing', () => {
    expect(fromSearch('page=2', d).page).toBe(0);
    const st = fromSearch('page=2&after=%5B%22c1%22%5D', d);
    expect(st.page).toBe(1);
    expect(st.cursors).toEqual([null, 'c1']);
  });
});
