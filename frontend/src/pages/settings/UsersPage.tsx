// Users (roles, team, territories, partner, private-pool capacity, daily
// claim limit, WeCom member id, active), teams and partner accounts.
import { useState } from 'react';
import { Alert, App, Button, Col, Form, Input, InputNumber, Modal, Row, Select, Space, Switch, Table, Tabs, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { CreatePartnerDoc, CreateTeamDoc, CreateUserDoc, OrgDoc, UpdateUserDoc } from '../../api/ops';
import { applyFormErrors, errorMessage, errorText } from '../../api/errors';
import { useUsers } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { useI18n, useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';
import { roleLabel } from '../../lib/labels';
import { fmtTime } from '../../lib/format';
import { wecomUserIDErrors, wecomUserIDInput } from '../../lib/wecom';
import type { UsersQuery } from '../../gql/graphql';

type User = NonNullable<NonNullable<NonNullable<UsersQuery['users']['edges']>[number]>['node']>;
const ROLES = ['admin', 'manager', 'rep', 'analyst', 'partner'];

export default function UsersPage() {
  const t = useT();
  const { can } = useSession();
  return (
    <div>
      <PageTitle title={t('users.title')} sub={t('users.sub')} />
      <Tabs
        items={[
          ...(can('user', 'write') ? [{ key: 'users', label: t('users.users'), children: <Users /> }] : []),
          ...(can('team', 'read') ? [{ key: 'teams', label: t('users.teams'), children: <Teams /> }] : []),
          ...(can('partner', 'read') ? [{ key: 'partners', label: t('users.partners'), children: <Partners /> }] : []),
        ]}
      />
    </div>
  );
}

function Users() {
  const t = useT();
  const { message } = App.useApp();
  const { users, fetching, error, refetch } = useUsers();
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const [, update] = useMutation(UpdateUserDoc);
  return (
    <>
      <div style={{ textAlign: 'right', marginBottom: 12 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="new-user">{t('users.new')}</Button>
      </div>
      <QueryError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Table<User>
        rowKey="id"
        // Also while the list is read again after a save: an edit opened on
        // the rows from before it would start from the old values (and the
        // member id, sent only when changed, would not be sent).
        loading={fetching}
        dataSource={users}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('users.name'), dataIndex: 'name' },
          { title: t('users.email'), dataIndex: 'email' },
          { title: t('users.roles'), dataIndex: 'roles', render: (v: string[]) => v.map((r) => <Tag key={r} color="blue">{roleLabel(t, r)}</Tag>) },
          { title: t('users.team'), dataIndex: ['team', 'name'] },
          { title: t('users.territories'), key: 'terr', render: (_: unknown, u) => (u.territories ?? []).map((x) => <Tag key={x.id}>{x.name}</Tag>) },
          { title: t('users.partner'), dataIndex: ['partner', 'name'] },
          { title: t('users.capacity'), dataIndex: 'capacity', align: 'right' },
          { title: t('users.dailyLimit'), dataIndex: 'dailyClaimLimit', align: 'right' },
          {
            title: t('users.wecomUserID'),
            dataIndex: 'wecomUserID',
            render: (v: string | null | undefined) => (v ? <Tag data-testid="user-wecom">{v}</Tag> : <span className="scrm-muted">{t('users.wecomUnlinked')}</span>),
          },
          { title: t('users.lastLogin'), dataIndex: 'lastLoginAt', render: fmtTime },
          {
            title: t('users.active'),
            dataIndex: 'active',
            render: (v: boolean, u) => <Switch size="small" checked={v} onChange={async (on) => { const r = await update({ id: u.id, input: { active: on } }); if (r.error) message.error(errorText(r.error)); refetch({ requestPolicy: 'network-only' }); }} />,
          },
          { title: '', key: 'a', render: (_: unknown, u) => <Button size="small" onClick={() => setEditing(u)}>{t('common.edit')}</Button> },
        ]}
      />
      {editing && <UserForm user={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={() => refetch({ requestPolicy: 'network-only' })} />}
    </>
  );
}

function UserForm({ user, onClose, onSaved }: { user: User | null; onClose: () => void; onSaved: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [org] = useQuery({ query: OrgDoc });
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: creating }, create] = useMutation(CreateUserDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateUserDoc);
  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const r = user
      ? await update({
          id: user.id,
          input: {
            name: v.name, roles: v.roles, territoryIDs: v.territoryIDs ?? [], capacity: v.capacity, dailyClaimLimit: v.dailyClaimLimit,
            password: v.password || null,
            wecomUserID: wecomUserIDInput(v.wecomUserID, user.wecomUserID),
            ...(v.teamID ? { teamID: v.teamID } : { clearTeam: !!user.team }),
            ...(v.partnerID ? { partnerID: v.partnerID } : { clearPartner: !!user.partner }),
          },
        })
      : await create({
          input: { name: v.name, email: v.email, password: v.password, roles: v.roles, teamID: v.teamID || null, territoryIDs: v.territoryIDs ?? [], partnerID: v.partnerID || null, capacity: v.capacity ?? null, dailyClaimLimit: v.dailyClaimLimit ?? null },
        });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { known: ['name', 'email', 'password', 'roles', 'teamID', 'territoryIDs', 'partnerID', 'capacity', 'dailyClaimLimit', 'wecomUserID'] });
      // The member id's CONFLICT (another user has it) is said on the field in the UI's language.
      const wecom = wecomUserIDErrors(r.error, lang).field;
      if (wecom.length) form.setFields([{ name: 'wecomUserID', errors: wecom }]);
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    message.success(t('common.saved'));
    onSaved();
    onClose();
  };
  return (
    <Modal open width={680} title={user ? t('users.edit', { name: user.name }) : t('users.new')} onCancel={onClose} onOk={submit} confirmLoading={creating || updating}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form
        form={form}
        layout="vertical"
        initialValues={
          user
            ? { name: user.name, email: user.email, roles: user.roles, teamID: user.team?.id, partnerID: user.partner?.id, territoryIDs: (user.territories ?? []).map((x) => x.id), capacity: user.capacity, dailyClaimLimit: user.dailyClaimLimit, wecomUserID: user.wecomUserID ?? '' }
            : { roles: ['rep'] }
        }
      >
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="name" label={t('users.name')} rules={[{ required: true, message: t('users.nameRequired') }]}>
              <Input maxLength={100} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="email" label={t('users.email')} rules={[{ required: true, type: 'email', message: t('login.emailRequired') }]}>
              <Input disabled={!!user} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="password" label={user ? t('users.newPassword') : t('login.password')} rules={user ? [] : [{ required: true, min: 8, message: t('users.passwordRule') }]}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="roles" label={t('users.roles')} rules={[{ required: true, message: t('users.rolesRequired') }]}>
              <Select mode="tags" options={ROLES.map((r) => ({ value: r, label: roleLabel(t, r) }))} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="teamID" label={t('users.team')}>
              <Select allowClear options={(org.data?.teams ?? []).map((x) => ({ value: x.id, label: x.name }))} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="partnerID" label={t('users.partner')}>
              <Select allowClear options={(org.data?.partners ?? []).map((x) => ({ value: x.id, label: x.name }))} />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item name="territoryIDs" label={t('users.territories')}>
              <Select mode="multiple" options={(org.data?.territories ?? []).map((x) => ({ value: x.id, label: x.name }))} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="capacity" label={t('users.capacity')} extra={t('users.capacityHint')}>
              <InputNumber min={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="dailyClaimLimit" label={t('users.dailyLimit')}>
              <InputNumber min={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          {user && (
            <Col span={24}>
              <Form.Item name="wecomUserID" label={t('users.wecomUserID')} extra={t('users.wecomUserIDHint')}>
                <Input maxLength={64} allowClear autoComplete="off" data-testid="user-wecom-input" />
              </Form.Item>
            </Col>
          )}
        </Row>
      </Form>
    </Modal>
  );
}

function Teams() {
  const t = useT();
  const { can } = useSession();
  const { message } = App.useApp();
  const [org, refetch] = useQuery({ query: OrgDoc });
  const { users } = useUsers();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();
  const [{ fetching }, create] = useMutation(CreateTeamDoc);
  return (
    <>
      {can('team', 'write') && (
        <div style={{ textAlign: 'right', marginBottom: 12 }}>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>{t('users.newTeam')}</Button>
        </div>
      )}
      <QueryError error={org.error} />
      <Table
        rowKey="id"
        loading={org.fetching && !org.data}
        dataSource={org.data?.teams ?? []}
        pagination={false}
        columns={[
          { title: t('users.team'), dataIndex: 'name' },
          { title: t('users.manager'), dataIndex: ['manager', 'name'] },
          { title: t('users.members'), key: 'm', render: (_: unknown, x: { members?: { id: string; name: string }[] | null }) => (x.members ?? []).map((m) => <Tag key={m.id}>{m.name}</Tag>) },
        ]}
      />
      <Modal
        open={open}
        title={t('users.newTeam')}
        confirmLoading={fetching}
        onCancel={() => setOpen(false)}
        onOk={async () => {
          const v = await form.validateFields().catch(() => null);
          if (!v) return;
          const r = await create({ input: { name: v.name, managerID: v.managerID || null, memberIDs: v.memberIDs ?? [] } });
          if (r.error) {
            const rest = applyFormErrors(form, r.error, { known: ['name', 'managerID', 'memberIDs'] });
            if (rest.length) message.error(rest.map((e) => errorMessage(e)).join('; '));
            return;
          }
          setOpen(false);
          form.resetFields();
          refetch({ requestPolicy: 'network-only' });
        }}
      >
        <Form form={form} layout="vertical">
          <Form.Item name="name" label={t('users.team')} rules={[{ required: true, message: t('users.nameRequired') }]}>
            <Input maxLength={60} />
          </Form.Item>
          <Form.Item name="managerID" label={t('users.manager')}>
            <Select allowClear showSearch={{ optionFilterProp: 'label' }} options={users.map((u) => ({ value: u.id, label: u.name }))} />
          </Form.Item>
          <Form.Item name="memberIDs" label={t('users.members')}>
            <Select mode="multiple" showSearch={{ optionFilterProp: 'label' }} options={users.map((u) => ({ value: u.id, label: u.name }))} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

function Partners() {
  const t = useT();
  const { can } = useSession();
  const { message } = App.useApp();
  const [org, refetch] = useQuery({ query: OrgDoc });
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();
  const [{ fetching }, create] = useMutation(CreatePartnerDoc);
  return (
    <>
      {can('partner', 'write') && (
        <div style={{ textAlign: 'right', marginBottom: 12 }}>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>{t('users.newPartner')}</Button>
        </div>
      )}
      <QueryError error={org.error} />
      <Table
        rowKey="id"
        loading={org.fetching && !org.data}
        dataSource={org.data?.partners ?? []}
        pagination={false}
        columns={[
          { title: t('users.partner'), dataIndex: 'name' },
          { title: t('users.territories'), key: 't', render: (_: unknown, x: { territories?: { id: string; name: string }[] | null }) => (x.territories ?? []).map((m) => <Tag key={m.id}>{m.name}</Tag>) },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <Alert type="info" showIcon title={t('users.partnerHint')} />
      </Space>
      <Modal
        open={open}
        title={t('users.newPartner')}
        confirmLoading={fetching}
        onCancel={() => setOpen(false)}
        onOk={async () => {
          const v = await form.validateFields().catch(() => null);
          if (!v) return;
          const r = await create({ input: { name: v.name, territoryIDs: v.territoryIDs ?? [] } });
          if (r.error) {
            const rest = applyFormErrors(form, r.error, { known: ['name', 'territoryIDs'] });
            if (rest.length) message.error(rest.map((e) => errorMessage(e)).join('; '));
            return;
          }
          setOpen(false);
          form.resetFields();
          refetch({ requestPolicy: 'network-only' });
        }}
      >
        <Form form={form} layout="vertical">
          <Form.Item name="name" label={t('users.partner')} rules={[{ required: true, message: t('users.nameRequired') }]}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="territoryIDs" label={t('users.territories')}>
            <Select mode="multiple" options={(org.data?.territories ?? []).map((x) => ({ value: x.id, label: x.name }))} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
