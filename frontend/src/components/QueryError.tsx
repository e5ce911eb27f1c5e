import { useEffect } from 'react';
import { Alert, Button } from 'antd';
import type { CombinedError } from 'urql';
import { errorText } from '../api/errors';
import { useT } from '../i18n';
import { RESUMED_EVENT } from '../api/client';

/** An error alert for a failed read, with a retry. */
export function QueryError({ error, retry }: { error?: CombinedError; retry?: () => void }) {
  const t = useT();
  // A read refused because the session ended runs again once the user signed in again.
  useEffect(() => {
    if (!error || !retry) return;
    window.addEventListener(RESUMED_EVENT, retry);
    return () => window.removeEventListener(RESUMED_EVENT, retry);
  }, [error, retry]);
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
