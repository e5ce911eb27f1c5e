// What can be done to an open task, wherever it is listed (the task
// centre's own tabs and 团队, the lead page's 任务): 完成 (with an optional
// note, recorded as a follow-up on the lead), 编辑 (title, description, due
// time, and with task manage the assignee) and 取消任务 (with an optional
// reason, after a confirmation). All need task write; the API decides which
// tasks the viewer reaches. A refusal is said in the UI's language; one that
// means the list is out of date (done, cancelled or given to someone else
// meanwhile) reloads it.
import { useState, type ReactNode } from 'react';
import { Alert, App, Button, Form, Input, Modal, Space, Typography } from 'antd';
import { CheckOutlined, CloseCircleOutlined, EditOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { CompleteTaskDoc } from '../../api/ops';
import { CancelTaskDoc } from '../../api/taskOps';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { isStale, taskErrorText, type TaskAction } from '../../lib/tasks';
import { EditTaskModal, type EditTask } from './NewTaskModal';

export type ActionTask = EditTask & { status: string; lead?: { id: string } | null };

interface Open {
  action: TaskAction;
  task: ActionTask;
}

/**
 * The buttons of a task (actions(task)) and the dialog they open (dialogs,
 * rendered once by the list). changed is called after every change and after
 * a refusal that means the list is stale.
 */
export function useTaskActions(changed: () => void): { actions: (task: ActionTask, extra?: ReactNode) => ReactNode; dialogs: ReactNode } {
  const { t } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const canWrite = can('task', 'write');
  const [open, setOpen] = useState<Open | null>(null);
  const close = () => setOpen(null);

  const actions = (task: ActionTask, extra?: ReactNode) => (
    <Space size={4} wrap>
      {task.status === 'OPEN' && canWrite && (
        <>
          <Button size="small" type="primary" icon={<CheckOutlined />} onClick={() => setOpen({ action: 'complete', task })} data-testid="task-complete">{t('tasks.complete')}</Button>
          <Button size="small" icon={<EditOutlined />} onClick={() => setOpen({ action: 'edit', task })} data-testid="task-edit">{t('tasks.edit')}</Button>
          <Button size="small" danger icon={<CloseCircleOutlined />} onClick={() => setOpen({ action: 'cancel', task })} data-testid="task-cancel">{t('tasks.cancel')}</Button>
        </>
      )}
      {extra}
    </Space>
  );

  let dialogs: ReactNode = null;
  if (open?.action === 'complete') {
    const task = open.task;
    dialogs = (
      <CompleteTaskModal
        task={task}
        onClose={close}
        onDone={(note) => {
          message.success(note ? t(task.lead ? 'tasks.completedWithNote' : 'tasks.completedNoteKept', { title: task.title }) : t('tasks.completed', { title: task.title }));
          close();
          changed();
        }}
        onStale={changed}
      />
    );
  } else if (open?.action === 'edit') {
    dialogs = (
      <EditTaskModal
        task={open.task}
        onClose={close}
        onDone={(title, to) => {
          message.success(to ? t('tasks.reassigned', { title, name: to }) : t('tasks.saved', { title }));
          close();
          changed();
        }}
        onStale={changed}
      />
    );
  } else if (open?.action === 'cancel') {
    const task = open.task;
    dialogs = (
      <CancelTaskModal
        task={task}
        onClose={close}
        onDone={() => {
          message.success(t('tasks.cancelled', { title: task.title }));
          close();
          changed();
        }}
        onStale={changed}
      />
    );
  }
  return { actions, dialogs };
}

/** Asks for the optional note and completes the task. */
function CompleteTaskModal({ task, onClose, onDone, onStale }: { task: ActionTask; onClose: () => void; onDone: (note: string) => void; onStale: () => void }) {
  const { t, lang } = useI18n();
  const [form] = Form.useForm<{ note?: string }>();
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, complete] = useMutation(CompleteTaskDoc);
  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const note = (v.note ?? '').trim();
    const r = await complete({ id: task.id, note: note || null });
    if (r.error) {
      const fieldErr = r.error.graphQLErrors.find((e) => e.extensions?.field === 'note');
      if (fieldErr) form.setFields([{ name: 'note', errors: [fieldErr.message] }]);
      else setError(taskErrorText(r.error, lang, 'complete'));
      // Completed elsewhere meanwhile: the lists are out of date.
      if (isStale(r.error)) onStale();
      return;
    }
    onDone(note);
  };
  return (
    <Modal
      open
      title={t('tasks.completeTitle', { title: task.title })}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={fetching}
      okText={t('tasks.complete')}
      okButtonProps={{ 'data-testid': 'task-complete-ok' } as Record<string, string>}
      data-testid="task-complete-modal"
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="task-complete-error" />}
      <Form form={form} layout="vertical">
        <Form.Item name="note" label={t('tasks.note')}>
          <Input.TextArea rows={4} maxLength={5000} showCount placeholder={t('tasks.notePlaceholder')} data-testid="task-note" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Confirms the cancellation, with an optional reason (kept as the task's note). */
function CancelTaskModal({ task, onClose, onDone, onStale }: { task: ActionTask; onClose: () => void; onDone: () => void; onStale: () => void }) {
  const { t, lang } = useI18n();
  const [form] = Form.useForm<{ note?: string }>();
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, cancel] = useMutation(CancelTaskDoc);
  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const note = (v.note ?? '').trim();
    const r = await cancel({ id: task.id, note: note || null });
    if (r.error) {
      const fieldErr = r.error.graphQLErrors.find((e) => e.extensions?.field === 'note');
      if (fieldErr) form.setFields([{ name: 'note', errors: [fieldErr.message] }]);
      else setError(taskErrorText(r.error, lang, 'cancel'));
      if (isStale(r.error)) onStale();
      return;
    }
    onDone();
  };
  return (
    <Modal
      open
      title={t('tasks.cancelTitle', { title: task.title })}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={fetching}
      okText={t('tasks.cancelOk')}
      cancelText={t('tasks.cancelBack')}
      okButtonProps={{ danger: true, ...({ 'data-testid': 'task-cancel-ok' } as Record<string, string>) }}
      cancelButtonProps={{ 'data-testid': 'task-cancel-back' } as Record<string, string>}
      data-testid="task-cancel-modal"
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="task-cancel-error" />}
      <Typography.Paragraph>{t('tasks.cancelConfirm')}</Typography.Paragraph>
      <Form form={form} layout="vertical">
        <Form.Item name="note" label={t('tasks.cancelNote')}>
          <Input.TextArea rows={3} maxLength={5000} showCount data-testid="task-cancel-note" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
