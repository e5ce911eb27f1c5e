// Roles and permissions: the effective permission matrix of every role in
// this workspace. A change is a grant or a revoke that holds at once on every
// server (policies/builtin.csv are the defaults).
import { useMemo, useState } from 'react';
import { App, Button, Checkbox, Input, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { GrantPermissionDoc, PermissionsDoc, RevokePermissionDoc } from '../../api/ops';
import { errorText } from '../../api/errors';
import { useSession } from '../../auth/session';
import { useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';
import { actionLabel, resourceLabel, roleLabel } from '../../lib/labels';

// The policy vocabulary (internal/policy/vocabulary.go): which actions make sense on which resource.
const VOCABULARY: [string, string[]][] = [
  ['lead', ['read', 'write', 'delete', 'claim', 'assign', 'release']],
  ['lead.contact', ['read']],
  ['lead.followup', ['read', 'write', 'delete']],
  ['lead.tag', ['write']],
  ['lead.scope', ['all', 'team', 'territory', 'pool', 'own', 'partner']],
  ['pool', ['read', 'write', 'delete']],
  ['segment', ['read', 'write', 'delete']],
  ['broadcast', ['read', 'write', 'delete']],
  ['field', ['read', 'write', 'delete']],
  ['pipeline', ['read', 'write', 'delete']],
  ['tag', ['read', 'write', 'delete']],
  ['user', ['read', 'write', 'delete', 'manage']],
  ['territory', ['read', 'write', 'delete']],
  ['team', ['read', 'write', 'delete']],
  ['partner', ['read', 'write', 'delete']],
  ['policy', ['read', 'write']],
  ['channel', ['read', 'write', 'delete']],
  ['report', ['read', 'write']],
  ['apikey', ['read', 'write', 'delete']],
  ['rule', ['read', 'write', 'delete']],
  ['ops', ['read', 'manage']],
];

const BUILTIN_ROLES = ['admin', 'manager', 'rep', 'analyst', 'partner'];

export default function RolesPage() {
  const t = useT();
  const { can, reload: reloadSession } = useSession();
  const { message } = App.useApp();
  const [res, refetch] = useQuery({ query: PermissionsDoc, variables: { role: null }, requestPolicy: 'network-only' });
  const [, grant] = useMutation(GrantPermissionDoc);
  const [, revoke] = useMutation(RevokePermissionDoc);
  const [extraRoles, setExtraRoles] = useState<string[]>([]);
  const [newRole, setNewRole] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const canWrite = can('policy', 'write');

  const perms = res.data?.permissions ?? [];
  const has = useMemo(() => new Set(perms.map((p) => `${p.role}|${p.resource}|${p.action}`)), [perms]);
  const roles = useMemo(() => {
    const seen = new Set<string>(BUILTIN_ROLES);
    perms.forEach((p) => seen.add(p.role));
    extraRoles.forEach((r) => seen.add(r));
    return [...seen];
  }, [perms, extraRoles]);
  const rows = VOCABULARY.flatMap(([resource, actions]) => actions.map((action) => ({ key: `${resource}|${action}`, resource, action })));

  const toggle = async (role: string, resource: string, action: string, on: boolean) => {
    const k = `${role}|${resource}|${action}`;
    setBusy(k);
    const r = on ? await grant({ role, resource, action }) : await revoke({ role, resource, action });
    setBusy(null);
    if (r.error) message.error(errorText(r.error));
    else message.success(on ? t('roles.granted', { role, perm: `${resource}:${action}` }) : t('roles.revoked', { role, perm: `${resource}:${action}` }));
    refetch({ requestPolicy: 'network-only' });
    reloadSession();
  };

  return (
    <div>
      <PageTitle
        title={t('roles.title')}
        sub={t('roles.sub')}
        extra={
          canWrite && (
            <Space.Compact>
              <Input placeholder={t('roles.newRole')} value={newRole} onChange={(e) => setNewRole(e.target.value.trim())} style={{ width: 180 }} />
              <Button
                icon={<PlusOutlined />}
                disabled={!/^[a-z][a-z0-9_-]{0,31}$/.test(newRole) || roles.includes(newRole)}
                onClick={() => {
                  setExtraRoles((r) => [...r, newRole]);
                  setNewRole('');
                }}
              >
                {t('common.add')}
              </Button>
            </Space.Compact>
          )
        }
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      {extraRoles.length > 0 && <Typography.Paragraph type="secondary">{t('roles.newRoleHint')}</Typography.Paragraph>}
      <Table
        size="small"
        rowKey="key"
        loading={res.fetching}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content', y: 'calc(100vh - 260px)' }}
        data-testid="roles-matrix"
        columns={[
          {
            title: t('roles.permission'),
            key: 'perm',
            fixed: 'left',
            width: 260,
            render: (_: unknown, r) => (
              <Tooltip title={`${r.resource}:${r.action}`}>
                <span>
                  <Typography.Text strong>{resourceLabel(t, r.resource)}</Typography.Text> · {actionLabel(t, r.action)}
                </span>
              </Tooltip>
            ),
          },
          ...roles.map((role) => ({
            title: (
              <Space orientation="vertical" size={0} style={{ textAlign: 'center' }}>
                <span>{roleLabel(t, role)}</span>
                {!BUILTIN_ROLES.includes(role) && <Tag color="purple" style={{ margin: 0 }}>{t('roles.custom')}</Tag>}
              </Space>
            ),
            key: role,
            align: 'center' as const,
            width: 96,
            render: (_: unknown, r: { resource: string; action: string }) => {
              const k = `${role}|${r.resource}|${r.action}`;
              return (
                <Checkbox
                  checked={has.has(k)}
                  disabled={!canWrite || busy !== null || (role === 'admin' && r.resource === 'policy')}
                  onChange={(e) => toggle(role, r.resource, r.action, e.target.checked)}
                  aria-label={k}
                />
              );
            },
          })),
        ]}
      />
    </div>
  );
}
