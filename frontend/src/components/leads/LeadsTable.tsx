import { useContext, useRef, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import { Checkbox, ConfigProvider, Spin } from 'antd';
import type { ColumnType } from 'antd/es/table';
import useTableStyle from 'antd/es/table/style';
import { CaretDownOutlined, CaretUpOutlined } from '@ant-design/icons';
import type { LeadRow } from './columns';

export type SortOrder = 'ascend' | 'descend';

interface Props {
  columns: ColumnType<LeadRow>[];
  rows: LeadRow[];
  loading: boolean;
  selected: string[];
  onSelect: (ids: string[]) => void;
  /** A sortable column's header clicked: its key and the next order (null: unsorted). */
  onSort: (key: string, order: SortOrder | null) => void;
  empty: ReactNode;
  'data-testid'?: string;
}

/**
 * The leads list's table: antd Table's markup, class names and styles (its
 * style hook registers the table's CSS variables) without rc-table. A page
 * of leads is rows × columns cells, and rc-table gives every cell its own
 * component with context reads and hooks, measures the scroll bar with a
 * forced layout and keeps a row-selection machine; this draws plain cells,
 * which is most of the first render of the leads page (docs/web.md). It does
 * what the list uses of antd's Table: sortable headers (click or Enter:
 * ascending, descending, none), a check box per row with shift-click ranges,
 * the header's box for the page, ellipsis and widths per column, a loading
 * state and an empty text. Other lists keep antd's Table.
 */
export function LeadsTable({ columns, rows, loading, selected, onSelect, onSort, empty, ...rest }: Props) {
  const { getPrefixCls, locale } = useContext(ConfigProvider.ConfigContext);
  const prefix = getPrefixCls('table');
  const rootCls = `${prefix}-css-var`;
  const [hashId, cssVarCls] = useTableStyle(prefix, rootCls);
  const tableLocale = locale?.Table;
  // The lead whose box a click last set: a shift-click sets every row from
  // it, while it is on the page (not after a page change or a new read).
  const anchor = useRef<string | null>(null);

  const chosen = new Set(selected);
  const onPage = rows.filter((r) => chosen.has(r.id)).length;
  const toggleRow = (i: number, on: boolean, shift: boolean) => {
    const next = new Set(selected);
    const at = shift && anchor.current !== null ? rows.findIndex((r) => r.id === anchor.current) : -1;
    const from = at >= 0 ? at : i;
    for (let k = Math.min(from, i); k <= Math.max(from, i); k++) {
      if (on) next.add(rows[k].id);
      else next.delete(rows[k].id);
    }
    anchor.current = rows[i].id;
    onSelect(withPage((id) => next.has(id)));
  };
  const toggleAll = (on: boolean) => {
    anchor.current = null;
    onSelect(withPage(() => on));
  };
  // The page's chosen rows in its order. A chosen lead no longer on the page
  // (the list was read again) is dropped, as antd's Table does: an action on
  // the selection acts on rows in view.
  const withPage = (chosenOnPage: (id: string) => boolean) => rows.map((r) => r.id).filter(chosenOnPage);

  const nextOrder = (o: SortOrder | null | undefined): SortOrder | null => (o === 'ascend' ? 'descend' : o === 'descend' ? null : 'ascend');
  const header = (c: ColumnType<LeadRow>) => {
    const key = String(c.key);
    const cls = [`${prefix}-cell`, c.className, c.sortOrder ? `${prefix}-column-sort` : '', c.sorter ? `${prefix}-column-has-sorters` : ''].filter(Boolean).join(' ');
    const title = c.title as ReactNode;
    if (!c.sorter) {
      return <th key={key} className={cls} scope="col">{title}</th>;
    }
    const next = nextOrder(c.sortOrder);
    const hint = next === 'ascend' ? tableLocale?.triggerAsc : next === 'descend' ? tableLocale?.triggerDesc : tableLocale?.cancelSort;
    const sort = () => onSort(key, next);
    return (
      <th
        key={key}
        className={cls}
        scope="col"
        tabIndex={0}
        title={hint}
        aria-label={typeof title === 'string' ? title : undefined}
        aria-sort={c.sortOrder === 'ascend' ? 'ascending' : c.sortOrder === 'descend' ? 'descending' : undefined}
        onClick={sort}
        onKeyDown={(e: KeyboardEvent) => {
          if (e.key === 'Enter') sort();
        }}
      >
        <div className={`${prefix}-column-sorters`}>
          <span className={`${prefix}-column-title`}>{title}</span>
          <span className={`${prefix}-column-sorter ${prefix}-column-sorter-full`}>
            <span className={`${prefix}-column-sorter-inner`} aria-hidden="true">
              <CaretUpOutlined className={`${prefix}-column-sorter-up${c.sortOrder === 'ascend' ? ' active' : ''}`} />
              <CaretDownOutlined className={`${prefix}-column-sorter-down${c.sortOrder === 'descend' ? ' active' : ''}`} />
            </span>
          </span>
        </div>
      </th>
    );
  };

  const body = rows.map((r, i) => {
    const on = chosen.has(r.id);
    return (
      <tr key={r.id} data-row-key={r.id} className={`${prefix}-row ${prefix}-row-level-0${on ? ` ${prefix}-row-selected` : ''}`}>
        <td className={`${prefix}-cell ${prefix}-selection-column`}>
          <label className={`ant-checkbox-wrapper ant-checkbox-css-var${on ? ' ant-checkbox-wrapper-checked' : ''}`}>
            <span className={`ant-checkbox${on ? ' ant-checkbox-checked' : ''}`}>
              <input
                type="checkbox"
                className="ant-checkbox-input"
                aria-label={`Select row ${i + 1}`}
                checked={on}
                onChange={() => {}}
                onClick={(e: MouseEvent<HTMLInputElement>) => toggleRow(i, e.currentTarget.checked, e.shiftKey)}
              />
            </span>
          </label>
        </td>
        {columns.map((c) => {
          const v = c.render ? (c.render(undefined, r, i) as ReactNode) : null;
          const cls = [`${prefix}-cell`, c.className, c.sortOrder ? `${prefix}-column-sort` : '', c.ellipsis ? `${prefix}-cell-ellipsis` : ''].filter(Boolean).join(' ');
          return (
            <td key={String(c.key)} className={cls} title={c.ellipsis && (typeof v === 'string' || typeof v === 'number') ? String(v) : undefined}>
              {v}
            </td>
          );
        })}
      </tr>
    );
  });

  return (
    <div className={`${cssVarCls} ${rootCls} ${prefix}-wrapper ${hashId}`} style={{ overflowX: 'auto' }}>
      <div className={`${prefix} ${prefix}-middle ${cssVarCls} ${rootCls} ${hashId}`} data-testid={rest['data-testid']} aria-busy={loading}>
        <div className={`${prefix}-container`}>
          <div className={`${prefix}-content`}>
            <table style={{ tableLayout: 'auto' }}>
              <colgroup>
                <col className={`${prefix}-selection-col`} />
                {columns.map((c) => (
                  <col key={String(c.key)} style={c.width ? { width: c.width } : undefined} />
                ))}
              </colgroup>
              <thead className={`${prefix}-thead`}>
                <tr>
                  <th className={`${prefix}-cell ${prefix}-selection-column`} scope="col">
                    <div className={`${prefix}-selection`}>
                      <Checkbox
                        aria-label="Select all"
                        checked={rows.length > 0 && onPage === rows.length}
                        indeterminate={onPage > 0 && onPage < rows.length}
                        disabled={rows.length === 0}
                        onChange={(e) => toggleAll(e.target.checked)}
                      />
                    </div>
                  </th>
                  {columns.map(header)}
                </tr>
              </thead>
              <tbody className={`${prefix}-tbody`}>
                {rows.length > 0 ? (
                  body
                ) : (
                  <tr className={`${prefix}-placeholder`}>
                    <td className={`${prefix}-cell`} colSpan={columns.length + 1}>
                      {loading ? <Spin /> : empty}
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </div>
      </div>
    </div>
  );
}
