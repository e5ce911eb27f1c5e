// The filter panel of the leads list (the name search sits above it): built-in
// fields, tags (any/all/none) and conditions on custom fields. A condition
// keeps its value as the typed where input takes it (lib/leadFilter
// FieldCond); the inputs show and give option values, converted here.
import { Button, Card, Col, Input, InputNumber, Row, Select, Space, Typography } from 'antd';
import { useQuery } from 'urql';
import { SegmentNamesDoc } from '../../api/ops';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import type { CompareOp, LeadTier } from '../../gql/graphql';
import { condArity, type FieldCond, type LeadFilter, type TagMode } from '../../lib/leadFilter';
import { opsFor, searchableDefs, type FieldDef } from '../../lib/fields';
import { formValue, typedValue } from '../../lib/typedFields';
import { opLabel } from '../../lib/labels';
import { AttributeInput } from '../AttributeInput';
import { useT } from '../../i18n';

interface Props {
  value: LeadFilter;
  onChange: (f: LeadFilter) => void;
  defs: FieldDef[];
  tags: { id: string; name: string; group?: { name: string } | null }[];
  stages: { id: string; name: string; pipelineName: string }[];
  users: { id: string; name: string }[];
  pools: { id: string; name: string }[];
  showOwner: boolean;
  /** Whether the viewer reads segments (the segment filter). */
  showSegments?: boolean;
}

/** The segment filter: the list narrowed to a segment's members (where.inSegment). */
function SegmentSelect({ value, onChange }: { value?: string; onChange: (id: string | undefined) => void }) {
  const t = useT();
  const [res] = useQuery({ query: SegmentNamesDoc });
  const options = (res.data?.segments.edges ?? []).flatMap((e) => (e?.node ? [{ value: e.node.id, label: e.node.name }] : []));
  // A segment the list of 200 does not hold (a link) still shows as chosen.
  if (value && !options.some((o) => o.value === value) && !res.fetching) options.push({ value, label: t('filters.segmentOther') });
  return (
    <Select
      allowClear
      showSearch={{ optionFilterProp: 'label' }}
      style={{ width: '100%' }}
      placeholder={t('filters.segment')}
      value={value}
      loading={res.fetching}
      onChange={(v) => onChange(v ?? undefined)}
      options={options}
      data-testid="filter-segment"
    />
  );
}

