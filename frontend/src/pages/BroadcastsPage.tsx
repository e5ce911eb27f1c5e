// Broadcasts (群发): schedule a message to a segment over a configured
// channel, cancel it, and watch its delivery stats live. Channels are
// configured on the second tab. A broadcast on the wecom channel that is a
// staff mass send (客户群发) shows each sending member's templates in its
// drawer — sent or waiting for them, customers sent/failed/pending, their
// reminders — with 提醒成员 (remindWeComMassSend) and when the automatic
// reminder runs; its hint opens the wecom channel's form at
// massSendRemindAfterMinutes (a number of minutes, empty for none), whose
// bounds the server checks and reports on the field. A staff mass send
// carries attachments (images, links, mini-programs; the contact-way
// drawer's editor, components/WeComAttachments, images uploaded through
// uploadWeComImage), which the form offers on the wecom channel; the API's
// errors land on the attachment's input.
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import {
  Alert, App, Button, Checkbox, Col, DatePicker, Descriptions, Drawer, Empty, Form, Input, InputNumber, Modal, Popconfirm, Progress, Row,
  Select, Space, Switch, Table, Tabs, Tag, TimePicker, Tooltip, Typography, type FormRule as Rule,
} from 'antd';
import { BellOutlined, PlusOutlined, ReloadOutlined, SettingOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useMutation, useQuery } from 'urql';
import { BroadcastsDoc, CancelBroadcastDoc, ChannelsDoc, ConfigureChannelDoc, CreateBroadcastDoc, RemindWeComMassSendDoc, SegmentsDoc, WeComMassSendDoc } from '../api/ops';
import { apiErrors, applyFormErrors, errorMessage, errorText } from '../api/errors';
import { useFieldDefs } from '../api/hooks';
import { useSession } from '../auth/session';
import { useT, type MessageKey } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { AttachmentsField, AttachmentTags } from '../components/WeComAttachments';
import { attachmentsInput, MAX_ATTACHMENTS } from '../lib/contactWays';
import { broadcastStatusLabel } from '../lib/labels';
import { fmtNumber, fmtTime } from '../lib/format';
import { useMobile } from '../lib/useMobile';
import { earliest, memberState, reminderNote, reminderRefusal, type MemberState, type Note } from '../lib/wecomMassSend';
import type { BroadcastsQuery, WeComMassSendQuery } from '../gql/graphql';

type Row = NonNullable<NonNullable<NonNullable<BroadcastsQuery['broadcasts']['edges']>[number]>['node']>;

const LIVE = ['SCHEDULED', 'PLANNING', 'SENDING', 'PAUSED'];

/** A channel form to open, with the field to focus (the mass-send hint's link). */
interface Editing {
  plugin: string;
  focus?: string;
}
type Configure = (target?: Editing) => void;
const statusColor: Record<string, string> = { SCHEDULED: 'blue', PLANNING: 'processing', SENDING: 'processing', PAUSED: 'orange', DONE: 'green', CANCELLED: 'default', FAILED: 'red' };

export default function BroadcastsPage() {
  const t = useT();
  const { can } = useSession();
  const [tab, setTab] = useState('broadcasts');
  const [editing, setEditing] = useState<Editing | null>(null);
  const configure: Configure = (target) => {
    setTab('channels');
    if (target && can('channel', 'write')) setEditing(target);
  };
  return (
    <div>
      <PageTitle title={t('broadcasts.title')} sub={t('broadcasts.sub')} />
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          { key: 'broadcasts', label: t('broadcasts.list'), children: <BroadcastList onConfigure={configure} /> },
          ...(can('channel', 'read') ? [{ key: 'channels', label: t('broadcasts.channels'), children: <Channels editing={editing} onEdit={setEditing} /> }] : []),
        ]}
      />
    </div>
  );
}

