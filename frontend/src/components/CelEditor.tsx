// A small editor for CEL conditions: line numbers, the problems the API
// found marked on their lines, a click on a problem moves the cursor there,
// and the variables of the workspace one click away.
import { useRef } from 'react';
import { Input, Space, Tag, Typography } from 'antd';
import type { TextAreaRef } from 'antd/es/input/TextArea';
import { offsetOf, parseCelProblems } from '../lib/cel';
import type { FieldDef } from '../lib/fields';
import { useT } from '../i18n';

interface Props {
  value?: string;
  onChange?: (v: string) => void;
  /** The API's message for this condition (extensions.field = input.condition). */
  error?: string | null;
  defs: FieldDef[];
  scoring?: boolean;
  id?: string;
}

const leadVars = ['lead.source', 'lead.stage', 'lead.stageKind', 'lead.territory', 'lead.pool', 'lead.owned', 'lead.hasPhone', 'lead.createdAt'];

export function CelEditor({ value = '', onChange, error, defs, scoring, id }: Props) {
  const t = useT();
  const ref = useRef<TextAreaRef>(null);
  const { problems, rest } = error ? parseCelProblems(error) : { problems: [], rest: '' };
  const bad = new Set(problems.map((p) => p.line));
  const lines = Math.max(3, value.split('\n').length);
  const jump = (line: number, column: number) => {
    const el = ref.current?.resizableTextArea?.textArea;
    if (!el) return;
    const off = offsetOf(value, line, column);
    el.focus();
    el.setSelectionRange(off, off + 1);
  };
  const insert = (s: string) => {
    const el = ref.current?.resizableTextArea?.textArea;
    const pos = el ? el.selectionStart : value.length;
    onChange?.(value.slice(0, pos) + s + value.slice(pos));
  };
  const vars = [
    ...leadVars.filter((v) => !(scoring && (v === 'lead.score' || v === 'lead.tier'))),
    ...defs.filter((d) => !d.archived).map((d) => `attributes.${d.key}`),
    '"tag" in tags',
    'eventCount("viewed_price", 7)',
  ];
  return (
    <div>
      <div className={`scrm-cel-wrap${error ? ' has-error' : ''}`}>
        <div className="scrm-cel-gutter scrm-cel" aria-hidden>
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} className={bad.has(i + 1) ? 'err' : undefined}>
              {i + 1}
            </div>
          ))}
        </div>
        <Input.TextArea
          id={id}
          ref={ref}
          className="scrm-cel scrm-cel-area"
          value={value}
          onChange={(e) => onChange?.(e.target.value)}
          autoSize={{ minRows: 3, maxRows: 14 }}
          spellCheck={false}
          placeholder='lead.source == "官网" && attributes.budget >= 200000.0'
          data-testid="cel-editor"
        />
      </div>
      {error && (
        <div style={{ marginTop: 6 }} data-testid="cel-errors">
          {problems.map((p, i) => (
            <div key={i}>
              <Typography.Link type="danger" onClick={() => jump(p.line, p.column)}>
                {t('cel.at', { line: p.line, column: p.column })}
              </Typography.Link>{' '}
              <Typography.Text type="danger">{p.message}</Typography.Text>
            </div>
          ))}
          {rest && <Typography.Text type="danger">{rest}</Typography.Text>}
        </div>
      )}
      <Space wrap size={4} style={{ marginTop: 6 }}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('cel.insert')}</Typography.Text>
        {vars.map((v) => (
          <Tag key={v} style={{ cursor: 'pointer', fontFamily: 'monospace' }} onClick={() => insert(v)}>{v}</Tag>
        ))}
      </Space>
    </div>
  );
}
