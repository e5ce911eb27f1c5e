// 加入旅程 on the leads list: enrols the selected leads, or every lead the
// filter matches, in an active or paused journey through bulkUpdateLeads'
// enroll action (at once up to 200 leads, else a job whose progress is
// shown). Leads the journey does not take (already in it, left it without
// re-entry, not active) or the viewer may not change are listed with why.
import { useMemo, useState } from 'react';
import { Alert, App, Button, Form, Modal, Progress, Select, Typography } from 'antd';
import { ApartmentOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { BulkUpdateLeadsDoc } from '../../api/ops';
import { JourneysDoc } from '../../api/journeyOps';
import { errorMessage, applyFormErrors } from '../../api/errors';
import { useJob } from '../../api/jobs';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { FailureList } from '../FailureList';
import { fmtNumber } from '../../lib/format';
import { jobFinished, jobPercent } from '../../lib/jobs';
import type { LeadWhereInput } from '../../gql/graphql';

interface Props {
  where: LeadWhereInput;
  total: number;
  names?: Record<string, string>;
  onDone: () => void;
}

export function EnrollAction({ where, total, names = {}, onDone }: Props) {
  const { t } = useI18n();
  const { can } = useSession();
  const [open, setOpen] = useState(false);
  if (!can('journey', 'write') || !can('lead.bulk', 'write')) return null;
  return (
    <>
      <Button size="small" icon={<ApartmentOutlined />} onClick={() => setOpen(true)} data-testid="bulk-enroll">
        {t('enroll.action')}
      </Button>
      {open && <EnrollModal where={where} total={total} names={names} onClose={() => setOpen(false)} onDone={onDone} />}
    </>
  );
}

function EnrollModal({ where, total, names, onClose, onDone }: Props & { names: Record<string, string>; onClose: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ journeyID: string }>();
  const [journeys] = useQuery({ query: JourneysDoc, variables: { first: 200 } });
  const options = useMemo(
    () =>
      (journeys.data?.journeys.edges ?? [])
        .flatMap((e) => (e?.node && (e.node.status === 'ACTIVE' || e.node.status === 'PAUSED') ? [e.node] : []))
        .map((j) => ({ value: j.id, label: j.status === 'PAUSED' ? `${j.name}（${t('journeyStatus.PAUSED')}）` : j.name })),
    [journeys.data, t],
  );
  const [{ fetching }, run] = useMutation(BulkUpdateLeadsDoc);
  const { job, error: pollError, watch } = useJob();
  const [error, setError] = useState<string | null>(null);
  const [inline, setInline] = useState<{ changed: number; failures: { leadID: string; code: string; message: string; name?: string | null }[] } | null>(null);
  const finished = !!inline || (!!job && jobFinished(job.status));

  const submit = async () => {
    if (finished) {
      onClose();
      return;
    }
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const r = await run({ where, action: { enroll: { journeyID: v.journeyID } } });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { map: { 'action.enroll.journeyID': ['journeyID'] }, known: ['journeyID'] });
      if (rest.length > 0) setError(rest.map((e) => errorMessage(e, lang)).join('; '));
      return;
    }
    const out = r.data!.bulkUpdateLeads;
    if (out.job) {
      watch({ ...out.job, failed: out.job.failed ?? 0 });
      message.info(t('enroll.job', { n: fmtNumber(out.matched) }));
    } else {
      const failures = (out.failures ?? []).map((f) => ({ leadID: f.leadID ?? '', code: f.code, reason: f.reason, message: f.message, name: f.name }));
      setInline({ changed: out.changed ?? 0, failures });
      message.success(t('enroll.result', { changed: fmtNumber(out.changed ?? 0), failed: fmtNumber(failures.length) }));
    }
    onDone();
  };

  const failNames = { ...names, ...Object.fromEntries((inline?.failures ?? []).flatMap((f) => (f.name ? [[f.leadID, f.name]] : []))) };
  return (
    <Modal
      open
      title={t('enroll.title', { n: fmtNumber(total) })}
      onCancel={onClose}
      onOk={submit}
      okText={finished ? t('common.close') : t('enroll.ok')}
      confirmLoading={fetching || (!!job && !jobFinished(job.status))}
      okButtonProps={{ 'data-testid': 'enroll-ok' } as Record<string, string>}
      data-testid="enroll-modal"
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="enroll-error" />}
      <Form form={form} layout="vertical" disabled={!!inline || !!job}>
        <Form.Item name="journeyID" label={t('enroll.journey')} rules={[{ required: true, message: t('enroll.pick') }]}>
          <Select
            showSearch optionFilterProp="label" options={options} loading={journeys.fetching}
            notFoundContent={journeys.fetching ? undefined : t('enroll.none')} data-testid="enroll-journey"
          />
        </Form.Item>
      </Form>
      <Typography.Paragraph type="secondary" style={{ fontSize: 13 }}>{t('enroll.hint')}</Typography.Paragraph>
      {inline && (
        <div data-testid="enroll-result" data-changed={inline.changed} data-failed={inline.failures.length}>
          <Alert type={inline.failures.length ? 'warning' : 'success'} showIcon title={t('enroll.result', { changed: fmtNumber(inline.changed), failed: fmtNumber(inline.failures.length) })} />
          {inline.failures.length > 0 && <FailureList failures={inline.failures} names={failNames} />}
        </div>
      )}
      {job && (
        <div data-testid="enroll-progress" data-status={job.status} data-done={job.done} data-failed={job.failed ?? 0}>
          <Progress percent={jobPercent(job)} status={job.status === 'SUCCEEDED' ? 'success' : job.status === 'FAILED' || job.status === 'CANCELLED' ? 'exception' : 'active'} />
          {jobFinished(job.status) && (
            <Typography.Text>{t('enroll.result', { changed: fmtNumber(job.done - (job.failed ?? 0)), failed: fmtNumber(job.failed ?? 0) })}</Typography.Text>
          )}
        </div>
      )}
      {pollError && <Alert type="error" showIcon title={pollError} />}
    </Modal>
  );
}
