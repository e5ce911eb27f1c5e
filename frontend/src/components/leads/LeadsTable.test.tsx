import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import type { ColumnType } from 'antd/es/table';
import { LeadsTable, type SortOrder } from './LeadsTable';
import type { LeadRow } from './columns';

const rows = ['a', 'b', 'c', 'd', 'e'].map((id, i) => ({ id, name: `lead ${id}`, score: i * 10 }) as unknown as LeadRow);

const columns = (sort: { key: string; order: SortOrder } | null): ColumnType<LeadRow>[] => [
  { key: 'name', title: '姓名', sorter: true, sortOrder: sort?.key === 'name' ? sort.order : null, render: (_: unknown, r: LeadRow) => r.name },
  { key: 'email', title: '邮箱', ellipsis: true, width: 160, render: (_: unknown, r: LeadRow) => `${r.id}@example.com` },
  { key: 'score', title: '评分', className: 'scrm-nowrap', render: (_: unknown, r: LeadRow) => (r as unknown as { score: number }).score },
];

/** The table with its selection and sort kept as LeadsPage keeps them. */
function Harness({ initial = [] as string[], shown = rows, loading = false }) {
  const [selected, setSelected] = useState<string[]>(initial);
  const [sort, setSort] = useState<{ key: string; order: SortOrder } | null>(null);
  return (
    <ConfigProvider locale={zhCN}>
      <output data-testid="state">{`${selected.join(',')}|${sort ? `${sort.key}:${sort.order}` : 'none'}`}</output>
      <LeadsTable
        columns={columns(sort)}
        rows={shown}
        loading={loading}
        selected={selected}
        onSelect={setSelected}
        onSort={(key, order) => setSort(order ? { key, order } : null)}
        empty="没有线索"
        data-testid="leads-table"
      />
    </ConfigProvider>
  );
}

const state = () => screen.getByTestId('state').textContent;
const rowBox = (i: number) => screen.getByLabelText(`Select row ${i + 1}`);

describe('LeadsTable', () => {
  it('draws antd table markup: a row per lead with its key, cells with the column classes', () => {
    const { container } = render(<Harness />);
    const trs = container.querySelectorAll('[data-testid=leads-table] tbody tr.ant-table-row');
    expect([...trs].map((tr) => tr.getAttribute('data-row-key'))).toEqual(['a', 'b', 'c', 'd', 'e']);
    const cells = trs[0].querySelectorAll('td');
    expect(cells[0].className).toContain('ant-table-selection-column');
    expect(cells[1].textContent).toBe('lead a');
    expect(cells[2].className).toContain('ant-table-cell-ellipsis');
    expect(cells[2].getAttribute('title')).toBe('a@example.com');
    expect(cells[3].className).toContain('scrm-nowrap');
    expect(container.querySelectorAll('col')[2].getAttribute('style')).toContain('width: 160px');
    // The table's CSS variables come with its class names.
    expect(container.querySelector('.ant-table-wrapper')?.className).toContain('ant-table-css-var');
  });

  it('selects a row, a shift-click range from it, and clears one', () => {
    render(<Harness />);
    fireEvent.click(rowBox(0));
    expect(state()).toBe('a|none');
    fireEvent.click(rowBox(3), { shiftKey: true });
    expect(state()).toBe('a,b,c,d|none');
    fireEvent.click(rowBox(1));
    expect(state()).toBe('a,c,d|none');
    expect(rowBox(1).closest('tr')?.className).not.toContain('ant-table-row-selected');
    expect(rowBox(2).closest('tr')?.className).toContain('ant-table-row-selected');
    // A shift-click that clears clears the range from the last click.
    fireEvent.click(rowBox(3), { shiftKey: true });
    expect(state()).toBe('a|none');
  });

  it('starts no shift-click range from a row of another page', () => {
    const { rerender } = render(<Harness />);
    fireEvent.click(rowBox(3));
    expect(state()).toBe('d|none');
    // The next page: the last click's row is not on it, so a shift-click sets its own row only.
    const next = ['f', 'g', 'h', 'i', 'j'].map((id) => ({ id, name: `lead ${id}`, score: 0 }) as unknown as LeadRow);
    rerender(<Harness shown={next} />);
    fireEvent.click(rowBox(1), { shiftKey: true });
    expect(state()).toBe('g|none');
    fireEvent.click(rowBox(3), { shiftKey: true });
    expect(state()).toBe('g,h,i|none');
  });

  it("selects and clears the page with the header's box; a chosen lead no longer on the page is dropped", () => {
    const { container } = render(<Harness initial={['z']} />);
    const all = screen.getByLabelText('Select all');
    fireEvent.click(rowBox(2));
    expect(state()).toBe('c|none');
    expect(container.querySelector('thead .ant-checkbox')?.className).toContain('ant-checkbox-indeterminate');
    fireEvent.click(all);
    expect(state()).toBe('a,b,c,d,e|none');
    expect(container.querySelectorAll('tbody .ant-checkbox-checked')).toHaveLength(5);
    fireEvent.click(all);
    expect(state()).toBe('|none');
  });

  it('sorts ascending, descending, then not, by click and by Enter', () => {
    const { container } = render(<Harness />);
    const name = screen.getByRole('columnheader', { name: '姓名' });
    expect(name.getAttribute('title')).toBe('点击升序');
    fireEvent.click(name);
    expect(state()).toBe('|name:ascend');
    expect(name.getAttribute('aria-sort')).toBe('ascending');
    expect(name.className).toContain('ant-table-column-sort');
    expect(container.querySelector('.ant-table-column-sorter-up')?.getAttribute('class')).toContain('active');
    fireEvent.keyDown(name, { key: 'Enter' });
    expect(state()).toBe('|name:descend');
    fireEvent.click(name);
    expect(state()).toBe('|none');
    // A column without a sorter does nothing.
    fireEvent.click(screen.getByRole('columnheader', { name: '邮箱' }));
    expect(state()).toBe('|none');
  });

  it('shows the empty text, and a spinner while the first rows load', () => {
    const { container, rerender } = render(<Harness shown={[]} />);
    expect(container.querySelector('tbody tr.ant-table-placeholder')?.textContent).toBe('没有线索');
    expect((screen.getByLabelText('Select all') as HTMLInputElement).disabled).toBe(true);
    rerender(<Harness shown={[]} loading />);
    expect(container.querySelector('tbody .ant-spin')).not.toBeNull();
  });
});
