// 导入线索: a CSV file (UTF-8 or GBK) read in the browser for its header and
// first rows only; each column's target guessed (lib/importMapping.ts) and
// changeable; what is structurally wrong shown before anything is sent; then
// importLeads (a multipart upload of the file itself: the server decodes it)
// and the job's progress every second with a cancel, the counts at the end
// and the rejected rows' CSV (with the server's reasons) to download. Values
// (phones, emails, custom fields) are judged by the server only.
import { useMemo, useState, type HTMLAttributes } from 'react';
import { Alert, App, Button, Form, Input, Modal, Progress, Select, Space, Table, Tag, Typography, Upload } from 'antd';
import { DownloadOutlined, InboxOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { CancelJobDoc, ImportLeadsDoc } from '../../api/ops';
import { downloadJobResult, useJob } from '../../api/jobs';
import { errorText } from '../../api/errors';
import { useI18n, type MessageKey, type TFunc } from '../../i18n';
import { useMobile } from '../../lib/useMobile';
import { jobFinished, jobPercent } from '../../lib/jobs';
import { decodeHead, detectEncoding, guessDelimiter, parseCsv, type CsvEncoding, type CsvRecord } from '../../lib/importFile';
import {
  ATTRIBUTE_PREFIX, BUILTIN_TARGETS, buildMapping, guessMapping, mappingProblems, norm, rowProblems,
  type MappingContext, type MappingProblem, type RowProblem, type Target,
} from '../../lib/importMapping';
import type { FieldDef } from '../../lib/fields';
import { fmtNumber } from '../../lib/format';
import { JobsLink } from '../JobsLink';

const PREVIEW_ROWS = 10;
const TAG_SEPARATORS = ['|', ',', ';', '、'];

interface Loaded {
  file: File;
  bytes: Uint8Array;
  encoding: CsvEncoding;
  delimiter: string;
  headers: string[];
  rows: CsvRecord[];
  targets: Target[];
  key: string;
}

function newKey(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** Header and preview rows of bytes read with delimiter. */
function readRecords(bytes: Uint8Array, encoding: CsvEncoding, delimiter: string | null) {
  const { text, truncated } = decodeHead(bytes, encoding);
  const d = delimiter ?? guessDelimiter(text);
  const recs = parseCsv(text, d, PREVIEW_ROWS + 1, truncated);
  return { delimiter: d, headers: recs[0]?.fields ?? [], rows: recs.slice(1) };
}

function targetLabel(target: Target, t: TFunc, defs: FieldDef[]): string {
  if (target.startsWith(ATTRIBUTE_PREFIX)) {
    const key = target.slice(ATTRIBUTE_PREFIX.length);
    return defs.find((d) => d.key === key)?.label ?? key;
  }
  switch (target) {
    case 'unionID':
    case 'openID':
      return t(`import.target.${target}`);
    case 'tags':
      return t('lead.tags');
    default:
      return t(`lead.${target}` as MessageKey);
  }
}

function problemText(p: MappingProblem, t: TFunc, defs: FieldDef[]): string {
  switch (p.code) {
    case 'noIdentity':
      return t('import.problem.noIdentity');
    case 'duplicateTarget':
      return t('import.problem.duplicateTarget', { target: targetLabel(p.target, t, defs), headers: p.headers.join('、') });
    case 'duplicateHeader':
      return t('import.problem.duplicateHeader', { header: p.header });
    case 'emptyHeader':
      return t('import.problem.emptyHeader', { column: p.column });
  }
}

function rowProblemText(p: RowProblem, t: TFunc): string {
  switch (p.code) {
    case 'empty':
      return t('import.row.empty');
    case 'fieldCount':
      return t('import.row.fieldCount', { got: p.got, want: p.want });
    case 'noMappedValue':
      return t('import.row.noMappedValue');
  }
}

export function ImportModal({
  open, onClose, defs, tagGroups,
}: {
  open: boolean;
  /** imported: a job ran (the list may have new leads). */
  onClose: (imported: boolean) => void;
  defs: FieldDef[];
  tagGroups: { name: string }[];
}) {
  const { t, lang } = useI18n();
  const mobile = useMobile();
  const { message } = App.useApp();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const [source, setSource] = useState('');
  const [tagSeparator, setTagSeparator] = useState('|');
  const [startError, setStartError] = useState<string | null>(null);
  const [downloading, setDownloading] = useState(false);
  const [{ fetching: starting }, startImport] = useMutation(ImportLeadsDoc);
  const [{ fetching: cancelling }, cancelJob] = useMutation(CancelJobDoc);
  const { job, error: pollError, watch, stop, reset, setJob, setError: setPollError } = useJob();

  const ctx: MappingContext = useMemo(() => ({ fields: defs, tagGroups }), [defs, tagGroups]);
  const liveDefs = useMemo(() => defs.filter((d) => !d.archived), [defs]);

  const read = async (file: File) => {
    setReadError(null);
    setStartError(null);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const encoding = detectEncoding(bytes);
      const r = readRecords(bytes, encoding, null);
      if (r.headers.length === 0) return void setReadError(t('import.emptyFile'));
      setLoaded({ file, bytes, encoding, ...r, targets: guessMapping(r.headers, ctx), key: newKey() });
    } catch (e) {
      setReadError(t('import.readFailed', { msg: e instanceof Error ? e.message : String(e) }));
    }
  };

  const setDelimiter = (d: string) => {
    if (!loaded) return;
    const r = readRecords(loaded.bytes, loaded.encoding, d);
    setLoaded({ ...loaded, ...r, targets: guessMapping(r.headers, ctx), key: newKey() });
  };
  const setTarget = (i: number, target: Target) => {
    if (!loaded) return;
    const targets = loaded.targets.slice();
    targets[i] = target;
    setLoaded({ ...loaded, targets, key: newKey() });
  };

  const problems = loaded ? mappingProblems(loaded.headers, loaded.targets) : [];

  const start = async () => {
    if (!loaded || problems.length) return;
    setStartError(null);
    const mapping = buildMapping(loaded.headers, loaded.targets, { source, delimiter: loaded.delimiter, tagSeparator });
    const r = await startImport({ csv: loaded.file, mapping, idempotencyKey: loaded.key });
    if (r.error || !r.data) return void setStartError(errorText(r.error));
    const j = r.data.importLeads;
    watch({ ...j, kind: j.kind });
  };

  const cancel = async () => {
    if (!job) return;
    const r = await cancelJob({ id: job.id });
    if (r.error || !r.data) return void setPollError(errorText(r.error));
    setJob({ ...r.data.cancelJob });
  };

  const download = async () => {
    if (!job?.resultURL) return;
    setDownloading(true);
    try {
      const name = await downloadJobResult(job.resultURL, 'rejected.csv', lang);
      message.success(t('import.downloaded', { name }));
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setDownloading(false);
    }
  };

  const close = () => {
    const ran = !!job;
    stop();
    onClose(ran);
  };
  const again = () => {
    reset();
    setLoaded(null);
    setStartError(null);
  };
  const afterClose = () => {
    reset();
    setLoaded(null);
    setReadError(null);
    setStartError(null);
  };

  const targetOptions = useMemo(() => {
    const builtin = BUILTIN_TARGETS.filter((b) => b !== 'tags').map((b) => ({ value: b, label: targetLabel(b, t, liveDefs) }));
    return [
      { value: '', label: t('import.skip') },
      { label: t('import.group.builtin'), options: builtin },
      ...(liveDefs.length ? [{ label: t('import.group.custom'), options: liveDefs.map((d) => ({ value: ATTRIBUTE_PREFIX + d.key, label: d.label })) }] : []),
      { label: t('import.group.tags'), options: [{ value: 'tags', label: t('import.target.tags') }] },
    ];
  }, [t, liveDefs]);

  const running = !!job && !jobFinished(job.status);
  const phase: 'pick' | 'map' | 'job' = job ? 'job' : loaded ? 'map' : 'pick';

  const footer =
    phase === 'job' ? (
      <Space wrap>
        {running && <Button danger loading={cancelling} onClick={cancel} data-testid="import-cancel">{t('import.cancel')}</Button>}
        {!running && <Button onClick={again} data-testid="import-again">{t('import.another')}</Button>}
        <Button type={running ? 'default' : 'primary'} onClick={close} data-testid="import-close">{t('import.close')}</Button>
      </Space>
    ) : phase === 'map' ? (
      <Space wrap>
        <Button onClick={again}>{t('import.changeFile')}</Button>
        <Button type="primary" disabled={problems.length > 0} loading={starting} onClick={start} data-testid="import-start">{t('import.start')}</Button>
      </Space>
    ) : (
      <Button onClick={close}>{t('import.close')}</Button>
    );

  return (
    <Modal
      open={open}
      title={t('import.title')}
      width={mobile ? '100%' : 1100}
      style={mobile ? { top: 0, maxWidth: '100vw', margin: 0, paddingBottom: 0 } : undefined}
      onCancel={close}
      afterClose={afterClose}
      footer={footer}
      destroyOnHidden
      maskClosable={false}
      styles={{ body: { maxHeight: mobile ? 'calc(100vh - 140px)' : 'calc(100vh - 260px)', overflowY: 'auto', overflowX: 'hidden' } }}
    >
      <div data-testid="import-modal" data-phase={phase}>
        {phase === 'pick' && (
          <>
            <Upload.Dragger
              accept=".csv,text/csv"
              multiple={false}
              showUploadList={false}
              beforeUpload={(f) => {
                void read(f);
                return false;
              }}
              data-testid="import-upload"
            >
              <p className="ant-upload-drag-icon"><InboxOutlined /></p>
              <p className="ant-upload-text">{t('import.pick')}</p>
              <p className="ant-upload-hint">{t('import.pickHint')}</p>
            </Upload.Dragger>
            {readError && <Alert type="error" showIcon style={{ marginTop: 12 }} title={readError} data-testid="import-read-error" />}
          </>
        )}
        {phase === 'map' && loaded && (
          <MappingStep
            loaded={loaded}
            problems={problems}
            defs={liveDefs}
            tagGroups={tagGroups}
            targetOptions={targetOptions}
            onTarget={setTarget}
            onDelimiter={setDelimiter}
            source={source}
            onSource={setSource}
            tagSeparator={tagSeparator}
            onTagSeparator={setTagSeparator}
            mobile={mobile}
          />
        )}
        {phase === 'map' && startError && <Alert type="error" showIcon style={{ marginTop: 12 }} title={startError} data-testid="import-error" />}
        {phase === 'job' && job && (
          <div data-testid="import-job" data-status={job.status} data-job={job.id}>
            <Typography.Paragraph type="secondary">{loaded?.file.name}</Typography.Paragraph>
            {job.status !== 'FAILED' && (
              <div data-testid="import-progress" data-status={job.status} data-done={job.done} data-total={job.total} data-percent={jobPercent(job)}>
                <Progress
                  percent={jobPercent(job)}
                  status={job.status === 'SUCCEEDED' ? 'success' : job.status === 'CANCELLED' ? 'exception' : 'active'}
                />
                {running && (
                  <Typography.Text data-testid="import-progress-text">
                    {job.status === 'QUEUED' ? t('import.queued') : t('import.running', { done: fmtNumber(job.done), total: fmtNumber(job.total) })}
                  </Typography.Text>
                )}
                {running && (job.failed ?? 0) > 0 && (
                  <Typography.Text type="danger" style={{ marginLeft: 8 }}>{t('import.rejectedSoFar', { n: fmtNumber(job.failed ?? 0) })}</Typography.Text>
                )}
                {running && <JobsLink kind="IMPORT" />}
              </div>
            )}
            {job.status === 'SUCCEEDED' && (
              <Alert
                type={(job.failed ?? 0) > 0 ? 'warning' : 'success'}
                showIcon
                style={{ marginTop: 12 }}
                data-testid="import-done"
                data-done={job.done}
                data-failed={job.failed ?? 0}
                title={t('import.succeeded', { done: fmtNumber(job.done), ok: fmtNumber(job.done - (job.failed ?? 0)), failed: fmtNumber(job.failed ?? 0) })}
              />
            )}
            {job.status === 'CANCELLED' && (
              <Alert
                type="warning"
                showIcon
                style={{ marginTop: 12 }}
                data-testid="import-cancelled"
                data-done={job.done}
                title={job.done === 0 ? t('import.cancelledEarly') : t('import.cancelled', { done: fmtNumber(job.done), total: fmtNumber(job.total), failed: fmtNumber(job.failed ?? 0) })}
              />
            )}
            {job.status === 'FAILED' && (
              <Alert type="error" showIcon data-testid="import-failed" title={t('import.failed')} description={<span className="scrm-muted">{job.error}</span>} />
            )}
            {pollError && <Alert type="error" showIcon style={{ marginTop: 12 }} title={pollError} data-testid="import-poll-error" />}
            {job.resultURL && (
              <Button style={{ marginTop: 12 }} icon={<DownloadOutlined />} loading={downloading} onClick={download} data-testid="import-rejects">
                {t('import.downloadRejects')}
                {(job.failed ?? 0) > 0 ? ` (${fmtNumber(job.failed ?? 0)})` : ''}
              </Button>
            )}
          </div>
        )}
      </div>
    </Modal>
  );
}

function MappingStep({
  loaded, problems, defs, tagGroups, targetOptions, onTarget, onDelimiter, source, onSource, tagSeparator, onTagSeparator, mobile,
}: {
  loaded: Loaded;
  problems: MappingProblem[];
  defs: FieldDef[];
  tagGroups: { name: string }[];
  targetOptions: unknown[];
  onTarget: (i: number, target: Target) => void;
  onDelimiter: (d: string) => void;
  source: string;
  onSource: (s: string) => void;
  tagSeparator: string;
  onTagSeparator: (s: string) => void;
  mobile: boolean;
}) {
  const { t } = useI18n();
  const { headers, rows, targets } = loaded;
  const headerLabel = (h: string) => h.trim() || t('import.blankHeader');
  const mapRows = headers.map((h, i) => ({
    i,
    header: h,
    samples: rows.map((r) => (r.fields[i] ?? '').trim()).filter(Boolean).slice(0, 3),
    target: targets[i] ?? '',
    group: targets[i] === 'tags' ? tagGroups.find((g) => norm(g.name) === norm(h))?.name : undefined,
  }));
  return (
    <div>
      <Form layout="inline" size={mobile ? 'small' : undefined} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item label={t('import.file')}>
          <Typography.Text data-testid="import-file-name">{loaded.file.name}</Typography.Text>
        </Form.Item>
        <Form.Item label={t('import.encoding')}>
          <Tag data-testid="import-encoding">{loaded.encoding === 'utf-8' ? 'UTF-8' : 'GBK'}</Tag>
        </Form.Item>
        <Form.Item label={t('import.delimiter')}>
          <Select
            value={loaded.delimiter}
            onChange={onDelimiter}
            style={{ width: 120 }}
            options={[
              { value: ',', label: t('import.delimiter.comma') },
              { value: ';', label: t('import.delimiter.semicolon') },
              { value: '\t', label: t('import.delimiter.tab') },
            ]}
            data-testid="import-delimiter"
          />
        </Form.Item>
        <Form.Item label={t('import.tagSeparator')}>
          <Select value={tagSeparator} onChange={onTagSeparator} style={{ width: 80 }} options={TAG_SEPARATORS.map((s) => ({ value: s, label: s }))} />
        </Form.Item>
        <Form.Item label={t('import.source')} tooltip={t('import.sourceHint')}>
          <Input value={source} onChange={(e) => onSource(e.target.value)} placeholder="import" style={{ width: mobile ? 220 : 200 }} maxLength={100} data-testid="import-source" />
        </Form.Item>
      </Form>

      <Typography.Title level={5}>{t('import.mapping')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('import.mappingHint')}</Typography.Paragraph>
      <Table
        size="small"
        rowKey="i"
        pagination={false}
        dataSource={mapRows}
        scroll={{ x: 'max-content' }}
        onRow={(r) => ({ 'data-testid': 'map-row', 'data-header': r.header.trim(), 'data-target': r.target } as HTMLAttributes<HTMLElement>)}
        columns={[
          { key: 'header', title: t('import.column'), render: (_, r) => <Typography.Text strong={!!r.target} type={r.header.trim() ? undefined : 'secondary'}>{headerLabel(r.header)}</Typography.Text> },
          {
            key: 'target',
            title: t('import.target'),
            render: (_, r) => (
              <div style={{ display: 'flex', flexDirection: 'column' }}>
                <Select
                  value={r.target}
                  onChange={(v: string) => onTarget(r.i, v)}
                  options={targetOptions as never}
                  disabled={!r.header.trim()}
                  style={{ width: mobile ? 180 : 240 }}
                  popupMatchSelectWidth={false}
                  data-testid="map-target"
                />
                {r.group && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('import.tagGroupHint', { group: r.group })}</Typography.Text>}
              </div>
            ),
          },
          {
            key: 'samples',
            title: t('import.samples'),
            render: (_, r) => <Typography.Text type="secondary" ellipsis style={{ maxWidth: mobile ? 140 : 360 }}>{r.samples.join('、')}</Typography.Text>,
          },
        ]}
      />
      {problems.length > 0 && (
        <Alert
          type="error"
          showIcon
          style={{ marginTop: 12 }}
          data-testid="import-problems"
          title={<ul style={{ margin: 0, paddingLeft: 18 }}>{problems.map((p, i) => <li key={i} data-testid="import-problem" data-code={p.code}>{problemText(p, t, defs)}</li>)}</ul>}
        />
      )}

      <Typography.Title level={5} style={{ marginTop: 16 }}>{t('import.preview', { n: rows.length })}</Typography.Title>
      <Table
        size="small"
        rowKey="line"
        pagination={false}
        dataSource={rows}
        scroll={{ x: 'max-content' }}
        data-testid="import-preview"
        onRow={(r) => {
          const ps = rowProblems(r.fields, headers.length, targets);
          return { 'data-testid': 'preview-row', 'data-line': r.line, 'data-problems': ps.map((p) => p.code).join(' ') } as HTMLAttributes<HTMLElement>;
        }}
        columns={[
          { key: 'line', title: t('import.line'), dataIndex: 'line', fixed: mobile ? undefined : 'left', width: 64 },
          {
            key: 'check',
            title: t('import.check'),
            render: (_, r: CsvRecord) => {
              const ps = rowProblems(r.fields, headers.length, targets);
              return ps.length ? ps.map((p) => <Tag color="red" key={p.code}>{rowProblemText(p, t)}</Tag>) : <Tag color="green">{t('import.rowOK')}</Tag>;
            },
          },
          ...headers.map((h, i) => ({
            key: `c${i}`,
            title: (
              <span>
                {headerLabel(h)}
                <br />
                <Typography.Text type={targets[i] ? 'success' : 'secondary'} style={{ fontSize: 12, fontWeight: 'normal' }}>
                  {targets[i] ? `→ ${targetLabel(targets[i], t, defs)}` : t('import.skip')}
                </Typography.Text>
              </span>
            ),
            render: (_: unknown, r: CsvRecord) => (
              <Typography.Text type={targets[i] ? undefined : 'secondary'} style={{ whiteSpace: 'nowrap' }}>{r.fields[i] ?? ''}</Typography.Text>
            ),
          })),
        ]}
      />
      <Alert type="info" showIcon style={{ marginTop: 12 }} title={t('import.serverCheck')} data-testid="import-server-note" />
    </div>
  );
}
