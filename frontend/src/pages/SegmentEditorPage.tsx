// The segment builder: nested AND/OR groups (react-querybuilder with its Ant
// Design controls) over custom and built-in fields, tags, stages, owners,
// behaviour events and saved segments; intersect / union / difference with
// saved segments; a live preview count while the rule changes.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import {
  Alert, App, Button, Card, Col, Empty, Form, Input, InputNumber, List, Radio, Result, Row, Select, Skeleton, Space, Spin,
  Statistic, Table, Tabs, Tag, Typography,
} from 'antd';
import { ArrowLeftOutlined, DeleteOutlined, PlusOutlined, SyncOutlined, UnorderedListOutlined } from '@ant-design/icons';
import { useClient, useMutation, useQuery } from 'urql';
import { CreateSegmentDoc, PreviewSegmentDoc, RefreshSegmentDoc, SegmentDoc, SegmentsDoc, UpdateSegmentDoc } from '../api/ops';
import { apiErrors, applyFormErrors, errorText, type APIError } from '../api/errors';
import { useFieldDefs, usePipelines, useTags, useTerritories, useUsers } from '../api/hooks';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { RuleBuilder } from '../components/segments/RuleBuilder';
import { emptyQuery, fromRule, toInput, UnsupportedRule, type BuilderState, type Operand, type SetOp } from '../lib/segmentRule';
import { fmtNumber, fmtTime } from '../lib/format';
import { segmentStatusLabel } from '../lib/labels';
import type { SegmentRuleInput } from '../gql/graphql';

interface Preview {
  count?: number;
  sample: { id: string; name: string }[];
  errors: APIError[];
  loading: boolean;
}

