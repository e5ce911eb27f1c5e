// An action on many leads: every lead matching the list's filter ("all N
// matching"), or the rows selected (where: idIn). bulkUpdateLeads fixes the
// set of leads when it is asked; up to 200 it changes them at once and
// answers what it did (the dialog lists the leads that failed and why, no
// polling); more it changes in a job, whose progress the dialog shows, lets
// be cancelled between batches, and whose CSV of the leads that failed and
// why it offers (leads the viewer may read but not change, leads that
// cannot take the action); the failures of an answer at once download as a
// CSV built here. The actions: add or remove tags, assign, return to the
// pool, set or clear one or more fields in one update (a custom field's own
// input, AttributeInput, from its type's widget; its value sent as the
// workspace's typed schema takes it), move stage (a lost reason for a LOST
// stage, as the kanban asks).
import { useMemo, useState } from 'react';
import { Alert, App, Button, Checkbox, Form, Input, Modal, Progress, Radio, Select, Space, Typography } from 'antd';
import { DeleteOutlined, DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { BulkUpdateLeadsDoc, CancelJobDoc } from '../../api/ops';
import { downloadJobResult, useJob } from '../../api/jobs';
import { apiErrors, errorMessage, errorText } from '../../api/errors';
import { useFieldDefs, usePipelines, useTerritories } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { jobFinished, jobPercent } from '../../lib/jobs';
import { fmtNumber } from '../../lib/format';
import { JobsLink } from '../JobsLink';
import { bulkErrorField, bulkFields, emptyValue, failuresCSV, inlineResult, moveStageAction, updateAction, updateErrorKey, withoutPath, type BulkField, type BulkInlineResult } from '../../lib/bulkEdit';
import { failureText } from '../../lib/failures';
import { AttributeInput } from '../AttributeInput';
import { FailureList } from '../FailureList';
import type { BulkLeadActionInput, LeadWhereInput } from '../../gql/graphql';

export type BulkKind = 'addTags' | 'removeTags' | 'assign' | 'pool' | 'update' | 'moveStage';

interface Props {
  open: boolean;
  onClose: () => void;
  /** Called once the leads were changed, at once or by a job that has finished (the list reloads). */
  onDone: () => void;
  where: LeadWhereInput;
  total: number;
  tags: { id: string; name: string; group?: { name: string } | null }[];
  users: { id: string; name: string; active: boolean; roles: string[] }[];
  /** The stages to move to (read here when not given). */
  stages?: { id: string; name: string; kind: string; pipelineName: string }[];
  /** The action shown first. */
  initialKind?: BulkKind;
  /** The leads are the rows selected (where names them), not all matching. */
  selection?: boolean;
}

/** The form's values. */
export interface BulkValues {
  tagIDs?: string[];
  ownerID?: string;
  stageID?: string;
  reason?: string;
  lostReasonID?: string;
  note?: string;
  /** The fields of an update, one row each: the field's key (BulkField.key), its value, or clear. */
  edits?: { field?: string; value?: unknown; clear?: boolean }[];
}

/** The API's action for the form's values (fields: those bulk edit offers; lost: the stage picked is LOST). */
export function bulkAction(kind: BulkKind, v: BulkValues, ctx: { fields?: BulkField[]; lost?: boolean } = {}): BulkLeadActionInput {
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
    case 'update':
      return updateAction((v.edits ?? []).flatMap((e) => {
        const field = ctx.fields?.find((f) => f.key === e.field);
        return field ? [{ field, value: e.value, clear: e.clear }] : [];
      }));
    case 'moveStage':
      return moveStageAction(v.stageID!, !!ctx.lost, v);
  }
}