function BroadcastList({ onConfigure }: { onConfigure: Configure }) {
  const t = useT();
  const { can } = useSession();
  const { message } = App.useApp();
  const [res, refetch] = useQuery({ query: BroadcastsDoc, variables: { first: 100 }, context: useMemo(() => ({ additionalTypenames: ['Broadcast'] }), []) });
  const [, cancel] = useMutation(CancelBroadcastDoc);
  const [creating, setCreating] = useState(false);
  const [detail, setDetail] = useState<Row | null>(null);
  const mobile = useMobile();
  const rows = (res.data?.broadcasts.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const live = rows.some((r) => LIVE.includes(r.status));
  // ?open=<id> (the media library's 使用中 links) opens that broadcast's detail once the list has it.
  const [params, setParams] = useSearchParams();
  const openID = params.get('open');
  useEffect(() => {
    const r = openID ? rows.find((x) => x.id === openID) : undefined;
    if (!r) return;
    setDetail(r);
    const next = new URLSearchParams(params);
    next.delete('open');
    setParams(next, { replace: true });
  }, [openID, rows, params, setParams]);

  // Live stats: poll while anything is still scheduled or sending.
  useEffect(() => {
    if (!live) return;
    const h = setInterval(() => refetch({ requestPolicy: 'network-only' }), 5000);
    return () => clearInterval(h);
  }, [live, refetch]);

  const doCancel = async (id: string) => {
    const r = await cancel({ id });
    if (r.error) message.error(errorText(r.error));
    else message.success(t('broadcasts.cancelled'));
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <>
      <div className="scrm-toolbar" style={{ justifyContent: 'space-between', marginBottom: 12 }}>
        <Typography.Text type="secondary">{live ? t('broadcasts.live') : ''}</Typography.Text>
        <Space>
          <Button icon={<ReloadOutlined />} onClick={() => refetch({ requestPolicy: 'network-only' })} aria-label={t('common.refresh')} />
          {can('broadcast', 'write') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-broadcast">
              {t('broadcasts.new')}
            </Button>
          )}
        </Space>
      </div>
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Table<Row>
        rowKey="id"
        dataSource={rows}
        loading={res.fetching && !res.data}
        data-testid="broadcasts-table"
        scroll={{ x: 'max-content' }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={t('broadcasts.empty')} /> }}
        columns={[
          { title: t('broadcasts.name'), dataIndex: 'name', render: (v: string, r) => <a onClick={() => setDetail(r)}>{v}</a> },
          { title: t('broadcasts.segment'), dataIndex: ['segment', 'name'] },
          { title: t('broadcasts.channel'), dataIndex: 'channel', render: (v: string) => <Tag>{v}</Tag> },
          {
            title: t('broadcasts.status'),
            dataIndex: 'status',
            render: (v: string, r) => (
              <Tooltip title={r.error}>
                <Tag color={statusColor[v]} data-testid="broadcast-status">{broadcastStatusLabel(t, v)}</Tag>
                {r.cron && <Tag>{r.cron}</Tag>}
              </Tooltip>
            ),
          },
          { title: t('broadcasts.scheduledAt'), dataIndex: 'scheduledAt', render: fmtTime },
          {
            title: t('broadcasts.progress'),
            key: 'progress',
            width: 220,
            render: (_: unknown, r) => {
              const s = r.stats;
              const deliverable = s.targeted - s.suppressedDnd - s.suppressedBlacklist - s.suppressedCap - s.unreachable;
              const pct = deliverable > 0 ? Math.round((s.sent / deliverable) * 100) : r.status === 'DONE' ? 100 : 0;
              return (
                <Tooltip title={t('broadcasts.progressTip', { sent: s.sent, total: Math.max(deliverable, 0) })}>
                  <Progress percent={pct} size="small" status={r.status === 'FAILED' ? 'exception' : r.status === 'SENDING' ? 'active' : undefined} />
                </Tooltip>
              );
            },
          },
          { title: t('stats.targeted'), dataIndex: ['stats', 'targeted'], align: 'right', render: (v: number) => fmtNumber(v) },
          { title: t('stats.delivered'), dataIndex: ['stats', 'delivered'], align: 'right', render: (v: number) => fmtNumber(v) },
          { title: t('stats.replied'), dataIndex: ['stats', 'replied'], align: 'right', render: (v: number) => fmtNumber(v) },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, r) =>
              can('broadcast', 'write') &&
              LIVE.includes(r.status) && (
                <Popconfirm title={t('broadcasts.cancelConfirm', { name: r.name })} onConfirm={() => doCancel(r.id)}>
                  <Button size="small" danger data-testid="broadcast-cancel">{t('broadcasts.cancel')}</Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      <BroadcastForm open={creating} onClose={() => setCreating(false)} onCreated={() => refetch({ requestPolicy: 'network-only' })} onConfigure={onConfigure} />
      <Drawer open={!!detail} onClose={() => setDetail(null)} size={mobile ? '100%' : 560} title={detail?.name}>
        {detail && (
          <BroadcastDetail
            row={rows.find((r) => r.id === detail.id) ?? detail}
            onConfigure={(target) => {
              setDetail(null);
              onConfigure(target);
            }}
          />
        )}
      </Drawer>
    </>
  );
}

function BroadcastDetail({ row, onConfigure }: { row: Row; onConfigure: Configure }) {
  const t = useT();
  const s = row.stats;
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <Descriptions column={1} size="small" bordered>
        <Descriptions.Item label={t('broadcasts.status')}>
          <Tag color={statusColor[row.status]}>{broadcastStatusLabel(t, row.status)}</Tag>
        </Descriptions.Item>
        <Descriptions.Item label={t('broadcasts.segment')}>{row.segment?.name ?? t('broadcasts.journeyStep')}</Descriptions.Item>
        <Descriptions.Item label={t('broadcasts.channel')}>{row.channel}</Descriptions.Item>
        <Descriptions.Item label={t('broadcasts.scheduledAt')}>{fmtTime(row.scheduledAt)}</Descriptions.Item>
        <Descriptions.Item label={t('broadcasts.startedAt')}>{fmtTime(row.startedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('broadcasts.finishedAt')}>{fmtTime(row.finishedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('broadcasts.rate')}>{row.ratePerSecond}/s</Descriptions.Item>
        {row.frequencyCap && <Descriptions.Item label={t('broadcasts.cap')}>{t('broadcasts.capText', { max: row.frequencyCap.max, days: row.frequencyCap.days })}</Descriptions.Item>}
        {row.quietHours && <Descriptions.Item label={t('broadcasts.quiet')}>{`${row.quietHours.start}–${row.quietHours.end} (${row.quietHours.timezone})`}</Descriptions.Item>}
        {row.cron && <Descriptions.Item label={t('broadcasts.cron')}>{row.cron}</Descriptions.Item>}
        {row.subject && <Descriptions.Item label={t('broadcasts.subject')}>{row.subject}</Descriptions.Item>}
        <Descriptions.Item label={t('broadcasts.template')}>
          <pre style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{row.template}</pre>
        </Descriptions.Item>
        {row.attachments.length > 0 && (
          <Descriptions.Item label={t('broadcasts.attachments')}>
            <span data-testid="broadcast-attachments"><AttachmentTags list={row.attachments} /></span>
          </Descriptions.Item>
        )}
        {row.error && <Descriptions.Item label={t('broadcasts.error')}>{row.error}</Descriptions.Item>}
      </Descriptions>
      <Descriptions column={2} size="small" title={t('broadcasts.stats')} bordered data-testid="broadcast-stats">
        {(['targeted', 'pending', 'sent', 'delivered', 'failed', 'replied', 'suppressedDnd', 'suppressedBlacklist', 'suppressedCap', 'unreachable'] as const).map((k) => (
          <Descriptions.Item key={k} label={t(`stats.${k}`)}>
            {fmtNumber(s[k])}
          </Descriptions.Item>
        ))}
      </Descriptions>
      {row.channel === 'wecom' && <MassSend broadcastID={row.id} status={row.status} onConfigure={onConfigure} />}
    </Space>
  );
}

type Member = WeComMassSendQuery['weComMassSend']['members'][number];
const memberColor: Record<MemberState, string> = { waiting: 'orange', planned: 'processing', sent: 'green', expired: 'red', failed: 'red', cancelled: 'default' };

/**
 * A staff mass send per sending member: whether they sent (confirmed) their
 * templates, their customers' deliveries and reminders, and 提醒成员 for
 * those who have not sent yet. Polls while the broadcast is live.
 */
function MassSend({ broadcastID, status, onConfigure }: { broadcastID: string; status: string; onConfigure: Configure }) {
  const t = useT();
  const { can } = useSession();
  const [res, refetch] = useQuery({ query: WeComMassSendDoc, variables: { broadcastID }, requestPolicy: 'cache-and-network' });
  const [{ fetching: reminding }, remind] = useMutation(RemindWeComMassSendDoc);
  const [note, setNote] = useState<Note | null>(null);
  useEffect(() => {
    if (!LIVE.includes(status)) return;
    const h = setInterval(() => refetch({ requestPolicy: 'network-only' }), 5000);
    return () => clearInterval(h);
  }, [status, refetch]);
  const ms = res.data?.weComMassSend;
  // An application-message channel (no contactSecret): nothing per member to show.
  if (res.error && !ms) return <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!ms || !ms.staffMassSend) return null;
  const waiting = ms.members.filter((m) => m.waiting > 0);
  const say = (n: Note) => t(n.key as MessageKey, n.vars && { ...n.vars, ...(typeof n.vars.at === 'string' && n.vars.at ? { at: fmtTime(n.vars.at) } : {}) });

  const doRemind = async () => {
    setNote(null);
    const r = await remind({ broadcastID });
    if (r.error) {
      const errs = apiErrors(r.error);
      const n = reminderRefusal(errs, earliest(ms.members.map((m) => m.nextReminderAt)));
      setNote(n ?? { level: 'error', key: 'massSend.failed', detail: [errorText(r.error)] });
    } else if (r.data) {
      setNote(reminderNote(r.data.remindWeComMassSend));
    }
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <div data-testid="mass-send">
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }} wrap>
        <Typography.Title level={5} style={{ margin: 0 }}>{t('massSend.title')}</Typography.Title>
        {can('broadcast', 'write') && (
          <Tooltip title={!ms.remindable ? t('massSend.notRemindable') : waiting.length === 0 ? t('massSend.noneWaiting') : t('massSend.remindHint')}>
            <Button icon={<BellOutlined />} onClick={doRemind} loading={reminding} disabled={!ms.remindable} data-testid="mass-send-remind">
              {t('massSend.remind')}
            </Button>
          </Tooltip>
        )}
      </Space>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }} data-testid="mass-send-auto">
        {ms.autoRemindAfterMinutes ? t('massSend.autoOn', { n: ms.autoRemindAfterMinutes }) : t('massSend.autoOff')}
        {can('channel', 'write') && (
          <>
            {' '}
            <Typography.Link onClick={() => onConfigure({ plugin: 'wecom', focus: 'massSendRemindAfterMinutes' })} data-testid="mass-send-auto-configure">
              {ms.autoRemindAfterMinutes ? t('massSend.autoChange') : t('massSend.autoSet')}
            </Typography.Link>
          </>
        )}
        {' '}{t('massSend.limitRule')}
      </Typography.Paragraph>
      {note && (
        <Alert
          type={note.level}
          showIcon
          closable
          onClose={() => setNote(null)}
          style={{ marginBottom: 8 }}
          data-testid="mass-send-note"
          title={say(note)}
          description={note.detail?.length ? note.detail.join('; ') : undefined}
        />
      )}
      <Table<Member>
        rowKey="userID"
        size="small"
        pagination={false}
        dataSource={ms.members}
        loading={res.fetching && !res.data}
        scroll={{ x: 'max-content' }}
        data-testid="mass-send-members"
        onRow={(m) => ({ 'data-testid': 'mass-send-member', 'data-member': m.wecomUserID }) as React.HTMLAttributes<HTMLElement>}
        locale={{ emptyText: <Empty description={t('massSend.empty')} /> }}
        columns={[
          { title: t('massSend.member'), key: 'name', render: (_: unknown, m) => <span>{m.name}<div className="scrm-muted" style={{ fontSize: 12 }}>{m.wecomUserID}</div></span> },
          {
            title: t('massSend.state'), key: 'state',
            render: (_: unknown, m) => {
              const st = memberState(m);
              return <Tag color={memberColor[st]} data-testid="mass-send-state">{t(`massSend.state.${st}` as MessageKey, { n: m.waiting })}</Tag>;
            },
          },
          {
            title: t('massSend.customers'), key: 'customers', align: 'right' as const,
            render: (_: unknown, m) => (
              <Tooltip title={t('massSend.customersTip', { sent: m.sent, failed: m.failedDeliveries, pending: m.pending })}>
                <span data-testid="mass-send-customers">{t('massSend.customersText', { sent: fmtNumber(m.sent), n: fmtNumber(m.customers) })}</span>
                {m.failedDeliveries > 0 && <Typography.Text type="danger" style={{ marginLeft: 4 }}>{t('massSend.failedN', { n: m.failedDeliveries })}</Typography.Text>}
              </Tooltip>
            ),
          },
          {
            title: t('massSend.reminders'), key: 'reminders',
            render: (_: unknown, m) => (
              <span data-testid="mass-send-reminders">
                {m.reminders > 0 ? t('massSend.remindedN', { n: m.reminders, at: fmtTime(m.lastRemindedAt) }) : t('massSend.neverReminded')}
                {m.atLimit && <div><Typography.Text type="warning" style={{ fontSize: 12 }}>{t('massSend.atLimitUntil', { at: fmtTime(m.nextReminderAt) })}</Typography.Text></div>}
                {m.autoRemindAt && <div className="scrm-muted" style={{ fontSize: 12 }} data-testid="mass-send-auto-at">{t('massSend.autoAt', { at: fmtTime(m.autoRemindAt) })}</div>}
              </span>
            ),
          },
        ]}
      />
    </div>
  );
}

