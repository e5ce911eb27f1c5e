import { describe, expect, it } from 'vitest';
import { translate, type TFunc } from '../i18n';
import { failureText } from './failures';
import { bulkErrorField, bulkFields, csvCell, emptyValue, failuresCSV, inlineResult, moveStageAction, updateAction, updateErrorKey, withoutPath } from './bulkEdit';
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
  const level = def('level', { type: 'SELECT', widget: 'select', options: [{ value: '金卡', label: '金卡', graphqlName: 'V_1a2b3c4d5e' }, { value: 'silver', label: '银卡', graphqlName: 'SILVER' }] });
  const fs = bulkFields([def('budget', { type: 'MONEY', widget: 'money' }), level, def('visit', { type: 'DATE', widget: 'date' }), def('tags2', { type: 'MULTI_SELECT', widget: 'multiSelect', options: [{ value: 'a', label: 'A', graphqlName: 'A' }, { value: 'b c', label: 'B', graphqlName: 'B_C' }] }), def('code', { unique: true })], { territory: true });
  const f = (key: string) => fs.find((x) => x.key === key)!;

  it('puts custom fields where the typed schema takes them, by key, not in attributes', () => {
    expect(updateAction([{ field: f('attr:budget'), value: 1200.5 }])).toEqual({ update: { budget: 1200.5 } });
    expect(updateAction([{ field: f('attr:budget'), value: 1200.5, clear: true }])).toEqual({ update: { budget: null } });
    // Options by their enum value name (FieldOption.graphqlName), dates as YYYY-MM-DD.
    expect(updateAction([{ field: f('attr:level'), value: '金卡' }])).toEqual({ update: { level: 'V_1a2b3c4d5e' } });
    expect(updateAction([{ field: f('attr:tags2'), value: ['a', 'b c'] }])).toEqual({ update: { tags2: ['A', 'B_C'] } });
    expect(updateAction([{ field: f('attr:visit'), value: '2026-12-04T08:00:00Z' }])).toEqual({ update: { visit: '2026-12-04' } });
    // A unique field is only ever cleared, whatever the form holds.
    expect(updateAction([{ field: f('attr:code'), value: 'x' }])).toEqual({ update: { code: null } });
  });

  it('sets several fields, built-in and custom, in one update', () => {
    expect(updateAction([
      { field: f('source'), value: '  展会 ' },
      { field: f('company'), clear: true },
      { field: f('territory'), value: 'tr1' },
      { field: f('attr:level'), value: 'silver' },
      { field: f('attr:budget'), clear: true },
    ])).toEqual({ update: { source: '展会', company: '', territoryID: 'tr1', level: 'SILVER', budget: null } });
    expect(updateAction([{ field: f('territory'), clear: true }, { field: f('sourceDetail'), value: 'x' }])).toEqual({ update: { clearTerritory: true, sourceDetail: 'x' } });
  });

  it('knows an empty value', () => {
    expect([undefined, null, '', '  ', []].every(emptyValue)).toBe(true);
    expect([0, false, 'a', ['a']].some(emptyValue)).toBe(false);
  });
});

describe('updateErrorKey', () => {
  it('names the field of an update error, typed or generic path', () => {
    expect(updateErrorKey('action.update.member_level')).toBe('attr:member_level');
    expect(updateErrorKey('action.update.attributes.member_level')).toBe('attr:member_level');
    expect(updateErrorKey('action.update.company')).toBe('company');
    expect(updateErrorKey('action.update.territoryID')).toBe('territory');
    expect(updateErrorKey('action.update.clearTerritory')).toBe('territory');
    expect(updateErrorKey('action.update')).toBeNull();
    expect(updateErrorKey('action.moveStage.reason')).toBeNull();
    expect(updateErrorKey('action.update.attributes')).toBeNull();
  });

  it('drops the path before the message', () => {
    expect(withoutPath('action.update.code: attributes.code: does not have the required format', 'action.update.code')).toBe('does not have the required format');
    expect(withoutPath('does not have the required format', 'action.update.attributes.code')).toBe('does not have the required format');
    expect(withoutPath('must be at least 0', 'action.update.visits')).toBe('must be at least 0');
    expect(withoutPath('code: x', undefined)).toBe('code: x');
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

describe('failuresCSV', () => {
  const r = inlineResult({
    matched: 5, changed: 2,
    failures: [
      { leadID: 'a1', name: '王伟, "老王"', code: 'FORBIDDEN', message: 'outside your write scope' },
      { leadID: 'b2', name: '=HYPERLINK("x")', code: 'BAD_USER_INPUT', message: 'x' },
      { leadID: null, name: null, code: 'NOT_FOUND', message: 'the lead no longer exists' },
    ],
  })!;
  const reasons: Record<string, string> = { FORBIDDEN: '无权修改', BAD_USER_INPUT: '不能执行此操作', NOT_FOUND: '不存在' };
  const csv = failuresCSV(r, ['线索ID', '姓名', '原因代码', '原因'], (f) => reasons[f.code]);

  it("says each failure as the failure list does: its finer reason's words, its figures", () => {
    const zh: TFunc = (k, v) => translate('zh', k, v);
    const mixed = inlineResult({
      matched: 3, changed: 0,
      failures: [
        { leadID: 'e1', name: '甲', code: 'CONFLICT', reason: 'ENROLLED', message: 'the lead is already in the journey' },
        { leadID: 'o1', name: '乙', code: 'OVER_CAPACITY', limit: 20, message: 'over capacity' },
        { leadID: 'f1', name: '丙', code: 'FORBIDDEN', message: 'outside your write scope' },
      ],
    })!;
    const lines = failuresCSV(mixed, ['id', 'name', 'code', 'reason'], (f) => failureText(zh, f)).slice(1).split('\r\n');
    expect(lines.slice(1, 4)).toEqual([
      'e1,甲,CONFLICT,已在该旅程中',
      'o1,乙,OVER_CAPACITY,私海库容已满：私海已满（库容 20 条未结线索）',
      'f1,丙,FORBIDDEN,无权修改',
    ]);
  });

  it('starts with a byte-order mark and lists one lead a line, the reason in the UI language', () => {
    expect(csv.startsWith('\uFEFF线索ID,姓名,原因代码,原因\r\n')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines).toEqual([
      '线索ID,姓名,原因代码,原因',
      'a1,"王伟, ""老王""",FORBIDDEN,无权修改',
      `b2,"'=HYPERLINK(""x"")",BAD_USER_INPUT,不能执行此操作`,
      ',—,NOT_FOUND,不存在', // a lead that no longer exists has no id
      '',
    ]);
    // As bytes, UTF-8 with its BOM (EF BB BF), which Excel needs for Chinese.
    expect([...new TextEncoder().encode(csv).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it('quotes and escapes cells a spreadsheet would misread', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('+86 139')).toBe("'+86 139");
    expect(csvCell('@x')).toBe("'@x");
  });
});
