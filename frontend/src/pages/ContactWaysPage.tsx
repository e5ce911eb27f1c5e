// Contact-way codes (渠道活码): the workspace's WeCom QR codes with their
// members, source, tags and what they brought in (contactWays), and a
// drawer to create one (createContactWay) or edit one (the same drawer,
// prefilled; updateContactWay gets only the changed fields, and a code keeps
// one member or several as it was made). Input errors land on the field
// they name (input.userIDs[1] on the members, named); a CONFLICT — no WeCom
// corp configured, or WeCom's refusal — is an alert above the form. A row's
// 删除 asks first (the QR code stops working in WeCom; adds and stats stay).
// The welcome message's attachments (images, links, mini-programs; at most
// 9) are added, ordered and removed in the drawer, each field checked as the
// API checks it, and shown on the code's row; an image is uploaded from the
// admin's computer (uploadWeComImage: WeCom's media/uploadimg keeps it, its
// URL becomes the picURL) or given by a URL WeCom gave (the editor is
// components/WeComAttachments, which the broadcast form shares). 已删除 lists deleted codes;
// 恢复 (restoreContactWay) gives one a new QR code with its settings, adds
// and stats. The header also starts a sync of the corp's customers
// (WeComSyncButton).
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import {
  Alert, App, Button, Drawer, Empty, Form, Image, Input, Popconfirm, Segmented, Select, Space, Switch, Table, Tag, Tooltip, Typography, type ButtonProps,
} from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined, QrcodeOutlined, UndoOutlined, WarningOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { ContactWaysDoc, ContactWayUsersDoc, CreateContactWayDoc, DeleteContactWayDoc, RestoreContactWayDoc, UpdateContactWayDoc } from '../api/ops';
import { errorMessage, errorText, type APIError } from '../api/errors';
import { usePools, useTags } from '../api/hooks';
import { useSession } from '../auth/session';
import { useI18n } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { WeComSyncButton } from '../components/WeComSyncButton';
import { AttachmentsField, AttachmentTags } from '../components/WeComAttachments';
import {
  attachmentErrorText, attachmentsInput, contactWayErrors, contactWayUpdate, formValuesOf, KEEP_POOL, memberCountProblem, memberOptions, notConfigured, type ContactWayFormValues,
} from '../lib/contactWays';
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
  // The list: live codes, or the deleted ones (已删除) to restore.
  const [view, setView] = useState<'live' | 'deleted'>('live');
  const deleted = view === 'deleted';
  const [res, refetch] = useQuery({ query: ContactWaysDoc, variables: { deleted }, context: useMemo(() => ({ additionalTypenames: ['ContactWay'] }), []) });
  // The drawer: closed, a new code ('new'), or the code being edited.
  const [editing, setEditing] = useState<Code | 'new' | null>(null);
  const codes = res.data?.contactWays ?? [];
  const write = can('channel', 'write');
  // ?edit=<id> (the media library's 使用中 links) opens that code's drawer once the list has it.
  const [params, setParams] = useSearchParams();
  const editID = params.get('edit');
  useEffect(() => {
    const c = editID && write && !deleted ? codes.find((x) => x.id === editID) : undefined;
    if (!c) return;
    setEditing(c);
    const next = new URLSearchParams(params);
    next.delete('edit');
    setParams(next, { replace: true });
  }, [editID, write, deleted, codes, params, setParams]);

  const columns = [
    {
      title: t('contactWays.name'), key: 'name', fixed: mobile ? undefined : ('left' as const),
      render: (_: unknown, c: Code) => (
        <div style={{ minWidth: 140, maxWidth: 240, whiteSpace: 'normal' }}>
          <Typography.Text strong data-testid="cw-name">{c.name}</Typography.Text>
          <div className="scrm-muted" style={{ fontSize: 12 }}>{c.state}</div>
          {c.attachmentErrors.length > 0 && (
            <Tag color="error" icon={<WarningOutlined />} style={{ marginTop: 4 }} data-testid="cw-attachment-broken">{t('contactWays.attachmentError.title')}</Tag>
          )}
        </div>
      ),
    },
    ...(deleted ? [] : [{ title: t('contactWays.qr'), key: 'qr', width: 84, render: (_: unknown, c: Code) => <QrCode code={c} /> }]),
    { title: t('contactWays.members'), key: 'users', render: (_: unknown, c: Code) => c.users.map((u) => <Tag key={u.id}>{u.name}</Tag>) },
    { title: t('contactWays.strategy'), key: 'strategy', render: (_: unknown, c: Code) => contactWayStrategyLabel(t, c.strategy) },
    { title: t('contactWays.source'), dataIndex: 'source', key: 'source' },
    { title: t('contactWays.tags'), key: 'tags', render: (_: unknown, c: Code) => c.tags.map((x) => <Tag key={x.id} color={x.color || undefined}>{x.name}</Tag>) },
    {
      title: t('contactWays.attachments'), key: 'attachments',
      render: (_: unknown, c: Code) => (
        <>
          <AttachmentTags list={c.welcomeAttachments} />
          {c.attachmentErrors.length > 0 && (
            <div style={{ maxWidth: 320, whiteSpace: 'normal', fontSize: 12, marginTop: 4 }} data-testid="cw-attachment-errors">
              {c.attachmentErrors.map((e) => (
                <Typography.Text key={`${e.index}-${e.mediaID}`} type="danger" style={{ display: 'block', fontSize: 12 }}>{attachmentErrorText(t, e)}</Typography.Text>
              ))}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('contactWays.attachmentError.hint')}</Typography.Text>
            </div>
          )}
        </>
      ),
    },
    {
      title: t('contactWays.stats'),
      key: 'stats',
      children: STATS.map((k) => ({
        title: t(`contactWays.${k}`), key: k, align: 'right' as const,
        render: (_: unknown, c: Code) => <span data-testid={`cw-${k}`}>{fmtNumber(c.stats[k])}</span>,
      })),
    },
    { title: t('contactWays.createdAt'), key: 'createdAt', render: (_: unknown, c: Code) => <span className="scrm-nowrap">{fmtTime(c.createdAt)}</span> },
    ...(deleted ? [{ title: t('contactWays.deletedAt'), key: 'deletedAt', render: (_: unknown, c: Code) => <span className="scrm-nowrap" data-testid="cw-deleted-at">{fmtTime(c.deletedAt)}</span> }] : []),
    ...(write && deleted ? [{
      title: t('contactWays.actions'), key: 'actions', fixed: mobile ? undefined : ('right' as const),
      render: (_: unknown, c: Code) => <RestoreButton code={c} onRestored={() => refetch({ requestPolicy: 'network-only' })} />,
    }] : []),
    ...(write && !deleted ? [{
      title: t('contactWays.actions'), key: 'actions', fixed: mobile ? undefined : ('right' as const),
      render: (_: unknown, c: Code) => (
        <Space orientation="vertical" size={4}>
          <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(c)} data-testid="cw-edit">{t('common.edit')}</Button>
          <DeleteButton code={c} onDeleted={() => refetch({ requestPolicy: 'network-only' })} />
        </Space>
      ),
    }] : []),
  ];

  return (
    <div data-testid="contact-ways">
      <PageTitle
        title={t('contactWays.title')}
        sub={t('contactWays.sub')}
        extra={write && (
          <Space wrap>
            <WeComSyncButton />
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="cw-new">{t('contactWays.new')}</Button>
          </Space>
        )}
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Space wrap style={{ marginBottom: 8 }}>
        <Segmented<'live' | 'deleted'>
          value={view}
          onChange={setView}
          options={[{ value: 'live', label: t('contactWays.viewLive') }, { value: 'deleted', label: t('contactWays.viewDeleted') }]}
          data-testid="cw-view"
        />
        <Typography.Text type="secondary" data-testid="cw-count">{t(deleted ? 'contactWays.countDeleted' : 'contactWays.count', { n: codes.length })}</Typography.Text>
      </Space>
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
        locale={{ emptyText: res.fetching ? ' ' : <Empty description={t(deleted ? 'contactWays.emptyDeleted' : 'contactWays.empty')} /> }}
      />
      {editing && (
        <CodeDrawer
          key={editing === 'new' ? 'new' : editing.id}
          code={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
          onDone={() => refetch({ requestPolicy: 'network-only' })}
        />
      )}
    </div>
  );
}

