import { describe, expect, it } from 'vitest';
import { arity, formatAttr, opsFor, searchableDefs, valueComplete, type FieldDef } from './fields';

const city: FieldDef = { id: '1', key: 'city', label: '城市', type: 'SELECT', widget: 'select', options: [{ value: 'sh', label: '上海' }] };

describe('opsFor', () => {
  it('offers the operators the server serves for the type, and none when masked', () => {
    const mobile: FieldDef = { id: '2', key: 'mobile', label: '手机', type: 'PHONE', options: [], ops: ['EQ', 'IN'] };
    expect(opsFor(mobile)).toEqual(['EQ', 'IN']);
    expect(opsFor({ ...mobile, masked: true })).toEqual([]);
    expect(opsFor(city)).toEqual([]);
    expect(searchableDefs([mobile, { ...mobile, key: 'm2', masked: true }, { ...city, archived: true }]).map((d) => d.key)).toEqual(['mobile']);
  });
});

describe('valueComplete', () => {
  it('knows how many values each operator takes', () => {
    expect(arity('IS_EMPTY')).toBe('none');
    expect(valueComplete('IS_EMPTY', undefined)).toBe(true);
    expect(valueComplete('EQ', '')).toBe(false);
    expect(valueComplete('EQ', 0)).toBe(true);
    expect(valueComplete('EQ', false)).toBe(true);
    expect(valueComplete('BETWEEN', [1])).toBe(false);
    expect(valueComplete('BETWEEN', [1, 2])).toBe(true);
    expect(valueComplete('IN', [])).toBe(false);
    expect(valueComplete('IN', ['a'])).toBe(true);
  });
});

describe('formatAttr', () => {
  it('shows option labels and booleans', () => {
    expect(formatAttr(city, 'sh')).toBe('上海');
    expect(formatAttr(city, 'unknown')).toBe('unknown');
    expect(formatAttr({ ...city, type: 'BOOLEAN', widget: 'switch' }, true, ['yes', 'no'])).toBe('yes');
    expect(formatAttr({ ...city, type: 'MULTI_SELECT', widget: 'multiSelect' }, ['sh', 'x'])).toBe('上海, x');
    expect(formatAttr({ ...city, type: 'MONEY', widget: 'money' }, 1.2345)).toBe('1.23');
    expect(formatAttr({ ...city, type: 'NUMBER', widget: 'number' }, 1.2345)).toBe('1.2345');
    // A widget the client does not know shows the value as text.
    expect(formatAttr({ ...city, type: 'TEXT', widget: 'rating' }, 4)).toBe('4');
    expect(formatAttr(undefined, { a: 1 })).toBe('{"a":1}');
    expect(formatAttr(city, null)).toBe('');
  });
});
