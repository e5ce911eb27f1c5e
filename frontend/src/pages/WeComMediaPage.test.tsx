import { describe, expect, it } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App as AntApp } from 'antd';
import { MemoryRouter } from 'react-router';
import { Provider, type Client, type Operation } from 'urql';
import { fromValue } from 'wonka';
import { I18nProvider } from '../i18n';
import WeComMediaPage from './WeComMediaPage';

interface Medium {
  id: string;
  filename: string;
  uploadError?: { code: number; message: string; at: string } | null;
}

/**
 * A client over a library of media, newest first: weComMedia pages it by
 * first/after (the cursor is the last id of the page before) and
 * deleteWeComMedia removes one. queries are the `after` of each read.
 */
function fakeLibrary(media: Medium[]) {
  const queries: (string | null)[] = [];
  const remove = (op: Operation) => {
    const { id } = op.variables as { id: string };
    media.splice(media.findIndex((m) => m.id === id), 1);
    return { operation: op, data: { deleteWeComMedia: true }, stale: false, hasNext: false };
  };
  const answer = (op: Operation) => {
    const v = op.variables as { first: number; after: string | null };
    queries.push(v.after);
    const start = v.after ? media.findIndex((m) => m.id === v.after) + 1 : 0;
    const page = media.slice(start, start + v.first);
    return {
      operation: op,
      stale: false,
      hasNext: false,
      data: {
        weComMedia: {
          totalCount: media.length,
          pageInfo: { hasNextPage: start + v.first < media.length, endCursor: page.at(-1)?.id ?? null },
          edges: page.map((m) => ({
            node: { type: 'FILE', size: 2048, createdAt: '2026-12-01T08:00:00Z', uploadedBy: null, uploadError: null, ...m },
            usedBy: [],
          })),
        },
      },
    };
  };
  const client = {
    executeQuery: (op: Operation) => fromValue(answer(op)),
    executeMutation: (op: Operation) => fromValue(remove(op)),
    executeSubscription: () => fromValue({}),
    reexecuteOperation: () => {},
  } as unknown as Client;
  return { client, queries };
}

function renderPage(client: Client) {
  localStorage.setItem('scrm.lang', 'zh');
  return render(
    <Provider value={client}>
      <I18nProvider>
        <AntApp>
          <MemoryRouter initialEntries={['/wecom/media']}>
            <WeComMediaPage />
          </MemoryRouter>
        </AntApp>
      </I18nProvider>
    </Provider>,
  );
}

const names = () => screen.getAllByTestId('media-filename').map((e) => e.textContent);

describe('WeComMediaPage', () => {
  it('goes back a page when a delete empties the last one', async () => {
    // 21 files: page 1 has 20, page 2 the oldest alone.
    const media = Array.from({ length: 21 }, (_, i) => ({ id: `M${String(21 - i).padStart(2, '0')}`, filename: `文件-${21 - i}.pdf` }));
    const { client, queries } = fakeLibrary(media);
    renderPage(client);
    await waitFor(() => expect(names()).toHaveLength(20));
    fireEvent.click(screen.getByTestId('media-next'));
    await waitFor(() => expect(names()).toEqual(['文件-1.pdf']));
    expect(screen.getByTestId('media-pager').textContent).toContain('第 2 / 2 页');

    // Delete it (the Popconfirm's OK): page 2 is empty now, so page 1 is shown.
    fireEvent.click(screen.getByTestId('media-delete'));
    const confirm = await waitFor(() => {
      const b = document.querySelector<HTMLElement>('.ant-popconfirm-buttons .ant-btn-primary');
      expect(b).not.toBeNull();
      return b!;
    });
    await act(async () => {
      fireEvent.click(confirm);
    });
    await waitFor(() => expect(names()).toHaveLength(20));
    expect(names()[0]).toBe('文件-21.pdf');
    expect(screen.getByTestId('media-pager').textContent).toContain('第 1 / 1 页');
    expect(media).toHaveLength(20);
    // Page 2 was read again after the delete (empty), then page 1.
    expect(queries.lastIndexOf(null)).toBeGreaterThan(queries.lastIndexOf('M02'));
  }, 20000); // antd's table renders slowly in jsdom

  it('shows a medium WeCom refused as 上传失败 with the reason in Chinese', async () => {
    const { client } = fakeLibrary([
      { id: 'M2', filename: 'bad.mp4', uploadError: { code: 40005, message: 'invalid file type', at: '2026-12-02T09:30:00Z' } },
      { id: 'M1', filename: 'good.pdf' },
    ]);
    renderPage(client);
    await waitFor(() => expect(names()).toEqual(['bad.mp4', 'good.pdf']));
    const failed = screen.getAllByTestId('media-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].textContent).toContain('上传失败');
    expect(within(failed[0]).getByTestId('media-failed-reason').textContent).toContain('文件格式不受支持');
    expect(within(failed[0]).getByTestId('media-failed-reason').textContent).toContain('错误码 40005');
    const rows = screen.getAllByTestId('media-row');
    expect(rows.map((r) => r.getAttribute('data-failed'))).toEqual(['true', 'false']);
  });
});
