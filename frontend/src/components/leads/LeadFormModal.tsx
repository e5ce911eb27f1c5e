// Creating one lead through ingestLeads, the same cleaning and de-duplication
// as every other source: the answer is CREATED, MERGED into an existing lead,
// or REJECTED with errors per field.
import { useMemo, useState } from 'react';
import { Alert, App, Col, Divider, Form, Input, Modal, Row, Select } from 'antd';
import { useMutation } from 'urql';
import { useNavigate } from 'react-router';
import { IngestLeadsDoc } from '../../api/ops';
import { applyFormErrors, errorMessage } from '../../api/errors';
import type { FieldDef } from '../../lib/fields';
import { AttributeInput } from '../AttributeInput';
import { useT } from '../../i18n';
import { useViewer } from '../../auth/session';
import { mergeNotice } from '../../lib/mergeNotice';
import { typedErrorMap, typedInput } from '../../lib/typedFields';

interface Props {
  open: boolean;
  onClose: () => void;
  onCreated: () => void;
  defs: FieldDef[];
  tags: { id: string; name: string }[];
  territories: { id: string; name: string }[];
  /** Whether the territory picker is shown (fixed, so the form does not shift when territories arrive). */
  showTerritory: boolean;
}

const builtin = ['name', 'phone', 'email', 'company', 'source', 'sourceDetail', 'territoryID', 'tags', 'attributes', 'externalID'];

export function LeadFormModal({ open, onClose, onCreated, defs, tags, territories, showTerritory }: Props) {
  const t = useT();
  const navigate = useNavigate();
  const { message, modal } = App.useApp();
  const viewer = useViewer();
  const [form] = Form.useForm();
  const [{ fetching }, ingest] = useMutation(IngestLeadsDoc);
  const [error, setError] = useState<string | null>(null);
  // One key per opened form: a double submit cannot create the lead twice.
  const idemKey = useMemo(() => (open ? `web-${Date.now()}-${Math.random().toString(36).slice(2)}` : ''), [open]);
  const liveDefs = defs.filter((d) => !d.archived);

  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    // Custom fields as the workspace's typed LeadInput fields (enum names
    // for options), empty ones left out.
    const lead = {
      ...typedInput(liveDefs, v.attributes, { omitEmpty: true }),
      name: v.name || null,
      phone: v.phone || null,
      email: v.email || null,
      company: v.company || null,
      source: v.source || null,
      sourceDetail: v.sourceDetail || null,
      territoryID: v.territoryID || null,
      externalID: v.externalID || null,
      tags: v.tags?.length ? v.tags : null,
    };
    const res = await ingest({ input: { leads: [lead], idempotencyKey: idemKey, source: 'web' } });
    if (res.error) {
      const rest = applyFormErrors(form, res.error, { strip: ['leads[0].'], known: builtin, map: typedErrorMap(liveDefs, ['input.leads[0].']) });
      if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
      return;
    }
    const row = res.data!.ingestLeads.results[0];
    if (row.status === 'REJECTED') {
      const custom = typedErrorMap(liveDefs, ['']);
      form.setFields(
        row.errors.map((e) => ({
          name: custom[e.field] ?? [e.field.replace(/\[\d+\]$/, '')],
          errors: [e.message],
        })),
      );
      const unplaced = row.errors.filter((e) => !custom[e.field] && !builtin.includes(e.field.split(/[.[]/)[0]));
      setError(unplaced.length ? unplaced.map((e) => `${e.field}: ${e.message}`).join('; ') : t('leadForm.rejected'));
      return;
    }
    form.resetFields();
    onCreated();
    onClose();
    if (row.status !== 'MERGED') {
      message.success(t('leadForm.created'));
      if (row.lead) navigate(`/leads/${row.lead.id}`);
      return;
    }
    // Merged: say whose lead it is, as far as the viewer may know, and
    // offer to open it when they may.
    const n = mergeNotice(row.lead, viewer.id);
    const content =
      n.kind === 'hidden' ? t('leadForm.mergedHidden')
        : n.kind === 'mine' ? t('leadForm.mergedMine', { lead: n.lead })
          : n.kind === 'colleague' ? t('leadForm.mergedColleague', { lead: n.lead, owner: n.owner })
            : n.kind === 'pool' ? t('leadForm.mergedPool', { lead: n.lead, pool: n.pool })
              : t('leadForm.mergedUnowned', { lead: n.lead });
    const body = <div data-testid="lead-merged" data-kind={n.kind}>{content}</div>;
    if (n.kind === 'hidden') {
      modal.info({ title: t('leadForm.mergedTitle'), content: body });
      return;
    }
    modal.confirm({
      title: t('leadForm.mergedTitle'),
      content: body,
      okText: t('leadForm.openLead'),
      cancelText: t('common.close'),
      onOk: () => navigate(`/leads/${n.leadID}`),
    });
  };

  return (
    <Modal
      open={open}
      title={t('leadForm.title')}
      width={720}
      onCancel={onClose}
      onOk={submit}
      okText={t('common.create')}
      confirmLoading={fetching}
      destroyOnHidden
      okButtonProps={{ 'data-testid': 'lead-form-submit' }}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="lead-form-error" />}
      <Form form={form} layout="vertical" preserve={false} data-testid="lead-form">
        <Row gutter={12}>
          <Col span={12}>
            <Form.Item name="name" label={t('lead.name')}>
              <Input maxLength={200} data-testid="lead-form-name" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="phone" label={t('lead.phone')} extra={t('leadForm.phoneHint')}>
              <Input maxLength={40} data-testid="lead-form-phone" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="email" label={t('lead.email')}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="company" label={t('lead.company')}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="source" label={t('lead.source')}>
              <Input maxLength={100} placeholder="web" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="sourceDetail" label={t('lead.sourceDetail')}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          {showTerritory && (
            <Col span={12}>
              <Form.Item name="territoryID" label={t('lead.territory')}>
                <Select allowClear options={territories.map((x) => ({ value: x.id, label: x.name }))} />
              </Form.Item>
            </Col>
          )}
          <Col span={showTerritory ? 12 : 24}>
            <Form.Item name="tags" label={t('lead.tags')} extra={t('leadForm.tagsHint')}>
              <Select mode="tags" options={tags.map((x) => ({ value: x.name, label: x.name }))} />
            </Form.Item>
          </Col>
        </Row>
        {liveDefs.length > 0 && <Divider titlePlacement="start" plain>{t('leadForm.customFields')}</Divider>}
        <Row gutter={12}>
          {liveDefs.map((d) => (
            <Col span={d.widget === 'textarea' ? 24 : 12} key={d.key}>
              <Form.Item
                name={['attributes', d.key]}
                label={d.label}
                tooltip={d.helpText || undefined}
                rules={d.required ? [{ required: true, message: t('leadForm.required', { field: d.label }) }] : []}
              >
                <AttributeInput def={d} />
              </Form.Item>
            </Col>
          ))}
        </Row>
      </Form>
    </Modal>
  );
}
