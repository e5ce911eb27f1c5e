// One lead: its fields (built-in and custom), stage bar, tags, follow-ups,
// history (stage and owner changes), deals, its open tasks (任务), its WeCom
// contacts, and the timeline of all of them (LeadTimeline).
import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import {
  Alert, App, Button, Card, Col, DatePicker, Descriptions, Empty, Form, Input, InputNumber, Modal, Result, Row, Select,
  Skeleton, Space, Steps, Tabs, Tag, Timeline, Typography,
} from 'antd';
import { ArrowLeftOutlined, CarryOutOutlined, EditOutlined, InboxOutlined, RollbackOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useMutation, useQuery } from 'urql';
import {
  ClaimLeadsDoc, CreateDealDoc, CreateFollowUpDoc, LeadDoc, MoveLeadStageDoc, ReleaseLeadsDoc, TagLeadsDoc, UntagLeadsDoc, UpdateLeadDoc,
  AssignLeadsDoc,
} from '../api/ops';
import { apiErrors, applyFormErrors, errorMessage, errorText } from '../api/errors';
import { useFieldDefs, usePipelines, useTags, useUsers } from '../api/hooks';
import { useSession, useViewer } from '../auth/session';
import { useT } from '../i18n';
import { AttributeInput } from '../components/AttributeInput';
import { WeComContacts } from '../components/WeComContacts';
import { pageRules } from '../lib/permissions';
import { LeadTimeline } from '../components/LeadTimeline';
import { formatAttr } from '../lib/fields';
import { isStaleSchema, readTyped, typedErrorMap, typedInput, withTypedFields } from '../lib/typedFields';
import { fmtMoney, fmtTime } from '../lib/format';
import { failureLabel, followUpKindLabel, outcomeLabel, ownerChangeLabel, stageKindLabel } from '../lib/labels';
import { failureDetail } from '../lib/failures';
import { NewTaskModal } from '../components/tasks/NewTaskModal';
import { LeadTasks, useLeadTasks } from '../components/tasks/LeadTasks';
import type { FollowUpKind, FollowUpOutcome } from '../gql/graphql';
import { byName } from '../lib/collate';

const KINDS: FollowUpKind[] = ['CALL', 'VISIT', 'WECOM', 'SMS', 'EMAIL', 'NOTE'];
const OUTCOMES: FollowUpOutcome[] = ['CONNECTED', 'INTERESTED', 'NOT_INTERESTED', 'NO_ANSWER', 'BUSY', 'WRONG_NUMBER', 'CALLBACK'];

