// The funnel dashboard: listed → delivered → interacted → intent → deal →
// repurchase for the leads created in a period, overall or by source,
// channel, owner, team or territory, and the reps' leaderboard.
import { useMemo, useState } from 'react';
import { Card, Col, DatePicker, Empty, Row, Segmented, Select, Space, Spin, Statistic, Table } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useQuery } from 'urql';
import { FunnelDoc, LeaderboardDoc } from '../api/ops';
import { useT } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { Chart } from '../components/Chart';
import { funnelStepLabel } from '../lib/labels';
import { fmtMoney, fmtNumber, fmtPercent } from '../lib/format';
import type { FunnelGroupBy, FunnelStep } from '../gql/graphql';

const STEPS: FunnelStep[] = ['LISTED', 'DELIVERED', 'INTERACTED', 'INTENT', 'DEAL', 'REPURCHASE'];

export default function FunnelPage() {
  const t = useT();
  const [range, setRange] = useState<[Dayjs, Dayjs]>([dayjs().subtract(30, 'day').startOf('day'), dayjs().add(1, 'day').startOf('day')]);
  const [groupBy, setGroupBy] = useState<FunnelGroupBy>('NONE');
  const [metric, setMetric] = useState<'count' | 'rate'>('count');
  const vars = { from: range[0].toISOString(), to: range[1].toISOString() };
  const [funnel, refetch] = useQuery({ query: FunnelDoc, variables: { ...vars, groupBy } });
  const [board] = useQuery({ query: LeaderboardDoc, variables: { ...vars, limit: 20 } });
  const groups = funnel.data?.funnel ?? [];

  const total = useMemo(() => {
    if (groupBy === 'NONE') return groups[0]?.steps ?? [];
    return STEPS.map((step) => ({ step, count: groups.reduce((n, g) => n + (g.steps.find((s) => s.step === step)?.count ?? 0), 0), rate: null as number | null }));
  }, [groups, groupBy]);
  const byStep = (step: FunnelStep) => total.find((s) => s.step === step)?.count ?? 0;
  const conv = (a: FunnelStep, b: FunnelStep) => (byStep(a) ? byStep(b) / byStep(a) : null);

  const funnelOption = {
    tooltip: { trigger: 'item' as const, formatter: '{b}: {c}' },
    series: [
      {
        type: 'funnel' as const,
        sort: 'none' as const,
        left: '10%',
        width: '80%',
        minSize: '8%',
        label: { show: true, position: 'inside' as const, formatter: '{b}\n{c}' },
        data: STEPS.map((s) => ({ name: funnelStepLabel(t, s), value: byStep(s) })),
      },
    ],
  };
  const topGroups = groups.slice(0, 12);
  const barOption = {
    tooltip: { trigger: 'axis' as const },
    legend: { type: 'scroll' as const, top: 0 },
    grid: { left: 48, right: 16, top: 40, bottom: 60 },
    xAxis: { type: 'category' as const, data: topGroups.map((g) => g.label || g.group || '—'), axisLabel: { rotate: topGroups.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value' as const, axisLabel: metric === 'rate' ? { formatter: (v: number) => `${Math.round(v * 100)}%` } : {} },
    series: STEPS.filter((s) => metric === 'count' || s !== 'LISTED').map((s) => ({
      name: funnelStepLabel(t, s),
      type: 'bar' as const,
      data: topGroups.map((g) => {
        const x = g.steps.find((y) => y.step === s);
        return metric === 'count' ? (x?.count ?? 0) : (x?.rate ?? 0);
      }),
    })),
  };
  const leaders = board.data?.leaderboard ?? [];
  const boardOption = {
    tooltip: { trigger: 'axis' as const },
    legend: { top: 0 },
    grid: { left: 100, right: 24, top: 32, bottom: 24 },
    xAxis: { type: 'value' as const },
    yAxis: { type: 'category' as const, inverse: true, data: leaders.slice(0, 10).map((r) => r.user.name) },
    series: [
      { type: 'bar' as const, name: t('funnel.leads'), data: leaders.slice(0, 10).map((r) => r.leads) },
      { type: 'bar' as const, name: t('funnel.deals'), data: leaders.slice(0, 10).map((r) => r.deals) },
    ],
  };

  return (
    <div>
      <PageTitle
        title={t('funnel.title')}
        sub={t('funnel.sub')}
        extra={
          <Space wrap>
            <DatePicker.RangePicker
              value={range}
              allowClear={false}
              onChange={(v) => v && v[0] && v[1] && setRange([v[0].startOf('day'), v[1].add(1, 'day').startOf('day')])}
              presets={[
                { label: t('funnel.last7'), value: [dayjs().subtract(7, 'day'), dayjs()] },
                { label: t('funnel.last30'), value: [dayjs().subtract(30, 'day'), dayjs()] },
                { label: t('funnel.last90'), value: [dayjs().subtract(90, 'day'), dayjs()] },
              ]}
            />
            <Select<FunnelGroupBy>
              value={groupBy}
              onChange={setGroupBy}
              style={{ width: 150 }}
              options={(['NONE', 'SOURCE', 'CHANNEL', 'OWNER', 'TEAM', 'TERRITORY'] as FunnelGroupBy[]).map((g) => ({ value: g, label: t(`funnel.by.${g}`) }))}
              data-testid="funnel-groupby"
            />
          </Space>
        }
      />
      <QueryError error={funnel.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Row gutter={16} style={{ marginBottom: 16 }}>
        {[
          { k: 'LISTED' as FunnelStep, label: t('funnel.listed') },
          { k: 'DELIVERED' as FunnelStep, label: t('funnel.delivered'), r: conv('LISTED', 'DELIVERED') },
          { k: 'INTENT' as FunnelStep, label: t('funnel.intent'), r: conv('LISTED', 'INTENT') },
          { k: 'DEAL' as FunnelStep, label: t('funnel.deal'), r: conv('LISTED', 'DEAL') },
        ].map((x) => (
          <Col xs={12} md={6} key={x.k}>
            <Card size="small" className="scrm-stat-card">
              <Statistic title={x.label} value={fmtNumber(byStep(x.k))} suffix={x.r != null ? <span className="scrm-muted" style={{ fontSize: 13 }}> {fmtPercent(x.r)}</span> : null} />
            </Card>
          </Col>
        ))}
      </Row>
      <Spin spinning={funnel.fetching}>
        <Row gutter={16}>
          <Col xs={24} lg={10}>
            <Card title={t('funnel.chart')} size="small" style={{ marginBottom: 16 }}>
              {byStep('LISTED') === 0 && !funnel.fetching ? <Empty description={t('funnel.empty')} /> : <Chart option={funnelOption} testid="funnel-chart" />}
            </Card>
          </Col>
          <Col xs={24} lg={14}>
            <Card
              title={groupBy === 'NONE' ? t('funnel.steps') : t('funnel.byGroup')}
              size="small"
              style={{ marginBottom: 16 }}
              extra={groupBy !== 'NONE' && <Segmented size="small" value={metric} onChange={(v) => setMetric(v as 'count' | 'rate')} options={[{ value: 'count', label: t('funnel.counts') }, { value: 'rate', label: t('funnel.rates') }]} />}
            >
              {groupBy !== 'NONE' && groups.length > 0 && <Chart option={barOption} testid="funnel-bars" />}
              <Table
                size="small"
                rowKey="group"
                pagination={{ pageSize: 10, hideOnSinglePage: true }}
                dataSource={groups}
                scroll={{ x: 'max-content' }}
                columns={[
                  ...(groupBy === 'NONE' ? [] : [{ title: t(`funnel.by.${groupBy}`), dataIndex: 'label', render: (v: string, r: { group: string }) => v || r.group }]),
                  ...STEPS.map((s) => ({
                    title: funnelStepLabel(t, s),
                    key: s,
                    align: 'right' as const,
                    render: (_: unknown, r: (typeof groups)[number]) => {
                      const x = r.steps.find((y) => y.step === s);
                      return (
                        <span>
                          {fmtNumber(x?.count ?? 0)}
                          {x?.rate != null && <div className="scrm-muted" style={{ fontSize: 12 }}>{fmtPercent(x.rate)}</div>}
                        </span>
                      );
                    },
                  })),
                ]}
              />
            </Card>
          </Col>
        </Row>
      </Spin>
      <Card title={t('funnel.leaderboard')} size="small">
        <QueryError error={board.error} />
        <Row gutter={16}>
          <Col xs={24} lg={10}>{leaders.length > 0 ? <Chart option={boardOption} height={280} testid="leaderboard-chart" /> : <Empty description={t('funnel.noDeals')} />}</Col>
          <Col xs={24} lg={14}>
            <Table<(typeof leaders)[number]>
              size="small"
              rowKey={(r) => r.user.id}
              loading={board.fetching}
              pagination={false}
              dataSource={leaders}
              columns={[
                { title: '#', key: 'i', render: (_: unknown, __: unknown, i: number) => i + 1, width: 40 },
                { title: t('funnel.rep'), dataIndex: ['user', 'name'] },
                { title: t('funnel.leads'), dataIndex: 'leads', align: 'right' },
                { title: t('funnel.deals'), dataIndex: 'deals', align: 'right' },
                { title: t('funnel.amount'), dataIndex: 'amount', align: 'right', render: (v: number) => fmtMoney(v) },
                { title: t('funnel.conversion'), dataIndex: 'conversion', align: 'right', render: (v: number | null) => fmtPercent(v) },
              ]}
            />
          </Col>
        </Row>
      </Card>
    </div>
  );
}
