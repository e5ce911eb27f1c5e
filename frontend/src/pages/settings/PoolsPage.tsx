// Public pools and their recycle rules, claim limits, cooldown and
// protection; a recycle pass on demand (with a dry run).
import { useState } from 'react';
import { Alert, App, Button, Checkbox, Col, Form, Input, InputNumber, Modal, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { CreatePoolDoc, OrgDoc, RecyclePoolsDoc, UpdatePoolDoc } from '../../api/ops';
import { applyFormErrors, errorMessage, errorText } from '../../api/errors';
import { usePools, useUsers } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';
import type { PoolsQuery } from '../../gql/graphql';

type Pool = PoolsQuery['pools'][number];

export default function PoolsPage() {
  const t = useT();
  const { can } = useSession();
  const { modal, message } = App.useApp();
  const { pools, error, fetching, refetch } = usePools();
  const [editing, setEditing] = useState<Pool | 'new' | null>(null);
  const [{ fetching: recycling }, recycle] = useMutation(RecyclePoolsDoc);
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const days = (v: number | null | undefined) => (v ? t('pools.days', { n: v }) : '—');

  const runRecycle = async (dryRun: boolean) => {
    const r = await recycle({ dryRun });
    if (r.error) return void message.error(errorText(r.error));
    const out = r.data!.recyclePools;
    if (dryRun) {
      modal.confirm({
        title: t('pools.dryRunTitle'),
        content: t('pools.dryRunResult', { n: out.recycled, r: out.reminded }),
        okText: t('pools.recycleNow'),
        okButtonProps: { disabled: out.recycled === 0 },
        onOk: () => runRecycle(false),
      });
    } else {
      message.success(t('pools.recycled', { n: out.recycled, r: out.reminded }));
    }
  };

  return (
    <div>
      <PageTitle
        title={t('pools.title')}
        sub={t('pools.sub')}
        extra={
          <>
            {can('pool', 'write') && <Button loading={recycling} onClick={() => runRecycle(true)}>{t('pools.recycle')}</Button>}
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('pools.new')}</Button>
          </>
        }
      />
      <QueryError error={error} retry={reload} />
      <Table<Pool>
        rowKey="id"
        loading={fetching}
        dataSource={pools}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('pools.name'), dataIndex: 'name', render: (v: string, p) => <Space>{v}{p.isDefault && <Tag color="blue">{t('pools.default')}</Tag>}</Space> },
          {
            title: t('pools.openTo'),
            key: 'open',
            render: (_: unknown, p) =>
              (p.teams ?? []).length + (p.territories ?? []).length === 0 ? (
                <Tag>{t('pools.everyone')}</Tag>
              ) : (
                <>
                  {(p.teams ?? []).map((x) => <Tag key={x.id} color="geekblue">{x.name}</Tag>)}
                  {(p.territories ?? []).map((x) => <Tag key={x.id} color="cyan">{x.name}</Tag>)}
                </>
              ),
          },
          { title: t('pools.noFollowUp'), dataIndex: 'recycleNoFollowUpDays', render: days },
          { title: t('pools.noDeal'), dataIndex: 'recycleNoDealDays', render: days },
          { title: t('pools.remind'), dataIndex: 'remindBeforeDays', render: days },
          { title: t('pools.cooldown'), dataIndex: 'cooldownDays', render: days },
          { title: t('pools.protection'), dataIndex: 'protectionDays', render: days },
          { title: t('pools.dailyLimit'), dataIndex: 'dailyClaimLimit', render: (v: number | null) => v ?? '—' },
          { title: '', key: 'a', render: (_: unknown, p) => <Button size="small" onClick={() => setEditing(p)}>{t('common.edit')}</Button> },
        ]}
      />
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{t('pools.hint')}</Typography.Paragraph>
      {editing && <PoolForm pool={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={reload} />}
    </div>
  );
}

