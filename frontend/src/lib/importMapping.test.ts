import { describe, expect, it } from 'vitest';
import { buildMapping, dispositionFilename, exportColumns, guessMapping, guessTarget, mappingProblems, norm, rowProblems, type MappingContext } from './importMapping';

const ctx: MappingContext = {
  fields: [
    { key: 'budget', label: '预算 (元)' },
    { key: 'city', label: '城市' },
    { key: 'has_car', label: '是否有车' },
    { key: 'old_field', label: '旧字段', archived: true },
  ],
  tagGroups: [{ name: '意向等级' }, { name: '兴趣' }],
};

describe('norm', () => {
  it('ignores case, spaces, separators, a byte order mark and a unit in brackets', () => {
    expect(norm(' Phone Number ')).toBe('phonenumber');
    expect(norm('E-mail')).toBe('email');
    expect(norm('\uFEFF姓名')).toBe('姓名');
    expect(norm('预算（元）')).toBe('预算');
    expect(norm('预算 (元)')).toBe('预算');
  });
});

describe('guessTarget', () => {
  it('maps Chinese and English names of built-in fields', () => {
    const cases: [string, string][] = [
      ['姓名', 'name'], ['客户姓名', 'name'], ['Name', 'name'],
      ['手机', 'phone'], ['手机号码', 'phone'], ['电话', 'phone'], ['联系电话', 'phone'], ['Mobile', 'phone'], ['Phone Number', 'phone'],
      ['邮箱', 'email'], ['E-mail', 'email'], ['电子邮件', 'email'],
      ['公司', 'company'], ['公司名称', 'company'], ['Company', 'company'],
      ['来源', 'source'], ['来源详情', 'sourceDetail'], ['外部ID', 'externalID'], ['unionid', 'unionID'], ['OpenID', 'openID'],
      ['标签', 'tags'], ['Tags', 'tags'],
    ];
    for (const [h, t] of cases) expect(guessTarget(h, ctx), h).toBe(t);
  });
  it('maps custom fields by key and label, and tag groups by name, to tags', () => {
    expect(guessTarget('预算', ctx)).toBe('attributes.budget');
    expect(guessTarget('预算（元）', ctx)).toBe('attributes.budget');
    expect(guessTarget('budget', ctx)).toBe('attributes.budget');
    expect(guessTarget('has car', ctx)).toBe('attributes.has_car');
    expect(guessTarget('城市', ctx)).toBe('attributes.city');
    expect(guessTarget('意向等级', ctx)).toBe('tags');
    expect(guessTarget('兴趣', ctx)).toBe('tags');
  });
  it('takes an export header’s canonical names back', () => {
    expect(guessTarget('attributes.budget', ctx)).toBe('attributes.budget');
    expect(guessTarget('sourceDetail', ctx)).toBe('sourceDetail');
    expect(guessTarget('attributes.nope', ctx)).toBe('');
  });
  it('leaves unknown, blank and archived-field headers unmapped', () => {
    expect(guessTarget('备注', ctx)).toBe('');
    expect(guessTarget('  ', ctx)).toBe('');
    expect(guessTarget('旧字段', ctx)).toBe('');
    expect(guessTarget('status', ctx)).toBe('');
  });
});

describe('guessMapping', () => {
  it('gives each target to its first column only, except tags', () => {
    expect(guessMapping(['姓名', '手机', '电话', '意向等级', '兴趣', '备注', '预算'], ctx)).toEqual([
      'name', 'phone', '', 'tags', 'tags', '', 'attributes.budget',
    ]);
  });
  it('skips a header the file repeats', () => {
    expect(guessMapping(['手机', '姓名', '手机'], ctx)).toEqual(['', 'name', '']);
  });
});

describe('mappingProblems', () => {
  const headers = ['姓名', '手机', '电话', '标签', '意向等级'];
  it('finds no problem in a good mapping', () => {
    expect(mappingProblems(headers, ['name', 'phone', '', 'tags', 'tags'])).toEqual([]);
  });
  it('needs a column that identifies people', () => {
    expect(mappingProblems(headers, ['name', '', '', 'tags', ''])).toEqual([{ code: 'noIdentity' }]);
    expect(mappingProblems(headers, ['', '', '', '', ''])).toEqual([{ code: 'noIdentity' }]);
  });
  it('refuses two columns for one target, and mapped repeated or blank headers', () => {
    expect(mappingProblems(headers, ['name', 'phone', 'phone', '', ''])).toEqual([
      { code: 'duplicateTarget', target: 'phone', headers: ['手机', '电话'] },
    ]);
    expect(mappingProblems(['手机', '手机 ', ''], ['phone', '', 'email'])).toEqual([
      { code: 'duplicateHeader', header: '手机' },
      { code: 'emptyHeader', column: 3 },
    ]);
  });
});

describe('rowProblems', () => {
  const targets = ['name', 'phone', ''];
  it('flags empty rows, wrong cell counts and rows with nothing mapped', () => {
    expect(rowProblems(['张三', '138', 'x'], 3, targets)).toEqual([]);
    expect(rowProblems([' ', '', ''], 3, targets)).toEqual([{ code: 'empty' }]);
    expect(rowProblems(['张三', '138'], 3, targets)).toEqual([{ code: 'fieldCount', got: 2, want: 3 }]);
    expect(rowProblems(['', '', 'only a note'], 3, targets)).toEqual([{ code: 'noMappedValue' }]);
  });
  it('does not judge values: a bad phone is the server’s to reject', () => {
    expect(rowProblems(['张三', '12345', ''], 3, targets)).toEqual([]);
  });
});

describe('buildMapping', () => {
  it('is the scrm import mapping of the mapped columns', () => {
    expect(buildMapping([' 姓名 ', '手机', '备注', '意向等级'], ['name', 'phone', '', 'tags'], { source: ' 展会 ', delimiter: ',', tagSeparator: '|' })).toEqual({
      columns: { 姓名: 'name', 手机: 'phone', 意向等级: 'tags' },
      skipEmpty: true,
      source: '展会',
      delimiter: ',',
      tagSeparator: '|',
    });
    expect(buildMapping(['手机'], ['phone'])).toEqual({ columns: { 手机: 'phone' }, skipEmpty: true });
  });
});

describe('exportColumns', () => {
  it('turns the list’s columns into export columns, leaving out what an export lacks', () => {
    expect(exportColumns(['name', 'phone', 'owner', 'territory', 'budget', 'pool', 'createdAt', 'lastFollowUpAt', 'phone'], ['budget'])).toEqual([
      'name', 'phone', 'owner', 'attributes.budget', 'createdAt',
    ]);
  });
});

describe('dispositionFilename', () => {
  it('reads RFC 2231 and quoted file names', () => {
    expect(dispositionFilename("attachment; filename*=utf-8''%E5%AF%BC%E5%85%A5-rejected.csv")).toBe('导入-rejected.csv');
    expect(dispositionFilename('attachment; filename="leads-20261202.csv"')).toBe('leads-20261202.csv');
    expect(dispositionFilename('attachment; filename=a.csv')).toBe('a.csv');
    expect(dispositionFilename(null)).toBeNull();
    expect(dispositionFilename('attachment')).toBeNull();
  });
});
