// Assignment and scoring rules with CEL conditions (checked by the API when
// saved; problems are shown on their line), and the score tier thresholds.
import { useState } from 'react';
import { Alert, App, Button, Card, Col, Form, Input, InputNumber, Modal, Popconfirm, Row, Select, Space, Switch, Table, Tabs, Tag, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import {
  CreateAssignmentRuleDoc, CreateScoringRuleDoc, DeleteAssignmentRuleDoc, DeleteScoringRuleDoc, RulesDoc, SetTierThresholdsDoc,
  UpdateAssignmentRuleDoc, UpdateScoringRuleDoc,
} from '../../api/ops';
import { apiErrors, applyFormErrors, errorMessage, errorText } from '../../api/errors';
import { useFieldDefs, usePools, useUsers } from '../../api/hooks';
import { useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';
import { CelEditor } from '../../components/CelEditor';
import { strategyLabel } from '../../lib/labels';
import type { AssignmentStrategy, RulesQuery } from '../../gql/graphql';
import type { CombinedError } from 'urql';
import type { ColumnsType } from 'antd/es/table';

type ARule = RulesQuery['assignmentRules'][number];
type SRule = RulesQuery['scoringRules'][number];
const STRATEGIES: AssignmentStrategy[] = ['ROUND_ROBIN', 'WEIGHTED', 'LEAST_LOADED', 'SCORE_TIER', 'ORIGINAL_OWNER', 'TERRITORY'];

/** The message of the error at input.condition, for the CEL editor. */
function conditionError(err: CombinedError | undefined): string | null {
  const e = apiErrors(err).find((x) => x.field === 'input.condition' || x.field === 'condition');
  return e ? e.message : null;
}

export default function RulesPage() {
  const t = useT();
  const [res, refetch] = useQuery({ query: RulesDoc });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  return (
    <div>
      <PageTitle title={t('rules.title')} sub={t('rules.sub')} />
      <QueryError error={res.error} retry={reload} />
      <Tabs
        items={[
          { key: 'assign', label: t('rules.assignment'), children: <AssignmentRules rules={res.data?.assignmentRules ?? []} loading={res.fetching} onChange={reload} /> },
          {
            key: 'score',
            label: t('rules.scoring'),
            children: (
              <>
                <ScoringRules rules={res.data?.scoringRules ?? []} loading={res.fetching} onChange={reload} />
                {res.data && <Tiers value={res.data.tierThresholds} onChange={reload} />}
              </>
            ),
          },
        ]}
      />
    </div>
  );
}

// ruleTailColumns are the columns both rule tables end with: the enabled
// switch, and edit and delete.
function ruleTailColumns<R extends { id: string; name: string }>({ t, onError, update, del, onEdit, onChange }: {
  t: ReturnType<typeof useT>;
  onError: (e: CombinedError) => void;
  update: (v: { id: string; input: { enabled: boolean } }) => Promise<{ error?: CombinedError }>;
  del: (v: { id: string }) => Promise<{ error?: CombinedError }>;
  onEdit: (r: R) => void;
  onChange: () => void;
}): ColumnsType<R> {
  const done = (x: { error?: CombinedError }) => {
    if (x.error) onError(x.error);
    onChange();
  };
  return [
    {
      title: t('rules.enabled'),
      dataIndex: 'enabled',
      render: (v: boolean, r) => <Switch size="small" checked={v} onChange={async (on) => done(await update({ id: r.id, input: { enabled: on } }))} />,
    },
    {
      title: '',
      key: 'a',
      render: (_: unknown, r) => (
        <Space>
          <Button size="small" onClick={() => onEdit(r)}>{t('common.edit')}</Button>
          <Popconfirm title={t('rules.deleteConfirm', { name: r.name })} onConfirm={async () => done(await del({ id: r.id }))}>
            <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
          </Popconfirm>
        </Space>
      ),
    },
  ];
}

function AssignmentRules({ rules, loading, onChange }: { rules: ARule[]; loading: boolean; onChange: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [editing, setEditing] = useState<ARule | 'new' | null>(null);
  const [, del] = useMutation(DeleteAssignmentRuleDoc);
  const [, update] = useMutation(UpdateAssignmentRuleDoc);
  return (
    <>
      <div style={{ textAlign: 'right', marginBottom: 12 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="new-assignment-rule">{t('rules.newAssignment')}</Button>
      </div>
      <Table<ARule>
        rowKey="id"
        loading={loading}
        pagination={false}
        dataSource={[...rules].sort((a, b) => a.priority - b.priority)}
        columns={[
          { title: t('rules.priority'), dataIndex: 'priority', width: 80 },
          { title: t('rules.name'), dataIndex: 'name' },
          { title: t('rules.condition'), dataIndex: 'condition', render: (v: string) => (v ? <code style={{ fontSize: 12 }}>{v}</code> : <Tag>{t('rules.matchAll')}</Tag>) },
          { title: t('rules.strategy'), dataIndex: 'strategy', render: (v: string) => strategyLabel(t, v) },
          { title: t('rules.targets'), key: 'targets', render: (_: unknown, r) => (r.targets ?? []).map((x) => <Tag key={x.id}>{x.user.name}{r.strategy === 'WEIGHTED' ? ` ×${x.weight}` : ''}</Tag>) },
          { title: t('rules.dailyCap'), dataIndex: 'dailyCap', render: (v: number | null) => v ?? '—' },
          ...ruleTailColumns<ARule>({ t, onError: (e) => message.error(errorText(e)), update, del, onEdit: setEditing, onChange }),
        ]}
      />
      {editing && <AssignmentForm rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={onChange} />}
    </>
  );
}

function AssignmentForm({ rule, onClose, onSaved }: { rule: ARule | null; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const { defs } = useFieldDefs();
  const { users } = useUsers();
  const { pools } = usePools();
  const [celError, setCelError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: creating }, create] = useMutation(CreateAssignmentRuleDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateAssignmentRuleDoc);
  const strategy = Form.useWatch('strategy', form);

  const submit = async () => {
    setError(null);
    setCelError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const targets = (v.targets ?? []).filter((x: { userID?: string }) => x?.userID).map((x: { userID: string; weight?: number }) => ({ userID: x.userID, weight: x.weight ?? 1 }));
    const r = rule
      ? await update({
          id: rule.id,
          input: { name: v.name, priority: v.priority, condition: v.condition ?? '', strategy: v.strategy, targets, dailyCap: v.dailyCap ?? 0, enabled: v.enabled, ...(v.fallbackPoolID ? { fallbackPoolID: v.fallbackPoolID } : { clearFallbackPool: true }) },
        })
      : await create({ input: { name: v.name, priority: v.priority, condition: v.condition ?? '', strategy: v.strategy, targets, dailyCap: v.dailyCap || null, enabled: v.enabled, fallbackPoolID: v.fallbackPoolID || null } });
    if (r.error) {
      setCelError(conditionError(r.error));
      const rest = applyFormErrors(form, r.error, { known: ['name', 'priority', 'strategy', 'targets', 'dailyCap', 'fallbackPoolID', 'enabled'] }).filter((e) => !e.field?.endsWith('condition'));
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    message.success(t('common.saved'));
    onSaved();
    onClose();
  };

  return (
    <Modal open width={760} title={rule ? t('rules.editAssignment') : t('rules.newAssignment')} onCancel={onClose} onOk={submit} confirmLoading={creating || updating} okButtonProps={{ 'data-testid': 'rule-submit' }}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form
        form={form}
        layout="vertical"
        initialValues={
          rule
            ? { ...rule, fallbackPoolID: rule.fallbackPool?.id, targets: (rule.targets ?? []).map((x) => ({ userID: x.user.id, weight: x.weight })) }
            : { priority: 100, strategy: 'ROUND_ROBIN', enabled: true, targets: [] }
        }
      >
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="name" label={t('rules.name')} rules={[{ required: true, message: t('rules.nameRequired') }]}>
              <Input maxLength={100} />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item name="priority" label={t('rules.priority')} extra={t('rules.priorityHint')}>
              <InputNumber style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={6}>
            <Form.Item name="enabled" label={t('rules.enabled')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="condition" label={t('rules.condition')} extra={!celError && t('rules.conditionHint')} validateStatus={celError ? 'error' : undefined}>
          <CelEditor defs={defs} error={celError} />
        </Form.Item>
        <Row gutter={12}>
          <Col span={8}>
            <Form.Item name="strategy" label={t('rules.strategy')}>
              <Select options={STRATEGIES.map((s) => ({ value: s, label: strategyLabel(t, s) }))} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="dailyCap" label={t('rules.dailyCap')}>
              <InputNumber min={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="fallbackPoolID" label={t('rules.fallbackPool')}>
              <Select allowClear options={pools.map((p) => ({ value: p.id, label: p.name }))} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item label={t('rules.targets')} extra={strategy === 'TERRITORY' || strategy === 'ORIGINAL_OWNER' ? t('rules.targetsOptional') : undefined}>
          <Form.List name="targets">
            {(items, { add, remove }) => (
              <>
                {items.map((it) => (
                  <Space key={it.key} style={{ display: 'flex' }} align="baseline">
                    <Form.Item name={[it.name, 'userID']} rules={[{ required: true, message: t('bulk.pickUser') }]}>
                      <Select style={{ width: 260 }} showSearch={{ optionFilterProp: 'label' }} options={users.filter((u) => u.active).map((u) => ({ value: u.id, label: u.name }))} />
                    </Form.Item>
                    {strategy === 'WEIGHTED' && (
                      <Form.Item name={[it.name, 'weight']}>
                        <InputNumber min={1} placeholder={t('rules.weight')} />
                      </Form.Item>
                    )}
                    <Button onClick={() => remove(it.name)} icon={<DeleteOutlined />} aria-label={t('common.remove')} />
                  </Space>
                ))}
                <Button size="small" icon={<PlusOutlined />} onClick={() => add({ weight: 1 })}>{t('rules.addTarget')}</Button>
              </>
            )}
          </Form.List>
        </Form.Item>
      </Form>
    </Modal>
  );
}

function ScoringRules({ rules, loading, onChange }: { rules: SRule[]; loading: boolean; onChange: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [editing, setEditing] = useState<SRule | 'new' | null>(null);
  const [, del] = useMutation(DeleteScoringRuleDoc);
  const [, update] = useMutation(UpdateScoringRuleDoc);
  return (
    <>
      <div style={{ textAlign: 'right', marginBottom: 12 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="new-scoring-rule">{t('rules.newScoring')}</Button>
      </div>
      <Table<SRule>
        rowKey="id"
        loading={loading}
        pagination={false}
        dataSource={rules}
        data-testid="scoring-rules"
        columns={[
          { title: t('rules.name'), dataIndex: 'name' },
          { title: t('rules.condition'), dataIndex: 'condition', render: (v: string) => <code style={{ fontSize: 12 }}>{v}</code> },
          { title: t('rules.points'), dataIndex: 'points', render: (v: number) => <Tag color={v >= 0 ? 'green' : 'red'}>{v > 0 ? `+${v}` : v}</Tag> },
          { title: t('rules.decayDays'), dataIndex: 'decayDays', render: (v: number | null) => v ?? '—' },
          ...ruleTailColumns<SRule>({ t, onError: (e) => message.error(errorText(e)), update, del, onEdit: setEditing, onChange }),
        ]}
      />
      {editing && <ScoringForm rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={onChange} />}
    </>
  );
}

function ScoringForm({ rule, onClose, onSaved }: { rule: SRule | null; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const { defs } = useFieldDefs();
  const [celError, setCelError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: creating }, create] = useMutation(CreateScoringRuleDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateScoringRuleDoc);
  const submit = async () => {
    setError(null);
    setCelError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const r = rule
      ? await update({ id: rule.id, input: { name: v.name, condition: v.condition, points: v.points, decayDays: v.decayDays ?? 0, enabled: v.enabled } })
      : await create({ input: { name: v.name, condition: v.condition, points: v.points, decayDays: v.decayDays || null, enabled: v.enabled } });
    if (r.error) {
      setCelError(conditionError(r.error));
      const rest = applyFormErrors(form, r.error, { known: ['name', 'points', 'decayDays', 'enabled'] }).filter((e) => !e.field?.endsWith('condition'));
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    message.success(t('rules.scoringSaved'));
    onSaved();
    onClose();
  };
  return (
    <Modal open width={720} title={rule ? t('rules.editScoring') : t('rules.newScoring')} onCancel={onClose} onOk={submit} confirmLoading={creating || updating} okButtonProps={{ 'data-testid': 'rule-submit' }}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" initialValues={rule ?? { points: 10, enabled: true }}>
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="name" label={t('rules.name')} rules={[{ required: true, message: t('rules.nameRequired') }]}>
              <Input maxLength={100} data-testid="rule-name" />
            </Form.Item>
          </Col>
          <Col span={4}>
            <Form.Item name="points" label={t('rules.points')} rules={[{ required: true }]}>
              <InputNumber min={-1000} max={1000} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={5}>
            <Form.Item name="decayDays" label={t('rules.decayDays')}>
              <InputNumber min={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col span={3}>
            <Form.Item name="enabled" label={t('rules.enabled')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="condition" label={t('rules.condition')} rules={[{ required: true, message: t('rules.conditionRequired') }]} validateStatus={celError ? 'error' : undefined} extra={!celError && t('rules.scoringHint')}>
          <CelEditor defs={defs} error={celError} scoring />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function Tiers({ value, onChange }: { value: { a: number; b: number; c: number }; onChange: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [{ fetching }, set] = useMutation(SetTierThresholdsDoc);
  return (
    <Card size="small" title={t('rules.tiers')} style={{ marginTop: 16 }}>
      <Form
        form={form}
        layout="inline"
        initialValues={value}
        onFinish={async (v) => {
          const r = await set({ input: v });
          if (r.error) {
            const rest = applyFormErrors(form, r.error, { known: ['a', 'b', 'c'] });
            if (rest.length) message.error(rest.map((e) => errorMessage(e)).join('; '));
            return;
          }
          message.success(t('common.saved'));
          onChange();
        }}
      >
        {(['a', 'b', 'c'] as const).map((k) => (
          <Form.Item key={k} name={k} label={`${k.toUpperCase()} ≥`}>
            <InputNumber style={{ width: 90 }} />
          </Form.Item>
        ))}
        <Button htmlType="submit" loading={fetching}>{t('common.save')}</Button>
      </Form>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>{t('rules.tiersHint')}</Typography.Paragraph>
    </Card>
  );
}