function BroadcastForm({ open, onClose, onCreated, onConfigure }: { open: boolean; onClose: () => void; onCreated: () => void; onConfigure: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [segs] = useQuery({ query: SegmentsDoc, variables: { first: 500 }, pause: !open });
  const [chs] = useQuery({ query: ChannelsDoc, pause: !open });
  const { defs } = useFieldDefs();
  const [{ fetching }, create] = useMutation(CreateBroadcastDoc);
  const [error, setError] = useState<string | null>(null);
  const channels = (chs.data?.channels ?? []).filter((c) => c.enabled);
  const channel = Form.useWatch('channel', form);

  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const input = {
      name: v.name,
      segmentID: v.segmentID,
      channel: v.channel,
      subject: v.subject || null,
      template: v.template,
      scheduledAt: v.now ? null : v.scheduledAt ? v.scheduledAt.toISOString() : null,
      ratePerSecond: v.ratePerSecond || null,
      cron: v.cron || null,
      frequencyCap: v.capMax && v.capDays ? { max: v.capMax, days: v.capDays } : null,
      quietHours: v.quiet?.[0] && v.quiet?.[1] ? { start: v.quiet[0].format('HH:mm'), end: v.quiet[1].format('HH:mm') } : null,
      attachments: v.channel === 'wecom' && v.attachments?.length ? attachmentsInput(v.attachments) : null,
    };
    const r = await create({ input });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, {
        map: {
          'input.frequencyCap.max': ['capMax'], 'input.frequencyCap.days': ['capDays'], 'input.frequencyCap': ['capMax'],
          'input.quietHours': ['quiet'], 'input.quietHours.start': ['quiet'], 'input.quietHours.end': ['quiet'], 'input.quietHours.timezone': ['quiet'],
        },
        known: ['name', 'segmentID', 'channel', 'subject', 'template', 'scheduledAt', 'ratePerSecond', 'cron', 'capMax', 'capDays', 'quiet', 'attachments'],
      });
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    message.success(t('broadcasts.created'));
    form.resetFields();
    onCreated();
    onClose();
  };

  const insert = (snippet: string) => form.setFieldValue('template', `${form.getFieldValue('template') ?? ''}${snippet}`);
  const readySegments = (segs.data?.segments.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));

  return (
    <Modal open={open} title={t('broadcasts.new')} width={720} onCancel={onClose} onOk={submit} confirmLoading={fetching} destroyOnHidden okButtonProps={{ 'data-testid': 'broadcast-submit' }}>
      {channels.length === 0 && !chs.fetching && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('broadcasts.noChannels')}
          action={<Button size="small" onClick={() => { onClose(); onConfigure(); }}>{t('broadcasts.configure')}</Button>}
        />
      )}
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="broadcast-error" />}
      <Form form={form} layout="vertical" preserve={false} initialValues={{ now: false, scheduledAt: dayjs().add(1, 'hour').startOf('hour'), ratePerSecond: 50 }} data-testid="broadcast-form">
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="name" label={t('broadcasts.name')} rules={[{ required: true, message: t('broadcasts.nameRequired') }]}>
              <Input maxLength={100} data-testid="broadcast-name" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="segmentID" label={t('broadcasts.segment')} rules={[{ required: true, message: t('broadcasts.segmentRequired') }]}>
              <Select
                showSearch={{ optionFilterProp: 'label' }}
                options={readySegments.map((s) => ({ value: s.id, label: `${s.name} (${fmtNumber(s.memberCount)})` }))}
                data-testid="broadcast-segment"
              />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="channel" label={t('broadcasts.channel')} rules={[{ required: true, message: t('broadcasts.channelRequired') }]}>
              <Select options={channels.map((c) => ({ value: c.key, label: c.key }))} data-testid="broadcast-channel" />
            </Form.Item>
          </Col>
          <Col span={12}>
            {channel === 'email' && (
              <Form.Item name="subject" label={t('broadcasts.subject')} rules={[{ required: true, message: t('broadcasts.subjectRequired') }]}>
                <Input maxLength={200} />
              </Form.Item>
            )}
          </Col>
        </Row>
        <Form.Item
          name="template"
          label={t('broadcasts.template')}
          rules={[{ required: true, message: t('broadcasts.templateRequired') }]}
          extra={
            <Space wrap size={4} style={{ marginTop: 4 }}>
              <span>{t('broadcasts.insert')}</span>
              {['name', 'company', 'source'].map((k) => (
                <Tag key={k} style={{ cursor: 'pointer' }} onClick={() => insert(`{{.${k}}}`)}>{`{{.${k}}}`}</Tag>
              ))}
              {defs.filter((d) => !d.archived).map((d) => (
                <Tag key={d.key} color="blue" style={{ cursor: 'pointer' }} onClick={() => insert(`{{.attributes.${d.key}}}`)}>{d.label}</Tag>
              ))}
            </Space>
          }
        >
          <Input.TextArea className="scrm-cel" autoSize={{ minRows: 3, maxRows: 10 }} maxLength={65536} data-testid="broadcast-template" />
        </Form.Item>
        {channel === 'wecom' && <AttachmentsField name="attachments" label={t('broadcasts.attachments')} hint={t('broadcasts.attachmentsHint', { n: MAX_ATTACHMENTS })} />}
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item noStyle shouldUpdate={(a, b) => a.now !== b.now}>
              {({ getFieldValue }) => (
                <Form.Item name="scheduledAt" label={t('broadcasts.scheduledAt')}>
                  <DatePicker showTime style={{ width: '100%' }} disabled={getFieldValue('now')} disabledDate={(d) => d.isBefore(dayjs(), 'day')} data-testid="broadcast-when" />
                </Form.Item>
              )}
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="now" valuePropName="checked" label=" ">
              <Checkbox>{t('broadcasts.sendNow')}</Checkbox>
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="ratePerSecond" label={t('broadcasts.rate')}>
              <InputNumber min={1} max={1000} style={{ width: '100%' }} addonAfter="/s" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item label={t('broadcasts.cap')} style={{ marginBottom: 0 }}>
              <Space.Compact>
                <Form.Item name="capMax" noStyle>
                  <InputNumber min={1} max={100} placeholder={t('broadcasts.capMax')} />
                </Form.Item>
                <Form.Item name="capDays" noStyle>
                  <InputNumber min={1} max={365} placeholder={t('broadcasts.capDays')} />
                </Form.Item>
              </Space.Compact>
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="quiet" label={t('broadcasts.quiet')}>
              <TimePicker.RangePicker format="HH:mm" order={false} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="cron" label={t('broadcasts.cron')} extra={t('broadcasts.cronHint')}>
              <Input placeholder="0 10 * * 1" className="scrm-cel" />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </Modal>
  );
}

