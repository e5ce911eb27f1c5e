// The home dashboard, the page after sign-in: what a user needs to start the
// day, by what their roles allow. Everyone who reads leads sees today's new
// leads and their overdue follow-ups; whoever claims leads sees their open
// leads against capacity, today's claims against the daily limit and their
// own month; those who read reports see this month's funnel and leaderboard.
import { useMemo } from 'react';
import { Link } from 'react-router';
import { Card, Col, Empty, List, Progress, Row, Statistic, Table, Tag, Typography } from 'antd';
import { useQuery } from 'urql';
import { FunnelDoc, LeadCountDoc, LeaderboardDoc, MyWorkloadDoc, OverdueFollowUpsDoc } from '../api/ops';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { Chart } from '../components/Chart';
import { conversion, thisMonth, today, usage, type Usage } from '../lib/home';
import { fmtMoney, fmtNumber, fmtPercent, fmtTime } from '../lib/format';
import { followUpKindLabel, funnelStepLabel } from '../lib/labels';
import type { FunnelStep } from '../gql/graphql';

const STEPS: FunnelStep[] = ['LISTED', 'DELIVERED', 'INTERACTED', 'INTENT', 'DEAL', 'REPURCHASE'];

/** A link to the leads list with filter (the list reads it from the URL). */
export function leadsLink(filter: Record<string, unknown>): string {
  return `/leads?filter=${encodeURIComponent(JSON.stringify(filter))}`;
}

const color = (u: Usage) => (u.level === 'full' ? '#cf1322' : u.level === 'warning' ? '#d48806' : undefined);

