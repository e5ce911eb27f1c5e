// An input for one custom-field value whose value is already what the API
// takes: numbers, booleans, "YYYY-MM-DD" dates, RFC 3339 datetimes, option
// values (lists for multi-selects). The input is the widget the field's type
// declares (fieldTypes); a widget this file does not know is a text input.
import { DatePicker, Input, InputNumber, Select } from 'antd';
import dayjs from 'dayjs';
import { hasOptions, isNumeric, type FieldDef } from '../lib/fields';
import { useT } from '../i18n';

interface Props {
  def: FieldDef;
  value?: unknown;
  onChange?: (v: unknown) => void;
  /** Several values (IN / NOT_IN filters). */
  multiple?: boolean;
  placeholder?: string;
  style?: React.CSSProperties;
  id?: string;
  size?: 'small' | 'middle' | 'large';
}

export function AttributeInput({ def, value, onChange, multiple, placeholder, style, id, size }: Props) {
  const t = useT();
  const change = (v: unknown) => onChange?.(v);
  const common = { id, style: { width: '100%', ...style }, placeholder, size };
  const options = def.options.map((o) => ({ value: o.value, label: o.label }));

  if (multiple) {
    if (hasOptions(def)) {
      return <Select {...common} mode="multiple" allowClear options={options} value={(value as string[]) ?? []} onChange={change} />;
    }
    if (isNumeric(def)) {
      return (
        <Select
          {...common}
          mode="tags"
          tokenSeparators={[',', '，', ' ']}
          value={((value as number[]) ?? []).map(String)}
          onChange={(vs: string[]) => change(vs.map(Number).filter((n) => !Number.isNaN(n)))}
          open={false}
        />
      );
    }
    return <Select {...common} mode="tags" tokenSeparators={[',', '，']} value={(value as string[]) ?? []} onChange={change} open={false} />;
  }

  switch (def.widget) {
    case 'number':
    case 'money':
      return (
        <InputNumber
          {...common}
          value={typeof value === 'number' ? value : value == null || value === '' ? null : Number(value)}
          onChange={(v) => change(v ?? null)}
          precision={def.widget === 'money' ? 2 : undefined}
          min={def.min ?? undefined}
          max={def.max ?? undefined}
        />
      );
    case 'date':
      return (
        <DatePicker
          {...common}
          value={typeof value === 'string' && value ? dayjs(value) : null}
          onChange={(d) => change(d ? d.format('YYYY-MM-DD') : null)}
        />
      );
    case 'datetime':
      return (
        <DatePicker
          {...common}
          showTime
          value={typeof value === 'string' && value ? dayjs(value) : null}
          onChange={(d) => change(d ? d.toISOString() : null)}
        />
      );
    case 'switch':
      return (
        <Select
          {...common}
          allowClear
          value={typeof value === 'boolean' ? String(value) : undefined}
          onChange={(v: string | undefined) => change(v === undefined ? null : v === 'true')}
          options={[
            { value: 'true', label: t('common.yes') },
            { value: 'false', label: t('common.no') },
          ]}
        />
      );
    case 'select':
      return <Select {...common} allowClear options={options} value={(value as string) ?? undefined} onChange={(v) => change(v ?? null)} />;
    case 'multiSelect':
      return <Select {...common} mode="multiple" allowClear options={options} value={(value as string[]) ?? []} onChange={change} />;
    case 'textarea':
      return <Input.TextArea {...common} autoSize={{ minRows: 2, maxRows: 6 }} value={(value as string) ?? ''} onChange={(e) => change(e.target.value)} />;
    default:
      return <Input {...common} value={(value as string) ?? ''} onChange={(e) => change(e.target.value)} />;
  }
}
