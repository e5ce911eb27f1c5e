// The jobs page (后台任务, /jobs): the imports, exports, bulk changes and
// WeCom syncs the viewer started (every job of the workspace for admins,
// whose job manage the API applies), newest first, paged by the connection's
// cursor and filtered by kind and 进行中 (?kind=, ?active=1 in the URL: Back
// and reload keep them). Each shows its progress while it runs (the page
// polls while one on it is queued or running, soon after it appears, then
// once a second: lib/jobs.ts pollDelay), its counts, who started it and when,
// the reason it failed, its result to download (an import's rejected rows, an
// export's file, a bulk change's failures) and 取消 while it runs. A job
// outlives its dialog: the import, export and bulk dialogs point here.
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { App, Button, Empty, List, Popconfirm, Progress, Segmented, Select, Tag, Typography } from 'antd';
import { DownloadOutlined, StopOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { JobsDoc } from '../api/jobOps';
import { CancelJobDoc } from '../api/ops';
import { downloadJobResult } from '../api/jobs';
import { errorText } from '../api/errors';
import { useI18n, type MessageKey } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { useKeyedCursors } from '../lib/useKeyedCursors';
import { CursorPager } from '../components/CursorPager';
import { QueryError } from '../components/QueryError';
import { fmtNumber, fmtTime } from '../lib/format';
import { JOB_KINDS, jobFinished, jobPercent, jobsSearch, jobsVariables, parseJobsFilter, pollDelay, type JobStatus } from '../lib/jobs';

const PAGE_SIZE = 20;

const STATUS_COLOR: Record<JobStatus, string> = {
  QUEUED: 'default',
  RUNNING: 'processing',
  SUCCEEDED: 'success',
  FAILED: 'error',
  CANCELLED: 'warning',
};

export default function JobsPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const filter = parseJobsFilter(params);
  // The pages gone through, for the list's filter: another filter starts on page one.
  const listKey = `${filter.kind ?? ''}:${filter.activeOnly}`;
  const pager = useKeyedCursors(listKey);
  const { page } = pager;

  const { kind, activeOnly } = filter;
  const variables = useMemo(() => ({ ...jobsVariables({ kind, activeOnly }), first: PAGE_SIZE, after: pager.after }), [kind, activeOnly, pager.after]);
  const [res, refetch] = useQuery({ query: JobsDoc, variables, requestPolicy: 'cache-and-network' });
  const [, cancelJob] = useMutation(CancelJobDoc);
  const [downloading, setDownloading] = useState<string | null>(null);
  const fresh = JSON.stringify(res.operation?.variables) === JSON.stringify(variables);
  const loading = res.fetching || !fresh;
  const conn = fresh ? res.data?.jobs : undefined;
  const rows = useMemo(() => (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), [conn]);
  const total = conn?.totalCount ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  // While a job on the page runs, read the page again: often at first, then once a second.
  const running = rows.some((j) => !jobFinished(j.status));
  const [polls, setPolls] = useState(0);
  useEffect(() => {
    if (!running || res.fetching) return;
    const timer = setTimeout(() => {
      setPolls((n) => n + 1);
      refetch({ requestPolicy: 'network-only' });
    }, pollDelay(polls + 1));
    return () => clearTimeout(timer);
  }, [running, res.fetching, polls, refetch]);
  useEffect(() => setPolls(0), [listKey, page]);

  const setFilter = (f: { kind: typeof kind; activeOnly: boolean }) => setParams(jobsSearch(params, f));

  const download = async (id: string, url: string, fallback: string) => {
    setDownloading(id);
    try {
      const name = await downloadJobResult(url, fallback, lang);
      message.success(t('jobs.downloaded', { name }));
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setDownloading(null);
    }
  };
  const cancel = async (id: string) => {
    const r = await cancelJob({ id });
    if (r.error) message.error(errorText(r.error));
    else message.success(t('jobs.cancelledNow'));
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <div>
      <PageTitle
        title={t('jobs.title')}
        sub={t('jobs.sub')}
        extra={
          <>
            <Segmented
              value={filter.activeOnly ? 'active' : 'all'}
              onChange={(v) => setFilter({ kind: filter.kind, activeOnly: v === 'active' })}
              options={[
                { value: 'all', label: t('jobs.all') },
                { value: 'active', label: t('jobs.active') },
              ]}
              data-testid="jobs-active"
            />
            <Select
              value={filter.kind ?? ''}
              onChange={(v) => setFilter({ kind: (v || null) as typeof kind, activeOnly: filter.activeOnly })}
              options={[{ value: '', label: t('jobs.anyKind') }, ...JOB_KINDS.map((k) => ({ value: k, label: t(`jobs.kind.${k}` as MessageKey) }))]}
              style={{ minWidth: 150 }}
              aria-label={t('jobs.anyKind')}
              data-testid="jobs-kind"
            />
          </>
        }
      />
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <List
        loading={loading && !conn}
        dataSource={rows}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={filter.activeOnly ? t('jobs.emptyActive') : t('jobs.empty')} /> }}
        data-testid="jobs-list"
        renderItem={(j) => {
          const ended = jobFinished(j.status);
          const failed = j.failed ?? 0;
          return (
            <List.Item key={j.id} data-testid="job" data-id={j.id} data-kind={j.kind} data-status={j.status} data-done={j.done} style={{ paddingInline: 12 }}>
              <div style={{ display: 'flex', flexDirection: 'column', gap: 6, width: '100%', minWidth: 0 }}>
                <div style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
                  <Typography.Text strong>{t(`jobs.kind.${j.kind}` as MessageKey)}</Typography.Text>
                  <Tag color={STATUS_COLOR[j.status]} style={{ marginInlineEnd: 0 }} data-testid="job-status">{t(`jobs.status.${j.status}` as MessageKey)}</Tag>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('jobs.created', { time: fmtTime(j.createdAt) })}</Typography.Text>
                  {j.finishedAt && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('jobs.finished', { time: fmtTime(j.finishedAt) })}</Typography.Text>}
                  {j.createdBy && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('jobs.by', { name: j.createdBy.name })}</Typography.Text>}
                </div>
                {j.status !== 'FAILED' && (
                  <div style={{ display: 'flex', gap: 12, alignItems: 'center', flexWrap: 'wrap' }}>
                    <Progress
                      percent={jobPercent(j)}
                      status={j.status === 'SUCCEEDED' ? 'success' : j.status === 'CANCELLED' ? 'exception' : 'active'}
                      style={{ flex: '1 1 200px', maxWidth: 420, marginBottom: 0 }}
                      data-testid="job-progress"
                    />
                    <Typography.Text data-testid="job-counts">
                      {j.total > 0 ? t('jobs.progress', { done: fmtNumber(j.done), total: fmtNumber(j.total) }) : t('jobs.progressUnknown', { done: fmtNumber(j.done) })}
                    </Typography.Text>
                    {failed > 0 && <Typography.Text type="danger">{t('jobs.failedRows', { n: fmtNumber(failed) })}</Typography.Text>}
                  </div>
                )}
                {j.status === 'FAILED' && j.error && <Typography.Text type="danger" style={{ overflowWrap: 'anywhere' }} data-testid="job-error">{j.error}</Typography.Text>}
                {(j.resultURL || !ended) && (
                  <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
                    {j.resultURL && (
                      <Button
                        size="small"
                        icon={<DownloadOutlined />}
                        loading={downloading === j.id}
                        onClick={() => void download(j.id, j.resultURL!, j.kind === 'EXPORT' ? 'leads.csv' : 'result.csv')}
                        data-testid="job-download"
                      >
                        {t(`jobs.download.${j.kind}` as MessageKey)}
                      </Button>
                    )}
                    {!ended && (
                      <Popconfirm title={t('jobs.cancelConfirm')} onConfirm={() => cancel(j.id)} okText={t('jobs.cancel')} cancelText={t('common.back')}>
                        <Button size="small" danger icon={<StopOutlined />} data-testid="job-cancel">{t('jobs.cancel')}</Button>
                      </Popconfirm>
                    )}
                  </div>
                )}
              </div>
            </List.Item>
          );
        }}
      />
      <CursorPager
        testid="jobs"
        total={t('jobs.total', { n: fmtNumber(total) })}
        page={page}
        pages={pages}
        loading={loading}
        hasNext={!!conn?.pageInfo.hasNextPage}
        onPrev={pager.prev}
        onNext={() => pager.next(conn?.pageInfo.endCursor)}
      />
    </div>
  );
}
