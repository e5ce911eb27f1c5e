// Contact-way codes (渠道活码): the workspace's WeCom QR codes with their
// members, source, tags and what they brought in (contactWays), and a
// drawer to create one (createContactWay). Input errors land on the field
// they name (input.userIDs[1] on the members, named); a CONFLICT — no WeCom
// corp configured, or WeCom's refusal — is an alert above the form. The
// header also starts a sync of the corp's customers (WeComSyncButton).
import { useMemo, useState } from 'react';
import { Alert, App, Button, Drawer, Empty, Form, Image, Input, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined, QrcodeOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { ContactWaysDoc, ContactWayUsersDoc, CreateContactWayDoc } from '../api/ops';
import { errorMessage, type APIError } from '../api/errors';
import { usePools, useTags } from '../api/hooks';
import { useSession } from '../auth/session';
import { useI18n } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { WeComSyncButton } from '../components/WeComSyncButton';
import { contactWayErrors, memberOptions, notConfigured } from '../lib/contactWays';
import { contactWayStrategyLabel } from '../lib/labels';
import { fmtNumber, fmtTime } from '../lib/format';
import { useMobile } from '../lib/useMobile';
import type { ContactWaysQuery, ContactWayStrategy } from '../gql/graphql';

type Code = ContactWaysQuery['contactWays'][number];
const STRATEGIES: ContactWayStrategy[] = ['FIXED', 'ROUND_ROBIN', 'LEAST_LOADED'];
const STATS = ['added', 'lost', 'leadsCreated', 'leadsMerged', 'deals', 'welcomesSent'] as const;

export default function ContactWaysPage() {
  const { t } = useI18n();
  const { can } = useSession();
  const mobile = useMobile();
  const [res, refetch] = useQuery({ query: ContactWaysDoc, context: useMemo(() => ({ additionalTypenames: ['ContactWay'] }), []) });
  const [creating, setCreating] = useState(false);
  const codes = res.data?.contactWays ?? [];

  const columns = [
    {
      title: t('contactWays.name'), key: 'name', fixed: mobile ? undefined : ('left' as const),
      render: (_: unknown, c: Code) => (
        <div style={{ minWidth: 140, maxWidth: 240, whiteSpace: 'normal' }}>
          <Typography.Text strong data-testid="cw-name">{c.name}</Typography.Text>
          <div className="scrm-muted" style={{ fontSize: 12 }}>{c.state}</div>
        </div>
      ),
    },
    { title: t('contactWays.qr'), key: 'qr', width: 84, render: (_: unknown, c: Code) => <QrCode code={c} /> },
    { title: t('contactWays.members'), key: 'users', render: (_: unknown, c: Code) => c.users.map((u) => <Tag key={u.id}>{u.name}</Tag>) },
    { title: t('contactWays.strategy'), key: 'strategy', render: (_: unknown, c: Code) => contactWayStrategyLabel(t, c.strategy) },
    { title: t('contactWays.source'), dataIndex: 'source', key: 'source' },
    { title: t('contactWays.tags'), key: 'tags', render: (_: unknown, c: Code) => c.tags.map((x) => <Tag key={x.id} color={x.color || undefined}>{x.name}</Tag>) },
    {
      title: t('contactWays.stats'),
      key: 'stats',
      children: STATS.map((k) => ({
        title: t(`contactWays.${k}`), key: k, align: 'right' as const,
        render: (_: unknown, c: Code) => <span data-testid={`cw-${k}`}>{fmtNumber(c.stats[k])}</span>,
      })),
    },
    { title: t('contactWays.createdAt'), key: 'createdAt', render: (_: unknown, c: Code) => <span className="scrm-nowrap">{fmtTime(c.createdAt)}</span> },
  ];

  return (
    <div data-testid="contact-ways">
      <PageTitle
        title={t('contactWays.title')}
        sub={t('contactWays.sub')}
        extra={can('channel', 'write') && (
          <Space wrap>
            <WeComSyncButton />
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="cw-new">{t('contactWays.new')}</Button>
          </Space>
        )}
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Typography.Text type="secondary" style={{ display: 'block', marginBottom: 8 }} data-testid="cw-count">{t('contactWays.count', { n: codes.length })}</Typography.Text>
      <Table<Code>
        rowKey="id"
        size="middle"
        bordered
        columns={columns}
        dataSource={codes}
        loading={res.fetching && !res.data}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        data-testid="cw-table"
        onRow={(c) => ({ 'data-testid': 'cw-row', 'data-code': c.id }) as React.HTMLAttributes<HTMLElement>}
        locale={{ emptyText: res.fetching ? ' ' : <Empty description={t('contactWays.empty')} /> }}
      />
      {creating && <CreateDrawer onClose={() => setCreating(false)} onCreated={() => refetch({ requestPolicy: 'network-only' })} />}
    </div>
  );
}

/** The code's QR image; a click enlarges it (with a link to open it in a window of its own). */
function QrCode({ code }: { code: Code }) {
  const { t } = useI18n();
  const [broken, setBroken] = useState(false);
  if (!code.qrCodeURL) return null;
  const open = (
    <a href={code.qrCodeURL} target="_blank" rel="noopener noreferrer" data-testid="cw-qr-open">
      {broken ? <><QrcodeOutlined /> {t('contactWays.qrOpen')}</> : t('contactWays.qrOpen')}
    </a>
  );
  if (broken) return <Tooltip title={t('contactWays.qrMissing')}>{open}</Tooltip>;
  return (
    <Tooltip title={t('contactWays.qrEnlarge')}>
      <Image
        src={code.qrCodeURL}
        width={56}
        height={56}
        alt={`${t('contactWays.qr')}: ${code.name}`}
        style={{ objectFit: 'contain', cursor: 'zoom-in' }}
        onError={() => setBroken(true)}
        preview={{ actionsRender: (node) => <Space orientation="vertical" align="center">{node}{open}</Space> }}
        data-testid="cw-qr"
      />
    </Tooltip>
  );
}

interface FormValues {
  name: string;
  userIDs: string[];
  strategy: ContactWayStrategy;
  source?: string;
  tagIDs?: string[];
  welcomeMessage?: string;
  skipVerify: boolean;
  poolID?: string;
}

function CreateDrawer({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const mobile = useMobile();
  const [form] = Form.useForm<FormValues>();
  const [usersRes] = useQuery({ query: ContactWayUsersDoc, pause: !can('user', 'read'), requestPolicy: 'network-only' });
  const { tags } = useTags();
  const { pools } = usePools();
  const [{ fetching }, create] = useMutation(CreateContactWayDoc);
  const [refusal, setRefusal] = useState<APIError[]>([]);

  const users = useMemo(() => (usersRes.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), [usersRes.data]);
  const options = useMemo(() => memberOptions(users), [users]);
  const userNames = useMemo(() => new Map(users.map((u) => [u.id, u.name])), [users]);
  const tagNames = useMemo(() => new Map(tags.map((x) => [x.id, x.name])), [tags]);

  const submit = async () => {
    setRefusal([]);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const input = {
      name: v.name,
      userIDs: v.userIDs,
      strategy: v.strategy,
      source: v.source?.trim() || null,
      tagIDs: v.tagIDs ?? [],
      welcomeMessage: v.welcomeMessage ?? '',
      skipVerify: v.skipVerify,
      poolID: v.poolID || null,
    };
    const r = await create({ input });
    if (r.error) {
      const { fields, rest } = contactWayErrors(r.error, input, { users: userNames, tags: tagNames });
      if (fields.length) form.setFields(fields);
      setRefusal(rest);
      return;
    }
    message.success(t('contactWays.created', { name: r.data?.createContactWay.name ?? v.name }));
    onCreated();
    onClose();
  };

  const insertName = () => {
    const cur = form.getFieldValue('welcomeMessage') ?? '';
    form.setFieldValue('welcomeMessage', `${cur}{{.name}}`);
  };

  const conflict = refusal.find(notConfigured);
  return (
    <Drawer
      open
      title={t('contactWays.new')}
      size={mobile ? '100%' : 560}
      onClose={onClose}
      destroyOnHidden
      rootClassName="scrm-cw-drawer"
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={fetching} onClick={submit} data-testid="cw-submit">{t('common.create')}</Button>
        </Space>
      }
    >
      {refusal.length > 0 && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="cw-error"
          title={refusal.some((e) => e.code === 'CONFLICT') ? t('contactWays.conflictTitle') : t('contactWays.failed')}
          description={
            <>
              {conflict && <div data-testid="cw-not-configured">{t('contactWays.notConfigured')}</div>}
              <div className={conflict ? 'scrm-muted' : undefined}>{[...new Set(refusal.map((e) => errorMessage(e, lang)))].join('; ')}</div>
            </>
          }
        />
      )}
      {!can('user', 'read') && <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t('contactWays.noUsers')} />}
      <Form<FormValues> form={form} layout="vertical" initialValues={{ strategy: 'FIXED', skipVerify: true, userIDs: [], tagIDs: [] }}>
        <Form.Item name="name" label={t('contactWays.name')} extra={t('contactWays.nameHint')} rules={[{ required: true, whitespace: true, message: t('contactWays.nameRequired') }]}>
          <Input maxLength={200} data-testid="cw-form-name" />
        </Form.Item>
        <Form.Item name="userIDs" label={t('contactWays.members')} extra={t('contactWays.membersHint')} rules={[{ required: true, type: 'array', min: 1, message: t('contactWays.membersRequired') }]}>
          <Select
            mode="multiple"
            showSearch={{ optionFilterProp: 'name' }}
            loading={usersRes.fetching}
            data-testid="cw-form-users"
            options={options.map((o) => ({
              value: o.value,
              name: o.label,
              disabled: o.disabled,
              label: o.reason ? (
                <span>
                  {o.label} <Typography.Text type="secondary" style={{ fontSize: 12 }}>— {t(o.reason === 'inactive' ? 'contactWays.inactive' : 'contactWays.unlinked')}</Typography.Text>
                </span>
              ) : o.label,
            }))}
          />
        </Form.Item>
        <Form.Item name="strategy" label={t('contactWays.strategy')}>
          <Select
            data-testid="cw-form-strategy"
            options={STRATEGIES.map((s) => ({
              value: s,
              label: (
                <span>
                  {contactWayStrategyLabel(t, s)} <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t(`contactWayStrategy.${s}.hint`)}</Typography.Text>
                </span>
              ),
            }))}
          />
        </Form.Item>
        <Form.Item name="source" label={t('contactWays.source')} extra={t('contactWays.sourceHint')}>
          <Input maxLength={100} placeholder="wecom" data-testid="cw-form-source" />
        </Form.Item>
        <Form.Item name="tagIDs" label={t('contactWays.tags')}>
          <Select
            mode="multiple"
            showSearch={{ optionFilterProp: 'label' }}
            data-testid="cw-form-tags"
            options={tags.map((x) => ({ value: x.id, label: x.group ? `${x.group.name} / ${x.name}` : x.name }))}
          />
        </Form.Item>
        <Form.Item
          name="welcomeMessage"
          label={
            <Space>
              {t('contactWays.welcome')}
              <Button size="small" type="link" onClick={insertName} style={{ padding: 0 }} data-testid="cw-insert-name">{t('contactWays.insertName')}</Button>
            </Space>
          }
          extra={t('contactWays.welcomeHint')}
        >
          <Input.TextArea rows={4} maxLength={4000} showCount placeholder="您好{{.name}}，欢迎！" data-testid="cw-form-welcome" />
        </Form.Item>
        <Form.Item name="skipVerify" label={t('contactWays.skipVerify')} valuePropName="checked">
          <Switch data-testid="cw-form-skip" />
        </Form.Item>
        <Form.Item name="poolID" label={t('contactWays.pool')} extra={t('contactWays.poolHint')}>
          <Select allowClear data-testid="cw-form-pool" options={pools.map((p) => ({ value: p.id, label: p.name }))} />
        </Form.Item>
      </Form>
    </Drawer>
  );
}
