// API keys (API 密钥) for integrations: the workspace's keys with their
// roles, creator, last use, expiry (已过期 once passed) and allowed addresses;
// a new key (optionally with an expiry and allowed IPs/CIDRs) has its secret shown once, with a copy
// button; revoking asks first. Roles a caller could not hold all of are
// refused by the API (input.roles[i]) and shown on the field.
import { useMemo, useState } from 'react';
import { Alert, App, Button, DatePicker, Empty, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography, type ButtonProps } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { CopyOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { APIKeysDoc, CreateAPIKeyDoc, RevokeAPIKeyDoc } from '../../api/apiKeyOps';
import { PermissionsDoc } from '../../api/ops';
import { applyFormErrors, errorMessage, errorText } from '../../api/errors';
import { useSession } from '../../auth/session';
import { useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';
import { roleLabel } from '../../lib/labels';
import { fmtTime } from '../../lib/format';
import type { ApiKeysQuery } from '../../gql/graphql';

type Key = ApiKeysQuery['apiKeys'][number];
const BUILTIN_ROLES = ['admin', 'manager', 'rep', 'analyst', 'partner'];

export default function ApiKeysPage() {
  const t = useT();
  const { message } = App.useApp();
  const { can } = useSession();
  const canWrite = can('apikey', 'write');
  const [res, refetch] = useQuery({ query: APIKeysDoc, context: useMemo(() => ({ additionalTypenames: ['APIKey'] }), []) });
  // The workspace's own roles are listed for those who read policies.
  const [perms] = useQuery({ query: PermissionsDoc, variables: { role: null }, pause: !can('policy', 'read') });
  const [, revoke] = useMutation(RevokeAPIKeyDoc);
  const [creating, setCreating] = useState(false);
  const [shown, setShown] = useState<{ name: string; key: string } | null>(null);
  const keys = res.data?.apiKeys ?? [];
  const roles = useMemo(() => {
    const seen = new Set(BUILTIN_ROLES);
    (perms.data?.permissions ?? []).forEach((p) => seen.add(p.role));
    keys.forEach((k) => k.roles.forEach((r) => seen.add(r)));
    return [...seen];
  }, [perms.data, keys]);

  const doRevoke = async (k: Key) => {
    const r = await revoke({ id: k.id });
    if (r.error) message.error(errorText(r.error));
    else message.success(t('apiKeys.revoked', { name: k.name }));
  };

  return (
    <div>
      <PageTitle
        title={t('apiKeys.title')}
        sub={t('apiKeys.sub')}
        extra={canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="apikey-new">{t('apiKeys.new')}</Button>}
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Table<Key>
        rowKey="id"
        data-testid="apikeys-table"
        loading={res.fetching && !res.data}
        dataSource={keys}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty description={t('apiKeys.empty')} /> }}
        columns={[
          { title: t('apiKeys.name'), dataIndex: 'name', render: (v: string) => <Typography.Text strong>{v}</Typography.Text> },
          { title: t('apiKeys.prefix'), dataIndex: 'prefix', render: (v: string) => <Typography.Text code>{v}…</Typography.Text> },
          { title: t('apiKeys.roles'), dataIndex: 'roles', render: (v: string[]) => v.map((r) => <Tag key={r} color="blue">{roleLabel(t, r)}</Tag>) },
          { title: t('apiKeys.createdBy'), render: (_: unknown, k: Key) => k.createdBy?.name ?? '—' },
          { title: t('apiKeys.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmtTime(v) },
          { title: t('apiKeys.expiresAt'), dataIndex: 'expiresAt', render: (v: string | null) => <span data-testid="apikey-expires">{v ? fmtTime(v) : <Typography.Text type="secondary">{t('apiKeys.noExpiry')}</Typography.Text>}</span> },
          {
            title: t('apiKeys.allowedIPs'), dataIndex: 'allowedIPs',
            render: (v: string[]) => <span data-testid="apikey-allowed">{v.length ? v.map((a) => <Tag key={a}>{a}</Tag>) : <Typography.Text type="secondary">{t('apiKeys.anyAddress')}</Typography.Text>}</span>,
          },
          { title: t('apiKeys.lastUsed'), dataIndex: 'lastUsedAt', render: (v: string | null) => (v ? fmtTime(v) : <Typography.Text type="secondary">{t('apiKeys.never')}</Typography.Text>) },
          {
            title: t('apiKeys.status'),
            render: (_: unknown, k: Key) =>
              k.revokedAt ? (
                <Tag color="default" data-testid="apikey-status">{t('apiKeys.revokedAt', { at: fmtTime(k.revokedAt) })}</Tag>
              ) : k.expired ? (
                <Tag color="orange" data-testid="apikey-status">{t('apiKeys.expired')}</Tag>
              ) : (
                <Tag color="green" data-testid="apikey-status">{t('apiKeys.active')}</Tag>
              ),
          },
          ...(canWrite
            ? [{
                title: '',
                render: (_: unknown, k: Key) =>
                  !k.revokedAt && (
                    <Popconfirm title={t('apiKeys.revokeConfirm', { name: k.name })} okText={t('apiKeys.revoke')} okButtonProps={{ danger: true, 'data-testid': 'apikey-revoke-ok' } as ButtonProps} onConfirm={() => doRevoke(k)}>
                      <Button size="small" danger data-testid="apikey-revoke">{t('apiKeys.revoke')}</Button>
                    </Popconfirm>
                  ),
              }]
            : []),
        ]}
      />
      {creating && <CreateKey roles={roles} onClose={(made) => { setCreating(false); if (made) setShown(made); }} />}
      <Modal
        open={!!shown}
        title={t('apiKeys.createdTitle')}
        closable={false}
        maskClosable={false}
        footer={<Button type="primary" onClick={() => setShown(null)} data-testid="apikey-done">{t('apiKeys.done')}</Button>}
      >
        {shown && (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Alert type="warning" showIcon message={t('apiKeys.showOnce')} />
            <Typography.Text strong>{shown.name}</Typography.Text>
            <Input.TextArea readOnly value={shown.key} autoSize data-testid="apikey-secret" style={{ fontFamily: 'monospace' }} />
            <Button
              icon={<CopyOutlined />}
              data-testid="apikey-copy"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(shown.key);
                  message.success(t('apiKeys.copied'));
                } catch {
                  // No clipboard (an insecure origin): the text area can be copied by hand.
                }
              }}
            >
              {t('apiKeys.copy')}
            </Button>
          </Space>
        )}
      </Modal>
    </div>
  );
}