export default function LeadDetailPage() {
  const { id = '' } = useParams();
  // ?tab= is the open tab (a task notification opens 任务 with ?task= marking the task); Back and reload keep it.
  const [params, setParams] = useSearchParams();
  const t = useT();
  const navigate = useNavigate();
  const viewer = useViewer();
  const { can } = useSession();
  const { message, modal } = App.useApp();
  const { defs, fetching: defsFetching, refetch: refetchDefs } = useFieldDefs();
  // Custom fields are read as the workspace's typed fields, added to the
  // generated document once the definitions are known.
  const defsLoading = defsFetching && defs.length === 0;
  const leadDoc = useMemo(() => withTypedFields(LeadDoc, defs), [defs]);
  const [res, refetch] = useQuery({
    query: leadDoc,
    variables: { id },
    pause: defsLoading,
    context: useMemo(() => ({ additionalTypenames: ['Lead', 'FollowUp', 'Deal', 'WeComContact'] }), []),
  });
  // A field archived since the definitions were read is no longer in the
  // schema (GRAPHQL_VALIDATION_FAILED): read them again, which rebuilds the
  // document without it, once.
  const stale = isStaleSchema(apiErrors(res.error).map((e) => e.code));
  const [schemaRetried, setSchemaRetried] = useState(false);
  useEffect(() => {
    if (stale && !schemaRetried) {
      setSchemaRetried(true);
      refetchDefs({ requestPolicy: 'network-only' });
    }
  }, [stale, schemaRetried, refetchDefs]);
  const { pipelines, lostReasons } = usePipelines();
  const { tags: allTags } = useTags();
  const { users } = useUsers();
  const [editing, setEditing] = useState(false);
  const [newTask, setNewTask] = useState(false);
  const leadTasks = useLeadTasks(id);
  const tabParam = params.get('tab');
  const tab = tabParam === 'history' || tabParam === 'deals' || (tabParam === 'tasks' && leadTasks.read) ? tabParam : 'followups';
  const openTab = (key: string) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (key === 'followups') next.delete('tab');
      else next.set('tab', key);
      next.delete('task');
      return next;
    }, { replace: true });
  const [lostStage, setLostStage] = useState<string | null>(null);
  const [form] = Form.useForm();
  const [fuForm] = Form.useForm();
  const [dealForm] = Form.useForm();
  const [lostForm] = Form.useForm();
  const [{ fetching: saving }, updateLead] = useMutation(UpdateLeadDoc);
  const [, moveStage] = useMutation(MoveLeadStageDoc);
  const [, tagLeads] = useMutation(TagLeadsDoc);
  const [, untagLeads] = useMutation(UntagLeadsDoc);
  const [{ fetching: fuSaving }, createFollowUp] = useMutation(CreateFollowUpDoc);
  const [{ fetching: dealSaving }, createDeal] = useMutation(CreateDealDoc);
  const [{ fetching: claiming }, claim] = useMutation(ClaimLeadsDoc);
  const [{ fetching: releasing }, release] = useMutation(ReleaseLeadsDoc);
  const [, assign] = useMutation(AssignLeadsDoc);
  const reload = () => refetch({ requestPolicy: 'network-only' });

  if (((res.fetching || defsLoading) && !res.data) || (stale && (!schemaRetried || defsFetching))) return <Skeleton active paragraph={{ rows: 12 }} />;
  const lead = res.data?.node && res.data.node.__typename === 'Lead' ? res.data.node : null;
  // A lead outside the caller's scope reads as one that does not exist.
  const missing = apiErrors(res.error).every((e) => e.code === 'NOT_FOUND' || e.code === 'FORBIDDEN' || (e.code === 'BAD_USER_INPUT' && e.field === 'id'));
  if (!lead) {
    return res.error && !missing ? (
      <Result status="error" title={t('common.loadFailed')} subTitle={errorText(res.error)} extra={<Button onClick={reload}>{t('common.retry')}</Button>} />
    ) : (
      <Result status="404" title={<span data-testid="lead-not-found">{t('lead.notFound')}</span>} extra={<Button onClick={() => navigate('/leads')}>{t('lead.backToList')}</Button>} />
    );
  }

  const liveDefs = defs.filter((d) => !d.archived);
  const attrs = readTyped(lead, liveDefs);
  const pipeline = pipelines.find((p) => p.id === lead.stage?.pipeline.id) ?? pipelines.find((p) => p.isDefault) ?? pipelines[0];
  const stages = pipeline ? [...pipeline.stages].sort((a, b) => a.position - b.position) : [];
  const openStages = stages.filter((s) => s.kind === 'OPEN');
  const endStages = stages.filter((s) => s.kind !== 'OPEN');
  const current = stages.find((s) => s.id === lead.stage?.id);
  const canWrite = can('lead', 'write');
  const mine = lead.owner?.id === viewer.id;

  const startEdit = () => {
    form.setFieldsValue({
      name: lead.name, phone: lead.phone ?? '', email: lead.email ?? '', company: lead.company, source: lead.source,
      sourceDetail: lead.sourceDetail, attributes: Object.fromEntries(liveDefs.map((d) => [d.key, attrs[d.key] ?? null])),
    });
    setEditing(true);
  };

  const save = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const input: Record<string, unknown> = {};
    for (const k of ['name', 'company', 'source', 'sourceDetail'] as const) if (v[k] !== lead[k]) input[k] = v[k];
    // Masked contact data comes back as shown; only a real change is sent.
    if (v.phone !== (lead.phone ?? '') && !String(v.phone).includes('*')) input.phone = v.phone;
    if (v.email !== (lead.email ?? '') && !String(v.email).includes('*')) input.email = v.email;
    // Custom fields as typed input fields (enum names for options, null
    // clears); masked ones are shown, not edited.
    Object.assign(input, typedInput(liveDefs, v.attributes, { before: attrs, skip: (d) => !!d.masked }));
    if (Object.keys(input).length === 0) {
      setEditing(false);
      return;
    }
    const r = await updateLead({ id: lead.id, input });
    if (r.error) {
      if (isStaleSchema(apiErrors(r.error).map((e) => e.code))) refetchDefs({ requestPolicy: 'network-only' });
      const rest = applyFormErrors(form, r.error, { known: ['name', 'phone', 'email', 'company', 'source', 'sourceDetail', 'attributes'], map: typedErrorMap(liveDefs) });
      if (rest.length) message.error(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    message.success(t('common.saved'));
    setEditing(false);
    reload();
  };

  const toStage = async (stageID: string, reason?: string, lostReasonID?: string) => {
    const r = await moveStage({ id: lead.id, stageID, reason: reason || null, lostReasonID: lostReasonID || null });
    if (r.error) return void message.error(errorText(r.error));
    message.success(t('lead.stageMoved'));
    reload();
  };
  const pickStage = (s: (typeof stages)[number]) => {
    if (!canWrite || s.id === current?.id) return;
    if (s.kind === 'LOST') {
      lostForm.resetFields();
      setLostStage(s.id);
      return;
    }
    modal.confirm({ title: t('lead.moveConfirm', { stage: s.name }), onOk: () => toStage(s.id) });
  };

  const doClaim = async () => {
    const r = await claim({ ids: [lead.id] });
    if (r.error) return void message.error(errorText(r.error));
    const f = r.data!.claimLeads.failures[0];
    if (f) modal.warning({ title: t('pool.refusedTitle', { reason: failureLabel(t, f.code) }), content: <span data-testid="claim-refused">{failureDetail(t, f)}</span> });
    else message.success(t('pool.claimed', { n: 1 }));
    reload();
  };
  const doRelease = () =>
    modal.confirm({
      title: t('lead.releaseConfirm'),
      onOk: async () => {
        const r = mine ? await release({ ids: [lead.id] }) : await assign({ ids: [lead.id], ownerID: null });
        if (r.error) return void message.error(errorText(r.error));
        message.success(t('bulk.released', { n: 1 }));
        reload();
      },
    });

  const addTag = async (tagID: string) => {
    const r = await tagLeads({ leadIDs: [lead.id], tagIDs: [tagID] });
    if (r.error) message.error(errorText(r.error));
    reload();
  };
  const removeTag = async (tagID: string) => {
    const r = await untagLeads({ leadIDs: [lead.id], tagIDs: [tagID] });
    if (r.error) message.error(errorText(r.error));
    reload();
  };

  const addFollowUp = async () => {
    const v = await fuForm.validateFields().catch(() => null);
    if (!v) return;
    const r = await createFollowUp({
      input: { leadID: lead.id, kind: v.kind, content: v.content || null, outcome: v.outcome || null, nextFollowUpAt: v.next ? v.next.toISOString() : null },
    });
    if (r.error) {
      const rest = applyFormErrors(fuForm, r.error, { map: { 'input.nextFollowUpAt': ['next'], 'input.content': ['content'] } });
      if (rest.length) message.error(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    fuForm.resetFields();
    message.success(t('lead.followUpAdded'));
    reload();
  };

  const addDeal = async () => {
    const v = await dealForm.validateFields().catch(() => null);
    if (!v) return;
    const r = await createDeal({ input: { leadID: lead.id, amount: v.amount, currency: v.currency || null, closedAt: v.closedAt ? v.closedAt.toISOString() : null } });
    if (r.error) {
      const rest = applyFormErrors(dealForm, r.error);
      if (rest.length) message.error(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    dealForm.resetFields();
    message.success(t('lead.dealAdded'));
    reload();
  };

  const history = [
    ...(lead.stageChanges ?? []).map((c) => ({
      at: c.at,
      color: c.to.kind === 'WON' ? 'green' : c.to.kind === 'LOST' ? 'red' : 'blue',
      text: (
        <>
          {t('history.stage', { from: c.from?.name ?? '—', to: c.to.name })}
          {c.lostReason && <Tag style={{ marginLeft: 6 }}>{c.lostReason.name}</Tag>}
          {c.reason && <div className="scrm-muted">{c.reason}</div>}
        </>
      ),
      by: c.by?.name,
    })),
    ...(lead.ownerChanges ?? []).map((c) => ({
      at: c.at,
      color: c.kind === 'RECYCLE' ? 'orange' : 'gray',
      text: (
        <>
          <Tag>{ownerChangeLabel(t, c.kind)}</Tag>
          {t('history.owner', { from: c.fromUser?.name ?? t('leads.publicPool'), to: c.toUser?.name ?? t('leads.publicPool') })}
          {c.rule && <span className="scrm-muted"> · {c.rule.name}</span>}
          {c.reason && <div className="scrm-muted">{c.reason}</div>}
        </>
      ),
      by: c.actor?.name ?? (c.by === 'SYSTEM' ? t('history.system') : c.by === 'RULE' ? t('history.rule') : undefined),
    })),
  ].sort((a, b) => (a.at < b.at ? 1 : -1));

  const followUps = [...(lead.followUps ?? [])].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  const leadTagIDs = new Set((lead.tags ?? []).map((x) => x.id));

  return (
    <div data-testid="lead-detail">
      <Space style={{ marginBottom: 12 }}>
        <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)}>
          {t('common.back')}
        </Button>
      </Space>
      <Card style={{ marginBottom: 16 }}>
        <div style={{ display: 'flex', justifyContent: 'space-between', flexWrap: 'wrap', gap: 12 }}>
          <Space orientation="vertical" size={2}>
            <Typography.Title level={3} style={{ margin: 0 }} data-testid="lead-name">
              {lead.name || t('leads.unnamed')}{' '}
              {lead.tier && <Tag color={{ A: 'red', B: 'orange', C: 'blue', D: 'default' }[lead.tier]}>{lead.tier}</Tag>}
              {lead.status !== 'ACTIVE' && <Tag>{lead.status}</Tag>}
            </Typography.Title>
            <Typography.Text type="secondary">
              {t('lead.score')}: {lead.score} · {t('lead.owner')}: {lead.owner?.name ?? t('leads.publicPool')}
              {lead.pool && ` · ${t('lead.pool')}: ${lead.pool.name}`}
              {lead.protectedUntil && dayjs(lead.protectedUntil).isAfter(dayjs()) && ` · ${t('lead.protectedUntil')}: ${fmtTime(lead.protectedUntil)}`}
            </Typography.Text>
          </Space>
          <Space wrap>
            {!lead.owner && can('lead', 'claim') && (
              <Button type="primary" icon={<InboxOutlined />} loading={claiming} onClick={doClaim} data-testid="detail-claim">
                {t('pool.claim')}
              </Button>
            )}
            {lead.owner && ((mine && can('lead', 'release')) || can('lead', 'assign')) && (
              <Button icon={<RollbackOutlined />} loading={releasing} onClick={doRelease}>
                {t('bulk.release')}
              </Button>
            )}
            {can('lead', 'assign') && users.length > 0 && (
              <Select
                placeholder={t('bulk.assignTo')}
                style={{ width: 180 }}
                showSearch={{ optionFilterProp: 'label' }}
                value={null}
                onChange={async (uid: string) => {
                  const r = await assign({ ids: [lead.id], ownerID: uid });
                  if (r.error) return void message.error(errorText(r.error));
                  const f = r.data!.assignLeads.failures[0];
                  if (f) modal.warning({ title: failureLabel(t, f.code), content: failureDetail(t, f) });
                  else message.success(t('bulk.assigned', { n: 1 }));
                  reload();
                }}
                options={users.filter((u) => u.active).map((u) => ({ value: u.id, label: u.name }))}
              />
            )}
            {can('task', 'write') && (
              <Button icon={<CarryOutOutlined />} onClick={() => setNewTask(true)} data-testid="lead-new-task">
                {t('tasks.new')}
              </Button>
            )}
          </Space>
          {newTask && (
            <NewTaskModal
              lead={{ id: lead.id, name: lead.name }}
              onClose={() => setNewTask(false)}
              onDone={(title) => {
                message.success(t('tasks.created', { title }));
                setNewTask(false);
                leadTasks.refetch();
              }}
            />
          )}
        </div>
        {stages.length > 0 && (
          <div style={{ marginTop: 20 }} data-testid="stage-bar">
            <Steps
              size="small"
              current={current ? openStages.indexOf(current) : -1}
              status={current?.kind === 'LOST' ? 'error' : current?.kind === 'WON' ? 'finish' : 'process'}
              onChange={canWrite ? (i) => pickStage(openStages[i]) : undefined}
              items={openStages.map((s) => ({ title: s.name, disabled: !canWrite }))}
            />
            <Space style={{ marginTop: 10 }}>
              {endStages.map((s) => (
                <Button
                  key={s.id}
                  size="small"
                  type={current?.id === s.id ? 'primary' : 'default'}
                  danger={s.kind === 'LOST'}
                  disabled={!canWrite}
                  onClick={() => pickStage(s)}
                  data-testid={`stage-${s.key}`}
                >
                  {s.name === stageKindLabel(t, s.kind) ? s.name : `${s.name} · ${stageKindLabel(t, s.kind)}`}
                </Button>
              ))}
            </Space>
          </div>
        )}
      </Card>
      <Row gutter={16}>
        <Col xs={24} lg={10}>
          <Card
            title={t('lead.fields')}
            style={{ marginBottom: 16 }}
            extra={canWrite && !editing && <Button size="small" icon={<EditOutlined />} onClick={startEdit} data-testid="lead-edit">{t('common.edit')}</Button>}
          >
            {editing ? (
              <Form form={form} layout="vertical" size="small">
                {(['name', 'phone', 'email', 'company', 'source', 'sourceDetail'] as const).map((k) => (
                  <Form.Item key={k} name={k} label={t(`lead.${k}`)}>
                    <Input />
                  </Form.Item>
                ))}
                {liveDefs.map((d) => (
                  d.masked ? (
                    <Form.Item key={d.key} label={d.label} tooltip={d.helpText || undefined}>
                      <span data-testid={`lead-attr-${d.key}`}>{formatAttr(d, attrs[d.key], [t('common.yes'), t('common.no')])}</span>
                    </Form.Item>
                  ) : (
                    <Form.Item key={d.key} name={['attributes', d.key]} label={d.label} tooltip={d.helpText || undefined} rules={d.required ? [{ required: true }] : []}>
                      <AttributeInput def={d} />
                    </Form.Item>
                  )
                ))}
                <Space>
                  <Button type="primary" loading={saving} onClick={save} data-testid="lead-save">{t('common.save')}</Button>
                  <Button onClick={() => setEditing(false)}>{t('common.cancel')}</Button>
                </Space>
              </Form>
            ) : (
              <Descriptions column={1} size="small" data-testid="lead-fields">
                <Descriptions.Item label={t('lead.phone')}>{lead.phone}</Descriptions.Item>
                <Descriptions.Item label={t('lead.email')}>{lead.email}</Descriptions.Item>
                <Descriptions.Item label={t('lead.company')}>{lead.company}</Descriptions.Item>
                <Descriptions.Item label={t('lead.source')}>{[lead.source, lead.sourceDetail].filter(Boolean).join(' / ')}</Descriptions.Item>
                <Descriptions.Item label={t('lead.territory')}>{lead.territory?.name}</Descriptions.Item>
                {lead.partner && <Descriptions.Item label={t('lead.partner')}>{lead.partner.name}</Descriptions.Item>}
                {lead.referrer && <Descriptions.Item label={t('lead.referrer')}>{lead.referrer.name}</Descriptions.Item>}
                <Descriptions.Item label={t('lead.reachable')}>{lead.reachableChannels.map((c) => <Tag key={c}>{c}</Tag>)}</Descriptions.Item>
                {liveDefs.map((d) => (
                  <Descriptions.Item key={d.key} label={d.label}>
                    <span data-testid={`lead-attr-${d.key}`}>{formatAttr(d, attrs[d.key], [t('common.yes'), t('common.no')])}</span>
                  </Descriptions.Item>
                ))}
                <Descriptions.Item label={t('lead.createdAt')}>{fmtTime(lead.createdAt)}</Descriptions.Item>
                <Descriptions.Item label={t('lead.lastFollowUpAt')}>{fmtTime(lead.lastFollowUpAt)}</Descriptions.Item>
              </Descriptions>
            )}
          </Card>
          <Card title={t('lead.tags')} style={{ marginBottom: 16 }} data-testid="lead-tags">
            <Space wrap>
              {byName(lead.tags ?? []).map((tg) => (
                <Tag key={tg.id} color={tg.color || undefined} closable={can('lead.tag', 'write')} onClose={(e) => { e.preventDefault(); removeTag(tg.id); }}>
                  {tg.name}
                </Tag>
              ))}
              {(lead.tags ?? []).length === 0 && <Typography.Text type="secondary">{t('lead.noTags')}</Typography.Text>}
            </Space>
            {can('lead.tag', 'write') && (
              <Select
                style={{ width: '100%', marginTop: 12 }}
                placeholder={t('lead.addTag')}
                value={null}
                showSearch={{ optionFilterProp: 'label' }}
                onChange={(v: string) => addTag(v)}
                options={allTags.filter((x) => !leadTagIDs.has(x.id)).map((x) => ({ value: x.id, label: x.group ? `${x.group.name} / ${x.name}` : x.name }))}
              />
            )}
          </Card>
          <WeComContacts contacts={lead.wecomContacts} codesPage={pageRules['wecom.contact-ways'](can)} />
        </Col>
        <Col xs={24} lg={14}>
          <Card>
            <Tabs
              activeKey={tab}
              onChange={openTab}
              items={[
                {
                  key: 'followups',
                  label: t('lead.followUps', { n: followUps.length }),
                  children: (
                    <>
                      {can('lead.followup', 'write') && (
                        <Form form={fuForm} layout="vertical" size="small" initialValues={{ kind: 'CALL' }} style={{ marginBottom: 16 }} data-testid="followup-form">
                          <Row gutter={8}>
                            <Col span={8}>
                              <Form.Item name="kind" label={t('followUp.kind')}>
                                <Select options={KINDS.map((k) => ({ value: k, label: followUpKindLabel(t, k) }))} />
                              </Form.Item>
                            </Col>
                            <Col span={8}>
                              <Form.Item name="outcome" label={t('followUp.outcome')}>
                                <Select allowClear options={OUTCOMES.map((k) => ({ value: k, label: outcomeLabel(t, k) }))} />
                              </Form.Item>
                            </Col>
                            <Col span={8}>
                              <Form.Item name="next" label={t('followUp.next')}>
                                <DatePicker showTime style={{ width: '100%' }} disabledDate={(d) => d.isBefore(dayjs(), 'day')} />
                              </Form.Item>
                            </Col>
                          </Row>
                          <Form.Item name="content" label={t('followUp.content')}>
                            <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} maxLength={4000} data-testid="followup-content" />
                          </Form.Item>
                          <Button type="primary" loading={fuSaving} onClick={addFollowUp} data-testid="followup-submit">{t('followUp.add')}</Button>
                        </Form>
                      )}
                      {followUps.length === 0 ? (
                        <Empty description={t('lead.noFollowUps')} />
                      ) : (
                        <Timeline
                          data-testid="followup-timeline"
                          items={followUps.map((f) => ({
                            key: f.id,
                            color: f.outcome === 'INTERESTED' ? 'green' : f.outcome === 'NOT_INTERESTED' ? 'red' : 'blue',
                            title: fmtTime(f.createdAt),
                            content: (
                              <div>
                                <Tag>{followUpKindLabel(t, f.kind)}</Tag>
                                {f.outcome && <Tag color="geekblue">{outcomeLabel(t, f.outcome)}</Tag>}
                                <span className="scrm-muted">{f.author?.name}</span>
                                {f.content && <div style={{ whiteSpace: 'pre-wrap', marginTop: 4 }}>{f.content}</div>}
                                {f.nextFollowUpAt && <div className="scrm-muted">{t('followUp.nextAt', { at: fmtTime(f.nextFollowUpAt) })}</div>}
                              </div>
                            ),
                          }))}
                        />
                      )}
                    </>
                  ),
                },
                ...(leadTasks.read
                  ? [{
                      key: 'tasks',
                      label: <span data-testid="lead-tasks-tab">{t('tasks.lead.tab', { n: leadTasks.total })}</span>,
                      children: <LeadTasks lead={{ id: lead.id, name: lead.name }} tasks={leadTasks} onChanged={reload} marked={params.get('task')} />,
                    }]
                  : []),
                {
                  key: 'history',
                  label: t('lead.history'),
                  children: history.length === 0 ? (
                    <Empty description={t('lead.noHistory')} />
                  ) : (
                    <Timeline
                      data-testid="history-timeline"
                      items={history.map((h, i) => ({
                        key: i,
                        color: h.color,
                        title: fmtTime(h.at),
                        content: (
                          <div>
                            {h.text}
                            {h.by && <div className="scrm-muted">{t('history.by', { who: h.by })}</div>}
                          </div>
                        ),
                      }))}
                    />
                  ),
                },
                {
                  key: 'deals',
                  label: t('lead.deals', { n: (lead.deals ?? []).length }),
                  children: (
                    <>
                      {canWrite && (
                        <Form form={dealForm} layout="inline" size="small" initialValues={{ currency: 'CNY' }} style={{ marginBottom: 16, rowGap: 8 }}>
                          <Form.Item name="amount" rules={[{ required: true, message: t('deal.amountRequired') }]}>
                            <InputNumber min={0.01} precision={2} placeholder={t('deal.amount')} style={{ width: 140 }} />
                          </Form.Item>
                          <Form.Item name="currency">
                            <Input style={{ width: 70 }} maxLength={3} />
                          </Form.Item>
                          <Form.Item name="closedAt">
                            <DatePicker showTime placeholder={t('deal.closedAt')} />
                          </Form.Item>
                          <Button type="primary" loading={dealSaving} onClick={addDeal}>{t('deal.add')}</Button>
                        </Form>
                      )}
                      {(lead.deals ?? []).length === 0 ? (
                        <Empty description={t('lead.noDeals')} />
                      ) : (
                        <Timeline
                          items={(lead.deals ?? []).map((d) => ({
                            key: d.id,
                            color: 'green',
                            title: fmtTime(d.closedAt),
                            content: (
                              <span>
                                {fmtMoney(d.amount, d.currency)} {d.repurchase && <Tag color="gold">{t('deal.repurchase')}</Tag>}
                                <span className="scrm-muted"> {d.owner?.name}</span>
                              </span>
                            ),
                          }))}
                        />
                      )}
                    </>
                  ),
                },
              ]}
            />
          </Card>
          <LeadTimeline leadID={lead.id} refreshKey={res.data} />
        </Col>
      </Row>
      <Modal
        open={lostStage !== null}
        title={t('lead.lostTitle')}
        onCancel={() => setLostStage(null)}
        onOk={async () => {
          const v = await lostForm.validateFields().catch(() => null);
          if (!v) return;
          await toStage(lostStage!, v.reason, v.lostReasonID);
          setLostStage(null);
        }}
      >
        {lostReasons.filter((r) => !r.archived).length === 0 && <Alert type="info" showIcon title={t('lead.noLostReasons')} style={{ marginBottom: 12 }} />}
        <Form form={lostForm} layout="vertical">
          <Form.Item name="lostReasonID" label={t('lead.lostReason')} rules={[{ required: true, message: t('lead.lostReasonRequired') }]}>
            <Select options={lostReasons.filter((r) => !r.archived).map((r) => ({ value: r.id, label: r.name }))} />
          </Form.Item>
          <Form.Item name="reason" label={t('lead.lostNote')}>
            <Input.TextArea maxLength={500} />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
