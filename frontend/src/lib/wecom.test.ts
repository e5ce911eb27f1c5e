import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { contactChannel, jobFinished, jobPercent, sortContacts, syncNotConfigured, wecomUserIDErrors, wecomUserIDInput } from './wecom';

const gerr = (...errs: [string, Record<string, unknown>][]) =>
  new CombinedError({ graphQLErrors: errs.map(([m, ext]) => new GraphQLError(m, { extensions: ext })) });

describe('sortContacts', () => {
  it('lists live contacts by add time, then lost ones by latest loss', () => {
    const u = { id: 'u', name: 'x' };
    const rows = [
      { id: 'a', externalUserID: 'e', addedAt: '2026-03-02T00:00:00Z', lostAt: '2026-04-01T00:00:00Z', state: '', user: u },
      { id: 'b', externalUserID: 'e', addedAt: '2026-03-05T00:00:00Z', lostAt: null, state: 'cw1', user: u },
      { id: 'c', externalUserID: 'e', addedAt: '2026-03-01T00:00:00Z', state: '', user: u },
      { id: 'd', externalUserID: 'e', addedAt: '2026-01-01T00:00:00Z', lostAt: '2026-05-01T00:00:00Z', state: '', user: u },
    ];
    expect(sortContacts(rows).map((r) => r.id)).toEqual(['c', 'b', 'd', 'a']);
    expect(sortContacts(null)).toEqual([]);
  });
});

describe('contactChannel', () => {
  it("names the code, else the raw state, else nothing", () => {
    expect(contactChannel({ state: 'cw1', contactWay: { id: 'c', name: '春季展会', deleted: false } })).toEqual({ kind: 'code', name: '春季展会', deleted: false });
    expect(contactChannel({ state: 'cw1', contactWay: { id: 'c', name: '旧码', deleted: true } })).toEqual({ kind: 'code', name: '旧码', deleted: true });
    expect(contactChannel({ state: 'crm-x', contactWay: null })).toEqual({ kind: 'state', state: 'crm-x' });
    expect(contactChannel({ state: '' })).toEqual({ kind: 'none' });
  });
});

describe('wecomUserIDInput', () => {
  it('sends a trimmed change, "" to unlink, nothing when unchanged', () => {
    expect(wecomUserIDInput(' zhangsan ', null)).toBe('zhangsan');
    expect(wecomUserIDInput('', 'zhangsan')).toBe('');
    expect(wecomUserIDInput(undefined, 'zhangsan')).toBe('');
    expect(wecomUserIDInput('zhangsan', 'zhangsan')).toBeUndefined();
    expect(wecomUserIDInput('', null)).toBeUndefined();
  });
});

describe('wecomUserIDErrors', () => {
  it("says the CONFLICT on the member id in the UI's language and keeps input errors as the API says them", () => {
    const conflict = gerr(['another user is linked to this WeCom member', { code: 'CONFLICT', field: 'input.wecomUserID' }]);
    expect(wecomUserIDErrors(conflict, 'zh')).toEqual({ field: ['该企业微信成员 ID 已关联到另一位用户'], rest: [] });
    expect(wecomUserIDErrors(conflict, 'en').field).toEqual(['This WeCom member id is already linked to another user']);
    const bare = gerr(['another user is linked to this WeCom member', { code: 'CONFLICT', field: 'wecomUserID' }]);
    expect(wecomUserIDErrors(bare, 'en').field).toEqual(['This WeCom member id is already linked to another user']);
    const input = gerr(
      ['a WeCom member id (userid): at most 64 characters, no spaces', { code: 'BAD_USER_INPUT', field: 'input.wecomUserID' }],
      ['forbidden', { code: 'FORBIDDEN' }],
    );
    const r = wecomUserIDErrors(input, 'en');
    expect(r.field).toEqual(['a WeCom member id (userid): at most 64 characters, no spaces']);
    expect(r.rest).toEqual([{ message: 'forbidden', code: 'FORBIDDEN', field: undefined }]);
  });
});

describe('sync job progress', () => {
  it('knows when a job has ended', () => {
    expect(['QUEUED', 'RUNNING'].map((s) => jobFinished(s as never))).toEqual([false, false]);
    expect(['SUCCEEDED', 'FAILED', 'CANCELLED'].map((s) => jobFinished(s as never))).toEqual([true, true, true]);
  });
  it('is done of total, 0 before the total is known, 100 when it succeeded', () => {
    expect(jobPercent({ status: 'QUEUED', total: 0, done: 0 })).toBe(0);
    expect(jobPercent({ status: 'RUNNING', total: 123, done: 50 })).toBe(40);
    expect(jobPercent({ status: 'RUNNING', total: 3, done: 5 })).toBe(100);
    expect(jobPercent({ status: 'SUCCEEDED', total: 0, done: 0 })).toBe(100);
  });
  it('recognises the error of a workspace without a WeCom corp', () => {
    expect(syncNotConfigured("wecom: configure the wecom channel's corpId and contactSecret before syncing")).toBe(true);
    expect(syncNotConfigured('wecom: errcode 60020 not allow to access from your ip')).toBe(false);
    expect(syncNotConfigured(null)).toBe(false);
  });
});
