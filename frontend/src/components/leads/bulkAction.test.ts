import { describe, expect, it } from 'vitest';
import { bulkAction } from './BulkAllModal';
import { bulkFields } from '../../lib/bulkEdit';
import type { FieldDef } from '../../lib/fields';

const level: FieldDef = { id: 'f1', key: 'level', label: '等级', type: 'SELECT', options: [{ value: 'a', label: 'A' }], widget: 'select' };

describe('bulkAction', () => {
  it('gives the API exactly one action', () => {
    expect(bulkAction('addTags', { tagIDs: ['t1'] })).toEqual({ addTags: ['t1'] });
    expect(bulkAction('removeTags', { tagIDs: ['t1', 't2'] })).toEqual({ removeTags: ['t1', 't2'] });
    expect(bulkAction('assign', { ownerID: 'u1', reason: '  ' })).toEqual({ assign: { ownerID: 'u1', reason: null } });
    expect(bulkAction('pool', { reason: '离职交接' })).toEqual({ assign: { toPool: true, reason: '离职交接' } });
  });

  it('sets or clears the fields picked, in one update', () => {
    const withNames: FieldDef = { ...level, options: [{ value: 'a', label: 'A', graphqlName: 'A' }] };
    const fields = bulkFields([withNames, { ...level, id: 'f2', key: 'code', unique: true } as FieldDef], { territory: true });
    expect(bulkAction('update', { edits: [{ field: 'attr:level', value: 'a' }] }, { fields })).toEqual({ update: { level: 'A' } });
    expect(bulkAction('update', { edits: [{ field: 'attr:level', value: 'a', clear: true }] }, { fields })).toEqual({ update: { level: null } });
    expect(bulkAction('update', { edits: [{ field: 'company', value: ' 星河 ' }, { field: 'territory', value: 'tr1' }, { field: 'attr:level', value: 'a' }] }, { fields }))
      .toEqual({ update: { company: '星河', territoryID: 'tr1', level: 'A' } });
    expect(bulkAction('update', { edits: [{ field: 'territory', clear: true }] }, { fields })).toEqual({ update: { clearTerritory: true } });
    // A unique field is only ever cleared; a row with no field picked adds nothing.
    expect(bulkAction('update', { edits: [{ field: 'attr:code', value: 'x' }, {}] }, { fields })).toEqual({ update: { code: null } });
  });

  it('moves stage with the lost reason only to a LOST stage', () => {
    const v = { stageID: 's1', lostReasonID: 'r1', note: ' 价格 ' };
    expect(bulkAction('moveStage', v, { lost: true })).toEqual({ moveStage: { stageID: 's1', lostReasonID: 'r1', reason: '价格' } });
    expect(bulkAction('moveStage', { stageID: 's1', note: '预算不足' }, { lost: true })).toEqual({ moveStage: { stageID: 's1', lostReasonID: null, reason: '预算不足' } });
    expect(bulkAction('moveStage', v, { lost: false })).toEqual({ moveStage: { stageID: 's1' } });
  });
});
