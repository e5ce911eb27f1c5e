import { describe, expect, it } from 'vitest';
import { mergeNotice } from './mergeNotice';

describe('mergeNotice', () => {
  const me = 'u1';
  it('names the owner only when the caller may see the lead', () => {
    expect(mergeNotice(null, me)).toEqual({ kind: 'hidden' });
    expect(mergeNotice(undefined, me)).toEqual({ kind: 'hidden' });
    expect(mergeNotice({ id: 'l1', name: '王伟', owner: { id: me, name: '我' } }, me)).toEqual({ kind: 'mine', leadID: 'l1', lead: '王伟' });
    expect(mergeNotice({ id: 'l1', name: '王伟', owner: { id: 'u2', name: '张伟' }, pool: { id: 'p', name: '公海' } }, me))
      .toEqual({ kind: 'colleague', leadID: 'l1', lead: '王伟', owner: '张伟' });
    expect(mergeNotice({ id: 'l1', name: '', owner: null, pool: { id: 'p', name: '华东公海' } }, me))
      .toEqual({ kind: 'pool', leadID: 'l1', lead: 'l1', pool: '华东公海' });
    expect(mergeNotice({ id: 'l1', name: '王伟' }, me)).toEqual({ kind: 'unowned', leadID: 'l1', lead: '王伟' });
  });
});
