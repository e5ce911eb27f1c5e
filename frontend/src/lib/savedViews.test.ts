import { beforeEach, describe, expect, it } from 'vitest';
import { deleteView, loadColumns, loadViews, saveView, storeColumns } from './savedViews';

beforeEach(() => localStorage.clear());

describe('saved views', () => {
  it('saves, replaces by name, lists and deletes', () => {
    expect(loadViews('w', 'u')).toEqual([]);
    saveView('w', 'u', { name: '高分', filter: { scoreMin: 80 }, columns: ['name'] });
    const v2 = saveView('w', 'u', { name: '我的', filter: { owner: 'me' }, columns: ['name', 'score'] });
    expect(v2.map((v) => v.name)).toEqual(['高分', '我的']);
    const replaced = saveView('w', 'u', { name: '高分', filter: { scoreMin: 90 }, columns: ['name'] });
    expect(replaced).toHaveLength(2);
    expect(replaced[0].filter.scoreMin).toBe(90);
    expect(replaced[0].id).toBe(v2[0].id);
    expect(deleteView('w', 'u', replaced[0].id).map((v) => v.name)).toEqual(['我的']);
  });

  it('keeps views per workspace and user', () => {
    saveView('w', 'u', { name: 'a', filter: {}, columns: [] });
    expect(loadViews('w', 'other')).toEqual([]);
    expect(loadViews('w2', 'u')).toEqual([]);
  });

  it('survives corrupt storage', () => {
    localStorage.setItem('scrm.leadViews.w.u', '{not json');
    expect(loadViews('w', 'u')).toEqual([]);
    localStorage.setItem('scrm.leadColumns.w.u', '"x"');
    expect(loadColumns('w', 'u')).toBeNull();
    storeColumns('w', 'u', ['name']);
    expect(loadColumns('w', 'u')).toEqual(['name']);
  });
});
