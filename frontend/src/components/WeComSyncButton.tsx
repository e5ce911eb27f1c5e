// 同步企业微信客户: starts syncWeComContacts (a WECOM_SYNC job) and polls the
// job every second in a dialog with a progress bar (done of total) until it
// ends: success with the counts, or the job's error when it FAILED (a
// workspace without the wecom channel's corpId and contactSecret is told
// where to set them). Shown to those with channel write.
import { useState } from 'react';
import { Alert, Button, Modal, Progress, Typography } from 'antd';
import { SyncOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { SyncWeComContactsDoc } from '../api/ops';
import { useJob } from '../api/jobs';
import { errorText } from '../api/errors';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { JobsLink } from './JobsLink';
import { jobFinished, jobPercent, syncNotConfigured } from '../lib/wecom';

export function WeComSyncButton() {
  const t = useT();
  const { can } = useSession();
  const [{ fetching: starting }, start] = useMutation(SyncWeComContactsDoc);
  const [open, setOpen] = useState(false);
  const { job, error, watch, stop, reset, setError } = useJob();

  if (!can('channel', 'write')) return null;

  const run = async () => {
    reset();
    setOpen(true);
    const r = await start({});
    if (r.error || !r.data) return void setError(errorText(r.error));
    const j = r.data.syncWeComContacts;
    watch({ id: j.id, status: j.status, total: 0, done: 0 });
  };

  const finished = job ? jobFinished(job.status) : !!error;
  const close = () => {
    setOpen(false);
    stop();
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
            {!finished && <JobsLink kind="WECOM_SYNC" />}
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
