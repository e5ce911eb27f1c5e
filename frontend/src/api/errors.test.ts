import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { apiErrors, applyFormErrors, errorText, fieldPath } from './errors';
import type { FormInstance } from 'antd';

const gqlError = (message: string, ext: Record<string, unknown>) =>
  new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions: ext })] });

describe('fieldPath', () => {
  it('turns API field paths into form names', () => {
    expect(fieldPath('input.attributes.budget')).toEqual(['attributes', 'budget']);
    expect(fieldPath('input.stages[1].key')).toEqual(['stages', 1, 'key']);
    expect(fieldPath('condition')).toEqual(['condition']);
    expect(fieldPath('input.leads[0].phone', ['leads[0].'])).toEqual(['phone']);
    expect(fieldPath('config.url', ['config.'])).toEqual(['url']);
  });
});

describe('apiErrors', () => {
  it('reads code and field', () => {
    const err = gqlError('a field with key "budget" exists', { code: 'CONFLICT', field: 'input.key' });
    expect(apiErrors(err)).toEqual([{ message: 'a field with key "budget" exists', code: 'CONFLICT', field: 'input.key' }]);
    expect(errorText(err)).toBe('a field with key "budget" exists');
  });
  it('reports network failures', () => {
    const err = new CombinedError({ networkError: new Error('Failed to fetch') });
    expect(apiErrors(err)).toEqual([{ message: 'Failed to fetch', code: 'NETWORK' }]);
  });
  it('says refusals in the UI language from their code, and keeps input errors as the API says them', () => {
    const forbidden = gqlError('permission denied: lead write', { code: 'FORBIDDEN' });
    expect(errorText(forbidden, 'zh')).toBe('你无权执行此操作');
    expect(errorText(forbidden, 'en')).toBe('You may not do this');
    expect(errorText(gqlError('lead not found', { code: 'NOT_FOUND' }), 'zh')).toBe('不存在或你无权查看');
    expect(errorText(new CombinedError({ networkError: new Error('Failed to fetch') }), 'zh')).toBe('无法连接服务器，请检查网络后重试');
    expect(errorText(gqlError('phone is not a valid number', { code: 'BAD_USER_INPUT', field: 'input.phone' }), 'zh')).toBe('phone is not a valid number');
    // An input error with a reason this UI knows is said in its words; an unknown reason keeps the API's text.
    expect(errorText(gqlError('another lead already has this Member code', { code: 'CONFLICT', field: 'input.attributes.member_code', reason: 'DUPLICATE' }), 'zh')).toBe('已有其他线索使用此值');
    expect(errorText(gqlError('lead is merged and cannot be edited', { code: 'CONFLICT', reason: 'LEAD_INACTIVE' }), 'en')).toBe('Lead merged or archived');
    expect(errorText(gqlError('something new', { code: 'CONFLICT', reason: 'SOMETHING_NEW' }), 'zh')).toBe('something new');
    // Two refusals of the same kind read as one.
    const two = new CombinedError({ graphQLErrors: [new GraphQLError('a', { extensions: { code: 'FORBIDDEN' } }), new GraphQLError('b', { extensions: { code: 'FORBIDDEN' } })] });
    expect(errorText(two, 'zh')).toBe('你无权执行此操作');
  });
  it('is empty without an error', () => {
    expect(apiErrors(undefined)).toEqual([]);
  });
});

describe('applyFormErrors', () => {
  it('puts field errors on the form and returns the rest', () => {
    const set: unknown[] = [];
    const form = { setFields: (f: unknown[]) => set.push(...f) } as unknown as FormInstance;
    const err = new CombinedError({
      graphQLErrors: [
        new GraphQLError('must be a number', { extensions: { code: 'BAD_USER_INPUT', field: 'input.attributes.budget' } }),
        new GraphQLError('another lead already has this Name', { extensions: { code: 'CONFLICT', field: 'input.name', reason: 'DUPLICATE' } }),
        new GraphQLError('unknown', { extensions: { code: 'BAD_USER_INPUT', field: 'input.secretThing' } }),
        new GraphQLError('forbidden', { extensions: { code: 'FORBIDDEN' } }),
      ],
    });
    const rest = applyFormErrors(form, err, { known: ['attributes', 'name'] });
    expect(set).toEqual([
      { name: ['attributes', 'budget'], errors: ['must be a number'] },
      { name: ['name'], errors: [document.documentElement.lang === 'en' ? 'Another lead already has this value' : '已有其他线索使用此值'] },
    ]);
    expect(rest.map((e) => e.message)).toEqual(['unknown', 'forbidden']);
  });
});
