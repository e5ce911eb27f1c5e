import { Alert, Button } from 'antd';
import type { CombinedError } from 'urql';
import { errorText } from '../api/errors';
import { useT } from '../i18n';

/** An error alert for a failed read, with a retry. */
export function QueryError({ error, retry }: { error?: CombinedError; retry?: () => void }) {
  const t = useT();
  if (!error) return null;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 16 }}
      title={t('common.loadFailed')}
      description={errorText(error)}
      action={retry && <Button size="small" onClick={retry}>{t('common.retry')}</Button>}
    />
  );
}
