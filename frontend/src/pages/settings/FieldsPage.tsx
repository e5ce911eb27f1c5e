// Custom fields of leads: create, edit (type-specific settings), drag to
// reorder, archive and bring back. Values live in Lead.attributes.
import { useEffect, useMemo, useState } from 'react';
import {
  Alert, App, Button, Checkbox, Col, DatePicker, Form, Input, InputNumber, Modal, Popconfirm, Row, Select, Space, Tag, Tooltip, Typography,
} from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useMutation } from 'urql';
import { ArchiveFieldDefinitionDoc, CreateFieldDefinitionDoc, UnarchiveFieldDefinitionDoc, UpdateFieldDefinitionDoc } from '../../api/ops';
import { applyFormErrors, errorMessage, errorText } from '../../api/errors';
import { useFieldDefs } from '../../api/hooks';
import { useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';
import { DragHandle, SortableTable } from '../../components/SortableTable';
import { AttributeInput } from '../../components/AttributeInput';
import type { FieldDef } from '../../lib/fields';
import { fieldTypeLabel, indexStatusLabel } from '../../lib/labels';
import type { FieldDefinitionsQuery, FieldType } from '../../gql/graphql';

type Def = FieldDefinitionsQuery['fieldDefinitions'][number];

/** A field type as fieldTypes serves it: its input and the settings it takes (its descriptor in internal/fields). */
type TypeInfo = FieldDefinitionsQuery['fieldTypes'][number];

export default function FieldsPage() {
  const t = useT();
  const { message } = App.useApp();
  const [showArchived, setShowArchived] = useState(false);
  const { raw, types, fetching, error, refetch } = useFieldDefs(true);
  const [editing, setEditing] = useState<Def | 'new' | null>(null);
  const [, update] = useMutation(UpdateFieldDefinitionDoc);
  const [, archive] = useMutation(ArchiveFieldDefinitionDoc);
  const [, unarchive] = useMutation(UnarchiveFieldDefinitionDoc);
  const sorted = useMemo(() => [...raw].sort((a, b) => a.position - b.position), [raw]);
  const [rows, setRows] = useState<Def[]>(sorted);
  useEffect(() => setRows(sorted), [sorted]);
  const shown = rows.filter((r) => showArchived || !r.archived);

  const reorder = async (next: Def[]) => {
    const all = showArchived ? next : [...next, ...rows.filter((r) => r.archived)];
    setRows(all);
    // Positions are rewritten for the fields whose place changed.
    const changes = all.map((d, i) => ({ d, i })).filter(({ d, i }) => d.position !== i);
    const results = await Promise.all(changes.map(({ d, i }) => update({ id: d.id, input: { position: i } })));
    const failed = results.find((r) => r.error);
    if (failed) message.error(errorText(failed.error));
    else message.success(t('fields.reordered'));
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <div>
      <PageTitle
        title={t('fields.title')}
        sub={t('fields.sub')}
        extra={
          <>
            <Checkbox checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)}>{t('fields.showArchived')}</Checkbox>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="new-field">{t('fields.new')}</Button>
          </>
        }
      />
      <QueryError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <SortableTable<Def & Record<string, unknown>>
        rowKey="id"
        dataSource={shown as (Def & Record<string, unknown>)[]}
        loading={fetching}
        pagination={false}
        onReorder={(next) => reorder(next as Def[])}
        data-testid="fields-table"
        columns={[
          { key: 'drag', width: 40, render: () => <DragHandle /> },
          { title: t('fields.label'), dataIndex: 'label', render: (v: string, r) => <Space><b>{v}</b>{r.required && <Tag color="red">{t('fields.required')}</Tag>}{r.unique && <Tag color="purple">{t('fields.unique')}</Tag>}{r.archived && <Tag>{t('fields.archived')}</Tag>}</Space> },
          { title: t('fields.key'), dataIndex: 'key', render: (v: string) => <code>{v}</code> },
          { title: t('fields.type'), dataIndex: 'type', render: (v: string) => fieldTypeLabel(t, v) },
          {
            title: t('fields.options'),
            key: 'opts',
            render: (_: unknown, r) => (r.options ?? []).slice(0, 5).map((o) => <Tag key={o.value}>{o.label}</Tag>),
          },
          {
            title: t('fields.index'),
            key: 'idx',
            render: (_: unknown, r) =>
              r.indexed ? (
                <Tooltip title={r.indexError || undefined}>
                  <Tag color={r.indexStatus === 'READY' ? 'green' : r.indexStatus === 'FAILED' ? 'red' : 'processing'}>{indexStatusLabel(t, r.indexStatus)}</Tag>
                </Tooltip>
              ) : (
                '—'
              ),
          },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, r) => (
              <Space>
                <Button size="small" onClick={() => setEditing(r)}>{t('common.edit')}</Button>
                {r.archived ? (
                  <Button size="small" onClick={async () => { const x = await unarchive({ id: r.id }); if (x.error) message.error(errorText(x.error)); refetch({ requestPolicy: 'network-only' }); }}>
                    {t('fields.unarchive')}
                  </Button>
                ) : (
                  <Popconfirm title={t('fields.archiveConfirm', { label: r.label })} onConfirm={async () => { const x = await archive({ id: r.id }); if (x.error) message.error(errorText(x.error)); refetch({ requestPolicy: 'network-only' }); }}>
                    <Button size="small">{t('fields.archive')}</Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{t('fields.dragHint')}</Typography.Paragraph>
      {editing && <FieldForm def={editing === 'new' ? null : editing} types={types} nextPosition={rows.length} onClose={() => setEditing(null)} onSaved={() => refetch({ requestPolicy: 'network-only' })} />}
    </div>
  );
}

function FieldForm({ def, types, nextPosition, onClose, onSaved }: { def: Def | null; types: TypeInfo[]; nextPosition: number; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [{ fetching: creating }, create] = useMutation(CreateFieldDefinitionDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateFieldDefinitionDoc);
  const [error, setError] = useState<string | null>(null);
  const type: FieldType = Form.useWatch('type', form) ?? def?.type ?? 'TEXT';
  const options = Form.useWatch('options', form) as { value: string; label: string }[] | undefined;
  const info = types.find((x) => x.type === type);
  // What min and max mean (internal/fields Bounds); each has its labels in messages.ts.
  const bounds = (info?.settings.bounds ?? null) as 'value' | 'length' | 'time' | 'count' | null;
  const s = { options: !!info?.settings.options, pattern: !!info?.settings.pattern, bounds };
  const toDay = (x: number | null | undefined) => (x == null ? null : dayjs.unix(x));

  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const bound = (x: unknown) => (s.bounds === 'time' ? (x ? (x as dayjs.Dayjs).unix() : null) : (x as number | null | undefined) ?? null);
    const common = {
      label: v.label,
      helpText: v.helpText ?? '',
      required: !!v.required,
      unique: !!v.unique,
      indexed: !!v.indexed,
      options: s.options ? (v.options ?? []).filter((o: { value?: string }) => o?.value) : undefined,
      pattern: s.pattern ? v.pattern ?? '' : undefined,
    };
    const min = s.bounds ? bound(v.min) : null;
    const max = s.bounds ? bound(v.max) : null;
    const dflt = v.defaultValue === '' || (Array.isArray(v.defaultValue) && v.defaultValue.length === 0) ? null : v.defaultValue;
    let r;
    if (def) {
      r = await update({
        id: def.id,
        input: {
          ...common,
          type: v.type !== def.type ? v.type : undefined,
          ...(min == null ? { clearMin: def.min != null } : { min }),
          ...(max == null ? { clearMax: def.max != null } : { max }),
          ...(dflt == null ? { clearDefault: def.defaultValue != null } : { defaultValue: dflt }),
        },
      });
    } else {
      r = await create({ input: { ...common, key: v.key, type: v.type, min, max, defaultValue: dflt, position: nextPosition } });
    }
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { known: ['key', 'label', 'type', 'helpText', 'required', 'unique', 'options', 'pattern', 'min', 'max', 'defaultValue', 'indexed'] });
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    message.success(t('common.saved'));
    onSaved();
    onClose();
  };

  const previewDef: FieldDef = { id: 'x', key: 'x', label: '', type, widget: info?.widget, options: (options ?? []).filter((o) => o?.value) };
  return (
    <Modal open title={def ? t('fields.edit', { label: def.label }) : t('fields.new')} width={640} onCancel={onClose} onOk={submit} confirmLoading={creating || updating} okButtonProps={{ 'data-testid': 'field-submit' }}>
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="field-error" />}
      <Form
        form={form}
        layout="vertical"
        data-testid="field-form"
        initialValues={
          def
            ? { ...def, min: s.bounds === 'time' ? toDay(def.min) : def.min, max: s.bounds === 'time' ? toDay(def.max) : def.max, options: def.options }
            : { type: 'TEXT', required: false, unique: false, indexed: false, options: [] }
        }
      >
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="label" label={t('fields.label')} rules={[{ required: true, message: t('fields.labelRequired') }]}>
              <Input maxLength={100} data-testid="field-label" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item
              name="key"
              label={t('fields.key')}
              extra={def ? t('fields.keyFixed') : t('fields.keyHint')}
              rules={def ? [] : [{ required: true, message: t('fields.keyRequired') }, { pattern: /^[a-z][a-z0-9_]{0,62}$/, message: t('fields.keyPattern') }]}
            >
              <Input disabled={!!def} className="scrm-cel" data-testid="field-key" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="type" label={t('fields.type')} extra={def ? t('fields.typeChangeHint') : undefined}>
              <Select options={types.map((x) => ({ value: x.type, label: fieldTypeLabel(t, x.type) }))} data-testid="field-type" onChange={() => form.setFieldsValue({ min: null, max: null, defaultValue: null })} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="helpText" label={t('fields.helpText')}>
              <Input maxLength={500} />
            </Form.Item>
          </Col>
        </Row>
        <Space size="large" style={{ marginBottom: 12 }}>
          <Form.Item name="required" valuePropName="checked" noStyle><Checkbox>{t('fields.required')}</Checkbox></Form.Item>
          <Form.Item name="unique" valuePropName="checked" noStyle><Checkbox>{t('fields.unique')}</Checkbox></Form.Item>
          <Form.Item name="indexed" valuePropName="checked" noStyle><Checkbox><Tooltip title={t('fields.indexedHint')}>{t('fields.indexed')}</Tooltip></Checkbox></Form.Item>
        </Space>
        {s.options && (
          <Form.Item label={t('fields.options')} required>
            <Form.List name="options">
              {(items, { add, remove }) => (
                <>
                  {items.map((it, i) => (
                    <Space key={it.key} style={{ display: 'flex', marginBottom: 6 }} align="baseline">
                      <Form.Item name={[it.name, 'value']} rules={[{ required: true, message: t('fields.optionValue') }]} style={{ marginBottom: 0 }}>
                        <Input placeholder={t('fields.optionValue')} className="scrm-cel" data-testid={`field-option-value-${i}`} />
                      </Form.Item>
                      <Form.Item name={[it.name, 'label']} rules={[{ required: true, message: t('fields.optionLabel') }]} style={{ marginBottom: 0 }}>
                        <Input placeholder={t('fields.optionLabel')} data-testid={`field-option-label-${i}`} />
                      </Form.Item>
                      <Button icon={<DeleteOutlined />} onClick={() => remove(it.name)} aria-label={t('common.remove')} />
                    </Space>
                  ))}
                  <Button size="small" icon={<PlusOutlined />} onClick={() => add({ value: '', label: '' })} data-testid="field-add-option">{t('fields.addOption')}</Button>
                </>
              )}
            </Form.List>
          </Form.Item>
        )}
        {s.pattern && (
          <Form.Item name="pattern" label={t('fields.pattern')} extra={t('fields.patternHint')}>
            <Input className="scrm-cel" placeholder="^[A-Z]{2}\d{6}$" />
          </Form.Item>
        )}
        {s.bounds && (
          <Row gutter={12}>
            <Col span={12}>
              <Form.Item name="min" label={t(`fields.min.${s.bounds}`)}>
                {s.bounds === 'time' ? <DatePicker style={{ width: '100%' }} showTime={info?.widget === 'datetime'} /> : <InputNumber style={{ width: '100%' }} min={s.bounds === 'value' ? undefined : 0} />}
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item name="max" label={t(`fields.max.${s.bounds}`)}>
                {s.bounds === 'time' ? <DatePicker style={{ width: '100%' }} showTime={info?.widget === 'datetime'} /> : <InputNumber style={{ width: '100%' }} min={s.bounds === 'value' ? undefined : 0} />}
              </Form.Item>
            </Col>
          </Row>
        )}
        <Form.Item name="defaultValue" label={t('fields.default')}>
          <AttributeInput def={previewDef} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
