import { describe, expect, it } from 'vitest';
import { translate, type TFunc } from '../i18n';
import { fmtTime } from './format';
import { failureDetail, failureTitle } from './failures';

const zh: TFunc = (k, v) => translate('zh', k, v);
const en: TFunc = (k, v) => translate('en', k, v);
const base = { leadID: 'l1', message: 'the API text' };

describe('failureDetail', () => {
  it("says a claim's refusal from its figures, in the UI's language", () => {
    const until = '2026-11-30T02:00:00Z';
    expect(failureDetail(zh, { ...base, code: 'COOLDOWN', until })).toBe(`可于 ${fmtTime(until)} 再次领取`);
    expect(failureDetail(en, { ...base, code: 'COOLDOWN', until })).toBe(`You can claim it again from ${fmtTime(until)}`);
    expect(failureDetail(zh, { ...base, code: 'PROTECTED', until })).toBe(`为负责人保护至 ${fmtTime(until)}`);
    expect(failureDetail(zh, { ...base, code: 'DAILY_LIMIT', limit: 3 })).toBe('已达每日领取上限 3 条');
    expect(failureDetail(zh, { ...base, code: 'DAILY_LIMIT', limit: 2, pool: '华东' })).toBe('已达公海「华东」每日领取上限 2 条');
    expect(failureDetail(zh, { ...base, code: 'OVER_CAPACITY', limit: 0 })).toBe('私海已满（库容 0 条未结线索）');
    expect(failureDetail(zh, { ...base, code: 'NOT_ALLOWED', pool: '华东' })).toBe('公海「华东」未对你的团队或区域开放');
  });

  it('adds no English line where the title says it all', () => {
    for (const code of ['COOLDOWN', 'ALREADY_OWNED', 'INACTIVE', 'NOT_IN_POOL', 'NOT_FOUND', 'FORBIDDEN', 'CONFLICT', 'NOT_ACTIVE_USER']) {
      expect(failureDetail(zh, { ...base, code }), code).toBe('');
    }
    expect(failureDetail(zh, { ...base, code: 'DAILY_LIMIT', limit: null, pool: 'x' })).toBe('');
    expect(failureDetail(en, { ...base, code: 'CONFLICT', until: '2026-11-30T02:00:00Z' })).toBe('');
  });

  it("keeps the API's text for input errors and for codes this UI does not know", () => {
    expect(failureDetail(zh, { ...base, code: 'BAD_USER_INPUT' })).toBe('the API text');
    expect(failureDetail(zh, { ...base, code: 'SOMETHING_NEW' })).toBe('the API text');
  });
});

describe('failureTitle', () => {
  it("names an enrolment's refusal by its finer reason, else by its code", () => {
    const enrolled = { ...base, code: 'CONFLICT', reason: 'ENROLLED', message: 'the lead is already in the journey' };
    expect(failureTitle(zh, enrolled)).toBe('已在该旅程中');
    expect(failureTitle(en, enrolled)).toBe('Already in the journey');
    // The title says it: no English line under it.
    expect(failureDetail(zh, enrolled)).toBe('');
    expect(failureTitle(zh, { code: 'CONFLICT', reason: 'LEAD_INACTIVE' })).toBe('线索已合并或归档');
    // A bulk stage move's input error with its reason: said in the UI's words, no English line.
    const move = { ...base, code: 'BAD_USER_INPUT', reason: 'OPEN_STAGE_ONLY' };
    expect(failureTitle(zh, move)).toBe('换到其他管道时只能进入进行中的阶段');
    expect(failureDetail(zh, move)).toBe('');
    // A reason this UI does not know: the code's title and the API's text.
    const unknown = { ...base, code: 'CONFLICT', reason: 'SOMETHING_NEW' };
    expect(failureTitle(zh, unknown)).toBe('正被他人操作，请重试');
    expect(failureDetail(zh, unknown)).toBe('the API text');
    expect(failureTitle(zh, { code: 'CONFLICT' })).toBe('正被他人操作，请重试');
  });
});
