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

  it('sets or clears the field picked', () => {
    const [company, , , territory, attr] = bulkFields([level], { territory: true });
    expect(bulkAction('update', { field: 'attr:level', value: 'a' }, { field: attr })).toEqual({ update: { attributes: { level: 'a' } } });
    expect(bulkAction('update', { field: 'attr:level', value: 'a', clear: true }, { field: attr })).toEqual({ update: { attributes: { level: null } } });
    expect(bulkAction('update', { field: 'company', value: ' 星河 ' }, { field: company })).toEqual({ update: { company: '星河' } });
    expect(bulkAction('update', { field: 'territory', value: 'tr1' }, { field: territory })).toEqual({ update: { territoryID: 'tr1' } });
    expect(bulkAction('update', { field: 'territory', clear: true }, { field: territory })).toEqual({ update: { clearTerritory: true } });
    // A unique field is only ever cleared, whatever the form holds.
    const [uniq] = bulkFields([{ ...level, key: 'code', unique: true } as FieldDef], { territory: false }).filter((f) => f.def);
    expect(bulkAction('update', { field: 'attr:code', value: 'x' }, { field: uniq })).toEqual({ update: { attributes: { code: null } } });
  });

  it('moves stage with the lost reason only to a LOST stage', () => {
    const v = { stageID: 's1', lostReasonID: 'r1', note: ' 价格 ' };
    expect(bulkAction('moveStage', v, { lost: true })).toEqual({ moveStage: { stageID: 's1', lostReasonID: 'r1', reason: '价格' } });
    expect(bulkAction('moveStage', { stageID: 's1', note: '预算不足' }, { lost: true })).toEqual({ moveStage: { stageID: 's1', lostReasonID: null, reason: '预算不足' } });
    expect(bulkAction('moveStage', v, { lost: false })).toEqual({ moveStage: { stageID: 's1' } });
  });
});
