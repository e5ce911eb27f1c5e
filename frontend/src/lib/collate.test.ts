import { describe, expect, it } from 'vitest';
import { byName, compareNames, sortTagGroups } from './collate';

describe('pinyin order of names', () => {
  it('sorts Chinese names by pinyin, not by code point', () => {
    const names = ['长期', '中国', '北京', '阿里', '高意向'];
    expect([...names].sort()).not.toEqual(['阿里', '北京', '长期', '高意向', '中国']); // code points: 中 < 北 < 长 < 阿
    // 长 reads zhǎng first in CLDR's pinyin data, as in PostgreSQL's ICU collation.
    expect([...names].sort(compareNames)).toEqual(['阿里', '北京', '高意向', '长期', '中国']);
  });

  it('puts Chinese names before Latin ones, digits compared one by one, as the API does', () => {
    expect(byName([{ name: 'VIP' }, { name: '重要' }, { name: 'a2' }, { name: 'a10' }, { name: '阿' }]).map((x) => x.name))
      .toEqual(['阿', '重要', 'a10', 'a2', 'VIP']);
  });

  it('orders tag groups by position, then name, and each group’s tags by name', () => {
    const groups = sortTagGroups([
      { name: '最后', position: 1, tags: [] },
      { name: '重要', position: 0, tags: [{ name: '长期' }, { name: '北京' }, { name: '阿里' }] },
      { name: '北方', position: 0, tags: null },
    ]);
    expect(groups.map((g) => g.name)).toEqual(['北方', '重要', '最后']);
    expect(groups[1].tags?.map((x) => x.name)).toEqual(['阿里', '北京', '长期']);
  });
});
