// 同步企业微信客户: starts syncWeComContacts (a WECOM_SYNC job) and polls the
// job every second in a dialog with a progress bar (done of total) until it
// ends: success with the counts, or the job's error when it FAILED (a
// workspace without the wecom channel's corpId and contactSecret is told
// where to set them). Shown to those with channel write.
import { useEffect, useState } from 'react';
import { Alert, Button, Modal, Progress, Typography } from 'antd';
import { SyncOutlined } from '@ant-design/icons';
import { useClient, useMutation } from 'urql';
import { JobDoc, SyncWeComContactsDoc } from '../api/ops';
import { errorText } from '../api/errors';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { jobFinished, jobPercent, syncNotConfigured, type JobProgress } from '../lib/wecom';

const POLL_MS = 1000;

export function WeComSyncButton() {
  const t = useT();
  const { can } = useSession();
  const client = useClient();
  const [{ fetching: starting }, start] = useMutation(SyncWeComContactsDoc);
  const [open, setOpen] = useState(false);
  const [jobID, setJobID] = useState<string | null>(null);
  const [job, setJob] = useState<JobProgress | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!jobID) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const r = await client.query(JobDoc, { id: jobID }, { requestPolicy: 'network-only' }).toPromise();
      if (stopped) return;
      const node = r.data?.node;
      if (r.error) setError(errorText(r.error));
      else if (node?.__typename === 'Job') {
        setError(null);
        setJob({ status: node.status, total: node.total, done: node.done, failed: node.failed, error: node.error });
        if (jobFinished(node.status)) return;
      }
      timer = setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, jobID]);

  if (!can('channel', 'write')) return null;

  const run = async () => {
    setJob(null);
    setJobID(null);
    setError(null);
    setOpen(true);
    const r = await start({});
    if (r.error || !r.data) return void setError(errorText(r.error));
    const j = r.data.syncWeComContacts;
    setJob({ status: j.status, total: 0, done: 0 });
    setJobID(j.id);
  };

  const finished = job ? jobFinished(job.status) : !!error;
  const close = () => {
    setOpen(false);
    setJobID(null);
  };
  return (
    <>
      <Button icon={<SyncOutlined />} loading={starting} onClick={run} data-testid="wecom-sync">{t('wecomSync.button')}</Button>
      <Modal
        open={open}
        title={t('wecomSync.title')}
        onCancel={close}
        footer={<Button type={finished ? 'primary' : 'default'} onClick={close} data-testid="wecom-sync-close">{t('wecomSync.close')}</Button>}
      >
        <Typography.Paragraph type="secondary">{t('wecomSync.hint')}</Typography.Paragraph>
        {job && job.status !== 'FAILED' && job.status !== 'CANCELLED' && (
          <div data-testid="wecom-sync-progress" data-status={job.status}>
            <Progress percent={jobPercent(job)} status={job.status === 'SUCCEEDED' ? 'success' : 'active'} />
            {job.status !== 'SUCCEEDED' && (
              <Typography.Text data-testid="wecom-sync-text">
                {job.status === 'QUEUED' ? t('wecomSync.queued') : t('wecomSync.running', { done: job.done, total: job.total })}
              </Typography.Text>
            )}
            {(job.failed ?? 0) > 0 && <Typography.Text type="danger" style={{ marginLeft: 8 }}>{t('wecomSync.failedRows', { n: job.failed ?? 0 })}</Typography.Text>}
          </div>
        )}
        {job?.status === 'SUCCEEDED' && (
          <Alert type="success" showIcon style={{ marginTop: 12 }} data-testid="wecom-sync-done" title={t('wecomSync.succeeded', { done: job.done, total: job.total })} />
        )}
        {job?.status === 'CANCELLED' && <Alert type="warning" showIcon title={t('wecomSync.cancelled')} data-testid="wecom-sync-cancelled" />}
        {(job?.status === 'FAILED' || error) && (
          <Alert
            type="error"
            showIcon
            data-testid="wecom-sync-error"
            title={t('wecomSync.failed')}
            description={
              <>
                {syncNotConfigured(job?.error ?? error) && <div data-testid="wecom-sync-not-configured">{t('contactWays.notConfigured')}</div>}
                <div className="scrm-muted">{job?.error ?? error}</div>
              </>
            }
          />
        )}
      </Modal>
    </>
  );
}
