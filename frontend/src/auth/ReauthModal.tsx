// Signing in again over the page when the session ended (the token expired,
// was revoked or was cleared): the page stays mounted under the dialog, so
// what was typed into it is still there afterwards. Signing in as someone
// else starts afresh at the home page.
import { useState } from 'react';
import { Alert, Button, Form, Input, Modal, Space, Typography } from 'antd';
import { LockOutlined, MailOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { LoginDoc } from '../api/ops';
import { apiErrors, errorMessage } from '../api/errors';
import { useSession } from './session';
import { useT } from '../i18n';

export function ReauthModal() {
  const t = useT();
  const { viewer, resume, signIn, signOut } = useSession();
  const [{ fetching }, login] = useMutation(LoginDoc);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<{ email: string; password: string }>();

  const submit = async (v: { email: string; password: string }) => {
    setError(null);
    const res = await login({ workspace: viewer!.workspace.slug, email: v.email.trim(), password: v.password });
    const out = res.data?.login;
    if (!out) {
      const errs = apiErrors(res.error);
      setError(errs.some((e) => e.code === 'UNAUTHENTICATED') ? t('login.badCredentials') : errs.map((e) => errorMessage(e)).join('; ') || t('common.unknownError'));
      return;
    }
    if (out.user.id === viewer!.id) {
      resume(out.token);
      return;
    }
    signIn(out.token);
    window.location.assign('/');
  };

  return (
    <Modal open closable={false} maskClosable={false} keyboard={false} footer={null} title={t('session.expiredTitle')} width={420} data-testid="reauth">
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Typography.Text type="secondary">{t('session.expiredText', { workspace: viewer!.workspace.slug })}</Typography.Text>
        {error && <Alert type="error" showIcon title={error} data-testid="reauth-error" />}
        <Form form={form} layout="vertical" onFinish={submit} initialValues={{ email: viewer!.email }} requiredMark={false}>
          <Form.Item name="email" label={t('login.email')} rules={[{ required: true, type: 'email', message: t('login.emailRequired') }]}>
            <Input prefix={<MailOutlined />} autoComplete="username" data-testid="reauth-email" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" autoFocus data-testid="reauth-password" />
          </Form.Item>
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <Button onClick={signOut}>{t('session.signOut')}</Button>
            <Button type="primary" htmlType="submit" loading={fetching} data-testid="reauth-submit">{t('session.signInAgain')}</Button>
          </Space>
        </Form>
      </Space>
    </Modal>
  );
}
