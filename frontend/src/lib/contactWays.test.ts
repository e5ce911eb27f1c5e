import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { contactWayErrors, memberOptions, notConfigured } from './contactWays';

const gerr = (...errs: [string, Record<string, unknown>][]) =>
  new CombinedError({ graphQLErrors: errs.map(([m, ext]) => new GraphQLError(m, { extensions: ext })) });

describe('memberOptions', () => {
  it('disables users without a WeCom member id or deactivated, after those who can be members', () => {
    const opts = memberOptions([
      { id: 'u1', name: '王芳', active: true, wecomUserID: null },
      { id: 'u2', name: '李雷', active: true, wecomUserID: 'lilei' },
      { id: 'u3', name: '韩梅', active: false, wecomUserID: 'hanmei' },
      { id: 'u4', name: '张三', active: true, wecomUserID: '' },
      { id: 'u5', name: '赵四', active: true, wecomUserID: 'zhaosi' },
    ]);
    expect(opts.map((o) => o.value)).toEqual(['u2', 'u5', 'u1', 'u3', 'u4']);
    expect(opts.filter((o) => !o.disabled).map((o) => o.label)).toEqual(['李雷', '赵四']);
    expect(opts.find((o) => o.value === 'u1')).toMatchObject({ disabled: true, reason: 'unlinked' });
    expect(opts.find((o) => o.value === 'u3')).toMatchObject({ disabled: true, reason: 'inactive' });
    expect(opts.find((o) => o.value === 'u4')).toMatchObject({ disabled: true, reason: 'unlinked' });
  });
});

describe('contactWayErrors', () => {
  const sent = { userIDs: ['u2', 'u1'], tagIDs: ['t9'] };
  const names = { users: new Map([['u1', '王芳'], ['u2', '李雷']]), tags: new Map([['t9', '展会']]) };

  it("puts a list element's error on the list's field, named", () => {
    const err = gerr(['the user is not linked to a WeCom member (updateUser wecomUserID)', { code: 'BAD_USER_INPUT', field: 'input.userIDs[1]' }]);
    expect(contactWayErrors(err, sent, names)).toEqual({
      fields: [{ name: ['userIDs'], errors: ['王芳: the user is not linked to a WeCom member (updateUser wecomUserID)'] }],
      rest: [],
    });
  });
  it('names an element it does not know by its position', () => {
    const err = gerr(['user not found', { code: 'NOT_FOUND', field: 'input.userIDs[0]' }]);
    expect(contactWayErrors(err, { userIDs: ['gone'] }, names).fields).toEqual([{ name: ['userIDs'], errors: ['#1: user not found'] }]);
    const tag = gerr(['tag not found', { code: 'NOT_FOUND', field: 'input.tagIDs[0]' }]);
    expect(contactWayErrors(tag, sent, names).fields).toEqual([{ name: ['tagIDs'], errors: ['展会: tag not found'] }]);
  });
  it('puts plain field errors on their fields and keeps the rest for an alert', () => {
    const err = gerr(
      ['template: welcomeMessage:1: function "nme" not defined', { code: 'BAD_USER_INPUT', field: 'input.welcomeMessage' }],
      ['a code needs at least one member', { code: 'BAD_USER_INPUT', field: 'input.userIDs' }],
      ['name is required', { code: 'BAD_USER_INPUT', field: 'input.name' }],
      ['something else', { code: 'BAD_USER_INPUT', field: 'input.configID' }],
      ['forbidden', { code: 'FORBIDDEN' }],
    );
    const { fields, rest } = contactWayErrors(err, sent, names);
    expect(fields).toEqual([
      { name: ['welcomeMessage'], errors: ['template: welcomeMessage:1: function "nme" not defined'] },
      { name: ['userIDs'], errors: ['a code needs at least one member'] },
      { name: ['name'], errors: ['name is required'] },
    ]);
    expect(rest.map((e) => e.message)).toEqual(['something else', 'forbidden']);
  });
  it('leaves a CONFLICT for the alert and knows the one that says WeCom is not configured', () => {
    const err = gerr(["configure the wecom channel's corpId and contactSecret first", { code: 'CONFLICT' }]);
    const { fields, rest } = contactWayErrors(err, sent, names);
    expect(fields).toEqual([]);
    expect(rest).toHaveLength(1);
    expect(notConfigured(rest[0])).toBe(true);
    expect(notConfigured({ code: 'CONFLICT', message: 'WeCom refused add_contact_way: errcode 40058 invalid' })).toBe(false);
    expect(notConfigured({ code: 'BAD_USER_INPUT', message: 'corpId' })).toBe(false);
  });
});
