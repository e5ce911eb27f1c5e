// Pipelines and their stages (drag to reorder, add, edit, archive, merge,
// delete) and the workspace's lost reasons.
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Checkbox, ColorPicker, Empty, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import {
  AddStageDoc, ArchiveLostReasonDoc, ArchiveStageDoc, CreateLostReasonDoc, CreatePipelineDoc, DeleteStageDoc, MergeStageDoc, ReorderStagesDoc,
  UpdatePipelineDoc, UpdateStageDoc,
} from '../../api/ops';
import { applyFormErrors, errorMessage, errorText } from '../../api/errors';
import { usePipelines } from '../../api/hooks';
import { useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';
import { DragHandle, SortableTable } from '../../components/SortableTable';
import { funnelStepLabel, stageKindLabel } from '../../lib/labels';
import type { FunnelStep, PipelinesQuery, StageKind } from '../../gql/graphql';

type Pipeline = PipelinesQuery['pipelines'][number];
type Stage = Pipeline['stages'][number];
const KINDS: StageKind[] = ['OPEN', 'WON', 'LOST'];
const STEPS: FunnelStep[] = ['LISTED', 'DELIVERED', 'INTERACTED', 'INTENT', 'DEAL', 'REPURCHASE'];

export default function PipelinesPage() {
  const t = useT();
  const { message } = App.useApp();
  const { pipelines, lostReasons, error, fetching, refetch } = usePipelines();
  const [creating, setCreating] = useState(false);
  const [, createLostReason] = useMutation(CreateLostReasonDoc);
  const [, archiveLostReason] = useMutation(ArchiveLostReasonDoc);
  const [reason, setReason] = useState('');
  const reload = () => refetch({ requestPolicy: 'network-only' });
  return (
    <div>
      <PageTitle
        title={t('pipelines.title')}
        sub={t('pipelines.sub')}
        extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('pipelines.new')}</Button>}
      />
      <QueryError error={error} retry={reload} />
      {!fetching && pipelines.length === 0 && <Empty description={t('pipelines.empty')} />}
      {[...pipelines].sort((a, b) => a.position - b.position).map((p) => (
        <PipelineCard key={p.id} pipeline={p} all={pipelines} onChange={reload} />
      ))}
      <Card title={t('pipelines.lostReasons')} size="small">
        <Space wrap style={{ marginBottom: 12 }}>
          {lostReasons.filter((r) => !r.archived).map((r) => (
            <Tag
              key={r.id}
              closable
              onClose={async (e) => {
                e.preventDefault();
                const x = await archiveLostReason({ id: r.id });
                if (x.error) message.error(errorText(x.error));
                reload();
              }}
            >
              {r.name}
            </Tag>
          ))}
          {lostReasons.filter((r) => !r.archived).length === 0 && <Typography.Text type="secondary">{t('pipelines.noLostReasons')}</Typography.Text>}
        </Space>
        <Space.Compact style={{ width: 360 }}>
          <Input value={reason} onChange={(e) => setReason(e.target.value)} placeholder={t('pipelines.lostReasonName')} maxLength={100} />
          <Button
            disabled={!reason.trim()}
            onClick={async () => {
              const x = await createLostReason({ name: reason.trim() });
              if (x.error) message.error(errorText(x.error));
              else setReason('');
              reload();
            }}
          >
            {t('common.add')}
          </Button>
        </Space.Compact>
      </Card>
      {creating && <PipelineForm onClose={() => setCreating(false)} onSaved={reload} />}
    </div>
  );
}

