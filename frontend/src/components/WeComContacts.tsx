// The lead's WeCom section (企业微信): which members have the customer as a
// contact, since when, through which channel (the contact-way code's name,
// a link to 渠道活码 for those who may open it, 已删除 for a deleted code;
// the raw state when it is no code's; 未记录 when there is none: a direct
// add), and the ones the customer deleted (已流失, in red with the date).
// Nothing when there are none.
import { Card, Tag, Typography } from 'antd';
import { WechatWorkOutlined } from '@ant-design/icons';
import { useT } from '../i18n';
import { fmtTime } from '../lib/format';
import { Link } from 'react-router';
import { contactChannel, sortContacts, type WeComContactRow } from '../lib/wecom';

/** codesPage: whether the viewer may open 渠道活码 (the code's name is then a link). */
export function WeComContacts({ contacts, codesPage = false }: { contacts: readonly WeComContactRow[] | null | undefined; codesPage?: boolean }) {
  const t = useT();
  const rows = sortContacts(contacts);
  const channel = (c: WeComContactRow) => {
    const ch = contactChannel(c);
    if (ch.kind === 'none') return t('lead.wecomStateNone');
    if (ch.kind === 'state') return ch.state;
    const name = ch.deleted ? `${ch.name}（${t('lead.wecomCodeDeleted')}）` : ch.name;
    return codesPage ? <Link to="/wecom/contact-ways" data-testid="wecom-code">{name}</Link> : <span data-testid="wecom-code">{name}</span>;
  };
  if (rows.length === 0) return null;
  return (
    <Card
      title={<span><WechatWorkOutlined /> {t('lead.wecom')} ({rows.length})</span>}
      style={{ marginBottom: 16 }}
      data-testid="lead-wecom"
      styles={{ body: { padding: '4px 16px' } }}
    >
      {rows.map((c) => (
        <div
          key={c.id}
          data-testid="wecom-contact"
          data-lost={c.lostAt ? 'true' : 'false'}
          style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', justifyContent: 'space-between', gap: '4px 12px', padding: '10px 0', borderBottom: '1px solid rgba(5,5,5,0.06)' }}
        >
          <div style={{ minWidth: 0 }}>
            <Typography.Text strong data-testid="wecom-member">{c.user.name}</Typography.Text>
            <div className="scrm-muted" style={{ fontSize: 12 }}>
              <span title={t('lead.wecomAddedAt')}>{t('lead.wecomAddedAt')} {fmtTime(c.addedAt)}</span>
              {' · '}
              <span data-testid="wecom-state">{t('lead.wecomState')}: {channel(c)}</span>
            </div>
          </div>
          {c.lostAt ? (
            <Tag color="red" data-testid="wecom-lost">{t('lead.wecomLostAt', { date: fmtTime(c.lostAt) })}</Tag>
          ) : (
            <Tag color="green">{t('lead.wecomActive')}</Tag>
          )}
        </div>
      ))}
    </Card>
  );
}