function PoolForm({ pool, onClose, onSaved }: { pool: Pool | null; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [org] = useQuery({ query: OrgDoc });
  const { users } = useUsers();
  const [{ fetching: creating }, create] = useMutation(CreatePoolDoc);
  const [{ fetching: updating }, update] = useMutation(UpdatePoolDoc);
  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const input = {
      name: v.name,
      teamIDs: v.teamIDs ?? [],
      territoryIDs: v.territoryIDs ?? [],
      adminIDs: v.adminIDs ?? [],
      recycleNoFollowUpDays: v.recycleNoFollowUpDays ?? 0,
      recycleNoDealDays: v.recycleNoDealDays ?? 0,
      remindBeforeDays: v.remindBeforeDays ?? 0,
      cooldownDays: v.cooldownDays ?? 0,
      protectionDays: v.protectionDays ?? 0,
      dailyClaimLimit: v.dailyClaimLimit ?? 0,
      isDefault: !!v.isDefault,
    };
    const r = pool ? await update({ id: pool.id, input }) : await create({ input: { ...input, recycleNoFollowUpDays: v.recycleNoFollowUpDays || null, recycleNoDealDays: v.recycleNoDealDays || null, remindBeforeDays: v.remindBeforeDays || null, dailyClaimLimit: v.dailyClaimLimit || null } });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { known: Object.keys(input) });
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    message.success(t('common.saved'));
    onSaved();
    onClose();
  };
  const num = (name: string, label: string, extra?: string) => (
    <Col span={8}>
      <Form.Item name={name} label={label} extra={extra}>
        <InputNumber min={0} style={{ width: '100%' }} />
      </Form.Item>
    </Col>
  );
  return (
    <Modal open title={pool ? t('pools.edit', { name: pool.name }) : t('pools.new')} width={720} onCancel={onClose} onOk={submit} confirmLoading={creating || updating}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form
        form={form}
        layout="vertical"
        initialValues={
          pool
            ? { ...pool, teamIDs: (pool.teams ?? []).map((x) => x.id), territoryIDs: (pool.territories ?? []).map((x) => x.id), adminIDs: (pool.admins ?? []).map((x) => x.id) }
            : { cooldownDays: 0, protectionDays: 0 }
        }
      >
        <Row gutter={12}>
          <Col span={16}>
            <Form.Item name="name" label={t('pools.name')} rules={[{ required: true, message: t('pools.nameRequired') }]}>
              <Input maxLength={60} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="isDefault" valuePropName="checked" label=" ">
              <Checkbox>{t('pools.default')}</Checkbox>
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="teamIDs" label={t('pools.teams')}>
              <Select mode="multiple" options={(org.data?.teams ?? []).map((x) => ({ value: x.id, label: x.name }))} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="territoryIDs" label={t('pools.territories')}>
              <Select mode="multiple" options={(org.data?.territories ?? []).map((x) => ({ value: x.id, label: x.name }))} />
            </Form.Item>
          </Col>
          <Col span={24}>
            <Form.Item name="adminIDs" label={t('pools.admins')} extra={t('pools.adminsHint')}>
              <Select mode="multiple" showSearch={{ optionFilterProp: 'label' }} options={users.map((u) => ({ value: u.id, label: u.name }))} />
            </Form.Item>
          </Col>
          {num('recycleNoFollowUpDays', t('pools.noFollowUp'), t('pools.zeroOff'))}
          {num('recycleNoDealDays', t('pools.noDeal'), t('pools.zeroOff'))}
          {num('remindBeforeDays', t('pools.remind'))}
          {num('cooldownDays', t('pools.cooldown'), t('pools.cooldownHint'))}
          {num('protectionDays', t('pools.protection'), t('pools.protectionHint'))}
          {num('dailyClaimLimit', t('pools.dailyLimit'), t('pools.zeroOff'))}
        </Row>
      </Form>
    </Modal>
  );
}
