// The columns of lead tables: built-in fields and one per custom field. A
// custom field's column is named by its key, the Lead field the workspace's
// typed schema serves it as (lib/typedFields); the list selects it by that
// name and sorts by its LeadOrderField value.
import type { CSSProperties, ReactNode } from 'react';
import { Tag, Tooltip, Typography } from 'antd';
import type { ColumnType } from 'antd/es/table';
import { Link } from 'react-router';
import type { LeadRowFragment } from '../../gql/graphql';
import type { FieldDef } from '../../lib/fields';
import { formatAttr } from '../../lib/fields';
import { formValue, typedOrderField } from '../../lib/typedFields';
import { fmtTime } from '../../lib/format';
import type { TFunc, MessageKey } from '../../i18n';
import { byName } from '../../lib/collate';

export type LeadRow = LeadRowFragment;

export interface ColumnOption {
  key: string;
  label: string;
  /** The LeadOrderField value when the column sorts. */
  sort?: string;
}

const builtins: { key: string; label: MessageKey; sort?: string }[] = [
  { key: 'name', label: 'lead.name', sort: 'NAME' },
  { key: 'phone', label: 'lead.phone' },
  { key: 'email', label: 'lead.email' },
  { key: 'company', label: 'lead.company' },
  { key: 'source', label: 'lead.source' },
  { key: 'owner', label: 'lead.owner' },
  { key: 'stage', label: 'lead.stage' },
  { key: 'tags', label: 'lead.tags' },
  { key: 'score', label: 'lead.score', sort: 'SCORE' },
  { key: 'tier', label: 'lead.tier' },
  { key: 'territory', label: 'lead.territory' },
  { key: 'pool', label: 'lead.pool' },
  { key: 'createdAt', label: 'lead.createdAt', sort: 'CREATED_AT' },
  { key: 'updatedAt', label: 'lead.updatedAt', sort: 'UPDATED_AT' },
  { key: 'claimedAt', label: 'lead.claimedAt', sort: 'CLAIMED_AT' },
  { key: 'lastFollowUpAt', label: 'lead.lastFollowUpAt', sort: 'LAST_FOLLOW_UP_AT' },
];

export const DEFAULT_COLUMNS = ['name', 'phone', 'source', 'owner', 'stage', 'tags', 'score', 'tier', 'createdAt'];

const BUILTIN_KEYS = new Set(builtins.map((b) => b.key));

/** The custom fields among columns (every column that is not a built-in one), in order: the typed fields a list selects. */
export function customColumns(columns: string[]): string[] {
  return columns.filter((c) => !BUILTIN_KEYS.has(c));
}

/** The columns a list can show with defs: built-in ones and live custom fields (one archived since is left out). */
export function liveColumns(columns: string[], defs: Pick<FieldDef, 'key' | 'archived'>[]): string[] {
  const live = new Set(defs.filter((d) => !d.archived).map((d) => d.key));
  return columns.filter((c) => BUILTIN_KEYS.has(c) || live.has(c));
}

export function columnOptions(t: TFunc, defs: FieldDef[]): ColumnOption[] {
  return [
    ...builtins.map((b) => ({ key: b.key, label: t(b.label), sort: b.sort })),
    ...defs.filter((d) => !d.archived).map((d) => ({ key: d.key, label: d.label, sort: d.masked || !d.sortable ? undefined : typedOrderField(d.key) })),
  ];
}

// antd's preset and status colours of Tag: a tag in one of them is drawn by
// antd's static stylesheet from its class names alone.
const TAG_STYLE: CSSProperties = { marginBottom: 2 };

const PRESET_COLORS = new Set([
  'blue', 'purple', 'cyan', 'green', 'magenta', 'pink', 'red', 'orange', 'yellow', 'volcano', 'geekblue', 'lime', 'gold',
  'success', 'processing', 'error', 'default', 'warning',
]);