export function BulkAllModal({ open, onClose, onDone, where, total, tags, users, stages: given, initialKind, selection }: Props) {
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm<BulkValues>();
  const [{ fetching: starting }, start] = useMutation(BulkUpdateLeadsDoc);
  const [{ fetching: cancelling }, cancelJob] = useMutation(CancelJobDoc);
  const { job, error, watch, stop, reset, setJob, setError } = useJob();
  const [downloading, setDownloading] = useState(false);
  const [inline, setInline] = useState<BulkInlineResult | null>(null);
  const canWrite = can('lead', 'write');
  const { defs } = useFieldDefs();
  const pipes = usePipelines(open && canWrite);
  const { territories } = useTerritories(open && canWrite);
  const stages = given ?? pipes.stages;
  const lostReasons = pipes.lostReasons.filter((r) => !r.archived);
  const running = !!job && !jobFinished(job.status);
  const stageID = Form.useWatch('stageID', form);
  const lost = stages.find((s) => s.id === stageID)?.kind === 'LOST';
  const edits = Form.useWatch('edits', form);
  const fields = useMemo(() => bulkFields(defs, { territory: can('territory', 'read') }), [defs, can]);
  const rowField = (i: number) => fields.find((f) => f.key === edits?.[i]?.field);
  // A row shows its value input once its field is picked, unless it clears.
  const valueShown = (i: number) => { const f = rowField(i); return !!f && !f.clearOnly && !edits?.[i]?.clear; };
  const label = (f: BulkField) => f.def?.label ?? (f.builtin === 'territory' ? t('lead.territory') : t(`lead.${f.builtin!}` as 'lead.company'));

  const kinds: { value: BulkKind; label: string }[] = [
    ...(can('lead.tag', 'write') ? [{ value: 'addTags' as const, label: t('bulk.addTags') }, { value: 'removeTags' as const, label: t('bulk.removeTags') }] : []),
    ...(can('lead', 'assign') ? [{ value: 'assign' as const, label: t('bulk.assign') }, { value: 'pool' as const, label: t('bulk.release') }] : []),
    ...(canWrite ? [{ value: 'update' as const, label: t('bulkEdit.update') }, { value: 'moveStage' as const, label: t('bulkAll.moveStage') }] : []),
  ];
  const [kind, setKind] = useState<BulkKind>(() => (initialKind && kinds.some((k) => k.value === initialKind) ? initialKind : (kinds[0]?.value ?? 'addTags')));

  // The inputs on the form now, where the API's errors can be shown (an
  // update's are placed by updatePath).
  const shown: string[] = {
    addTags: ['tagIDs'],
    removeTags: ['tagIDs'],
    assign: ['ownerID', 'reason'],
    pool: ['reason'],
    update: [],
    moveStage: ['stageID', ...(lost && lostReasons.length ? ['lostReasonID'] : []), ...(lost ? ['note'] : [])],
  }[kind];

  const run = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setError(null);
    const r = await start({ where, action: bulkAction(kind, v, { fields, lost }) });
    if (r.error || !r.data) {
      // Errors of the action go on their input (an update's on the value of
      // the field's row, or its picker when it clears); others above.
      const placed = new Map<string, { name: (string | number)[]; errors: string[] }>();
      const rest: string[] = [];
      for (const e of apiErrors(r.error)) {
        const name = kind === 'update' ? updatePath(e.field, v) : (e.field ? bulkErrorField(e.field) : null);
        const path = typeof name === 'string' ? (shown.includes(name) ? [name] : null) : name;
        if (!path) {
          rest.push(errorMessage(e));
          continue;
        }
        const k = JSON.stringify(path);
        placed.set(k, { name: path, errors: [...(placed.get(k)?.errors ?? []), withoutPath(errorMessage(e), e.field)] });
      }
      if (placed.size) form.setFields([...placed.values()]);
      if (rest.length || !placed.size) setError(rest.length ? rest.join('; ') : errorText(r.error));
      return;
    }
    const out = r.data.bulkUpdateLeads;
    const done = inlineResult(out);
    if (done) setInline(done);
    else if (out.job) watch({ ...out.job });
  };
  // The form input of an update's error: the row of the field it names.
  const updatePath = (field: string | undefined, v: BulkValues): (string | number)[] | null => {
    if (!field) return null;
    if (field === 'action.update') return ['edits', 0, 'field'];
    const key = updateErrorKey(field);
    const i = (v.edits ?? []).findIndex((e) => e.field === key);
    if (i < 0) return null;
    return [`edits`, i, valueShown(i) ? 'value' : 'field'];
  };
  const saveFailures = () => {
    if (!inline) return;
    const header = t('bulkAll.csvHeader').split(',') as [string, string, string, string];
    const csv = failuresCSV(inline, header, (f) => failureText(t, f));
    const href = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = href;
    a.download = 'bulk-failures.csv';
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
  };
  const cancel = async () => {
    if (!job) return;
    const r = await cancelJob({ id: job.id });
    if (r.error || !r.data) return void setError(errorText(r.error));
    setJob({ ...r.data.cancelJob });
  };
  const close = () => {
    if ((job && jobFinished(job.status)) || inline) onDone();
    stop();
    reset();
    setInline(null);
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

  const n = fmtNumber(total);
  return (
    <Modal
      open={open}
      title={selection ? t('bulkEdit.titleSelected', { n }) : t('bulkAll.title', { n })}
      onCancel={close}
      maskClosable={false}
      destroyOnHidden
      footer={
        <Space wrap>
          {running && <Button danger loading={cancelling} onClick={cancel} data-testid="bulk-all-cancel">{t('bulkAll.cancel')}</Button>}
          {!job && !inline && <Button onClick={close}>{t('common.cancel')}</Button>}
          {!job && !inline && <Button type="primary" loading={starting} onClick={run} data-testid="bulk-all-run">{t('bulkAll.run', { n })}</Button>}
          {(job || inline) && <Button type={running ? 'default' : 'primary'} onClick={close} data-testid="bulk-all-close">{t('common.close')}</Button>}
        </Space>
      }
    >
      {!job && !inline && (
        <Form form={form} layout="vertical" preserve={false} data-testid="bulk-all-form">
          <Typography.Paragraph type="secondary">{selection ? t('bulkEdit.hintSelected', { n }) : t('bulkAll.hint', { n })}</Typography.Paragraph>
          <Form.Item label={t('bulkAll.action')}>
            <Radio.Group value={kind} onChange={(e) => { setKind(e.target.value); setError(null); }} options={kinds} optionType="button" data-testid="bulk-all-kind" />
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
          {kind === 'update' && (
            <Form.List name="edits" initialValue={[{}]}>
              {(rows, { add, remove }) => (
                <>
                  {rows.map((row, i) => {
                    const f = rowField(i);
                    const taken = new Set((edits ?? []).flatMap((e, j) => (j !== i && e?.field ? [e.field] : [])));
                    return (
                      <div key={row.key} data-testid="bulk-all-edit" data-row={i} style={{ borderBottom: '1px dashed rgba(128,128,128,0.3)', marginBottom: 12 }}>
                        <div style={{ display: 'flex', gap: 8, alignItems: 'flex-start' }}>
                          <Form.Item style={{ flex: 1, minWidth: 0 }} name={[row.name, 'field']} label={t('bulkEdit.field')} rules={[{ required: true, message: t('bulkEdit.pickField') }]}>
                            <Select
                              data-testid="bulk-all-field"
                              showSearch={{ optionFilterProp: 'label' }}
                              options={fields.map((x) => ({ value: x.key, label: label(x), disabled: taken.has(x.key) }))}
                              onChange={(k: string) => form.setFieldValue(['edits', row.name], { field: k, value: undefined, clear: !!fields.find((x) => x.key === k)?.clearOnly })}
                            />
                          </Form.Item>
                          {rows.length > 1 && (
                            <Button
                              type="text"
                              icon={<DeleteOutlined />}
                              aria-label={t('bulkEdit.removeField')}
                              title={t('bulkEdit.removeField')}
                              style={{ marginTop: 30 }}
                              onClick={() => remove(row.name)}
                              data-testid="bulk-all-remove-field"
                            />
                          )}
                        </div>
                        {f && (
                          <Form.Item name={[row.name, 'clear']} valuePropName="checked" extra={f.clearOnly ? t('bulkEdit.uniqueHint') : undefined}>
                            <Checkbox disabled={f.clearOnly} data-testid="bulk-all-clear">{t('bulkEdit.clear')}</Checkbox>
                          </Form.Item>
                        )}
                        {f && valueShown(i) && (
                          <div data-testid="bulk-all-value">
                            <Form.Item
                              name={[row.name, 'value']}
                              label={t('bulkEdit.value', { field: label(f) })}
                              tooltip={f.def?.helpText || undefined}
                              rules={[{ validator: (_r, x) => (emptyValue(x) ? Promise.reject(new Error(t('bulkEdit.needValue'))) : Promise.resolve()) }]}
                            >
                              {f.def ? (
                                <AttributeInput def={f.def} />
                              ) : f.builtin === 'territory' ? (
                                <Select showSearch={{ optionFilterProp: 'label' }} options={territories.map((x) => ({ value: x.id, label: x.name }))} />
                              ) : (
                                <Input maxLength={200} />
                              )}
                            </Form.Item>
                          </div>
                        )}
                      </div>
                    );
                  })}
                  {rows.length < fields.length && (
                    <Form.Item>
                      <Button type="dashed" block icon={<PlusOutlined />} onClick={() => add({})} data-testid="bulk-all-add-field">{t('bulkEdit.addField')}</Button>
                    </Form.Item>
                  )}
                </>
              )}
            </Form.List>
          )}
          {kind === 'moveStage' && (
            <>
              <Form.Item name="stageID" label={t('bulkAll.stage')} rules={[{ required: true, message: t('bulkAll.pickStage') }]}>
                <Select
                  data-testid="bulk-all-stage"
                  showSearch={{ optionFilterProp: 'label' }}
                  options={stages.map((s) => ({ value: s.id, label: `${s.pipelineName} / ${s.name}` }))}
                />
              </Form.Item>
              {lost && lostReasons.length === 0 && <Alert type="info" showIcon title={t('lead.noLostReasons')} style={{ marginBottom: 12 }} />}
              {lost && lostReasons.length > 0 && (
                <Form.Item name="lostReasonID" label={t('lead.lostReason')} rules={[{ required: true, message: t('lead.lostReasonRequired') }]}>
                  <Select data-testid="bulk-all-lost-reason" options={lostReasons.map((r) => ({ value: r.id, label: r.name }))} />
                </Form.Item>
              )}
              {lost && (
                <Form.Item
                  name="note"
                  label={lostReasons.length ? t('lead.lostNote') : t('lead.lostReason')}
                  rules={lostReasons.length ? [] : [{ required: true, whitespace: true, message: t('bulkAll.needReason') }]}
                >
                  <Input.TextArea maxLength={500} autoSize={{ minRows: 1, maxRows: 4 }} data-testid="bulk-all-note" />
                </Form.Item>
              )}
            </>
          )}
          {(kind === 'assign' || kind === 'pool') && (
            <Form.Item name="reason" label={t('bulk.reason')}>
              <Input maxLength={200} data-testid="bulk-all-reason" />
            </Form.Item>
          )}
          {error && <Alert type="error" showIcon data-testid="bulk-all-error" title={error} />}
        </Form>
      )}
      {inline && (
        <>
          <Alert
            type={inline.failures.length > 0 ? 'warning' : 'success'}
            showIcon
            data-testid="bulk-all-done"
            data-inline="true"
            title={t('bulkAll.succeeded', { n: fmtNumber(inline.changed) })}
            description={inline.failures.length > 0 ? t('bulkAll.failedListed', { n: fmtNumber(inline.failures.length) }) : undefined}
          />
          {inline.failures.length > 0 && (
            <>
              <div style={{ maxHeight: 320, overflowY: 'auto', marginTop: 12 }} data-testid="bulk-all-failures">
                <FailureList failures={inline.failures} names={inline.names} />
              </div>
              <Button style={{ marginTop: 12 }} icon={<DownloadOutlined />} onClick={saveFailures} data-testid="bulk-all-failures-csv">
                {t('bulkAll.failuresCSV')}
              </Button>
            </>
          )}
        </>
      )}
      {job && job.status !== 'FAILED' && (
        <div data-testid="bulk-all-progress" data-status={job.status} data-job={job.id}>
          <Progress percent={jobPercent(job)} status={job.status === 'SUCCEEDED' ? 'success' : job.status === 'CANCELLED' ? 'exception' : 'active'} />
          <Typography.Text>
            {job.status === 'QUEUED' ? t('export.queued') : t('bulkAll.progress', { done: fmtNumber(job.done), total: fmtNumber(job.total), failed: fmtNumber(job.failed ?? 0) })}
          </Typography.Text>
          {!jobFinished(job.status) && <JobsLink kind="BULK_UPDATE" />}
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
      {job && (job.status === 'FAILED' || error) && (
        <Alert type="error" showIcon style={{ marginTop: 12 }} data-testid="bulk-all-error" title={job.status === 'FAILED' ? t('bulkAll.failed') : error} description={job.status === 'FAILED' ? job.error : undefined} />
      )}
      {job && jobFinished(job.status) && (job.failed ?? 0) > 0 && job.resultURL && (
        <Button style={{ marginTop: 12 }} icon={<DownloadOutlined />} loading={downloading} onClick={() => void download(job.resultURL!)} data-testid="bulk-all-download">
          {t('bulkAll.download')}
        </Button>
      )}
    </Modal>
  );
}
