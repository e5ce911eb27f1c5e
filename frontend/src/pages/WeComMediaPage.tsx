// The WeCom media library (素材库, /wecom/media): the workspace's stored
// media (weComMedia) newest first, filtered by kind (?kind= in the URL:
// Back and reload keep it), each with its size, uploader, time and the live
// codes and broadcasts using it (links to them), and 上传失败 with the
// reason when WeCom refused the file (uploadError); paged with CursorPager.
// 上传 keeps a file of the kind chosen, with the attachment editor's checks
// (useMediaUpload). 删除 asks first; a medium in use is refused by the API
// (CONFLICT, extensions.usedBy) and the page says what uses it, the row
// stays. A phone (below 768 px) gets cards instead of the table.
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Alert, App, Button, Card, Empty, List, Popconfirm, Segmented, Select, Space, Table, Tag, Tooltip, Typography, Upload } from 'antd';
import { DeleteOutlined, FileOutlined, PictureOutlined, UploadOutlined, VideoCameraOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { DeleteWeComMediaDoc } from '../api/wecomMediaOps';
import { errorText } from '../api/errors';
import { useI18n, type MessageKey } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { MediaFailure, MediaLibraryPager, useMediaLibrary } from '../components/WeComMediaPicker';
import { mediaAccept, useMediaUpload } from '../components/WeComAttachments';
import { fmtTime } from '../lib/format';
import { useMobile } from '../lib/useMobile';
import { deleteRefusal, fmtBytes, MEDIA_KINDS, mediaUseLink, parseMediaKind, type MediaUse } from '../lib/wecomMedia';
import type { WeComMediaPageQuery, WeComMediaType } from '../gql/graphql';

type Edge = WeComMediaPageQuery['weComMedia']['edges'][number];

const PAGE_SIZE = 20;

const kindIcon: Record<WeComMediaType, React.ReactNode> = { IMAGE: <PictureOutlined />, VIDEO: <VideoCameraOutlined />, FILE: <FileOutlined /> };

export default function WeComMediaPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const mobile = useMobile();
  const [params, setParams] = useSearchParams();
  const kind = parseMediaKind(params);
  const setKind = (k: WeComMediaType | null) => {
    const next = new URLSearchParams(params);
    if (k) next.set('kind', k);
    else next.delete('kind');
    setParams(next);
    // Uploading follows the kind shown.
    if (k) setUploadKind(k);
  };
  const lib = useMediaLibrary(kind, PAGE_SIZE);
  const [uploadKind, setUploadKind] = useState<WeComMediaType>(kind ?? 'IMAGE');
  // Deleting the last row of a later page empties it: go back one.
  const { conn, loading, edges, page, prev } = lib;
  useEffect(() => {
    if (conn && !loading && edges.length === 0 && page > 0) prev();
  }, [conn, loading, edges.length, page, prev]);
  const { send, fetching: uploading } = useMediaUpload();
  const [, remove] = useMutation(DeleteWeComMediaDoc);
  // The last delete refused because something uses the medium: shown above the list.
  const [refused, setRefused] = useState<{ id: string; name: string; uses: MediaUse[] } | null>(null);

  const upload = async (file: File) => {
    const r = await send(uploadKind, file);
    if (!r.media) {
      message.error(r.errors.join('; '));
      return;
    }
    message.success(t('media.uploaded', { name: r.media.filename }));
    lib.reload();
  };

  const del = async (e: Edge) => {
    const r = await remove({ id: e.node.id });
    if (r.error) {
      const uses = deleteRefusal(r.error);
      if (uses) setRefused({ id: e.node.id, name: e.node.filename, uses });
      else message.error(errorText(r.error));
      lib.reload();
      return;
    }
    setRefused(null);
    message.success(t('media.deleted', { name: e.node.filename }));
    lib.reload();
  };

  const kindLabel = (k: WeComMediaType) => t(`media.kind.${k}` as MessageKey);
  const usedBy = (uses: MediaUse[]) =>
    uses.length ? (
      <Space size={[4, 4]} wrap data-testid="media-used-by">
        {uses.map((u) => (
          <Link key={`${u.kind}:${u.id}`} to={mediaUseLink(u)} data-testid="media-use" data-kind={u.kind}>
            <Tag style={{ marginInlineEnd: 0, cursor: 'pointer' }}>{t(`media.use.${u.kind}` as MessageKey)} · {u.name}</Tag>
          </Link>
        ))}
      </Space>
    ) : (
      <span className="scrm-muted" data-testid="media-used-by">{t('media.unused')}</span>
    );
  const uploader = (e: Edge) =>
    e.node.uploadedBy ? e.node.uploadedBy.name : <Tooltip title={t('media.uploadedByNone')}><span className="scrm-muted">—</span></Tooltip>;
  const deleteButton = (e: Edge) => (
    <Popconfirm title={t('media.deleteConfirm', { name: e.node.filename })} okText={t('common.delete')} okButtonProps={{ danger: true }} onConfirm={() => del(e)}>
      <Button size="small" danger icon={<DeleteOutlined />} data-testid="media-delete">{t('common.delete')}</Button>
    </Popconfirm>
  );
  const rowAttrs = (e: Edge) => ({
    'data-id': e.node.id,
    'data-kind': e.node.type,
    'data-used': e.usedBy.length > 0 ? 'true' : 'false',
    'data-failed': e.node.uploadError ? 'true' : 'false',
  });

  const columns = [
    {
      title: t('media.filename'), key: 'filename',
      render: (_: unknown, e: Edge) => (
        <>
          <Typography.Text style={{ overflowWrap: 'anywhere' }} data-testid="media-filename">{e.node.filename}</Typography.Text>
          {e.node.uploadError && <MediaFailure error={e.node.uploadError} />}
        </>
      ),
    },
    { title: t('media.type'), key: 'type', render: (_: unknown, e: Edge) => <Tag icon={kindIcon[e.node.type]} data-testid="media-type">{kindLabel(e.node.type)}</Tag> },
    { title: t('media.size'), key: 'size', align: 'right' as const, render: (_: unknown, e: Edge) => <span data-testid="media-size" data-bytes={e.node.size}>{fmtBytes(e.node.size)}</span> },
    { title: t('media.uploadedBy'), key: 'uploadedBy', render: (_: unknown, e: Edge) => <span data-testid="media-uploaded-by">{uploader(e)}</span> },
    { title: t('media.createdAt'), key: 'createdAt', render: (_: unknown, e: Edge) => <span data-testid="media-created">{fmtTime(e.node.createdAt)}</span> },
    { title: t('media.usedBy'), key: 'usedBy', render: (_: unknown, e: Edge) => usedBy(e.usedBy) },
    { title: t('media.actions'), key: 'actions', render: (_: unknown, e: Edge) => deleteButton(e) },
  ];

  const empty = <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={kind ? t('media.emptyKind', { kind: kindLabel(kind) }) : t('media.empty')} data-testid="media-empty" />;

  return (
    <div>
      <PageTitle
        title={t('media.title')}
        sub={t('media.sub')}
        extra={
          <Space wrap>
            <Select
              value={uploadKind}
              onChange={setUploadKind}
              options={MEDIA_KINDS.map((k) => ({ value: k, label: kindLabel(k) }))}
              style={{ width: 96 }}
              aria-label={t('media.uploadType')}
              data-testid="media-upload-type"
            />
            <Upload accept={mediaAccept(uploadKind)} showUploadList={false} beforeUpload={(file) => { void upload(file); return false; }}>
              <Button type="primary" icon={<UploadOutlined />} loading={uploading} data-testid="media-upload">{t(`media.upload.${uploadKind}` as MessageKey)}</Button>
            </Upload>
          </Space>
        }
      />
      <Segmented
        value={kind ?? 'ALL'}
        onChange={(v) => setKind(v === 'ALL' ? null : (v as WeComMediaType))}
        options={[{ value: 'ALL', label: t('media.kind.all') }, ...MEDIA_KINDS.map((k) => ({ value: k, label: kindLabel(k) }))]}
        aria-label={t('media.kindFilter')}
        data-testid="media-kind"
        style={{ marginBottom: 12 }}
      />
      {refused && (
        <Alert
          type="warning"
          showIcon
          closable={{ onClose: () => setRefused(null) }}
          style={{ marginBottom: 12 }}
          data-testid="media-in-use"
          title={t('media.inUse', { name: refused.name })}
          description={usedBy(refused.uses)}
        />
      )}
      <QueryError error={lib.res.error} retry={lib.reload} />
      {mobile ? (
        <List
          loading={lib.loading && !lib.conn}
          dataSource={lib.edges}
          locale={{ emptyText: empty }}
          data-testid="media-cards"
          renderItem={(e) => (
            <List.Item style={{ padding: '4px 0', border: 0 }}>
              <Card size="small" style={{ width: '100%' }} data-testid="media-row" {...rowAttrs(e)}>
                <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8, alignItems: 'flex-start' }}>
                  <Typography.Text strong style={{ minWidth: 0, overflowWrap: 'anywhere' }} data-testid="media-filename">{e.node.filename}</Typography.Text>
                  <Tag icon={kindIcon[e.node.type]} style={{ marginInlineEnd: 0 }} data-testid="media-type">{kindLabel(e.node.type)}</Tag>
                </div>
                <div className="scrm-muted" style={{ marginTop: 4, fontSize: 12 }}>
                  <span data-testid="media-size" data-bytes={e.node.size}>{fmtBytes(e.node.size)}</span> · <span data-testid="media-uploaded-by">{uploader(e)}</span> ·{' '}
                  <span data-testid="media-created">{fmtTime(e.node.createdAt)}</span>
                </div>
                {e.node.uploadError && <MediaFailure error={e.node.uploadError} />}
                <div style={{ marginTop: 6 }}>{usedBy(e.usedBy)}</div>
                <div style={{ marginTop: 8 }}>{deleteButton(e)}</div>
              </Card>
            </List.Item>
          )}
        />
      ) : (
        <Table<Edge>
          rowKey={(e) => e.node.id}
          size="middle"
          columns={columns}
          dataSource={lib.edges}
          loading={lib.loading && !lib.conn}
          pagination={false}
          tableLayout="auto"
          data-testid="media-table"
          onRow={(e) => ({ 'data-testid': 'media-row', ...rowAttrs(e) }) as React.HTMLAttributes<HTMLElement>}
          locale={{ emptyText: empty }}
        />
      )}
      <MediaLibraryPager lib={lib} testid="media" />
    </div>
  );
}
