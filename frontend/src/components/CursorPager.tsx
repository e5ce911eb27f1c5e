// The pager under a list read by cursor: the total, 第 n / m 页, and the
// previous and next buttons (the page keeps the cursors it has gone through).
import type { ReactNode } from 'react';
import { Button, Tooltip, Typography } from 'antd';
import { LeftOutlined, RightOutlined } from '@ant-design/icons';
import { useT } from '../i18n';

export function CursorPager({ testid, total, page, pages, loading, hasNext, onPrev, onNext }: {
  /** Prefix of the test ids: <testid>-pager, -total, -prev, -next. */
  testid: string;
  total: ReactNode;
  /** The page shown, from 0. */
  page: number;
  pages: number | string;
  loading: boolean;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
}) {
  const t = useT();
  return (
    <div style={{ display: 'flex', justifyContent: 'flex-end', alignItems: 'center', gap: 12, marginTop: 12, flexWrap: 'wrap' }} data-testid={`${testid}-pager`}>
      <Typography.Text type="secondary" data-testid={`${testid}-total`}>{total}</Typography.Text>
      <Typography.Text type="secondary">{t('leads.page', { page: page + 1, pages })}</Typography.Text>
      <Tooltip title={t('common.prev')}>
        <Button icon={<LeftOutlined />} disabled={page === 0 || loading} onClick={onPrev} aria-label={t('common.prev')} data-testid={`${testid}-prev`} />
      </Tooltip>
      <Tooltip title={t('common.next')}>
        <Button icon={<RightOutlined />} disabled={!hasNext || loading} onClick={onNext} aria-label={t('common.next')} data-testid={`${testid}-next`} />
      </Tooltip>
    </div>
  );
}
