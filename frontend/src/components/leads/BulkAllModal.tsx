// An action on every lead matching the list's filter ("all N matching"):
// bulkUpdateLeads fixes the set of leads when it is asked and changes them
// in a job; the dialog shows its progress, lets it be cancelled between
// batches, and offers the CSV of the leads that failed and why (leads the
// viewer may read but not change, leads that cannot take the action).
import { useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Progress, Radio, Select, Space, Typography } from 'antd';
import { DownloadOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { BulkUpdateLeadsDoc, CancelJobDoc } from '../../api/ops';
import { downloadJobResult, useJob } from '../../api/jobs';
import { applyFormErrors, errorMessage, errorText } from '../../api/errors';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { jobFinished, jobPercent } from '../../lib/jobs';
import { fmtNumber } from '../../lib/format';
import type { BulkLeadActionInput, LeadWhereInput } from '../../gql/graphql';

export type BulkKind = 'addTags' | 'removeTags' | 'assign' | 'pool' | 'moveStage';

interface Props {
  open: boolean;
  onClose: () => void;
  /** Called once a job has finished (the list reloads). */
  onDone: () => void;
  where: LeadWhereInput;
  total: number;
  tags: { id: string; name: string; group?: { name: string } | null }[];
  users: { id: string; name: string; active: boolean; roles: string[] }[];
  stages: { id: string; name: string; kind: string; pipelineName: string }[];
}

/** The API's action for the form's values. */
export function bulkAction(kind: BulkKind, v: { tagIDs?: string[]; ownerID?: string; stageID?: string; reason?: string }): BulkLeadActionInput {
  const reason = v.reason?.trim() || null;
  switch (kind) {
    case 'addTags':
      return { addTags: v.tagIDs ?? [] };
    case 'removeTags':
      return { removeTags: v.tagIDs ?? [] };
    case 'assign':
      return { assign: { ownerID: v.ownerID, reason } };
    case 'pool':
      return { assign: { toPool: true, reason } };
    case 'moveStage':
      return { moveStage: { stageID: v.stageID!, reason } };
  }
}

export function BulkAllModal({ open, onClose, onDone, where, total, tags, users, stages }: Props) {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [kind, setKind] = useState<BulkKind>('addTags');
  const [{ fetching: starting }, start] = useMutation(BulkUpdateLeadsDoc);
  const [{ fetching: cancelling }, cancelJob] = useMutation(CancelJobDoc);
  const { job, error, watch, stop, reset, setJob, setError } = useJob();
  const [downloading, setDownloading] = useState(false);
  const running = !!job && !jobFinished(job.status);
  const stageID = Form.useWatch('stageID', form);
  const lost = stages.find((s) => s.id === stageID)?.kind === 'LOST';

  const kinds: { value: BulkKind; label: string }[] = [
    ...(can('lead.tag', 'write') ? [{ value: 'addTags' as const, label: t('bulk.addTags') }, { value: 'removeTags' as const, label: t('bulk.removeTags') }] : []),
    ...(can('lead', 'assign') ? [{ value: 'assign' as const, label: t('bulk.assign') }, { value: 'pool' as const, label: t('bulk.release') }] : []),
    ...(can('lead', 'write') ? [{ value: 'moveStage' as const, label: t('bulkAll.moveStage') }] : []),
  ];

  const run = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setError(null);
    const r = await start({ where, action: bulkAction(kind, v) });
    if (r.error || !r.data) {
      const rest = applyFormErrors(form, r.error!, { strip: ['action.', 'action.assign.', 'action.moveStage.', 'action.addTags', 'action.removeTags'], known: ['tagIDs', 'ownerID', 'stageID', 'reason'] });
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    watch({ ...r.data.bulkUpdateLeads.job });
  };
  const cancel = async () => {
    if (!job) return;
    const r = await cancelJob({ id: job.id });
    if (r.error || !r.data) return void setError(errorText(r.error));
    setJob({ ...r.data.cancelJob });
  };
  const close = () => {
    if (job && jobFinished(job.status)) onDone();
    stop();
    reset();
    form.resetFields();
    onClose();
  };
  const download = async (url: string) => {
    setDownloading(true);
    try {
      const name = await downloadJobResult(url, 'bulk-failures.csv', lang);
      message.success(t('import.downloaded', { name }));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setDownloading(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('bulkAll.title', { n: fmtNumber(total) })}
      onCancel={close}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Space wrap>
          {running && <Button danger loading={cancelling} onClick={cancel} data-testid="bulk-all-cancel">{t('bulkAll.cancel')}</Button>}
          {!job && <Button onClick={close}>{t('common.cancel')}</Button>}
          {!job && <Button type="primary" loading={starting} onClick={run} data-testid="bulk-all-run">{t('bulkAll.run', { n: fmtNumber(total) })}</Button>}
          {job && <Button type={running ? 'default' : 'primary'} onClick={close} data-testid="bulk-all-close">{t('common.close')}</Button>}
        </Space>
      }
    >
      {!job && (
        <Form form={form} layout="vertical" preserve={false} data-testid="bulk-all-form">
          <Typography.Paragraph type="secondary">{t('bulkAll.hint', { n: fmtNumber(total) })}</Typography.Paragraph>
          <Form.Item label={t('bulkAll.action')}>
            <Radio.Group value={kind} onChange={(e) => setKind(e.target.value)} options={kinds} optionType="button" data-testid="bulk-all-kind" />
          </Form.Item>
          {(kind === 'addTags' || kind === 'removeTags') && (
            <Form.Item name="tagIDs" label={t('lead.tags')} rules={[{ required: true, message: t('bulk.pickTags') }]}>
              <Select
                mode="multiple"
                data-testid="bulk-all-tags"
                options={tags.map((tg) => ({ value: tg.id, label: tg.group ? `${tg.group.name} / ${tg.name}` : tg.name }))}
                showSearch={{ optionFilterProp: 'label' }}
              />
            </Form.Item>
          )}
          {kind === 'assign' && (
            <Form.Item name="ownerID" label={t('bulk.assignTo')} rules={[{ required: true, message: t('bulk.pickUser') }]}>
              <Select
                showSearch={{ optionFilterProp: 'label' }}
                options={users.filter((u) => u.active).map((u) => ({ value: u.id, label: `${u.name} (${u.roles.join(', ')})` }))}
              />
            </Form.Item>
          )}
          {kind === 'moveStage' && (
            <Form.Item name="stageID" label={t('bulkAll.stage')} rules={[{ required: true, message: t('bulkAll.pickStage') }]}>
              <Select
                data-testid="bulk-all-stage"
                showSearch={{ optionFilterProp: 'label' }}
                options={stages.map((s) => ({ value: s.id, label: `${s.pipelineName} / ${s.name}` }))}
              />
            </Form.Item>
          )}
          {(kind === 'assign' || kind === 'pool' || kind === 'moveStage') && (
            <Form.Item
              name="reason"
              label={kind === 'moveStage' ? t('bulkAll.lostReason') : t('bulk.reason')}
              rules={kind === 'moveStage' && lost ? [{ required: true, whitespace: true, message: t('bulkAll.needReason') }] : []}
              hidden={kind === 'moveStage' && !lost}
            >
              <Input maxLength={200} data-testid="bulk-all-reason" />
            </Form.Item>
          )}
        </Form>
      )}
      {job && job.status !== 'FAILED' && (
        <div data-testid="bulk-all-progress" data-status={job.status} data-job={job.id}>
          <Progress percent={jobPercent(job)} status={job.status === 'SUCCEEDED' ? 'success' : job.status === 'CANCELLED' ? 'exception' : 'active'} />
          <Typography.Text>
            {job.status === 'QUEUED' ? t('export.queued') : t('bulkAll.progress', { done: fmtNumber(job.done), total: fmtNumber(job.total), failed: fmtNumber(job.failed ?? 0) })}
          </Typography.Text>
        </div>
      )}
      {job?.status === 'SUCCEEDED' && (
        <Alert
          type={(job.failed ?? 0) > 0 ? 'warning' : 'success'}
          showIcon
          style={{ marginTop: 12 }}
          data-testid="bulk-all-done"
          title={t('bulkAll.succeeded', { n: fmtNumber(job.done - (job.failed ?? 0)) })}
          description={(job.failed ?? 0) > 0 ? t('bulkAll.failedSome', { n: fmtNumber(job.failed ?? 0) }) : undefined}
        />
      )}
      {job?.status === 'CANCELLED' && <Alert type="warning" showIcon style={{ marginTop: 12 }} title={t('bulkAll.cancelled', { n: fmtNumber(job.done) })} data-testid="bulk-all-cancelled" />}
      {(job?.status === 'FAILED' || error) && (
        <Alert type="error" showIcon style={{ marginTop: 12 }} data-testid="bulk-all-error" title={job?.status === 'FAILED' ? t('bulkAll.failed') : error} description={job?.status === 'FAILED' ? job.error : undefined} />
      )}
      {job && jobFinished(job.status) && (job.failed ?? 0) > 0 && job.resultURL && (
        <Button style={{ marginTop: 12 }} icon={<DownloadOutlined />} loading={downloading} onClick={() => void download(job.resultURL!)} data-testid="bulk-all-download">
          {t('bulkAll.download')}
        </Button>
      )}
    </Modal>
  );
}
