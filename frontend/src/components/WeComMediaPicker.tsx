// The media library read page by page (useMediaLibrary: the 素材库 page and
// the picker share it) and the 从素材库选择 picker of the attachment editor:
// a modal listing the stored media of one kind, newest first, paged with
// CursorPager, filtered by file name on the page shown; choosing one hands
// it to the editor, which fills the same fields an upload fills.
import { useMemo, useState } from 'react';
import { Button, Empty, Input, List, Modal, Tag, Tooltip, Typography } from 'antd';
import { useQuery } from 'urql';
import { WeComMediaPageDoc } from '../api/wecomMediaOps';
import { useI18n, type MessageKey } from '../i18n';
import { fmtNumber, fmtTime } from '../lib/format';
import { fmtBytes, refusalKey, searchByName } from '../lib/wecomMedia';
import type { WeComMediaType } from '../gql/graphql';
import { CursorPager } from './CursorPager';
import { QueryError } from './QueryError';
import type { StoredMedium } from './WeComAttachments';

/**
 * One page of the library of kind (all kinds for null), newest first, and
 * the cursors gone through: another kind starts on page one. Paused while
 * pause is true (a closed picker reads nothing).
 */
export function useMediaLibrary(kind: WeComMediaType | null, pageSize: number, pause = false) {
  const key = kind ?? '';
  // cursors[i] is the `after` of page i under the kind they were read for.
  const [paging, setPaging] = useState<{ key: string; cursors: (string | null)[] }>({ key, cursors: [null] });
  const cursors = paging.key === key ? paging.cursors : [null];
  const setCursors = (f: (c: (string | null)[]) => (string | null)[]) =>
    setPaging((p) => ({ key, cursors: f(p.key === key ? p.cursors : [null]) }));
  const page = cursors.length - 1;
  const variables = useMemo(() => ({ kind, first: pageSize, after: cursors[page] }), [kind, pageSize, cursors, page]);
  const [res, refetch] = useQuery({
    query: WeComMediaPageDoc,
    variables,
    pause,
    requestPolicy: 'cache-and-network',
    context: useMemo(() => ({ additionalTypenames: ['WeComMedia'] }), []),
  });
  const fresh = JSON.stringify(res.operation?.variables) === JSON.stringify(variables);
  const loading = res.fetching || !fresh;
  const conn = fresh ? res.data?.weComMedia : undefined;
  const total = conn?.totalCount ?? 0;
  return {
    res,
    conn,
    edges: conn?.edges ?? [],
    loading,
    total,
    page,
    pages: Math.max(1, Math.ceil(total / pageSize)),
    prev: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    next: () => conn?.pageInfo.endCursor && setCursors((c) => [...c, conn.pageInfo.endCursor ?? null]),
    reload: () => refetch({ requestPolicy: 'network-only' }),
  };
}

/** WeCom's refusal of a medium's upload (WeComMedia.uploadError). */
export interface MediaRefusal {
  code: number;
  message: string;
  at: string;
}

/**
 * 上传失败 and why, in the UI's words from the errcode (WeCom's own errmsg
 * and what to do in the tooltip): on the library's rows and the picker's.
 */
export function MediaFailure({ error, compact = false }: { error: MediaRefusal; compact?: boolean }) {
  const { t } = useI18n();
  const reason = t(refusalKey(error.code));
  return (
    <div data-testid="media-failed" data-code={error.code} style={{ marginTop: 4 }}>
      <Tooltip title={`${t('media.failedHint')} (${error.message})`}>
        <Tag color="error" style={{ marginInlineEnd: 6 }}>{t('media.failed')}</Tag>
      </Tooltip>
      <span style={{ fontSize: 12, color: 'var(--ant-color-error, #ff4d4f)' }} data-testid="media-failed-reason">
        {compact ? reason : t('media.failedAt', { reason, code: error.code, at: fmtTime(error.at) })}
      </span>
    </div>
  );
}

/** The pager under a library list: its count, page n of m, previous and next. */
export function MediaLibraryPager({ lib, testid }: { lib: ReturnType<typeof useMediaLibrary>; testid: string }) {
  const { t } = useI18n();
  return (
    <CursorPager
      testid={testid}
      total={t('media.count', { n: fmtNumber(lib.total) })}
      page={lib.page}
      pages={lib.pages}
      loading={lib.loading}
      hasNext={!!lib.conn?.pageInfo.hasNextPage}
      onPrev={lib.prev}
      onNext={() => void lib.next()}
    />
  );
}

const PICK_PAGE = 10;

/** The 从素材库选择 modal: the stored media of kind; onPick gets the one chosen. */
export function MediaPicker({ kind, open, onClose, onPick }: {
  kind: WeComMediaType;
  open: boolean;
  onClose: () => void;
  onPick: (m: StoredMedium) => void;
}) {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const lib = useMediaLibrary(kind, PICK_PAGE, !open);
  const rows = searchByName(lib.edges.map((e) => e.node), q);
  const kindName = t(`media.kind.${kind}` as MessageKey);
  return (
    <Modal
      open={open}
      onCancel={onClose}
      // The name filter starts empty at each opening.
      afterOpenChange={(opened) => !opened && setQ('')}
      footer={null}
      title={t('media.pickTitle', { kind: kindName })}
      destroyOnHidden
      data-testid="media-picker"
    >
      <Input.Search allowClear value={q} onChange={(e) => setQ(e.target.value)} placeholder={t('media.search')} data-testid="media-picker-search" style={{ marginBottom: 8 }} />
      <QueryError error={lib.res.error} retry={lib.reload} />
      <List
        loading={lib.loading && !lib.conn}
        dataSource={rows}
        size="small"
        locale={{
          emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={lib.edges.length ? t('media.noMatch') : t('media.emptyKind', { kind: kindName })} />,
        }}
        renderItem={(m) => (
          // Not List.Item's actions: at 390 px they wrap under the name and
          // squeeze 选择 into two lines. The name takes what is left; the
          // button keeps its width on the same line.
          <List.Item key={m.id} data-testid="media-picker-item" data-id={m.id}>
            <div style={{ display: 'flex', alignItems: 'center', gap: 8, width: '100%' }}>
              <div style={{ minWidth: 0, flex: '1 1 auto' }}>
                <Typography.Text style={{ overflowWrap: 'anywhere' }} data-testid="media-picker-name">{m.filename}</Typography.Text>
                <div className="scrm-muted" style={{ fontSize: 12 }}>
                  {fmtBytes(m.size)} · {fmtTime(m.createdAt)}{m.uploadedBy ? ` · ${m.uploadedBy.name}` : ''}
                </div>
                {m.uploadError && <MediaFailure error={m.uploadError} compact />}
              </div>
              <Button
                size="small"
                type="primary"
                style={{ flex: 'none', whiteSpace: 'nowrap' }}
                onClick={() => onPick(m)}
                data-testid="media-picker-choose"
              >
                {t('media.choose')}
              </Button>
            </div>
          </List.Item>
        )}
      />
      <MediaLibraryPager lib={lib} testid="media-picker" />
    </Modal>
  );
}