export default function SegmentEditorPage() {
  const { id } = useParams();
  const isNew = !id;
  const t = useT();
  const navigate = useNavigate();
  const client = useClient();
  const { can } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm();

  const { defs } = useFieldDefs();
  const { tags } = useTags();
  const { stages } = usePipelines();
  const { users, allowed: canUsers } = useUsers();
  const { territories } = useTerritories();
  const [segRes] = useQuery({ query: SegmentsDoc, variables: { first: 500 } });
  const segments = useMemo(
    () => (segRes.data?.segments.edges ?? []).flatMap((e) => (e?.node && e.node.id !== id ? [{ id: e.node.id, name: e.node.name, status: e.node.status, memberCount: e.node.memberCount }] : [])),
    [segRes.data, id],
  );
  const [memberPage, setMemberPage] = useState<(string | null)[]>([null]);
  const [existing, refetchExisting] = useQuery({
    query: SegmentDoc,
    variables: { id: id ?? '', first: 20, after: memberPage[memberPage.length - 1] },
    pause: isNew,
    context: useMemo(() => ({ additionalTypenames: ['Segment'] }), []),
  });
  const seg = existing.data?.node && existing.data.node.__typename === 'Segment' ? existing.data.node : null;

  // A saved segment is computed by a worker: follow its status until it settles.
  const computing = seg?.status === 'PENDING' || seg?.status === 'COMPUTING';
  useEffect(() => {
    if (!computing) return;
    const h = setInterval(() => refetchExisting({ requestPolicy: 'network-only' }), 2000);
    return () => clearInterval(h);
  }, [computing, refetchExisting]);

  const [state, setState] = useState<BuilderState>({ query: emptyQuery(), setOp: null, operands: [] });
  const [jsonMode, setJsonMode] = useState<string | null>(null); // raw JSON when the builder cannot show a saved rule
  const [loaded, setLoaded] = useState(isNew);
  useEffect(() => {
    if (!seg || loaded) return;
    form.setFieldsValue({ name: seg.name, description: seg.description, refreshEveryMinutes: seg.refreshEveryMinutes });
    try {
      setState(fromRule(seg.rule));
    } catch (e) {
      if (e instanceof UnsupportedRule) setJsonMode(JSON.stringify(seg.rule, null, 2));
      else throw e;
    }
    setLoaded(true);
  }, [seg, loaded, form]);

  const rule = useMemo<SegmentRuleInput | null>(() => {
    if (jsonMode !== null) {
      try {
        return JSON.parse(jsonMode) as SegmentRuleInput;
      } catch {
        return null;
      }
    }
    return toInput(state);
  }, [state, jsonMode]);
  const ruleKey = JSON.stringify(rule);

  // Live preview: a pause in editing sends the rule; only the latest answer is shown.
  const [preview, setPreview] = useState<Preview>({ sample: [], errors: [], loading: false });
  const seq = useRef(0);
  useEffect(() => {
    if (!rule) {
      setPreview({ sample: [], errors: [], loading: false });
      return;
    }
    const mine = ++seq.current;
    setPreview((p) => ({ ...p, loading: true }));
    const h = setTimeout(async () => {
      const r = await client.query(PreviewSegmentDoc, { rule, sampleSize: 10 }, { requestPolicy: 'network-only' }).toPromise();
      if (mine !== seq.current) return;
      if (r.error) setPreview({ sample: [], errors: apiErrors(r.error), loading: false });
      else setPreview({ count: r.data?.previewSegment.count, sample: r.data?.previewSegment.sample ?? [], errors: [], loading: false });
    }, 300);
    return () => clearTimeout(h);
  }, [ruleKey]); // eslint-disable-line react-hooks/exhaustive-deps

  const [{ fetching: creating }, create] = useMutation(CreateSegmentDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateSegmentDoc);
  const [, refresh] = useMutation(RefreshSegmentDoc);
  const [saveErrors, setSaveErrors] = useState<APIError[]>([]);

  const save = async () => {
    setSaveErrors([]);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    if (!rule) {
      setSaveErrors([{ message: t('segment.ruleRequired') }]);
      return;
    }
    const r = isNew
      ? await create({ input: { name: v.name, description: v.description || null, rule, kind: v.kind, refreshEveryMinutes: v.kind === 'DYNAMIC' ? v.refreshEveryMinutes || null : null } })
      : await update({ id: id!, input: { name: v.name, description: v.description ?? '', rule, refreshEveryMinutes: v.refreshEveryMinutes ?? 0 } });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { known: ['name', 'description', 'refreshEveryMinutes', 'kind'] });
      setSaveErrors(rest);
      return;
    }
    message.success(t('segment.saved'));
    const newID = (r.data as { createSegment?: { id: string } })?.createSegment?.id;
    if (newID) navigate(`/segments/${newID}`, { replace: true });
    else refetchExisting({ requestPolicy: 'network-only' });
  };

  const data = useMemo(() => ({ defs, tags, stages, users, territories, segments }), [defs, tags, stages, users, territories, segments]);

  if (!isNew && existing.fetching && !seg) return <Skeleton active />;
  if (!isNew && !seg) {
    return existing.error ? <Result status="error" title={t('common.loadFailed')} subTitle={errorText(existing.error)} /> : <Result status="404" title={t('segment.notFound')} />;
  }
  const canWrite = can('segment', 'write');
  const setOp = (op: SetOp | null) =>
    setState((s) => ({ ...s, setOp: op, operands: op && s.operands.length === 0 ? [{ kind: 'conditions' }, { kind: 'segment', id: '' }] : s.operands }));
  const setOperand = (i: number, o: Operand) => setState((s) => ({ ...s, operands: s.operands.map((x, j) => (j === i ? o : x)) }));
  const hasConditionsOperand = state.operands.some((o) => o.kind === 'conditions');

  const builder = (
    <>
      <Card title={t('segment.conditions')} size="small" style={{ marginBottom: 16 }} data-testid="segment-builder">
        {jsonMode !== null ? (
          <>
            <Alert type="info" showIcon title={t('segment.jsonMode')} style={{ marginBottom: 8 }} />
            <Input.TextArea className="scrm-cel" autoSize={{ minRows: 8, maxRows: 24 }} value={jsonMode} onChange={(e) => setJsonMode(e.target.value)} />
            {rule === null && <Typography.Text type="danger">{t('segment.badJson')}</Typography.Text>}
          </>
        ) : (
          <RuleBuilder query={state.query} onChange={(q) => setState((s) => ({ ...s, query: q }))} data={data} canUsers={canUsers} disabled={!canWrite} />
        )}
      </Card>
      {jsonMode === null && (
        <Card title={t('segment.setOps')} size="small" style={{ marginBottom: 16 }} data-testid="segment-setops">
          <Radio.Group
            value={state.setOp ?? 'none'}
            onChange={(e) => setOp(e.target.value === 'none' ? null : (e.target.value as SetOp))}
            optionType="button"
            disabled={!canWrite}
            options={[
              { value: 'none', label: t('segment.setNone') },
              { value: 'intersect', label: t('segment.intersect') },
              { value: 'union', label: t('segment.union') },
              { value: 'difference', label: t('segment.difference') },
            ]}
            data-testid="setop-radio"
          />
          {state.setOp && (
            <div style={{ marginTop: 12 }}>
              <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
                {t(`segment.${state.setOp}Hint`)}
              </Typography.Paragraph>
              {state.operands.map((o, i) => (
                <Space key={i} style={{ display: 'flex', marginBottom: 6 }} data-testid="setop-operand">
                  <Tag color="blue" style={{ minWidth: 24, textAlign: 'center' }}>{i + 1}</Tag>
                  {o.kind === 'conditions' ? (
                    <Typography.Text strong>{t('segment.theConditions')}</Typography.Text>
                  ) : (
                    <Select
                      style={{ width: 320 }}
                      placeholder={t('segment.pickSegment')}
                      value={o.id || undefined}
                      onChange={(v: string) => setOperand(i, { kind: 'segment', id: v })}
                      options={segments.map((s) => ({ value: s.id, label: `${s.name} (${fmtNumber(s.memberCount)})` }))}
                      showSearch={{ optionFilterProp: 'label' }}
                      data-testid="setop-segment"
                    />
                  )}
                  <Button
                    size="small"
                    icon={<DeleteOutlined />}
                    onClick={() => setState((s) => ({ ...s, operands: s.operands.filter((_, j) => j !== i) }))}
                    aria-label={t('common.remove')}
                  />
                </Space>
              ))}
              <Space>
                <Button size="small" icon={<PlusOutlined />} onClick={() => setState((s) => ({ ...s, operands: [...s.operands, { kind: 'segment', id: '' }] }))} data-testid="setop-add-segment">
                  {t('segment.addSegmentOperand')}
                </Button>
                {!hasConditionsOperand && (
                  <Button size="small" onClick={() => setState((s) => ({ ...s, operands: [...s.operands, { kind: 'conditions' }] }))}>
                    {t('segment.addConditionsOperand')}
                  </Button>
                )}
              </Space>
            </div>
          )}
        </Card>
      )}
    </>
  );

  const side = (
    <>
      <Card size="small" title={t('segment.preview')} style={{ marginBottom: 16 }} data-testid="segment-preview">
        <Spin spinning={preview.loading} size="small">
          <Statistic
            title={t('segment.previewCount')}
            value={preview.count ?? '—'}
            formatter={(v) => <span data-testid="preview-count">{typeof v === 'number' ? fmtNumber(v) : String(v)}</span>}
          />
        </Spin>
        {!rule && <Typography.Text type="secondary">{t('segment.previewEmpty')}</Typography.Text>}
        {preview.errors.length > 0 && (
          <Alert
            type={preview.errors.some((e) => e.code === 'LIMIT_EXCEEDED') ? 'warning' : 'error'}
            showIcon
            style={{ marginTop: 8 }}
            data-testid="preview-error"
            title={preview.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ')}
          />
        )}
        {preview.sample.length > 0 && (
          <List
            size="small"
            style={{ marginTop: 8 }}
            header={<Typography.Text type="secondary">{t('segment.sample')}</Typography.Text>}
            dataSource={preview.sample}
            renderItem={(l) => (
              <List.Item>
                <a onClick={() => navigate(`/leads/${l.id}`)}>{l.name || t('leads.unnamed')}</a>
              </List.Item>
            )}
          />
        )}
      </Card>
      <Card size="small" title={t('segment.settings')}>
        <Form form={form} layout="vertical" initialValues={{ kind: 'DYNAMIC', refreshEveryMinutes: 60 }} disabled={!canWrite}>
          <Form.Item name="name" label={t('segments.name')} rules={[{ required: true, message: t('segment.nameRequired') }]}>
            <Input maxLength={100} data-testid="segment-name" />
          </Form.Item>
          <Form.Item name="description" label={t('segment.description')}>
            <Input.TextArea maxLength={500} autoSize={{ minRows: 1, maxRows: 4 }} />
          </Form.Item>
          {isNew && (
            <Form.Item name="kind" label={t('segments.kind')} extra={t('segment.kindHint')}>
              <Radio.Group
                options={[
                  { value: 'DYNAMIC', label: t('segments.dynamic') },
                  { value: 'STATIC', label: t('segments.static') },
                ]}
              />
            </Form.Item>
          )}
          <Form.Item noStyle shouldUpdate={(a, b) => a.kind !== b.kind}>
            {({ getFieldValue }) =>
              (!isNew ? seg?.kind === 'DYNAMIC' : getFieldValue('kind') === 'DYNAMIC') && (
                <Form.Item name="refreshEveryMinutes" label={t('segment.refreshEvery')} extra={t('segment.refreshHint')}>
                  <InputNumber min={5} max={43200} style={{ width: '100%' }} addonAfter={t('segment.minutes')} />
                </Form.Item>
              )
            }
          </Form.Item>
          {saveErrors.length > 0 && (
            <Alert type="error" showIcon style={{ marginBottom: 12 }} data-testid="segment-save-error" title={saveErrors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ')} />
          )}
          {canWrite && (
            <Button type="primary" block onClick={save} loading={creating || updating} data-testid="segment-save">
              {isNew ? t('segment.create') : t('common.save')}
            </Button>
          )}
        </Form>
      </Card>
    </>
  );

  const members = seg && (
    <Table
      rowKey="id"
      size="small"
      dataSource={(seg.members.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []))}
      loading={existing.fetching}
      pagination={false}
      locale={{ emptyText: <Empty description={seg.status === 'READY' ? t('segment.noMembers') : t('segment.notComputed')} /> }}
      columns={[
        { title: t('lead.name'), dataIndex: 'name', render: (v: string, r: { id: string }) => <a onClick={() => navigate(`/leads/${r.id}`)}>{v || t('leads.unnamed')}</a> },
        { title: t('lead.phone'), dataIndex: 'phone' },
        { title: t('lead.source'), dataIndex: 'source' },
        { title: t('lead.score'), dataIndex: 'score' },
        { title: t('lead.owner'), dataIndex: ['owner', 'name'] },
      ]}
      footer={() => (
        <Space>
          <span>{t('segment.membersTotal', { n: fmtNumber(seg.members.totalCount) })}</span>
          <Button size="small" disabled={memberPage.length === 1} onClick={() => setMemberPage((p) => p.slice(0, -1))}>{t('common.prev')}</Button>
          <Button size="small" disabled={!seg.members.pageInfo.hasNextPage} onClick={() => setMemberPage((p) => [...p, seg.members.pageInfo.endCursor ?? null])}>{t('common.next')}</Button>
        </Space>
      )}
    />
  );

  return (
    <div>
      <div className="scrm-page-title">
        <Space>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/segments')} />
          <h2 style={{ margin: 0 }}>{isNew ? t('segments.new') : seg!.name}</h2>
          {seg && (
            <Tag color={seg.status === 'READY' ? 'green' : seg.status === 'FAILED' ? 'red' : 'processing'} data-testid="segment-status">
              {segmentStatusLabel(t, seg.status)}
            </Tag>
          )}
          {seg && <Typography.Text type="secondary">{t('segment.membersComputed', { n: fmtNumber(seg.memberCount), at: fmtTime(seg.computedAt) || '—' })}</Typography.Text>}
        </Space>
        {seg && (
          <Space>
            {/* The leads list narrowed to the members: bulk actions, 加入旅程 and export act on them. */}
            <Button icon={<UnorderedListOutlined />} onClick={() => navigate(`/leads?filter=${encodeURIComponent(JSON.stringify({ segmentID: seg.id }))}`)} data-testid="segment-view-leads">
              {t('segments.viewLeads')}
            </Button>
            {canWrite && <Button icon={<SyncOutlined />} onClick={async () => { const r = await refresh({ id: seg.id }); if (r.error) message.error(errorText(r.error)); else { message.success(t('segments.refreshQueued')); refetchExisting({ requestPolicy: 'network-only' }); } }}>
              {t('segments.recompute')}
            </Button>}
          </Space>
        )}
      </div>
      {seg?.error && <Alert type="error" showIcon title={seg.error} style={{ marginBottom: 12 }} />}
      <Row gutter={16}>
        <Col xs={24} xl={16}>
          {isNew ? builder : <Tabs items={[{ key: 'rule', label: t('segment.rule'), children: builder }, { key: 'members', label: t('segment.membersTab'), children: members }]} />}
        </Col>
        <Col xs={24} xl={8}>{side}</Col>
      </Row>
    </div>
  );
}
