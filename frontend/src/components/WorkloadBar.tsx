// The signed-in rep's capacity used and claims left today, shown where they
// claim (the pool) and on their own leads (我的线索).
import { Progress, Space, Typography } from 'antd';
import { useQuery } from 'urql';
import { MyWorkloadDoc } from '../api/ops';
import { useT } from '../i18n';
import { usage } from '../lib/home';

export function WorkloadBar() {
  const t = useT();
  const [res] = useQuery({ query: MyWorkloadDoc, requestPolicy: 'cache-and-network', context: WORKLOAD_CONTEXT });
  const w = res.data?.myWorkload;
  if (!w) return null;
  const cap = usage(w.openLeads, w.capacity);
  const daily = usage(w.claimsToday, w.dailyClaimLimit);
  const bar = (u: ReturnType<typeof usage>) => (
    <Progress
      percent={u.percent}
      size="small"
      showInfo={false}
      style={{ width: 96, margin: 0 }}
      strokeColor={u.level === 'full' ? '#cf1322' : u.level === 'warning' ? '#d48806' : undefined}
    />
  );
  return (
    <Space wrap size="large" className="scrm-workload" data-testid="workload">
      <Space size={6}>
        <Typography.Text type="secondary">{t('workload.capacity')}</Typography.Text>
        <Typography.Text strong data-testid="workload-capacity">{w.openLeads} / {w.capacity}</Typography.Text>
        {bar(cap)}
      </Space>
      <Space size={6}>
        <Typography.Text type="secondary">{t('workload.claimsLeft')}</Typography.Text>
        <Typography.Text strong type={daily.level === 'full' ? 'danger' : undefined} data-testid="workload-claims-left">{daily.left}</Typography.Text>
        <Typography.Text type="secondary">({w.claimsToday} / {w.dailyClaimLimit})</Typography.Text>
        {bar(daily)}
      </Space>
    </Space>
  );
}

// A claim or release changes Lead rows: refetch the workload with them.
const WORKLOAD_CONTEXT = { additionalTypenames: ['Lead'] };