/**
 * A tag in a table cell. antd's Tag runs its style, token and closable hooks
 * for each of the 150-odd tags of a page of 50 rows, on the path from the
 * list's answer to the rows on screen; a span with the same class names looks
 * the same (the browser test compares them). Other colours (a hex colour from
 * the tag's settings) take antd's Tag, which computes their shades.
 */
export function cellTag(color: string | null | undefined, children: ReactNode, key?: string, style?: CSSProperties): ReactNode {
  if (color && !PRESET_COLORS.has(color)) {
    return <Tag key={key} color={color} style={style}>{children}</Tag>;
  }
  return (
    <span key={key} className={color ? `ant-tag ant-tag-filled ant-tag-${color}` : 'ant-tag ant-tag-filled'} style={style}>
      {children}
    </span>
  );
}

function renderCell(key: string, r: LeadRow, t: TFunc, defs: FieldDef[]) {
  switch (key) {
    case 'name':
      return (
        <Link to={`/leads/${r.id}`} data-testid="lead-link">
          {r.name || <Typography.Text type="secondary">{t('leads.unnamed')}</Typography.Text>}
        </Link>
      );
    case 'phone':
      return r.phone ?? '';
    case 'email':
      return r.email ?? '';
    case 'company':
      return r.company;
    case 'source':
      return r.source;
    case 'owner':
      return r.owner?.name ?? cellTag(null, t('leads.publicPool'));
    case 'stage':
      return r.stage ? cellTag(r.stage.color || (r.stage.kind === 'WON' ? 'green' : r.stage.kind === 'LOST' ? 'default' : 'blue'), r.stage.name) : '';
    case 'tags':
      return byName(r.tags ?? []).map((tg) => cellTag(tg.color, tg.name, tg.id, TAG_STYLE));
    case 'score':
      return r.score;
    case 'tier':
      return r.tier ? cellTag({ A: 'red', B: 'orange', C: 'blue', D: 'default' }[r.tier], r.tier) : '';
    case 'territory':
      return r.territory?.name ?? '';
    case 'pool':
      return r.pool?.name ?? '';
    case 'createdAt':
    case 'updatedAt':
    case 'claimedAt':
    case 'lastFollowUpAt':
      return fmtTime(r[key]);
    default: {
      // A custom field: the row holds it as the typed field of that name.
      const def = defs.find((d) => d.key === key);
      if (!def) return '';
      const s = formatAttr(def, formValue(def, (r as Record<string, unknown>)[key]), [t('common.yes'), t('common.no')]);
      return s.length > 40 ? <Tooltip title={s}>{s.slice(0, 40)}…</Tooltip> : s;
    }
  }
}

/** Table columns for the chosen keys, in the chosen order. */
export function leadColumns(
  keys: string[],
  t: TFunc,
  defs: FieldDef[],
  sort?: { field: string; direction: 'ASC' | 'DESC' } | null,
): ColumnType<LeadRow>[] {
  const opts = columnOptions(t, defs);
  return keys.flatMap((key) => {
    const o = opts.find((x) => x.key === key);
    if (!o) return [];
    return [
      {
        key,
        dataIndex: key,
        title: o.label,
        sorter: !!o.sort,
        sortOrder: sort && o.sort && sort.field === o.sort ? (sort.direction === 'ASC' ? 'ascend' : 'descend') : null,
        ellipsis: key === 'company' || key === 'email' || !BUILTIN_KEYS.has(key),
        width: key === 'tags' ? 200 : key === 'company' || key === 'email' || !BUILTIN_KEYS.has(key) ? 160 : undefined,
        className: ['createdAt', 'updatedAt', 'claimedAt', 'lastFollowUpAt', 'phone'].includes(key) ? 'scrm-nowrap' : undefined,
        render: (_: unknown, r: LeadRow) => renderCell(key, r, t, defs),
      } as ColumnType<LeadRow>,
    ];
  });
}