// ---------------------------------------------------------------- channels

interface PluginField {
  key: string;
  secret?: boolean;
  number?: boolean;
  options?: string[];
  /** A hint under the field. */
  hint?: MessageKey;
  /** Checks before the save (the server checks again). */
  rules?: (t: ReturnType<typeof useT>) => Rule[];
}

// WeCom's domain verification file (可信域名): its name and its text, both or
// neither, checked as the server checks them (plugins/wecom).
const verifyFilePair = (t: ReturnType<typeof useT>, other: string): Rule => ({ getFieldValue }) => ({
  validator: (_: unknown, v: unknown) => (!v && getFieldValue(other) ? Promise.reject(new Error(t('channels.wecom.verifyFilePair'))) : Promise.resolve()),
});

const plugins: Record<string, PluginField[]> = {
  webhook: [{ key: 'url' }, { key: 'secret', secret: true }, { key: 'timeoutSeconds', number: true }, { key: 'maxAttempts', number: true }],
  email: [
    { key: 'host' }, { key: 'port', number: true }, { key: 'username' }, { key: 'password', secret: true }, { key: 'from' }, { key: 'fromName' },
    { key: 'tls', options: ['starttls', 'implicit', 'none'] },
  ],
  sms: [{ key: 'baseUrl' }, { key: 'appKey' }, { key: 'appSecret', secret: true }, { key: 'signName' }, { key: 'templateCode' }],
  wecom: [
    { key: 'baseUrl' }, { key: 'corpId' }, { key: 'corpSecret', secret: true }, { key: 'agentId', number: true },
    { key: 'contactSecret', secret: true }, { key: 'callbackToken', secret: true }, { key: 'encodingAESKey', secret: true },
    { key: 'massSendRemindAfterMinutes', number: true, hint: 'channels.wecom.remindHint' },
    { key: 'imageUploadsPerDay', number: true, hint: 'channels.wecom.uploadsHint' },
    { key: 'sidebarOrigin', hint: 'channels.wecom.sidebarOriginHint' },
    {
      key: 'verifyFileName', hint: 'channels.wecom.verifyFileNameHint',
      rules: (t) => [{ pattern: /^\s*WW_verify_[A-Za-z0-9]+\.txt\s*$/, message: t('channels.wecom.verifyFileNameBad') }, verifyFilePair(t, 'verifyFileContent')],
    },
    {
      key: 'verifyFileContent', hint: 'channels.wecom.verifyFileContentHint',
      rules: (t) => [{ pattern: /^\s*[\x21-\x7e]{1,128}\s*$/, message: t('channels.wecom.verifyFileContentBad') }, verifyFilePair(t, 'verifyFileName')],
    },
  ],
};

