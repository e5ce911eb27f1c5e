// Signing in again over the page when the session ended (the token expired,
// was revoked or was cleared): the page stays mounted under the dialog, so
// what was typed into it is still there afterwards. Signing in as someone
// else starts afresh at the home page.
//
// The dialog can open while the user is typing in the page (a background
// read was refused): it then takes the focus to itself, not to a field, so
// the next keys go nowhere instead of into the e-mail or the password (antd's
// focus trap would otherwise put them in its first field), and after signing
// in the focus goes back to the field, which still holds what was typed.
import { useEffect, useRef, useState } from 'react';
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
  const [before] = useState(focusedElement);
  const typing = before !== null && takesText(before);
  const inside = useRef<HTMLDivElement>(null);
  const resumed = useRef(false);

  // antd's focus trap, on when it starts, moves the focus to the dialog's
  // first field if the focus is outside: it starts only once the dialog
  // itself holds the focus (the portal's node is attached a frame or more
  // after the first commit, so this looks each frame).
  const [trap, setTrap] = useState(!typing);
  useEffect(() => {
    if (!typing) return;
    let frame = 0;
    const hold = () => {
      const dialog = inside.current?.closest<HTMLElement>('[role=dialog]');
      if (dialog?.isConnected) dialog.focus({ preventScroll: true });
      if (dialog?.contains(document.activeElement)) setTrap(true);
      else frame = requestAnimationFrame(hold);
    };
    hold();
    return () => cancelAnimationFrame(frame);
  }, [typing]);

  // After the dialog is gone: its focus trap, which unmounts after this
  // component's cleanup, would take the focus back into the closing dialog.
  useEffect(() => () => {
    if (!resumed.current || !before) return;
    setTimeout(() => {
      if (before.isConnected && (document.activeElement === null || document.activeElement === document.body)) before.focus({ preventScroll: true });
    });
  }, [before]);

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
      resumed.current = true;
      resume(out.token);
      return;
    }
    signIn(out.token);
    window.location.assign('/');
  };

  return (
    <Modal open closable={false} maskClosable={false} keyboard={false} footer={null} focusable={{ trap }} title={t('session.expiredTitle')} width={420} data-testid="reauth">
      <Space orientation="vertical" style={{ width: '100%' }} ref={inside}>
        <Typography.Text type="secondary">{t('session.expiredText', { workspace: viewer!.workspace.slug })}</Typography.Text>
        {error && <Alert type="error" showIcon title={error} data-testid="reauth-error" />}
        <Form form={form} layout="vertical" onFinish={submit} initialValues={{ email: viewer!.email }} requiredMark={false}>
          <Form.Item name="email" label={t('login.email')} rules={[{ required: true, type: 'email', message: t('login.emailRequired') }]}>
            <Input prefix={<MailOutlined />} autoComplete="username" data-testid="reauth-email" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.passwordRequired') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" autoFocus={!typing} data-testid="reauth-password" />
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

/** The page's focused element when the dialog opens, if any. */
function focusedElement(): HTMLElement | null {
  const el = document.activeElement;
  return el instanceof HTMLElement && el !== document.body ? el : null;
}

const NO_TEXT = new Set(['button', 'checkbox', 'color', 'file', 'image', 'radio', 'range', 'reset', 'submit']);

/** Whether keys typed into el become text: a text field, a text area or an editable element. */
function takesText(el: HTMLElement): boolean {
  if (el.isContentEditable || el instanceof HTMLTextAreaElement) return true;
  return el instanceof HTMLInputElement && !NO_TEXT.has(el.type);
}
