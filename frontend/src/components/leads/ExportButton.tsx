// 导出: exports the leads list's current filter (its LeadWhereInput) with the
// columns shown (lib/importMapping.ts exportColumns) as an exportLeads job,
// shows its progress every second with a cancel, and downloads the CSV when
// it is done (fetched with the session's token). The server writes values
// masked as the viewer sees them. Shown to those with lead.export read.
import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Modal, Progress, Space, Typography } from 'antd';
import { DownloadOutlined, ExportOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { CancelJobDoc, ExportLeadsDoc } from '../../api/ops';
import { downloadJobResult, useJob } from '../../api/jobs';
import { errorText } from '../../api/errors';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { jobFinished, jobPercent } from '../../lib/jobs';
import { exportColumns } from '../../lib/importMapping';
import { fmtNumber } from '../../lib/format';
import { useOpened } from '../../lib/useOpened';
import { JobsLink } from '../JobsLink';
import type { LeadWhereInput } from '../../gql/graphql';

/** columns are the list's, of which fieldKeys are custom fields. */
export function ExportButton({ where, columns, fieldKeys, total, iconOnly }: { where: LeadWhereInput; columns: string[]; fieldKeys: string[]; total: number; iconOnly?: boolean }) {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [{ fetching: starting }, start] = useMutation(ExportLeadsDoc);
  const [{ fetching: cancelling }, cancelJob] = useMutation(CancelJobDoc);
  const { job, error, watch, stop, reset, setJob, setError } = useJob();
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const downloaded = useRef<string | null>(null); // the job whose file was saved
  const opened = useOpened(open);

  const download = async (url: string) => {
    setDownloading(true);
    setDownloadError(null);
    try {
      const name = await downloadJobResult(url, 'leads.csv', lang);
      message.success(t('import.downloaded', { name }));
    } catch (e) {
      setDownloadError(e instanceof Error ? e.message : String(e));
    } finally {
      setDownloading(false);
    }
  };

  // The file is saved once, when the job is first seen done.
  useEffect(() => {
    if (job?.status !== 'SUCCEEDED' || !job.resultURL || downloaded.current === job.id) return;
    downloaded.current = job.id;
    void download(job.resultURL);
  }, [job]); // eslint-disable-line react-hooks/exhaustive-deps

  if (!can('lead.export', 'read')) return null;

  const run = async () => {
    reset();
    setDownloadError(null);
    setOpen(true);
    const r = await start({ where, columns: exportColumns(columns, fieldKeys) });
    if (r.error || !r.data) return void setError(errorText(r.error));
    watch({ ...r.data.exportLeads });
  };
  const cancel = async () => {
    if (!job) return;
    const r = await cancelJob({ id: job.id });
    if (r.error || !r.data) return void setError(errorText(r.error));
    setJob({ ...r.data.cancelJob });
  };
  const close = () => {
    setOpen(false);
    stop();
  };
  const running = !!job && !jobFinished(job.status);

  return (
    <>
      <Button icon={<ExportOutlined />} loading={starting} onClick={run} data-testid="export-leads" aria-label={t('export.button')}>
        {iconOnly ? null : t('export.button')}
      </Button>
      {opened && <Modal
        open={open}
        title={t('export.title')}
        onCancel={close}
        maskClosable={false}
        footer={
          <Space wrap>
            {running && <Button danger loading={cancelling} onClick={cancel} data-testid="export-cancel">{t('export.cancel')}</Button>}
            <Button type={running ? 'default' : 'primary'} onClick={close} data-testid="export-close">{t('export.close')}</Button>
          </Space>
        }
      >
        <Typography.Paragraph type="secondary">{t('export.hint', { n: fmtNumber(total) })}</Typography.Paragraph>
        {job && job.status !== 'FAILED' && (
          <div data-testid="export-progress" data-status={job.status} data-job={job.id}>
            <Progress percent={jobPercent(job)} status={job.status === 'SUCCEEDED' ? 'success' : job.status === 'CANCELLED' ? 'exception' : 'active'} />
            {running && (
              <Typography.Text>{job.status === 'QUEUED' ? t('export.queued') : t('export.running', { done: fmtNumber(job.done), total: fmtNumber(job.total) })}</Typography.Text>
            )}
            {running && <JobsLink kind="EXPORT" />}
          </div>
        )}
        {job?.status === 'SUCCEEDED' && (
          <Alert
            type="success"
            showIcon
            style={{ marginTop: 12 }}
            data-testid="export-done"
            title={t('export.succeeded', { done: fmtNumber(job.done - (job.failed ?? 0)) })}
            description={(job.failed ?? 0) > 0 ? t('export.skipped', { n: fmtNumber(job.failed ?? 0) }) : undefined}
          />
        )}
        {job?.status === 'CANCELLED' && <Alert type="warning" showIcon style={{ marginTop: 12 }} title={t('export.cancelled')} data-testid="export-cancelled" />}
        {(job?.status === 'FAILED' || error || downloadError) && (
          <Alert
            type="error"
            showIcon
            style={{ marginTop: 12 }}
            data-testid="export-error"
            title={job?.status === 'FAILED' ? t('export.failed') : (error ?? downloadError)}
            description={job?.status === 'FAILED' ? <span className="scrm-muted">{job.error}</span> : undefined}
          />
        )}
        {job?.status === 'SUCCEEDED' && job.resultURL && (
          <Button style={{ marginTop: 12 }} icon={<DownloadOutlined />} loading={downloading} onClick={() => void download(job.resultURL!)} data-testid="export-download">
            {t('export.download')}
          </Button>
        )}
      </Modal>}
    </>
  );
}
