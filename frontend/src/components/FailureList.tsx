import { List, Tag, Typography } from 'antd';
import { useT } from '../i18n';
import { failureDetail, failureTitle, type Failure } from '../lib/failures';

export type { Failure };

const colors: Record<string, string> = {
  COOLDOWN: 'orange',
  DAILY_LIMIT: 'gold',
  OVER_CAPACITY: 'volcano',
  PROTECTED: 'purple',
  ALREADY_OWNED: 'blue',
  CONFLICT: 'magenta',
};

/** Why each lead of a claim or an assignment was refused. */
export function FailureList({ failures, names }: { failures: Failure[]; names: Record<string, string> }) {
  const t = useT();
  return (
    <List
      size="small"
      dataSource={failures}
      data-testid="failure-list"
      renderItem={(f) => {
        const detail = failureDetail(t, f);
        return (
          <List.Item>
            <div>
              <Typography.Text strong>{names[f.leadID] ?? f.leadID}</Typography.Text>{' '}
              <Tag color={colors[f.code] ?? 'red'} data-testid="failure-reason">{failureTitle(t, f)}</Tag>
              {detail && <div className="scrm-muted" data-testid="failure-message">{detail}</div>}
            </div>
          </List.Item>
        );
      }}
    />
  );
}
