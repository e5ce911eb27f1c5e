import { beforeEach, describe, expect, it } from 'vitest';
import {
  loadColumns, loadLocalViews, orderViews, stateJSON, storeColumns, storeLocalViews, toMigrate, viewState, type LeadView,
} from './savedViews';

beforeEach(() => localStorage.clear());

const view = (name: string, mine: boolean, extra: Partial<LeadView> = {}): LeadView => ({
  id: name, name, mine, shared: !mine, ownerName: mine ? '我' : '同事', filter: {}, columns: ['name'], ...extra,
});

describe('saved views', () => {
  it('reads a view state from the server, keeping what the list understands', () => {
    expect(viewState({ filter: { scoreMin: 80 }, columns: ['name', 7, '', 'score'], sort: { field: 'SCORE', direction: 'DESC' }, pageSize: 50 })).toEqual({
      filter: { scoreMin: 80 }, columns: ['name', 'score'], sort: { field: 'SCORE', direction: 'DESC' }, pageSize: 50,
    });
    expect(viewState({ filter: {}, sort: { field: 'SCORE', direction: 'sideways' }, pageSize: -1 })).toEqual({
      filter: {}, columns: [], sort: null, pageSize: undefined,
    });
    // A view an earlier version saved: custom fields as attr:<key>; its
    // attribute conditions stay for reconcileFilter, which needs the definitions.
    expect(viewState({ filter: { attributes: [{ key: 'city', op: 'EQ', value: 'shanghai' }] }, columns: ['name', 'attr:city'], sort: { field: 'attr:budget', direction: 'ASC' } })).toEqual({
      filter: { attributes: [{ key: 'city', op: 'EQ', value: 'shanghai' }] }, columns: ['name', 'city'], sort: { field: 'BUDGET', direction: 'ASC' }, pageSize: undefined,
    });
    expect(viewState({ columns: ['name'] })).toBeNull();
    expect(viewState({ filter: [] })).toBeNull();
    expect(viewState('x')).toBeNull();
    expect(viewState(null)).toBeNull();
  });

  it('writes only what is set', () => {
    expect(stateJSON({ filter: { owner: 'me' }, columns: ['name'] })).toEqual({ filter: { owner: 'me' }, columns: ['name'] });
    expect(stateJSON({ filter: {}, columns: [], sort: { field: 'SCORE', direction: 'ASC' }, pageSize: 20 })).toEqual({
      filter: {}, columns: [], sort: { field: 'SCORE', direction: 'ASC' }, pageSize: 20,
    });
  });

  it('lists the viewer’s own views first, each group by name', () => {
    const got = orderViews([view('乙', false), view('b', true), view('甲', false), view('a', true)]);
    expect(got.map((v) => v.name)).toEqual(['a', 'b', '甲', '乙']);
  });

  it('reads the views an earlier app kept in the browser, skipping broken ones', () => {
    localStorage.setItem('scrm.leadViews.w.u', JSON.stringify([
      { id: 'x1', name: ' 高分 ', filter: { scoreMin: 80 }, columns: ['name'] },
      { id: 'x2', name: '', filter: {}, columns: [] },
      { id: 'x3', name: 'no filter', columns: [] },
      'junk',
    ]));
    expect(loadLocalViews('w', 'u')).toEqual([{ name: '高分', filter: { scoreMin: 80 }, columns: ['name'], sort: null, pageSize: undefined }]);
    expect(loadLocalViews('w', 'other')).toEqual([]);
    localStorage.setItem('scrm.leadViews.w.u', '{not json');
    expect(loadLocalViews('w', 'u')).toEqual([]);
  });

  it('moves only local views whose name the viewer has no view of yet', () => {
    const local = [
      { name: 'a', filter: {}, columns: [] },
      { name: 'b', filter: {}, columns: [] },
      { name: 'b', filter: { q: 'dup' }, columns: [] },
      { name: 'c', filter: {}, columns: [] },
    ];
    // 'a' is the viewer's already; 'c' is only someone else's shared view, so it moves.
    const got = toMigrate(local, [view('a', true), view('c', false)]);
    expect(got.map((v) => v.name)).toEqual(['b', 'c']);
    expect(got[0].filter).toEqual({});
  });

  it('forgets moved views and keeps the ones that failed', () => {
    storeLocalViews('w', 'u', [{ name: 'kept', filter: {}, columns: [] }]);
    expect(loadLocalViews('w', 'u').map((v) => v.name)).toEqual(['kept']);
    storeLocalViews('w', 'u', []);
    expect(localStorage.getItem('scrm.leadViews.w.u')).toBeNull();
  });

  it('keeps the last chosen columns in the browser', () => {
    localStorage.setItem('scrm.leadColumns.w.u', '"x"');
    expect(loadColumns('w', 'u')).toBeNull();
    storeColumns('w', 'u', ['name']);
    expect(loadColumns('w', 'u')).toEqual(['name']);
    localStorage.setItem('scrm.leadColumns.w.u', JSON.stringify(['name', 'attr:budget', 3]));
    expect(loadColumns('w', 'u')).toEqual(['name', 'budget']);
  });
});
