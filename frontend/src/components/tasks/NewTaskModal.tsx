// 新建任务 and 编辑: a task made by hand (createTask) for the viewer or,
// with task manage, for a member of a team the viewer manages (admin:
// anyone), about an optional lead (the lead page passes it); and an open
// task changed (updateTask: title, description, due time, and with task
// manage the assignee — only what changed is sent). The API's refusals land
// on the field they name (input.title, input.dueAt, input.assigneeID); the
// rest (a task done, cancelled or moved elsewhere meanwhile) above the form
// in the UI's language.
import { useMemo, useState } from 'react';
import { Alert, DatePicker, Form, Input, Modal, Select } from 'antd';
import { useMutation, useQuery } from 'urql';
import dayjs, { type Dayjs } from 'dayjs';
import { CreateTaskDoc, TaskAssigneesDoc, UpdateTaskDoc } from '../../api/taskOps';
import { applyFormErrors, errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { assigneeOptions } from '../../lib/taskForm';
import { isStale, taskErrorText, updateInput, type EditableTask } from '../../lib/tasks';

interface Values {
  title: string;
  description?: string;
  dueAt: Dayjs;
  assigneeID?: string;
}

export type EditTask = EditableTask & { id: string; assignee: { id: string; name: string } };

export function NewTaskModal(props: { lead?: { id: string; name: string }; onClose: () => void; onDone: (title: string) => void }) {
  return <TaskFormModal {...props} />;
}

/** Changes an open task; onDone gets its new title and, when it was given to someone else, their name. */
export function EditTaskModal({ task, onClose, onDone, onStale }: {
  task: EditTask;
  onClose: () => void;
  onDone: (title: string, reassignedTo?: string) => void;
  onStale: () => void;
}) {
  return <TaskFormModal task={task} onClose={onClose} onDone={onDone} onStale={onStale} />;
}

function TaskFormModal({ lead, task, onClose, onDone, onStale }: {
  lead?: { id: string; name: string };
  task?: EditTask;
  onClose: () => void;
  onDone: (title: string, reassignedTo?: string) => void;
  onStale?: () => void;
}) {
  const { t, lang } = useI18n();
  const { can, viewer } = useSession();
  const manage = can('task', 'manage');
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: creating }, create] = useMutation(CreateTaskDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateTaskDoc);
  const [users] = useQuery({ query: TaskAssigneesDoc, pause: !manage });
  const options = useMemo(() => {
    const out = assigneeOptions((users.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), viewer, t('tasks.me'));
    // The task's assignee stays choosable (by name) even when the form would not offer them.
    if (task && !out.some((o) => o.value === task.assignee.id)) out.push({ value: task.assignee.id, label: task.assignee.name });
    return out;
  }, [users.data, viewer, t, task]);
  const initial = useMemo(
    () =>
      task
        ? { title: task.title, description: task.description, dueAt: dayjs(task.dueAt), assigneeID: task.assignee.id }
        : { dueAt: dayjs().add(1, 'day').hour(10).minute(0).second(0).millisecond(0), assigneeID: viewer?.id },
    [viewer, task],
  );

  const refused = (err: Parameters<typeof applyFormErrors>[1]) => {
    const rest = applyFormErrors(form, err, { known: ['title', 'description', 'dueAt', 'assigneeID'] });
    if (rest.length === 0) return;
    if (task) {
      setError(taskErrorText(err, lang, 'edit'));
      if (isStale(err)) onStale?.();
    } else setError(rest.map((e) => errorMessage(e, lang)).join('; '));
  };

  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    if (task) {
      const input = updateInput(task, { ...v, assigneeID: manage ? v.assigneeID : null });
      if (!input) {
        setError(t('tasks.nothingChanged'));
        return;
      }
      const r = await update({ id: task.id, input });
      if (r.error) return refused(r.error);
      const moved = input.assigneeID ? r.data?.updateTask.assignee.name : undefined;
      onDone(r.data?.updateTask.title ?? v.title, moved);
      return;
    }
    const r = await create({
      input: {
        title: v.title,
        description: v.description || null,
        dueAt: v.dueAt.toISOString(),
        assigneeID: v.assigneeID && v.assigneeID !== viewer?.id ? v.assigneeID : null,
        leadID: lead?.id ?? null,
      },
    });
    if (r.error) return refused(r.error);
    onDone(v.title);
  };

  const title = task ? t('tasks.editTitle', { title: task.title }) : lead ? t('tasks.newForLead', { name: lead.name || t('leads.unnamed') }) : t('tasks.new');
  const prefix = task ? 'task-edit' : 'task-new';
  return (
    <Modal
      open
      title={title}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={creating || updating}
      okText={task ? t('tasks.save') : t('tasks.create')}
      okButtonProps={{ 'data-testid': `${prefix}-ok` } as Record<string, string>}
      data-testid={`${prefix}-modal`}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid={`${prefix}-error`} />}
      <Form form={form} layout="vertical" initialValues={initial}>
        <Form.Item name="title" label={t('tasks.colTitle')} rules={[{ required: true, whitespace: true, message: t('tasks.titleRequired') }]}>
          <Input maxLength={200} data-testid={`${prefix}-title`} />
        </Form.Item>
        <Form.Item name="dueAt" label={t('tasks.colDue')} rules={[{ required: true, message: t('tasks.dueRequired') }]}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} data-testid={`${prefix}-due`} />
        </Form.Item>
        {manage && (
          <Form.Item name="assigneeID" label={t('tasks.assignee')}>
            <Select showSearch optionFilterProp="label" options={options} loading={users.fetching} data-testid={`${prefix}-assignee`} />
          </Form.Item>
        )}
        <Form.Item name="description" label={t('tasks.colDescription')}>
          <Input.TextArea rows={3} maxLength={2000} showCount data-testid={`${prefix}-description`} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
