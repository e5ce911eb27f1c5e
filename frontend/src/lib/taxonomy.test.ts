import { describe, expect, it } from 'vitest';
import { CombinedError } from 'urql';
import { GraphQLError } from 'graphql';
import { translate, type MessageKey } from '../i18n';
import { hasRefusalDetails, refusalLines, subtreeIDs } from './taxonomy';

const zh = (key: MessageKey, vars?: Record<string, string | number>) => translate('zh', key, vars);
const en = (key: MessageKey, vars?: Record<string, string | number>) => translate('en', key, vars);
const err = (extensions: Record<string, unknown>, message = 'api message') =>
  new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });

describe('refusalLines', () => {
  it('names the references of a refused delete in the UI language', () => {
    const e = err({
      code: 'CONFLICT', field: 'id', referenceCount: 12,
      references: [
        { kind: 'SEGMENT', name: '高意向', tag: '高' },
        { kind: 'SCORING_RULE', name: 'vip points', tag: 'VIP' },
        { kind: 'NEW_KIND', name: 'x', tag: 'VIP' },
      ],
    });
    expect(hasRefusalDetails(e)).toBe(true);
    expect(refusalLines(e, zh)).toEqual(['正在被使用：', '分群「高意向」', '评分规则「vip points」', 'NEW_KIND「x」', '等共 12 处']);
    expect(refusalLines(e, en, true)).toEqual(['It is in use by:', 'Segment「高意向」 (tag “高”)', 'Scoring rule「vip points」 (tag “VIP”)', 'NEW_KIND「x」 (tag “VIP”)', '12 in all']);
  });

  it('says a WeCom corp tag is changed in WeCom', () => {
    const e = err({ code: 'CONFLICT', references: [{ kind: 'WECOM_CORP_TAG', name: '客户等级', tag: '客户等级' }], referenceCount: 1 });
    expect(refusalLines(e, zh, true)[1]).toBe('企业微信企业标签（请在企业微信中修改或删除，同步后生效）「客户等级」');
  });

  it('counts the leads that would break an exclusive group', () => {
    expect(refusalLines(err({ code: 'CONFLICT', field: 'input.exclusive', leadCount: 3 }), zh)).toEqual(['3 条线索同时带有该组的两个以上标签，请先移除']);
  });

  it('lists what still holds a territory, leaving out zeros', () => {
    const e = err({ code: 'CONFLICT', use: { leads: 2, users: 0, partners: 1, pools: 0, children: 3 } });
    expect(refusalLines(e, zh)).toEqual(['仍有：2 条线索、1 个渠道商、3 个下级区域']);
    expect(refusalLines(e, en)).toEqual(['It still has: 2 leads, 1 partners, 3 territories below it']);
  });

  it('says other errors as errorMessage does', () => {
    const e = err({ code: 'NOT_FOUND', field: 'id' }, 'tag not found');
    expect(hasRefusalDetails(e)).toBe(false);
    expect(refusalLines(e, zh)).toEqual([translate('zh', 'error.NOT_FOUND')]);
    expect(refusalLines(err({ code: 'CONFLICT', field: 'name' }, 'a tag named "x" exists'), zh)).toEqual(['a tag named "x" exists']);
  });
});

describe('subtreeIDs', () => {
  it('is the territory and everything below it, whatever the list order', () => {
    const list = [
      { id: 'pd', parent: { id: 'sh' } },
      { id: 'east', parent: null },
      { id: 'sh', parent: { id: 'east' } },
      { id: 'south' },
    ];
    expect([...subtreeIDs(list, 'east')].sort()).toEqual(['east', 'pd', 'sh']);
    expect([...subtreeIDs(list, 'south')]).toEqual(['south']);
  });
});
