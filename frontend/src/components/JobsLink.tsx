// The line under a running job's progress in the import, export and bulk
// dialogs: the job runs on after the dialog closes, and the jobs page
// (后台任务, filtered to its kind) shows it and its result.
import { Link } from 'react-router';
import { Typography } from 'antd';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { pageRules } from '../lib/permissions';
import type { JobKind } from '../lib/jobs';

export function JobsLink({ kind }: { kind: JobKind }) {
  const t = useT();
  const { can } = useSession();
  if (!pageRules.jobs(can)) return null;
  return (
    <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0, fontSize: 12 }}>
      <Link to={`/jobs?kind=${kind}`} data-testid="jobs-link">{t('jobs.openList')}</Link>
    </Typography.Paragraph>
  );
}