function Channels({ editing, onEdit }: { editing: Editing | null; onEdit: (e: Editing | null) => void }) {
  const t = useT();
  const { can } = useSession();
  const [res, refetch] = useQuery({ query: ChannelsDoc, context: useMemo(() => ({ additionalTypenames: ['Channel'] }), []) });
  const configured = res.data?.channels ?? [];
  return (
    <>
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Table
        rowKey="key"
        pagination={false}
        loading={res.fetching && !res.data}
        data-testid="channels-table"
        dataSource={Object.keys(plugins).map((key) => ({ key, ch: configured.find((c) => c.key === key) }))}
        columns={[
          { title: t('channels.plugin'), dataIndex: 'key', render: (v: string) => <b>{v}</b> },
          {
            title: t('channels.state'),
            key: 'state',
            render: (_: unknown, r) => (r.ch ? <Tag color={r.ch.enabled ? 'green' : 'default'}>{r.ch.enabled ? t('channels.enabled') : t('channels.disabled')}</Tag> : <Tag>{t('channels.notConfigured')}</Tag>),
          },
          { title: t('channels.config'), key: 'config', render: (_: unknown, r) => r.ch && <code style={{ fontSize: 12 }}>{JSON.stringify(r.ch.config)}</code> },
          { title: t('channels.updatedAt'), key: 'u', render: (_: unknown, r) => fmtTime(r.ch?.updatedAt) },
          {
            title: '',
            key: 'a',
            render: (_: unknown, r) =>
              can('channel', 'write') && (
                <Button size="small" icon={<SettingOutlined />} onClick={() => onEdit({ plugin: r.key })} data-testid={`configure-${r.key}`}>
                  {t('broadcasts.configure')}
                </Button>
              ),
          },
        ]}
      />
      {editing && (res.data || res.error) && (
        <ChannelForm
          plugin={editing.plugin}
          focus={editing.focus}
          current={configured.find((c) => c.key === editing.plugin)}
          onClose={() => onEdit(null)}
          onSaved={() => refetch({ requestPolicy: 'network-only' })}
        />
      )}
    </>
  );
}