export default function HomePage() {
  const t = useT();
  const { viewer, can } = useSession();
  const claims = can('lead', 'claim');
  const reports = can('report', 'read');
  const followUps = can('lead.followup', 'read');
  // The periods are fixed for the page's life, so the queries' variables are stable.
  const [day, month] = useMemo(() => [today(), thisMonth()], []);

  const [newToday] = useQuery({ query: LeadCountDoc, variables: { where: { createdAtGTE: day.from } } });
  const [mine] = useQuery({ query: LeadCountDoc, variables: { where: { ownerID: viewer!.id, status: 'ACTIVE' } } });
  const [work, refetchWork] = useQuery({ query: MyWorkloadDoc, pause: !claims, requestPolicy: 'cache-and-network' });
  const [overdue] = useQuery({ query: OverdueFollowUpsDoc, variables: { first: 8 }, pause: !followUps, requestPolicy: 'cache-and-network' });
  const [funnel] = useQuery({ query: FunnelDoc, variables: { ...month, groupBy: 'NONE' }, pause: !reports });
  const [board] = useQuery({ query: LeaderboardDoc, variables: { ...month, limit: 10 }, pause: !reports });

  const w = work.data?.myWorkload;
  const cap = w ? usage(w.openLeads, w.capacity) : null;
  const daily = w ? usage(w.claimsToday, w.dailyClaimLimit) : null;
  const steps = funnel.data?.funnel[0]?.steps ?? [];
  const conv = reports ? conversion(steps) : (w?.month.conversion ?? null);
  const leaders = board.data?.leaderboard ?? [];
  const overdueCount = w?.overdueFollowUps ?? overdue.data?.overdueFollowUps.length ?? 0;

  const funnelOption = {
    tooltip: { trigger: 'item' as const, formatter: '{b}: {c}' },
    series: [{
      type: 'funnel' as const, sort: 'none' as const, left: '8%', width: '84%', minSize: '8%',
      label: { show: true, position: 'inside' as const, formatter: '{b} {c}' },
      data: STEPS.map((s) => ({ name: funnelStepLabel(t, s), value: steps.find((x) => x.step === s)?.count ?? 0 })),
    }],
  };
  const boardOption = {
    tooltip: { trigger: 'axis' as const },
    grid: { left: 88, right: 16, top: 8, bottom: 24 },
    xAxis: { type: 'value' as const },
    yAxis: { type: 'category' as const, inverse: true, data: leaders.map((r) => r.user.name) },
    series: [{ type: 'bar' as const, name: t('funnel.amount'), data: leaders.map((r) => r.amount), itemStyle: { color: '#1677ff' } }],
  };

  const stat = (key: string, title: string, value: React.ReactNode, extra?: React.ReactNode, to?: string) => (
    <Col xs={12} md={8} xl={4} key={key}>
      <Card size="small" className="scrm-stat-card" data-testid={`home-${key}`}>
        <Statistic title={to ? <Link to={to}>{title}</Link> : title} value={value as string} />
        {extra}
      </Card>
    </Col>
  );

  return (
    <div data-testid="home">
      <PageTitle title={t('home.title', { name: viewer!.name })} sub={t('home.sub')} />
      <QueryError error={newToday.error ?? work.error ?? funnel.error} retry={() => refetchWork({ requestPolicy: 'network-only' })} />
      <Row gutter={[12, 12]} style={{ marginBottom: 16 }}>
        {stat('new-today', t('home.newToday'), fmtNumber(newToday.data?.leads.totalCount), null, leadsLink({}))}
        {claims && w && cap
          ? stat('open', t('home.openLeads'), `${fmtNumber(w.openLeads)} / ${fmtNumber(w.capacity)}`,
              <Progress percent={cap.percent} size="small" strokeColor={color(cap)} format={() => t('home.left', { n: cap.left })} />, leadsLink({ owner: 'me' }))
          : stat('open', t('home.myLeads'), fmtNumber(mine.data?.leads.totalCount), null, leadsLink({ owner: 'me' }))}
        {claims && w && daily &&
          stat('claims', t('home.claimsToday'), `${fmtNumber(w.claimsToday)} / ${fmtNumber(w.dailyClaimLimit)}`,
            <Progress percent={daily.percent} size="small" strokeColor={color(daily)} format={() => t('home.left', { n: daily.left })} />, '/pool')}
        {followUps && stat('overdue', t('home.overdue'), fmtNumber(overdueCount),
          overdueCount > 0 ? <Tag color="red">{t('home.overdueHint')}</Tag> : <Tag color="green">{t('home.overdueNone')}</Tag>)}
        {(reports || w) && stat('conversion', reports ? t('home.conversion') : t('home.myConversion'), fmtPercent(conv),
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {reports
              ? t('home.conversionOf', { deals: steps.find((s) => s.step === 'DEAL')?.count ?? 0, listed: steps.find((s) => s.step === 'LISTED')?.count ?? 0 })
              : t('home.myMonth', { leads: w?.month.leads ?? 0, deals: w?.month.deals ?? 0 })}
          </Typography.Text>)}
        {w && stat('amount', t('home.myAmount'), fmtMoney(w.month.amount))}
      </Row>
      <Row gutter={[16, 16]}>
        {followUps && (
          <Col xs={24} lg={reports ? 8 : 12}>
            <Card size="small" title={t('home.overdueList')} data-testid="home-overdue-list">
              <QueryError error={overdue.error} />
              <List
                size="small"
                loading={overdue.fetching && !overdue.data}
                dataSource={overdue.data?.overdueFollowUps ?? []}
                locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('home.overdueNone')} /> }}
                renderItem={(f) => (
                  <List.Item>
                    <List.Item.Meta
                      title={<Link to={`/leads/${f.lead.id}`}>{f.lead.name || f.lead.company || '—'}</Link>}
                      description={
                        <span>
                          <Tag>{followUpKindLabel(t, f.kind)}</Tag>
                          <Typography.Text type="danger">{t('home.dueAt', { at: fmtTime(f.nextFollowUpAt) })}</Typography.Text>
                          <div className="scrm-muted" style={{ fontSize: 12, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{f.content}</div>
                        </span>
                      }
                    />
                  </List.Item>
                )}
              />
            </Card>
          </Col>
        )}
        {reports && (
          <Col xs={24} lg={8}>
            <Card size="small" title={t('home.monthFunnel')}>
              {(steps.find((s) => s.step === 'LISTED')?.count ?? 0) > 0
                ? <Chart option={funnelOption} height={260} testid="home-funnel" />
                : <Empty description={t('funnel.empty')} />}
            </Card>
          </Col>
        )}
        {reports && (
          <Col xs={24} lg={8}>
            <Card size="small" title={t('home.leaderboard')} extra={<Link to="/funnel">{t('home.more')}</Link>}>
              {leaders.length > 0 ? (
                <>
                  <Chart option={boardOption} height={Math.max(120, leaders.length * 26 + 32)} testid="home-leaderboard" />
                  <Table<(typeof leaders)[number]>
                    size="small"
                    rowKey={(r) => r.user.id}
                    pagination={false}
                    dataSource={leaders.slice(0, 5)}
                    data-testid="home-leaderboard-table"
                    columns={[
                      { title: '#', key: 'i', width: 36, render: (_: unknown, __: unknown, i: number) => i + 1 },
                      { title: t('funnel.rep'), dataIndex: ['user', 'name'] },
                      { title: t('funnel.deals'), dataIndex: 'deals', align: 'right' as const },
                      { title: t('funnel.amount'), dataIndex: 'amount', align: 'right' as const, render: (v: number) => fmtMoney(v) },
                    ]}
                  />
                </>
              ) : <Empty description={t('funnel.noDeals')} />}
            </Card>
          </Col>
        )}
        {!reports && w && (
          <Col xs={24} lg={12}>
            <Card size="small" title={t('home.myMonthTitle')} data-testid="home-my-month">
              <Chart
                height={220}
                testid="home-my-month-chart"
                option={{
                  tooltip: { trigger: 'axis' as const },
                  grid: { left: 48, right: 16, top: 16, bottom: 24 },
                  xAxis: { type: 'category' as const, data: [t('funnel.leads'), t('funnel.deals')] },
                  yAxis: { type: 'value' as const, minInterval: 1 },
                  series: [{ type: 'bar' as const, data: [w.month.leads, w.month.deals], itemStyle: { color: '#1677ff' }, barWidth: 48 }],
                }}
              />
            </Card>
          </Col>
        )}
      </Row>
    </div>
  );
}