function CreateKey({ roles, onClose }: { roles: string[]; onClose: (made?: { name: string; key: string }) => void }) {
  const t = useT();
  const [form] = Form.useForm<KeyForm>();
  const [{ fetching }, create] = useMutation(CreateAPIKeyDoc);
  const [rest, setRest] = useState<string[]>([]);
  const submit = async () => {
    let v: KeyForm;
    try {
      v = await form.validateFields();
    } catch {
      return; // the form shows what is missing
    }
    const allowedIPs = splitAddresses(v.allowedIPs);
    const r = await create({ input: { name: v.name, roles: v.roles, expiresAt: v.expiresAt ? v.expiresAt.toISOString() : null, allowedIPs: allowedIPs.length ? allowedIPs : null } });
    if (r.error) {
      // input.allowedIPs[i] is shown on the one field that holds them all.
      setRest(applyFormErrors(form, r.error, { known: ['name', 'roles', 'expiresAt', 'allowedIPs'], map: ADDRESS_PATHS }).map((e) => errorMessage(e)));
      return;
    }
    const made = r.data!.createAPIKey;
    onClose({ name: made.apiKey.name, key: made.key });
  };
  return (
    <Modal open title={t('apiKeys.new')} onCancel={() => onClose()} onOk={submit} confirmLoading={fetching} okButtonProps={{ 'data-testid': 'apikey-submit' } as ButtonProps} destroyOnHidden>
      {rest.length > 0 && <Alert type="error" showIcon message={rest.join('; ')} style={{ marginBottom: 12 }} data-testid="apikey-error" />}
      <Form form={form} layout="vertical">
        <Form.Item name="name" label={t('apiKeys.name')} rules={[{ required: true, whitespace: true, message: t('apiKeys.nameRequired') }]}>
          <Input maxLength={200} placeholder={t('apiKeys.namePlaceholder')} data-testid="apikey-name" />
        </Form.Item>
        <Form.Item name="roles" label={t('apiKeys.roles')} extra={t('apiKeys.rolesHint')} rules={[{ required: true, message: t('apiKeys.rolesRequired') }]}>
          <Select mode="multiple" options={roles.map((r) => ({ value: r, label: roleLabel(t, r) }))} data-testid="apikey-roles" />
        </Form.Item>
        <Form.Item name="expiresAt" label={t('apiKeys.expiresAt')} extra={t('apiKeys.expiresHint')}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} disabledDate={(d: Dayjs) => d.isBefore(dayjs().startOf('day'))} data-testid="apikey-expires-input" />
        </Form.Item>
        <Form.Item name="allowedIPs" label={t('apiKeys.allowedIPs')} extra={t('apiKeys.allowedHint')}>
          <Input.TextArea autoSize={{ minRows: 1, maxRows: 6 }} placeholder="203.0.113.5, 10.0.0.0/8" data-testid="apikey-allowed-input" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

interface KeyForm {
  name: string;
  roles: string[];
  expiresAt?: Dayjs | null;
  allowedIPs?: string;
}

const ADDRESS_PATHS = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`input.allowedIPs[${i}]`, ['allowedIPs']]));

/** The allowed addresses as typed: split on newlines, commas and spaces, blanks dropped (the API checks each). */
export function splitAddresses(s: string | undefined): string[] {
  return (s ?? '').split(/[\s,，]+/).filter((a) => a !== '');
}
