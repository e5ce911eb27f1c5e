import { describe, expect, it } from 'vitest';
import { translate, type TFunc } from '../i18n';
import {
  TIMELINE_KINDS, actorName, appendPage, describeItem, eventProperties, itemColor, kindsVariable, timelineKindLabel, type TimelineItemView,
} from './timeline';

const zh: TFunc = (k, v) => translate('zh', k, v);
const en: TFunc = (k, v) => translate('en', k, v);
const base = { id: 'i', at: '2026-05-01T08:00:00Z', summary: 'raw summary', actor: null };

describe('timeline labels', () => {
  it('names every kind in both languages', () => {
    for (const k of TIMELINE_KINDS) {
      expect(timelineKindLabel(zh, k)).not.toContain('timeline.');
      expect(timelineKindLabel(en, k)).not.toContain('timeline.');
    }
    expect(timelineKindLabel(zh, 'FOLLOW_UP')).toBe('跟进');
  });
});

describe('describeItem', () => {
  const cases: [string, TimelineItemView, { title: string; detail: string }, string][] = [
    ['follow-up', { ...base, kind: 'FOLLOW_UP', followUp: { kind: 'CALL', outcome: 'CONNECTED', content: '想要报价' } },
      { title: '电话 · 已接通', detail: '想要报价' }, 'blue'],
    ['stage change to won', { ...base, kind: 'STAGE_CHANGE', stageChange: { reason: 'first deal', from: { name: '意向' }, to: { name: '赢单', kind: 'WON' } } },
      { title: '意向 → 赢单', detail: 'first deal' }, 'green'],
    ['stage change to lost', { ...base, kind: 'STAGE_CHANGE', stageChange: { reason: '', from: null, to: { name: '输单', kind: 'LOST' }, lostReason: { name: '价格' } } },
      { title: '— → 输单', detail: '价格' }, 'red'],
    ['owner change from the pool', { ...base, kind: 'OWNER_CHANGE', ownerChange: { kind: 'CLAIM', by: 'USER', reason: '', fromUser: null, toUser: { name: '王五' } } },
      { title: '领取：公海 → 王五', detail: '' }, 'gray'],
    ['deal', { ...base, kind: 'DEAL', deal: { amount: 1200, currency: 'CNY', repurchase: true } },
      { title: `成交 ${(1200).toLocaleString(undefined, { style: 'currency', currency: 'CNY', maximumFractionDigits: 2 })}`, detail: '复购' }, 'green'],
    ['event', { ...base, kind: 'EVENT', event: { name: 'viewed_price', source: 'sdk', properties: { page: '/pricing', n: 2, empty: '' } } },
      { title: '事件 viewed_price', detail: 'page: /pricing · n: 2' }, 'cyan'],
    ['duplicate dismissed', { ...base, kind: 'EVENT', event: { name: 'lead.duplicate_dismissed', source: 'duplicates', properties: { kind: 'PHONE', leads: ['a', 'b', 'c'], by: 'u' } } },
      { title: '标记为不是重复（手机号）', detail: '与另外 2 条线索' }, 'cyan'],
    ['duplicate restored', { ...base, kind: 'EVENT', event: { name: 'lead.duplicate_restored', source: 'duplicates', properties: { kind: 'NAME_COMPANY', leads: ['a', 'b'] } } },
      { title: '撤销了“不是重复”（姓名 + 公司）', detail: '与另外 1 条线索' }, 'cyan'],
    ['duplicate dismissed, a count', { ...base, kind: 'EVENT', event: { name: 'lead.duplicate_dismissed', source: 'duplicates', properties: { kind: 'EMAIL', count: 5000, by: 'u' } } },
      { title: '标记为不是重复（邮箱）', detail: '与另外 4999 条线索' }, 'cyan'],
    ['wecom added', { ...base, kind: 'WECOM', event: { name: 'wecom.added', source: 'wecom', properties: { userID: 'zs', contactWay: '展会码' } } },
      { title: '添加了企业微信好友', detail: '渠道活码：展会码' }, '#07c160'],
    ['wecom lost', { ...base, kind: 'WECOM', event: { name: 'wecom.lost', source: 'wecom', properties: {} } },
      { title: '客户删除了成员（流失）', detail: '' }, 'red'],
    ['wecom unknown', { ...base, kind: 'WECOM', event: { name: 'wecom.future', source: 'wecom', properties: null } },
      { title: '企业微信事件 wecom.future', detail: '' }, '#07c160'],
    ['message replied', { ...base, kind: 'MESSAGE', message: { status: 'REPLIED', reply: '好的', broadcast: { name: '春季促销' } } },
      { title: '群发「春季促销」 · 已回复', detail: '回复：好的' }, 'orange'],
    ['message failed', { ...base, kind: 'MESSAGE', message: { status: 'FAILED', reply: null, broadcast: { name: 'x' } } },
      { title: '群发「x」 · 发送失败', detail: '' }, 'red'],
    ['payload missing: the summary', { ...base, kind: 'DEAL' }, { title: 'raw summary', detail: '' }, 'green'],
  ];
  for (const [name, item, want, color] of cases) {
    it(name, () => {
      expect(describeItem(zh, item)).toEqual(want);
      expect(itemColor(item)).toBe(color);
    });
  }
  it('reads in English too', () => {
    expect(describeItem(en, { ...base, kind: 'MESSAGE', message: { status: 'SENT', broadcast: { name: 'Spring' } } }).title).toBe('Broadcast “Spring” · Sent');
  });
});

describe('actorName', () => {
  it('is the user, a rule, the system, or nobody', () => {
    expect(actorName(zh, { ...base, kind: 'FOLLOW_UP', actor: { name: '李四' } })).toBe('李四');
    expect(actorName(zh, { ...base, kind: 'OWNER_CHANGE', ownerChange: { kind: 'AUTO_ASSIGN', by: 'RULE', reason: '' } })).toBe('规则');
    expect(actorName(zh, { ...base, kind: 'STAGE_CHANGE' })).toBe('系统');
    expect(actorName(zh, { ...base, kind: 'OWNER_CHANGE', ownerChange: { kind: 'RECYCLE', by: 'SYSTEM', reason: '' } })).toBe('系统');
    expect(actorName(zh, { ...base, kind: 'EVENT' })).toBe('');
    expect(actorName(zh, { ...base, kind: 'DEAL' })).toBe('');
  });
});

describe('paging and filters', () => {
  it('appends a page without repeating items', () => {
    expect(appendPage([{ id: 'a' }, { id: 'b' }], [{ id: 'b' }, { id: 'c' }]).map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });
  it('asks for every kind as null and keeps the chips order', () => {
    expect(kindsVariable([])).toBeNull();
    expect(kindsVariable([...TIMELINE_KINDS])).toBeNull();
    expect(kindsVariable(['DEAL', 'FOLLOW_UP'])).toEqual(['FOLLOW_UP', 'DEAL']);
  });
  it('lists event properties', () => {
    expect(eventProperties({ a: 1, b: { c: 2 }, d: null }, [])).toBe('a: 1 · b: {"c":2}');
    expect(eventProperties('x')).toBe('');
  });
});
