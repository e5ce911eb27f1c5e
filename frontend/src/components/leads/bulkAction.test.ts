import { describe, expect, it } from 'vitest';
import { bulkAction } from './BulkAllModal';

describe('bulkAction', () => {
  it('gives the API exactly one action', () => {
    expect(bulkAction('addTags', { tagIDs: ['t1'] })).toEqual({ addTags: ['t1'] });
    expect(bulkAction('removeTags', { tagIDs: ['t1', 't2'] })).toEqual({ removeTags: ['t1', 't2'] });
    expect(bulkAction('assign', { ownerID: 'u1', reason: '  ' })).toEqual({ assign: { ownerID: 'u1', reason: null } });
    expect(bulkAction('pool', { reason: '离职交接' })).toEqual({ assign: { toPool: true, reason: '离职交接' } });
    expect(bulkAction('moveStage', { stageID: 's1', reason: ' 价格 ' })).toEqual({ moveStage: { stageID: 's1', reason: '价格' } });
  });
});
