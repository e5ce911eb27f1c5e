// One SOP journey (/journeys/:id): status and version, the status actions,
// manual enrolment (enrollLeads), the enrolment counts, the current
// version's steps with their counts as a funnel chart and a table, and the
// enrolled leads (by status, paged). Refreshed every 5 seconds while the
// journey runs (the server's worker moves leads on).
import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  Alert, App, Button, Card, Col, Descriptions, Empty, Modal, Result, Row, Segmented, Select, Skeleton, Space, Statistic, Table, Tag, Typography,
} from 'antd';
import { ArrowLeftOutlined, EditOutlined, UserAddOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { EnrollLeadsDoc, JourneyDoc, JourneyLeadSearchDoc } from '../api/journeyOps';
import { errorText } from '../api/errors';
import { useSession } from '../auth/session';
import { useI18n, type MessageKey } from '../i18n';
import { Chart } from '../components/Chart';
import { QueryError } from '../components/QueryError';
import { StatusButtons, statusColor, useStepText, useTriggerText } from '../components/journeys/JourneyParts';
import { canEnroll, funnelRows, leadSearchWhere, stepsFromDefinition } from '../lib/journeys';
import { fmtNumber, fmtPercent, fmtTime } from '../lib/format';
import { useMobile } from '../lib/useMobile';
import type { EnrollmentStatus, JourneyQuery } from '../gql/graphql';

type J = Extract<NonNullable<JourneyQuery['node']>, { __typename: 'Journey' }>;
type Enrollment = NonNullable<NonNullable<J['enrollments']['edges']>[number]>['node'] & object;
const PAGE = 20;
const STATS = ['enrolled', 'active', 'completed', 'exited', 'failed'] as const;

export default function JourneyPage() {
  const { id } = useParams();
  const { t } = useI18n();
  const { can } = useSession();
  const navigate = useNavigate();
  const mobile = useMobile();
  const [status, setStatus] = useState<EnrollmentStatus | 'ALL'>('ALL');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const variables = useMemo(() => ({ id: id!, first: PAGE, after: cursors[cursors.length - 1], status: status === 'ALL' ? null : status }), [id, cursors, status]);
  const [res, refetch] = useQuery({ query: JourneyDoc, variables, context: useMemo(() => ({ additionalTypenames: ['Journey', 'Enrollment'] }), []) });
  const j: J | null = res.data?.node?.__typename === 'Journey' ? (res.data.node as J) : null;
  const triggerText = useTriggerText();
  const stepText = useStepText();
  const [enrolling, setEnrolling] = useState(false);

  const running = j?.status === 'ACTIVE';
  useEffect(() => {
    if (!running) return;
    const h = setInterval(() => refetch({ requestPolicy: 'network-only' }), 5000);
    return () => clearInterval(h);
  }, [running, refetch]);

  const defSteps = useMemo(() => stepsFromDefinition(j?.definition), [j?.definition]);
  const rows = useMemo(() => funnelRows(j?.steps ?? []), [j?.steps]);

  if (res.fetching && !j) return <Skeleton active />;
  if (!j) {
    return res.error ? <Result status="error" title={t('common.loadFailed')} subTitle={errorText(res.error)} /> : <Result status="404" title={t('journey.notFound')} />;
  }
  const canWrite = can('journey', 'write');
  const stepName = (i: number, kind: string) => `${t('journey.stepN', { n: i + 1 })} ${defSteps[i] ? stepText(defSteps[i]) : t(`journeyStep.${kind}` as MessageKey)}`;
  const reload = () => refetch({ requestPolicy: 'network-only' });

  const funnelOption = {
    tooltip: { trigger: 'item' as const, formatter: '{b}: {c}' },
    series: [{
      type: 'funnel' as const,
      sort: 'none' as const,
      left: mobile ? '2%' : '10%',
      width: mobile ? '96%' : '80%',
      minSize: '12%',
      gap: 2,
      label: { show: true, position: 'inside' as const, formatter: '{b}\n{c}', overflow: 'truncate' as const },
      data: rows.map((r) => ({ name: `${t('journey.stepN', { n: r.index + 1 })} ${t(`journeyStep.${r.kind}` as MessageKey)}`, value: r.reached })),
    }],
  };
  const enrollments = (j.enrollments.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));

  return (
    <div data-testid="journey-page" data-status={j.status}>
      <div className="scrm-page-title">
        <Space wrap>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate('/journeys')} aria-label={t('common.back')} />
          <h2 style={{ margin: 0 }} data-testid="journey-title">{j.name}</h2>
          <Tag color={statusColor[j.status]} data-testid="journey-status">{t(`journeyStatus.${j.status}` as MessageKey)}</Tag>
          <Tag data-testid="journey-version">{t('journey.version', { v: j.version })}</Tag>
        </Space>
        {canWrite && (
          <Space wrap>
            {canEnroll(j.status) && (
              <Button icon={<UserAddOutlined />} onClick={() => setEnrolling(true)} data-testid="journey-enroll">{t('journey.enroll')}</Button>
            )}
            {j.status !== 'ARCHIVED' && (
              <Button icon={<EditOutlined />} onClick={() => navigate(`/journeys/${j.id}/edit`)} data-testid="journey-edit">{t('common.edit')}</Button>
            )}
            <StatusButtons id={j.id} name={j.name} status={j.status} onDone={reload} />
          </Space>
        )}
      </div>
      <QueryError error={res.error} retry={reload} />
      {j.status === 'DRAFT' && canWrite && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('journey.enrollNeedActive')} />}

      <Row gutter={[16, 16]} style={{ marginBottom: 16 }}>
        {STATS.map((k) => (
          <Col key={k} xs={12} sm={8} lg={4}>
            <Card size="small">
              <Statistic title={t(`journey.stats.${k}`)} value={j.stats[k]} formatter={(v) => <span data-testid={`journey-stat-${k}`}>{fmtNumber(Number(v))}</span>} />
            </Card>
          </Col>
        ))}
      </Row>

      <Card size="small" title={t('journey.details')} style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={mobile ? 1 : 3}>
          <Descriptions.Item label={t('journey.trigger')}><span data-testid="journey-trigger-text">{triggerText(j.trigger)}</span></Descriptions.Item>
          <Descriptions.Item label={t('journey.reentry')}>{j.reentry ? t('common.yes') : t('common.no')}</Descriptions.Item>
          <Descriptions.Item label={t('journey.exitRule')}>
            {j.exitRule ? <Typography.Text code style={{ wordBreak: 'break-all' }}>{JSON.stringify(j.exitRule)}</Typography.Text> : t('journey.exitRuleNone')}
          </Descriptions.Item>
        </Descriptions>
      </Card>

      <Card size="small" title={t('journey.funnel')} style={{ marginBottom: 16 }} extra={!mobile && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('journey.funnelHint')}</Typography.Text>}>
        <Row gutter={16}>
          <Col xs={24} lg={10}>
            <div data-testid="journey-funnel" data-values={JSON.stringify(rows.map((r) => r.reached))}>
              <Chart option={funnelOption} height={Math.max(260, rows.length * 72)} />
            </div>
          </Col>
          <Col xs={24} lg={14}>
            <Table
              rowKey="index"
              size="small"
              pagination={false}
              dataSource={rows}
              scroll={{ x: 'max-content' }}
              onRow={(r) => ({ 'data-testid': 'journey-step-row', 'data-index': r.index }) as React.HTMLAttributes<HTMLElement>}
              columns={[
                { title: t('journey.col.step'), key: 'step', render: (_: unknown, r) => <span style={{ display: 'inline-block', minWidth: 140, maxWidth: 280, whiteSpace: 'normal' }}>{stepName(r.index, r.kind)}</span> },
                ...(['reached', 'completed', 'exited', 'failed'] as const).map((k) => ({
                  title: t(`journey.col.${k}`), key: k, align: 'right' as const,
                  render: (_: unknown, r: (typeof rows)[number]) => <span data-testid={`step-${k}`}>{fmtNumber(r[k])}</span>,
                })),
                { title: t('journey.col.rate'), key: 'rate', align: 'right' as const, render: (_: unknown, r) => fmtPercent(r.rate) },
              ]}
            />
          </Col>
        </Row>
      </Card>

      <Card
        size="small"
        title={t('journey.enrollments')}
        extra={
          <Segmented
            size="small"
            value={status}
            onChange={(v) => { setStatus(v as EnrollmentStatus | 'ALL'); setCursors([null]); }}
            options={[
              { value: 'ALL', label: t('journey.enrollmentsAll') },
              ...(['ACTIVE', 'COMPLETED', 'EXITED', 'FAILED'] as const).map((s) => ({ value: s, label: t(`enrollmentStatus.${s}`) })),
            ]}
            data-testid="enrollments-filter"
            style={{ maxWidth: mobile ? 220 : undefined, overflowX: 'auto' }}
          />
        }
      >
        <Table<Enrollment>
          rowKey="id"
          size="small"
          dataSource={enrollments}
          loading={res.fetching}
          pagination={false}
          scroll={{ x: 'max-content' }}
          onRow={(e) => ({ 'data-testid': 'enrollment-row', 'data-lead': e.lead.id, 'data-status': e.status }) as React.HTMLAttributes<HTMLElement>}
          locale={{ emptyText: <Empty description={t('journey.noEnrollments')} /> }}
          columns={[
            { title: t('journey.col.lead'), key: 'lead', render: (_: unknown, e) => <Link to={`/leads/${e.lead.id}`}>{e.lead.name || t('leads.unnamed')}</Link> },
            { title: t('journey.col.owner'), key: 'owner', render: (_: unknown, e) => e.lead.owner?.name ?? '—' },
            {
              title: t('journey.col.status'), key: 'status',
              render: (_: unknown, e) => <Tag color={e.status === 'ACTIVE' ? 'processing' : e.status === 'COMPLETED' ? 'green' : e.status === 'FAILED' ? 'red' : 'default'}>{t(`enrollmentStatus.${e.status}` as MessageKey)}</Tag>,
            },
            { title: t('journey.col.atStep'), key: 'step', render: (_: unknown, e) => (e.status === 'ACTIVE' ? t('journey.stepN', { n: e.stepIndex + 1 }) : '—') },
            { title: t('journey.col.entered'), key: 'entered', render: (_: unknown, e) => <span className="scrm-nowrap">{fmtTime(e.enteredAt)}</span> },
            { title: t('journey.col.nextRun'), key: 'next', render: (_: unknown, e) => <span className="scrm-nowrap">{e.status === 'ACTIVE' ? fmtTime(e.nextRunAt) : ''}</span> },
            { title: t('journey.col.left'), key: 'left', render: (_: unknown, e) => <span className="scrm-nowrap">{fmtTime(e.leftAt)}</span> },
            { title: t('journey.col.error'), key: 'error', render: (_: unknown, e) => e.error && <Typography.Text type="danger">{e.error}</Typography.Text> },
          ]}
        />
        <Space style={{ marginTop: 12 }} wrap>
          <span data-testid="enrollments-total">{t('journey.enrollmentsTotal', { n: fmtNumber(j.enrollments.totalCount) })}</span>
          <Button size="small" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>{t('common.prev')}</Button>
          <Button size="small" disabled={!j.enrollments.pageInfo.hasNextPage} onClick={() => setCursors((c) => [...c, j.enrollments.pageInfo.endCursor ?? null])}>{t('common.next')}</Button>
        </Space>
      </Card>
      {enrolling && <EnrollModal journeyID={j.id} name={j.name} onClose={() => setEnrolling(false)} onDone={reload} />}
    </div>
  );
}

