import { describe, expect, it } from 'vitest';
import { messages } from './messages';
import { format, translate } from './index';

describe('messages', () => {
  it('has both languages for every key, with the same placeholders', () => {
    for (const [key, [zh, en]] of Object.entries(messages)) {
      expect(zh.trim(), key).not.toBe('');
      expect(en.trim(), key).not.toBe('');
      const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      if (!key.startsWith('channels.extraHint')) expect(vars(zh), key).toEqual(vars(en));
    }
  });
  it('fills placeholders and falls back to the key', () => {
    expect(format('{n} 条', { n: 3 })).toBe('3 条');
    expect(translate('en', 'leads.count', { n: '10,000' })).toBe('10,000 in all');
    expect(translate('zh', 'leads.count', { n: 5 })).toBe('共 5 条');
  });
});