export function LeadFilters({ value, onChange, defs, tags, stages, users, pools, showOwner, showSegments }: Props) {
  const t = useT();
  const set = (patch: Partial<LeadFilter>) => onChange({ ...value, ...patch });
  const attrs = value.fields ?? [];
  const setAttr = (i: number, patch: Partial<FieldCond>) => set({ fields: attrs.map((a, j) => (j === i ? { ...a, ...patch } : a)) });
  const liveDefs = searchableDefs(defs);

  return (
    <Card size="small" style={{ marginBottom: 12 }} data-testid="lead-filters">
      <Row gutter={[12, 8]}>
        <Col xs={24} md={8} lg={6}>
          <Input allowClear placeholder={t('filters.phone')} value={value.phone ?? ''} onChange={(e) => set({ phone: e.target.value })} />
        </Col>
        {showOwner && (
          <Col xs={24} md={8} lg={6}>
            <Select
              allowClear
              showSearch={{ optionFilterProp: 'label' }}
              style={{ width: '100%' }}
              placeholder={t('filters.owner')}
              value={value.owner}
              onChange={(v) => set({ owner: v })}
              options={[
                { value: 'me', label: t('filters.ownerMe') },
                { value: 'none', label: t('filters.ownerNone') },
                ...users.map((u) => ({ value: u.id, label: u.name })),
              ]}
            />
          </Col>
        )}
        <Col xs={24} md={8} lg={6}>
          <Select
            mode="multiple"
            allowClear
            style={{ width: '100%' }}
            placeholder={t('filters.stage')}
            value={value.stageIDs ?? []}
            onChange={(v) => set({ stageIDs: v })}
            options={stages.map((s) => ({ value: s.id, label: `${s.pipelineName} / ${s.name}` }))}
            showSearch={{ optionFilterProp: 'label' }}
          />
        </Col>
        <Col xs={24} md={8} lg={6}>
          <Space.Compact style={{ width: '100%' }}>
            <Select<TagMode>
              style={{ width: 110 }}
              value={value.tagMode ?? 'any'}
              onChange={(m) => set({ tagMode: m })}
              options={[
                { value: 'any', label: t('filters.tagsAny') },
                { value: 'all', label: t('filters.tagsAll') },
                { value: 'none', label: t('filters.tagsNone') },
              ]}
            />
            <Select
              mode="multiple"
              allowClear
              style={{ flex: 1, minWidth: 0 }}
              placeholder={t('filters.tags')}
              value={value.tagIDs ?? []}
              onChange={(v) => set({ tagIDs: v })}
              options={tags.map((tg) => ({ value: tg.id, label: tg.group ? `${tg.group.name} / ${tg.name}` : tg.name }))}
              showSearch={{ optionFilterProp: 'label' }}
              data-testid="filter-tags"
            />
          </Space.Compact>
        </Col>
        <Col xs={24} md={8} lg={6}>
          <Select
            mode="tags"
            allowClear
            style={{ width: '100%' }}
            placeholder={t('filters.source')}
            value={value.sources ?? []}
            onChange={(v) => set({ sources: v })}
            open={false}
            tokenSeparators={[',', '，']}
          />
        </Col>
        <Col xs={24} md={8} lg={6}>
          <Select<LeadTier[]>
            mode="multiple"
            allowClear
            style={{ width: '100%' }}
            placeholder={t('filters.tier')}
            value={value.tiers ?? []}
            onChange={(v) => set({ tiers: v })}
            options={(['A', 'B', 'C', 'D'] as LeadTier[]).map((x) => ({ value: x, label: x }))}
          />
        </Col>
        <Col xs={24} md={8} lg={6}>
          <Space.Compact style={{ width: '100%' }}>
            <InputNumber style={{ width: '50%' }} placeholder={t('filters.scoreMin')} value={value.scoreMin ?? null} onChange={(v) => set({ scoreMin: v })} />
            <InputNumber style={{ width: '50%' }} placeholder={t('filters.scoreMax')} value={value.scoreMax ?? null} onChange={(v) => set({ scoreMax: v })} />
          </Space.Compact>
        </Col>
        {(showSegments || value.segmentID) && (
          <Col xs={24} md={8} lg={6}>
            <SegmentSelect value={value.segmentID} onChange={(id) => set({ segmentID: id })} />
          </Col>
        )}
        {pools.length > 1 && (
          <Col xs={24} md={8} lg={6}>
            <Select allowClear style={{ width: '100%' }} placeholder={t('filters.pool')} value={value.poolID} onChange={(v) => set({ poolID: v })} options={pools.map((p) => ({ value: p.id, label: p.name }))} />
          </Col>
        )}
      </Row>
      {attrs.length > 0 && (
        <div style={{ marginTop: 10 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('filters.customFields')}
          </Typography.Text>
        </div>
      )}
      {attrs.map((a, i) => {
        const def = liveDefs.find((d) => d.key === a.key);
        const ops = def ? opsFor(def) : [];
        const ar = def ? condArity(def, a.op) : 'one';
        // A multi-select's EQ and NEQ ("has", "lacks") take one option.
        const input = def && def.widget === 'multiSelect' && ar === 'one' ? { ...def, widget: 'select' } : def;
        const shown = (v: unknown) => (def ? formValue(def, v) : v);
        const setValue = (v: unknown) => setAttr(i, { value: def ? (typedValue(def, v) ?? undefined) : v });
        const pair = (a.value as unknown[] | undefined) ?? [];
        return (
          <Row gutter={8} key={i} style={{ marginTop: 6 }} data-testid="attr-condition">
            <Col xs={24} md={6}>
              <Select
                style={{ width: '100%' }}
                placeholder={t('filters.field')}
                value={a.key || undefined}
                onChange={(k) => {
                  const d = liveDefs.find((x) => x.key === k);
                  setAttr(i, { key: k, op: d ? (opsFor(d)[0] ?? 'EQ') : 'EQ', value: undefined });
                }}
                options={liveDefs.map((d) => ({ value: d.key, label: d.label }))}
                showSearch={{ optionFilterProp: 'label' }}
                data-testid="attr-field"
              />
            </Col>
            <Col xs={24} md={5}>
              <Select<CompareOp>
                style={{ width: '100%' }}
                value={a.op}
                onChange={(op) => setAttr(i, { op, value: def && condArity(def, op) === ar ? a.value : undefined })}
                options={ops.map((o) => ({ value: o, label: opLabel(t, o) }))}
                data-testid="attr-op"
              />
            </Col>
            <Col xs={20} md={11}>
              {input && ar === 'one' && <AttributeInput def={input} value={shown(a.value)} onChange={setValue} />}
              {input && ar === 'list' && <AttributeInput def={input} multiple value={shown(a.value)} onChange={setValue} />}
              {input && ar === 'two' && (
                <Space.Compact style={{ width: '100%' }}>
                  <AttributeInput def={input} style={{ width: '50%' }} value={pair[0]} onChange={(v) => setAttr(i, { value: [typedValue(input, v), pair[1]] })} />
                  <AttributeInput def={input} style={{ width: '50%' }} value={pair[1]} onChange={(v) => setAttr(i, { value: [pair[0], typedValue(input, v)] })} />
                </Space.Compact>
              )}
            </Col>
            <Col xs={4} md={2}>
              <Button icon={<DeleteOutlined />} onClick={() => set({ fields: attrs.filter((_, j) => j !== i) })} aria-label={t('common.remove')} />
            </Col>
          </Row>
        );
      })}
      <Space style={{ marginTop: 10 }}>
        <Button
          size="small"
          icon={<PlusOutlined />}
          disabled={liveDefs.length === 0}
          onClick={() => set({ fields: [...attrs, { key: '', op: 'EQ' }] })}
          data-testid="add-attr-condition"
        >
          {t('filters.addCustom')}
        </Button>
        <Button size="small" type="link" onClick={() => onChange({})}>
          {t('filters.clear')}
        </Button>
      </Space>
    </Card>
  );
}
