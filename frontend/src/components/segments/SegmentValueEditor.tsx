// The value part of a segment builder rule, by field: custom and built-in
// fields use the same typed inputs as lead forms; tags, stages, owners,
// events and saved segments get their own pickers.
import { Input, InputNumber, Select, Space } from 'antd';
import type { ValueEditorProps } from 'react-querybuilder';
import type { CompareOp } from '../../gql/graphql';
import { arity } from '../../lib/fields';
import type { EventValue } from '../../lib/segmentRule';
import { AttributeInput } from '../AttributeInput';
import { useBuilderData } from './builderContext';
import { builtinDef } from './fields';
import { useT } from '../../i18n';

export function SegmentValueEditor(props: ValueEditorProps) {
  const { field, operator, value, handleOnChange } = props;
  const data = useBuilderData();
  const t = useT();
  const wide = { minWidth: 220 };

  if (field === 'tag') {
    return (
      <Select
        mode="multiple"
        style={wide}
        placeholder={t('filters.tags')}
        value={(value as string[]) ?? []}
        onChange={handleOnChange}
        options={data.tags.map((x) => ({ value: x.id, label: x.group ? `${x.group.name} / ${x.name}` : x.name }))}
        showSearch={{ optionFilterProp: 'label' }}
        data-testid="seg-tag-value"
      />
    );
  }
  if (field === 'stage') {
    return (
      <Select
        mode="multiple"
        style={wide}
        value={(value as string[]) ?? []}
        onChange={handleOnChange}
        options={data.stages.map((s) => ({ value: s.id, label: `${s.pipelineName} / ${s.name}` }))}
        showSearch={{ optionFilterProp: 'label' }}
      />
    );
  }
  if (field === 'owner') {
    if (operator !== 'in') return null;
    return (
      <Select
        mode="multiple"
        style={wide}
        value={(value as string[]) ?? []}
        onChange={handleOnChange}
        options={data.users.map((u) => ({ value: u.id, label: u.name }))}
        showSearch={{ optionFilterProp: 'label' }}
      />
    );
  }
  if (field === 'segment') {
    return (
      <Select
        style={wide}
        placeholder={t('segment.pickSegment')}
        value={(value as string) || undefined}
        onChange={handleOnChange}
        options={data.segments.map((s) => ({ value: s.id, label: s.name }))}
        showSearch={{ optionFilterProp: 'label' }}
      />
    );
  }
  if (field === 'event') {
    const v = (value as EventValue) ?? { name: '' };
    const set = (patch: Partial<EventValue>) => handleOnChange({ ...v, ...patch });
    return (
      <Space wrap size={4}>
        <Input style={{ width: 160 }} placeholder={t('segment.eventName')} value={v.name} onChange={(e) => set({ name: e.target.value })} data-testid="seg-event-name" />
        {operator === 'did' && (
          <>
            <span>{t('segment.atLeast')}</span>
            <InputNumber min={0} style={{ width: 70 }} value={v.minCount ?? null} onChange={(n) => set({ minCount: n })} />
            <span>{t('segment.times')}</span>
          </>
        )}
        <span>{t('segment.withinLast')}</span>
        <InputNumber min={1} max={3650} style={{ width: 80 }} value={v.withinDays ?? null} onChange={(n) => set({ withinDays: n })} />
        <span>{t('segment.days')}</span>
      </Space>
    );
  }
  const isBuiltin = field.startsWith('builtin:');
  const key = field.slice(field.indexOf(':') + 1);
  const def = isBuiltin ? builtinDef(key, data.territories) : data.defs.find((d) => d.key === key);
  if (!def) return null;
  const ar = arity(operator as CompareOp);
  if (ar === 'none') return null;
  if (ar === 'list') return <AttributeInput def={def} multiple value={value} onChange={handleOnChange} style={wide} />;
  if (ar === 'two') {
    const pair = Array.isArray(value) ? value : [null, null];
    return (
      <Space.Compact style={{ minWidth: 280 }}>
        <AttributeInput def={def} value={pair[0]} onChange={(x) => handleOnChange([x, pair[1]])} />
        <AttributeInput def={def} value={pair[1]} onChange={(x) => handleOnChange([pair[0], x])} />
      </Space.Compact>
    );
  }
  return (
    <span data-testid={`seg-value-${key}`} style={{ display: 'inline-block', ...wide }}>
      <AttributeInput def={def} value={value} onChange={handleOnChange} />
    </span>
  );
}
