// The kanban of a pipeline: one column per stage with its leads (the first
// 30 by score, and the count), the caller's own or all they may see. A card
// dragged to another column moves the lead's stage (moveLeadStage); a LOST
// column asks for the lost reason first. Keyboard dragging works too
// (space to lift, arrows to move, space to drop).
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { App, Alert, Badge, Card, Empty, Form, Input, Modal, Segmented, Select, Space, Spin, Tag, Typography } from 'antd';
import { DndContext, DragOverlay, KeyboardSensor, PointerSensor, useDraggable, useDroppable, useSensor, useSensors, type DragEndEvent, type DragStartEvent } from '@dnd-kit/core';
import { useMutation, useQuery } from 'urql';
import { LeadsCountedDoc, MoveLeadStageDoc } from '../api/ops';
import { usePipelines } from '../api/hooks';
import { errorText } from '../api/errors';
import { useSession, useViewer } from '../auth/session';
import { useT } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import type { LeadRow } from '../components/leads/columns';

const PER_COLUMN = 30;
type Stage = { id: string; name: string; kind: string; color?: string | null; position: number };

export default function KanbanPage() {
  const t = useT();
  const viewer = useViewer();
  const { can } = useSession();
  const { message } = App.useApp();
  const { pipelines, lostReasons } = usePipelines();
  const [pipelineID, setPipelineID] = useState<string | undefined>();
  const [whose, setWhose] = useState<'mine' | 'all'>(can('lead', 'assign') ? 'all' : 'mine');
  const [moved, setMoved] = useState(0); // bumps to refetch the columns after a move
  const [active, setActive] = useState<LeadRow | null>(null);
  const [lost, setLost] = useState<{ leadID: string; stageID: string } | null>(null);
  const [lostForm] = Form.useForm();
  const [, moveStage] = useMutation(MoveLeadStageDoc);
  const pipeline = pipelines.find((p) => p.id === pipelineID) ?? pipelines.find((p) => p.isDefault) ?? pipelines[0];
  const stages = useMemo(() => [...(pipeline?.stages ?? [])].sort((a, b) => a.position - b.position) as Stage[], [pipeline]);
  const canWrite = can('lead', 'write');
  const sensors = useSensors(useSensor(PointerSensor, { activationConstraint: { distance: 6 } }), useSensor(KeyboardSensor));

  const move = async (leadID: string, stageID: string, lostReasonID?: string, reason?: string) => {
    const r = await moveStage({ id: leadID, stageID, lostReasonID: lostReasonID ?? null, reason: reason || null });
    if (r.error) {
      message.error(errorText(r.error));
      return false;
    }
    message.success(t('lead.stageMoved'));
    setMoved((n) => n + 1);
    return true;
  };

  const onDragEnd = (e: DragEndEvent) => {
    setActive(null);
    const leadID = String(e.active.id);
    const from = e.active.data.current?.stageID as string | undefined;
    const to = e.over ? String(e.over.id) : null;
    if (!to || to === from) return;
    const target = stages.find((s) => s.id === to);
    if (target?.kind === 'LOST') {
      lostForm.resetFields();
      setLost({ leadID, stageID: to });
      return;
    }
    void move(leadID, to);
  };

  return (
    <div>
      <PageTitle
        title={t('kanban.title')}
        sub={t('kanban.sub')}
        extra={
          <Space wrap>
            <Select
              style={{ width: 180 }}
              value={pipeline?.id}
              onChange={setPipelineID}
              options={pipelines.map((p) => ({ value: p.id, label: p.name }))}
              data-testid="kanban-pipeline"
            />
            <Segmented
              value={whose}
              onChange={(v) => setWhose(v as 'mine' | 'all')}
              options={[{ value: 'mine', label: t('kanban.mine') }, { value: 'all', label: t('kanban.all') }]}
              data-testid="kanban-whose"
            />
          </Space>
        }
      />
      {!pipeline ? (
        <Spin />
      ) : (
        <DndContext
          sensors={sensors}
          onDragStart={(e: DragStartEvent) => setActive((e.active.data.current?.lead as LeadRow) ?? null)}
          onDragCancel={() => setActive(null)}
          onDragEnd={onDragEnd}
        >
          <div className="scrm-kanban" data-testid="kanban">
            {stages.map((s) => (
              <Column key={`${s.id}:${moved}`} stage={s} ownerID={whose === 'mine' ? viewer.id : undefined} draggable={canWrite} />
            ))}
          </div>
          {/* The dragged card is drawn above the columns, so no column's scroll clips it. */}
          <DragOverlay>{active ? <CardBody lead={active} dragging /> : null}</DragOverlay>
        </DndContext>
      )}
      <Modal
        open={lost !== null}
        title={t('lead.lostTitle')}
        onCancel={() => setLost(null)}
        okButtonProps={{ 'data-testid': 'kanban-lost-ok' } as Record<string, string>}
        onOk={async () => {
          const v = await lostForm.validateFields().catch(() => null);
          if (!v) return;
          if (await move(lost!.leadID, lost!.stageID, v.lostReasonID, v.reason)) setLost(null);
        }}
      >
        {lostReasons.filter((r) => !r.archived).length === 0 && <Alert type="info" showIcon title={t('lead.noLostReasons')} style={{ marginBottom: 12 }} />}
        <Form form={lostForm} layout="vertical">
          <Form.Item name="lostReasonID" label={t('lead.lostReason')} rules={[{ required: true, message: t('lead.lostReasonRequired') }]}>
            <Select options={lostReasons.filter((r) => !r.archived).map((r) => ({ value: r.id, label: r.name }))} data-testid="kanban-lost-reason" />
          </Form.Item>
          <Form.Item name="reason" label={t('lead.lostNote')}>
            <Input.TextArea maxLength={500} />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}

function Column({ stage, ownerID, draggable }: { stage: Stage; ownerID?: string; draggable: boolean }) {
  const t = useT();
  const where = useMemo(() => ({ stageID: stage.id, status: 'ACTIVE' as const, ...(ownerID ? { ownerID } : {}) }), [stage.id, ownerID]);
  const [res] = useQuery({
    query: LeadsCountedDoc,
    variables: { first: PER_COLUMN, where, orderBy: { field: 'SCORE', direction: 'DESC' } },
    requestPolicy: 'cache-and-network',
  });
  const { setNodeRef, isOver } = useDroppable({ id: stage.id });
  const rows = (res.data?.leads.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])) as LeadRow[];
  const total = res.data?.leads.totalCount ?? 0;
  return (
    <div ref={setNodeRef} className={`scrm-kanban-col${isOver ? ' over' : ''}`} data-testid={`kanban-col-${stage.name}`} data-stage={stage.id}>
      <div className="scrm-kanban-head" style={{ borderTopColor: stage.color || (stage.kind === 'WON' ? '#52c41a' : stage.kind === 'LOST' ? '#bfbfbf' : '#1677ff') }}>
        <Typography.Text strong>{stage.name}</Typography.Text>
        <Badge count={total} overflowCount={99999} showZero color="#8c8c8c" data-testid="kanban-count" />
      </div>
      <div className="scrm-kanban-body">
        {res.fetching && !res.data ? <Spin size="small" /> : rows.length === 0 ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('kanban.empty')} /> : null}
        {rows.map((r) => <LeadCard key={r.id} lead={r} stageID={stage.id} draggable={draggable} />)}
        {total > rows.length && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('kanban.more', { n: total - rows.length })}</Typography.Text>}
      </div>
    </div>
  );
}

function LeadCard({ lead, stageID, draggable }: { lead: LeadRow; stageID: string; draggable: boolean }) {
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: lead.id, data: { stageID, lead }, disabled: !draggable });
  return (
    <div ref={setNodeRef} style={{ opacity: isDragging ? 0.35 : 1 }} {...listeners} {...attributes} data-testid="kanban-card" data-lead={lead.id}>
      <CardBody lead={lead} />
    </div>
  );
}

function CardBody({ lead, dragging }: { lead: LeadRow; dragging?: boolean }) {
  return (
    <Card size="small" className={`scrm-kanban-card${dragging ? ' dragging' : ''}`}>
      <Link to={`/leads/${lead.id}`} onPointerDown={(e) => e.stopPropagation()}>{lead.name || lead.company || '—'}</Link>
      <div className="scrm-muted" style={{ fontSize: 12 }}>
        {lead.company}
        {lead.owner && <span> · {lead.owner.name}</span>}
      </div>
      <Space size={4} style={{ marginTop: 4 }}>
        {lead.tier && <Tag color="blue">{lead.tier}</Tag>}
        <Tag>{lead.score}</Tag>
      </Space>
    </Card>
  );
}