/** A row's 删除: asks first, saying the QR code stops working in WeCom while its customers and stats stay. */
function DeleteButton({ code, onDeleted }: { code: Code; onDeleted: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [, del] = useMutation(DeleteContactWayDoc);
  return (
    <Popconfirm
      title={t('contactWays.deleteTitle', { name: code.name })}
      description={<div style={{ maxWidth: 280 }} data-testid="cw-delete-body">{t('contactWays.deleteBody')}</div>}
      okText={t('common.delete')}
      okButtonProps={{ danger: true, 'data-testid': 'cw-delete-ok' } as ButtonProps}
      cancelText={t('common.cancel')}
      onConfirm={async () => {
        const r = await del({ id: code.id });
        if (r.error) {
          message.error(errorText(r.error));
          return;
        }
        message.success(t('contactWays.deleted', { name: code.name }));
        onDeleted();
      }}
    >
      <Button size="small" danger icon={<DeleteOutlined />} data-testid="cw-delete">{t('common.delete')}</Button>
    </Popconfirm>
  );
}

/** A deleted code's 恢复: asks first, saying WeCom makes a new QR code (the old one stays dead) and the adds and stats stay. */
function RestoreButton({ code, onRestored }: { code: Code; onRestored: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [{ fetching }, restore] = useMutation(RestoreContactWayDoc);
  return (
    <Popconfirm
      title={t('contactWays.restoreTitle', { name: code.name })}
      description={<div style={{ maxWidth: 300 }} data-testid="cw-restore-body">{t('contactWays.restoreBody')}</div>}
      okText={t('contactWays.restore')}
      okButtonProps={{ 'data-testid': 'cw-restore-ok' } as ButtonProps}
      cancelText={t('common.cancel')}
      onConfirm={async () => {
        const r = await restore({ id: code.id });
        if (r.error) {
          message.error({ content: <span data-testid="cw-restore-error">{errorText(r.error)}</span>, duration: 8 });
          return;
        }
        message.success(t('contactWays.restored', { name: code.name }));
        onRestored();
      }}
    >
      <Button size="small" icon={<UndoOutlined />} loading={fetching} data-testid="cw-restore">{t('contactWays.restore')}</Button>
    </Popconfirm>
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

type FormValues = ContactWayFormValues;

/**
 * The drawer that creates a code, or edits code (prefilled; only the
 * changed fields are sent, and its members stay one or several as made).
 */
function CodeDrawer({ code, onClose, onDone }: { code?: Code; onClose: () => void; onDone: () => void }) {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const mobile = useMobile();
  const [form] = Form.useForm<FormValues>();
  const [usersRes] = useQuery({ query: ContactWayUsersDoc, pause: !can('user', 'read'), requestPolicy: 'network-only' });
  const { tags } = useTags();
  const { pools } = usePools();
  const [{ fetching: creating }, create] = useMutation(CreateContactWayDoc);
  const [{ fetching: saving }, update] = useMutation(UpdateContactWayDoc);
  const fetching = creating || saving;
  // A code keeps its type in WeCom: one member, or several (0 for a new code).
  const before = code?.users.length ?? 0;
  // The code as the form edits it: its pool by id (null for none).
  const editable = useMemo(() => (code ? { ...code, poolID: code.pool?.id ?? null } : undefined), [code]);
  const initialValues = useMemo<Partial<FormValues>>(
    () => (editable ? formValuesOf(editable) : { strategy: 'FIXED', skipVerify: true, userIDs: [], tagIDs: [], welcomeAttachments: [] }),
    [editable],
  );
  const [refusal, setRefusal] = useState<APIError[]>([]);

  const users = useMemo(() => (usersRes.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), [usersRes.data]);
  const options = useMemo(() => {
    const out = memberOptions(users);
    // The code's members are shown by name even when the user list cannot be read.
    const known = new Set(out.map((o) => o.value));
    return [...out, ...(code?.users ?? []).filter((u) => !known.has(u.id)).map((u) => ({ value: u.id, label: u.name, disabled: false, reason: undefined }))];
  }, [users, code]);
  const userNames = useMemo(() => new Map([...(code?.users ?? []), ...users].map((u) => [u.id, u.name])), [users, code]);
  const tagNames = useMemo(() => new Map(tags.map((x) => [x.id, x.name])), [tags]);

  const submit = async () => {
    setRefusal([]);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    if (code && editable) {
      const input = contactWayUpdate(editable, v);
      if (Object.keys(input).length === 0) {
        message.info(t('contactWays.unchanged'));
        onClose();
        return;
      }
      const r = await update({ id: code.id, input });
      if (r.error) {
        const { fields, rest } = contactWayErrors(r.error, { userIDs: input.userIDs ?? undefined, tagIDs: input.tagIDs ?? undefined }, { users: userNames, tags: tagNames });
        if (fields.length) form.setFields(fields);
        setRefusal(rest);
        return;
      }
      message.success(t('contactWays.saved', { name: r.data?.updateContactWay.name ?? code.name }));
      onDone();
      onClose();
      return;
    }
    const input = {
      name: v.name,
      userIDs: v.userIDs,
      strategy: v.strategy,
      source: v.source?.trim() || null,
      tagIDs: v.tagIDs ?? [],
      welcomeMessage: v.welcomeMessage ?? '',
      welcomeAttachments: attachmentsInput(v.welcomeAttachments ?? []),
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
    onDone();
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
      title={code ? t('contactWays.editOf', { name: code.name }) : t('contactWays.new')}
      size={mobile ? '100%' : 560}
      onClose={onClose}
      destroyOnHidden
      rootClassName="scrm-cw-drawer"
      extra={
        <Space>
          <Button onClick={onClose}>{t('common.cancel')}</Button>
          <Button type="primary" loading={fetching} onClick={submit} data-testid="cw-submit">{code ? t('common.save') : t('common.create')}</Button>
        </Space>
      }
    >
      {refusal.length > 0 && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="cw-error"
          title={refusal.some((e) => e.code === 'CONFLICT') ? t(code ? 'contactWays.saveConflictTitle' : 'contactWays.conflictTitle') : t(code ? 'contactWays.saveFailed' : 'contactWays.failed')}
          description={
            <>
              {conflict && <div data-testid="cw-not-configured">{t('contactWays.notConfigured')}</div>}
              <div className={conflict ? 'scrm-muted' : undefined}>{[...new Set(refusal.map((e) => errorMessage(e, lang)))].join('; ')}</div>
            </>
          }
        />
      )}
      {!can('user', 'read') && <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t('contactWays.noUsers')} />}
      {code && <Typography.Paragraph type="secondary" data-testid="cw-edit-wecom">{t('contactWays.editWeCom')}</Typography.Paragraph>}
      <Form<FormValues> form={form} layout="vertical" initialValues={initialValues}>
        <Form.Item name="name" label={t('contactWays.name')} extra={t('contactWays.nameHint')} rules={[{ required: true, whitespace: true, message: t('contactWays.nameRequired') }]}>
          <Input maxLength={200} data-testid="cw-form-name" />
        </Form.Item>
        <Form.Item
          name="userIDs"
          label={t('contactWays.members')}
          validateFirst
          extra={
            <>
              {before > 0 && <div data-testid="cw-members-type">{t(before === 1 ? 'contactWays.membersOne' : 'contactWays.membersSeveral')}</div>}
              {t('contactWays.membersHint')}
            </>
          }
          rules={[
            { required: true, type: 'array', min: 1, message: t('contactWays.membersRequired') },
            {
              validator: async (_, ids?: string[]) => {
                const problem = memberCountProblem(before, ids?.length ?? 0);
                if (problem) throw new Error(t(problem === 'one' ? 'contactWays.membersOneError' : 'contactWays.membersSeveralError'));
              },
            },
          ]}
        >
          <Select
            mode="multiple"
            maxCount={before === 1 ? 1 : undefined}
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
        <AttachmentsField name="welcomeAttachments" />
        <Form.Item name="skipVerify" label={t('contactWays.skipVerify')} valuePropName="checked">
          <Switch data-testid="cw-form-skip" />
        </Form.Item>
        <Form.Item name="poolID" label={t('contactWays.pool')} extra={t(code ? 'contactWays.poolEditHint' : 'contactWays.poolHint')}>
          <Select
            allowClear
            data-testid="cw-form-pool"
            options={[
              ...(code && initialValues.poolID === KEEP_POOL ? [{ value: KEEP_POOL, label: t('contactWays.poolKeep') }] : []),
              ...pools.map((p) => ({ value: p.id, label: p.name })),
            ]}
          />
        </Form.Item>
      </Form>
    </Drawer>
  );
}