export function ChannelForm({ plugin, focus, current, onClose, onSaved }: {
  plugin: string;
  focus?: string;
  current?: { enabled: boolean; config: unknown };
  onClose: () => void;
  onSaved: () => void;
}) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [{ fetching }, configure] = useMutation(ConfigureChannelDoc);
  const [error, setError] = useState<string | null>(null);
  const fields = plugins[plugin];
  const cfg = (current?.config ?? {}) as Record<string, unknown>;
  const known = new Set(fields.map((f) => f.key).concat('requires'));
  const extra = Object.fromEntries(Object.entries(cfg).filter(([k]) => !known.has(k)));

  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const config: Record<string, unknown> = {};
    for (const f of fields) {
      const x = v[f.key];
      if (x === undefined || x === null || x === '') continue;
      config[f.key] = x;
    }
    if (v.requires) config.requires = v.requires;
    if (v.extra?.trim()) {
      try {
        Object.assign(config, JSON.parse(v.extra));
      } catch {
        form.setFields([{ name: 'extra', errors: [t('channels.badJson')] }]);
        return;
      }
    }
    const r = await configure({ key: plugin, config, enabled: v.enabled });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { strip: ['config.'], known: [...fields.map((f) => f.key), 'requires'] });
      if (rest.length) setError(rest.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; '));
      return;
    }
    message.success(t('channels.saved'));
    onSaved();
    onClose();
  };

  return (
    <Modal
      open
      title={t('channels.configureTitle', { plugin })}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={fetching}
      okButtonProps={{ 'data-testid': 'channel-submit' }}
      afterOpenChange={(open) => open && focus && form.scrollToField(focus, { focus: true, block: 'center' })}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="channel-error" />}
      <Form
        form={form}
        layout="vertical"
        initialValues={{ enabled: current?.enabled ?? true, ...Object.fromEntries(fields.map((f) => [f.key, f.secret ? undefined : cfg[f.key]])), requires: cfg.requires, extra: Object.keys(extra).length ? JSON.stringify(extra) : '' }}
        data-testid="channel-form"
      >
        <Form.Item name="enabled" label={t('channels.enabled')} valuePropName="checked">
          <Switch />
        </Form.Item>
        {fields.map((f) => (
          <Form.Item key={f.key} name={f.key} label={f.key} extra={f.hint ? t(f.hint) : f.secret && current ? t('channels.secretKept') : undefined}
            rules={f.rules?.(t)} dependencies={f.key === 'verifyFileName' ? ['verifyFileContent'] : f.key === 'verifyFileContent' ? ['verifyFileName'] : undefined}>
            {f.number ? (
              <InputNumber style={{ width: '100%' }} precision={0} data-testid={`channel-${f.key}`} />
            ) : f.options ? (
              <Select allowClear options={f.options.map((o) => ({ value: o, label: o }))} />
            ) : f.secret ? (
              <Input.Password autoComplete="new-password" data-testid={`channel-${f.key}`} />
            ) : (
              <Input data-testid={`channel-${f.key}`} />
            )}
          </Form.Item>
        ))}
        <Form.Item name="requires" label="requires" extra={t('channels.requiresHint')}>
          <Select allowClear options={['PHONE', 'SMS', 'WECOM', 'OFFICIAL_ACCOUNT', 'EMAIL'].map((x) => ({ value: x, label: x }))} />
        </Form.Item>
        <Form.Item name="extra" label={t('channels.extra')} extra={t('channels.extraHint')}>
          <Input.TextArea className="scrm-cel" autoSize={{ minRows: 1, maxRows: 6 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