/** Picks leads by name (in the caller's scope) and enrols them (enrollLeads). */
function EnrollModal({ journeyID, name, onClose, onDone }: { journeyID: string; name: string; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [q, setQ] = useState('');
  const [typed, setTyped] = useState('');
  useEffect(() => {
    const h = setTimeout(() => setQ(typed.trim()), 300);
    return () => clearTimeout(h);
  }, [typed]);
  const [res] = useQuery({ query: JourneyLeadSearchDoc, variables: { where: leadSearchWhere(q) } });
  const [picked, setPicked] = useState<{ value: string; label: string }[]>([]);
  const [{ fetching }, enroll] = useMutation(EnrollLeadsDoc);
  const [error, setError] = useState('');
  const options = (res.data?.leads.edges ?? []).flatMap((e) =>
    e?.node ? [{ value: e.node.id, label: [e.node.name || t('leads.unnamed'), e.node.phone, e.node.company, e.node.owner?.name].filter(Boolean).join(' · ') }] : [],
  );
  const submit = async () => {
    setError('');
    const r = await enroll({ journeyID, leadIDs: picked.map((p) => p.value) });
    if (r.error) {
      setError(errorText(r.error));
      return;
    }
    message.success(t('journey.enrollDone', { enrolled: r.data!.enrollLeads.enrolled, skipped: r.data!.enrollLeads.skipped }));
    onDone();
    onClose();
  };
  return (
    <Modal
      open
      title={t('journey.enrollTitle', { name })}
      onCancel={onClose}
      onOk={submit}
      okButtonProps={{ disabled: picked.length === 0, loading: fetching, 'data-testid': 'enroll-ok' } as React.ComponentProps<typeof Button>}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('journey.enrollHint')}</Typography.Paragraph>
      <Select
        mode="multiple"
        labelInValue
        style={{ width: '100%' }}
        placeholder={t('journey.enrollSearch')}
        value={picked}
        onChange={(v) => setPicked(v as { value: string; label: string }[])}
        showSearch={{ filterOption: false, onSearch: setTyped }}
        loading={res.fetching}
        options={options}
        data-testid="enroll-leads"
      />
      {error && <Alert type="error" showIcon style={{ marginTop: 12 }} title={error} data-testid="enroll-error" />}
    </Modal>
  );
}