function PipelineCard({ pipeline, all, onChange }: { pipeline: Pipeline; all: Pipeline[]; onChange: () => void }) {
  const t = useT();
  const { message, modal } = App.useApp();
  const [stages, setStages] = useState<Stage[]>([]);
  useEffect(() => setStages([...pipeline.stages].sort((a, b) => a.position - b.position)), [pipeline.stages]);
  const [editing, setEditing] = useState<Stage | 'new' | null>(null);
  const [merging, setMerging] = useState<Stage | null>(null);
  const [into, setInto] = useState<string | undefined>();
  const [, reorder] = useMutation(ReorderStagesDoc);
  const [, archive] = useMutation(ArchiveStageDoc);
  const [, del] = useMutation(DeleteStageDoc);
  const [, merge] = useMutation(MergeStageDoc);
  const [, updatePipeline] = useMutation(UpdatePipelineDoc);
  const run = async (p: Promise<{ error?: Parameters<typeof errorText>[0] }>, ok: string) => {
    const r = await p;
    if (r.error) message.error(errorText(r.error));
    else message.success(ok);
    onChange();
  };

  return (
    <Card
      size="small"
      style={{ marginBottom: 16 }}
      data-testid="pipeline-card"
      title={
        <Space>
          {pipeline.name}
          {pipeline.isDefault && <Tag color="blue">{t('pipelines.default')}</Tag>}
        </Space>
      }
      extra={
        <Space>
          {!pipeline.isDefault && (
            <Button size="small" onClick={() => run(updatePipeline({ id: pipeline.id, input: { isDefault: true } }), t('common.saved'))}>
              {t('pipelines.makeDefault')}
            </Button>
          )}
          <Button
            size="small"
            onClick={() => {
              let name = pipeline.name;
              modal.confirm({
                title: t('pipelines.rename'),
                content: <Input defaultValue={pipeline.name} onChange={(e) => (name = e.target.value)} />,
                onOk: () => run(updatePipeline({ id: pipeline.id, input: { name } }), t('common.saved')),
              });
            }}
          >
            {t('pipelines.rename')}
          </Button>
          <Button size="small" type="primary" ghost icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('pipelines.addStage')}</Button>
        </Space>
      }
    >
      <SortableTable<Stage & Record<string, unknown>>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={stages as (Stage & Record<string, unknown>)[]}
        onReorder={async (next) => {
          setStages(next as Stage[]);
          await run(reorder({ pipelineID: pipeline.id, stageIDs: next.map((s) => s.id as string) }), t('pipelines.reordered'));
        }}
        columns={[
          { key: 'drag', width: 40, render: () => <DragHandle /> },
          { title: t('pipelines.stageName'), dataIndex: 'name', render: (v: string, s) => <Tag color={s.color || undefined}>{v}</Tag> },
          { title: t('pipelines.key'), dataIndex: 'key', render: (v: string) => <code>{v}</code> },
          { title: t('pipelines.kind'), dataIndex: 'kind', render: (v: string) => stageKindLabel(t, v) },
          { title: t('pipelines.probability'), dataIndex: 'probability', render: (v: number) => `${v}%` },
          { title: t('pipelines.rotDays'), dataIndex: 'rotDays', render: (v: number | null) => v ?? '—' },
          { title: t('pipelines.funnelStep'), dataIndex: 'funnelStep', render: (v: string | null) => funnelStepLabel(t, v) || '—' },
          {
            title: '',
            key: 'a',
            render: (_: unknown, s) => (
              <Space>
                <Button size="small" onClick={() => setEditing(s as Stage)}>{t('common.edit')}</Button>
                <Button size="small" onClick={() => { setInto(undefined); setMerging(s as Stage); }}>{t('pipelines.merge')}</Button>
                <Popconfirm title={t('pipelines.archiveConfirm')} onConfirm={() => run(archive({ id: s.id as string }), t('common.saved'))}>
                  <Button size="small">{t('pipelines.archive')}</Button>
                </Popconfirm>
                <Popconfirm title={t('pipelines.deleteConfirm')} onConfirm={() => run(del({ id: s.id as string }), t('common.deleted'))}>
                  <Button size="small" danger>{t('common.delete')}</Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {editing && <StageForm pipelineID={pipeline.id} stage={editing === 'new' ? null : editing} onClose={() => setEditing(null)} onSaved={onChange} />}
      <Modal
        open={!!merging}
        title={t('pipelines.mergeTitle', { name: merging?.name ?? '' })}
        okButtonProps={{ disabled: !into }}
        onCancel={() => setMerging(null)}
        onOk={async () => {
          await run(merge({ id: merging!.id, intoID: into! }), t('pipelines.merged'));
          setMerging(null);
        }}
      >
        <Typography.Paragraph>{t('pipelines.mergeHint')}</Typography.Paragraph>
        <Select
          style={{ width: '100%' }}
          value={into}
          onChange={setInto}
          options={all.flatMap((p) => p.stages.filter((s) => s.id !== merging?.id).map((s) => ({ value: s.id, label: `${p.name} / ${s.name}` })))}
        />
      </Modal>
    </Card>
  );
}

function StageFields() {
  const t = useT();
  return (
    <>
      <Form.Item name="name" label={t('pipelines.stageName')} rules={[{ required: true, message: t('pipelines.nameRequired') }]}>
        <Input maxLength={60} />
      </Form.Item>
      <Space wrap>
        <Form.Item name="kind" label={t('pipelines.kind')}>
          <Select style={{ width: 120 }} options={KINDS.map((k) => ({ value: k, label: stageKindLabel(t, k) }))} />
        </Form.Item>
        <Form.Item name="probability" label={t('pipelines.probability')}>
          <InputNumber min={0} max={100} addonAfter="%" style={{ width: 120 }} />
        </Form.Item>
        <Form.Item name="rotDays" label={t('pipelines.rotDays')}>
          <InputNumber min={1} style={{ width: 100 }} />
        </Form.Item>
        <Form.Item name="funnelStep" label={t('pipelines.funnelStep')}>
          <Select allowClear style={{ width: 140 }} options={STEPS.map((s) => ({ value: s, label: funnelStepLabel(t, s) }))} />
        </Form.Item>
        <Form.Item name="color" label={t('pipelines.color')} getValueFromEvent={(c) => (c ? c.toHexString() : '')}>
          <ColorPicker allowClear />
        </Form.Item>
      </Space>
    </>
  );
}

function StageForm({ pipelineID, stage, onClose, onSaved }: { pipelineID: string; stage: Stage | null; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: adding }, add] = useMutation(AddStageDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateStageDoc);
  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const common = { name: v.name, kind: v.kind, probability: v.probability ?? 0, rotDays: v.rotDays ?? null, funnelStep: v.funnelStep ?? null, color: v.color || '' };
    const r = stage ? await update({ id: stage.id, input: common }) : await add({ pipelineID, input: { ...common, key: v.key } });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { known: ['key', 'name', 'kind', 'probability', 'rotDays', 'funnelStep', 'color'] });
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    onSaved();
    onClose();
  };
  return (
    <Modal open title={stage ? t('pipelines.editStage') : t('pipelines.addStage')} onCancel={onClose} onOk={submit} confirmLoading={adding || updating} width={640}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" initialValues={stage ?? { kind: 'OPEN', probability: 0 }}>
        {!stage && (
          <Form.Item name="key" label={t('pipelines.key')} rules={[{ required: true, message: t('pipelines.keyRequired') }]}>
            <Input className="scrm-cel" maxLength={63} />
          </Form.Item>
        )}
        <StageFields />
      </Form>
    </Modal>
  );
}

