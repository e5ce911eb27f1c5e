import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { LockOutlined, MailOutlined, ApartmentOutlined, GlobalOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { LoginDoc } from '../api/ops';
import { useSession } from '../auth/session';
import { useI18n } from '../i18n';
import { apiErrors, errorMessage } from '../api/errors';

const WS_KEY = 'scrm.lastWorkspace';

interface LoginForm {
  workspace: string;
  email: string;
  password: string;
}

export function LoginPage() {
  const { t, lang, setLang } = useI18n();
  const { signIn } = useSession();
  const [form] = Form.useForm<LoginForm>();
  const [{ fetching }, login] = useMutation(LoginDoc);
  const [error, setError] = useState<string | null>(null);

  const submit = async (v: LoginForm) => {
    setError(null);
    const res = await login({ workspace: v.workspace.trim(), email: v.email.trim(), password: v.password });
    if (res.data?.login) {
      localStorage.setItem(WS_KEY, v.workspace.trim());
      signIn(res.data.login.token);
      return;
    }
    const errs = apiErrors(res.error);
    const wrong = errs.some((e) => e.code === 'UNAUTHENTICATED');
    setError(wrong ? t('login.badCredentials') : errs.map((e) => errorMessage(e)).join('; ') || t('common.unknownError'));
  };

  return (
    <div className="scrm-login">
      <Card style={{ width: 400, boxShadow: '0 8px 24px rgba(0,0,0,.06)' }}>
        <Space orientation="vertical" size="large" style={{ width: '100%' }}>
          <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'baseline' }}>
            <Typography.Title level={3} style={{ margin: 0 }}>
              scrm
            </Typography.Title>
            <Button type="link" size="small" icon={<GlobalOutlined />} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
              {lang === 'zh' ? 'English' : '中文'}
            </Button>
          </div>
          <Typography.Text type="secondary">{t('login.subtitle')}</Typography.Text>
          {error && <Alert type="error" showIcon title={error} data-testid="login-error" />}
          <Form
            form={form}
            layout="vertical"
            onFinish={submit}
            initialValues={{ workspace: localStorage.getItem(WS_KEY) ?? '' }}
            requiredMark={false}
          >
            <Form.Item name="workspace" label={t('login.workspace')} rules={[{ required: true, message: t('login.workspaceRequired') }]}>
              <Input prefix={<ApartmentOutlined />} placeholder="demo" autoComplete="organization" data-testid="login-workspace" />
            </Form.Item>
            <Form.Item name="email" label={t('login.email')} rules={[{ required: true, type: 'email', message: t('login.emailRequired') }]}>
              <Input prefix={<MailOutlined />} placeholder="admin@demo.scrm.dev" autoComplete="username" data-testid="login-email" />
            </Form.Item>
            <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
              <Input.Password prefix={<LockOutlined />} autoComplete="current-password" data-testid="login-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={fetching} data-testid="login-submit">
              {t('login.submit')}
            </Button>
          </Form>
        </Space>
      </Card>
    </div>
  );
}
