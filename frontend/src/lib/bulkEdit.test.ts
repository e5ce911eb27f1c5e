import { describe, expect, it } from 'vitest';
import { bulkErrorField, bulkFields, emptyValue, inlineResult, moveStageAction, updateAction } from './bulkEdit';
import type { FieldDef } from './fields';

const def = (key: string, more: Partial<FieldDef> & { unique?: boolean } = {}): FieldDef =>
  ({ id: key, key, label: key, type: 'TEXT', options: [], widget: 'text', ...more }) as FieldDef;

describe('bulkFields', () => {
  it('offers the built-in fields of many leads and the custom fields the viewer may write', () => {
    const defs = [def('budget', { type: 'MONEY', widget: 'money' }), def('wechat', { masked: true }), def('old', { archived: true }), def('code', { unique: true })];
    const fs = bulkFields(defs, { territory: true });
    expect(fs.map((f) => f.key)).toEqual(['company', 'source', 'sourceDetail', 'territory', 'attr:budget', 'attr:code']);
    expect(fs.find((f) => f.key === 'attr:code')?.clearOnly).toBe(true);
    expect(fs.find((f) => f.key === 'attr:budget')?.clearOnly).toBe(false);
    // No name, phone or email (one lead's), no territory without reading territories.
    expect(bulkFields([], { territory: false }).map((f) => f.key)).toEqual(['company', 'source', 'sourceDetail']);
  });
});

describe('updateAction', () => {
  it('puts the value where UpdateLeadInput takes it', () => {
    const [budget] = bulkFields([def('budget', { type: 'MONEY', widget: 'money' })], { territory: false }).filter((f) => f.def);
    expect(updateAction(budget, 1200.5, false)).toEqual({ update: { attributes: { budget: 1200.5 } } });
    expect(updateAction(budget, 1200.5, true)).toEqual({ update: { attributes: { budget: null } } });
    const [tags] = bulkFields([def('tags2', { type: 'MULTI_SELECT', widget: 'multiSelect' })], { territory: false }).filter((f) => f.def);
    expect(updateAction(tags, ['a', 'b'], false)).toEqual({ update: { attributes: { tags2: ['a', 'b'] } } });
    expect(updateAction({ key: 'source', builtin: 'source' }, '  展会 ', false)).toEqual({ update: { source: '展会' } });
    expect(updateAction({ key: 'source', builtin: 'source' }, 'x', true)).toEqual({ update: { source: '' } });
  });

  it('knows an empty value', () => {
    expect([undefined, null, '', '  ', []].every(emptyValue)).toBe(true);
    expect([0, false, 'a', ['a']].some(emptyValue)).toBe(false);
  });
});

describe('moveStageAction', () => {
  it('sends a lost reason only to a LOST stage', () => {
    expect(moveStageAction('s', true, { lostReasonID: 'r', note: '  ' })).toEqual({ moveStage: { stageID: 's', lostReasonID: 'r', reason: null } });
    expect(moveStageAction('s', false, { lostReasonID: 'r', note: 'x' })).toEqual({ moveStage: { stageID: 's' } });
  });
});

describe('bulkErrorField', () => {
  it('puts the API error paths on the form inputs', () => {
    expect(bulkErrorField('action.update.attributes.budget')).toBe('value');
    expect(bulkErrorField('action.update.territoryID')).toBe('value');
    expect(bulkErrorField('action.update')).toBe('field');
    expect(bulkErrorField('action.moveStage.reason')).toBe('note');
    expect(bulkErrorField('action.moveStage.lostReasonID')).toBe('lostReasonID');
    expect(bulkErrorField('action.addTags[1]')).toBe('tagIDs');
    expect(bulkErrorField('action.assign.ownerID')).toBe('ownerID');
    expect(bulkErrorField('where.attributes')).toBeNull();
    expect(bulkErrorField('action')).toBeNull();
  });
});

describe('inlineResult', () => {
  it('is null when the answer is a job', () => {
    expect(inlineResult({ matched: 900, job: { id: 'j' }, changed: null, failures: null })).toBeNull();
  });
  it('lists the failures of an inline run under their names', () => {
    const r = inlineResult({
      matched: 4, changed: 2,
      failures: [
        { leadID: 'a', name: '丁', code: 'FORBIDDEN', message: 'outside your write scope' },
        { leadID: null, name: null, code: 'NOT_FOUND', message: 'the lead no longer exists' },
      ],
    })!;
    expect(r.changed).toBe(2);
    expect(r.failures.map((f) => f.code)).toEqual(['FORBIDDEN', 'NOT_FOUND']);
    expect(r.failures.map((f) => r.names[f.leadID])).toEqual(['丁', '—']);
  });
});