function PipelineForm({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreatePipelineDoc);
  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const r = await create({ input: { name: v.name, isDefault: !!v.isDefault, stages: (v.stages ?? []).map((s: { key: string; name: string; kind: StageKind }) => ({ key: s.key, name: s.name, kind: s.kind })) } });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { known: ['name', 'isDefault', 'stages'] });
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    onSaved();
    onClose();
  };
  return (
    <Modal open title={t('pipelines.new')} onCancel={onClose} onOk={submit} confirmLoading={fetching} width={640}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form
        form={form}
        layout="vertical"
        initialValues={{
          stages: [
            { key: 'new', name: t('pipelines.sample.new'), kind: 'OPEN' },
            { key: 'contacted', name: t('pipelines.sample.contacted'), kind: 'OPEN' },
            { key: 'won', name: t('pipelines.sample.won'), kind: 'WON' },
            { key: 'lost', name: t('pipelines.sample.lost'), kind: 'LOST' },
          ],
        }}
      >
        <Form.Item name="name" label={t('pipelines.name')} rules={[{ required: true, message: t('pipelines.nameRequired') }]}>
          <Input maxLength={60} />
        </Form.Item>
        <Form.Item name="isDefault" valuePropName="checked">
          <Checkbox>{t('pipelines.makeDefault')}</Checkbox>
        </Form.Item>
        <Form.List name="stages">
          {(items, { add, remove }) => (
            <>
              {items.map((it) => (
                <Space key={it.key} align="baseline" style={{ display: 'flex' }}>
                  <Form.Item name={[it.name, 'key']} rules={[{ required: true, message: t('pipelines.keyRequired') }]}>
                    <Input placeholder={t('pipelines.key')} className="scrm-cel" style={{ width: 140 }} />
                  </Form.Item>
                  <Form.Item name={[it.name, 'name']} rules={[{ required: true, message: t('pipelines.nameRequired') }]}>
                    <Input placeholder={t('pipelines.stageName')} style={{ width: 180 }} />
                  </Form.Item>
                  <Form.Item name={[it.name, 'kind']}>
                    <Select style={{ width: 110 }} options={KINDS.map((k) => ({ value: k, label: stageKindLabel(t, k) }))} />
                  </Form.Item>
                  <Button onClick={() => remove(it.name)}>{t('common.remove')}</Button>
                </Space>
              ))}
              <Button icon={<PlusOutlined />} onClick={() => add({ kind: 'OPEN' })}>{t('pipelines.addStage')}</Button>
            </>
          )}
        </Form.List>
      </Form>
    </Modal>
  );
}
