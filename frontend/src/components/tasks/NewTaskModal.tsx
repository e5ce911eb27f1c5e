// 新建任务: a task made by hand (createTask) for the viewer or, with task
// manage, for a member of a team the viewer manages (admin: anyone), about
// an optional lead (the lead page passes it). The API's refusals land on
// the field they name (input.title, input.dueAt, input.assigneeID).
import { useMemo, useState } from 'react';
import { Alert, DatePicker, Form, Input, Modal, Select } from 'antd';
import { useMutation, useQuery } from 'urql';
import dayjs, { type Dayjs } from 'dayjs';
import { CreateTaskDoc, TaskAssigneesDoc } from '../../api/taskOps';
import { applyFormErrors, errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { useI18n } from '../../i18n';
import { assigneeOptions } from '../../lib/taskForm';

interface Values {
  title: string;
  description?: string;
  dueAt: Dayjs;
  assigneeID?: string;
}

export function NewTaskModal({ lead, onClose, onDone }: { lead?: { id: string; name: string }; onClose: () => void; onDone: (title: string) => void }) {
  const { t, lang } = useI18n();
  const { can, viewer } = useSession();
  const manage = can('task', 'manage');
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreateTaskDoc);
  const [users] = useQuery({ query: TaskAssigneesDoc, pause: !manage });
  const options = useMemo(
    () => assigneeOptions((users.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : [])), viewer, t('tasks.me')),
    [users.data, viewer, t],
  );
  const initial = useMemo(() => ({ dueAt: dayjs().add(1, 'day').hour(10).minute(0).second(0).millisecond(0), assigneeID: viewer?.id }), [viewer]);

  const submit = async () => {
    setError(null);
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const r = await create({
      input: {
        title: v.title,
        description: v.description || null,
        dueAt: v.dueAt.toISOString(),
        assigneeID: v.assigneeID && v.assigneeID !== viewer?.id ? v.assigneeID : null,
        leadID: lead?.id ?? null,
      },
    });
    if (r.error) {
      const rest = applyFormErrors(form, r.error, { known: ['title', 'description', 'dueAt', 'assigneeID'] });
      if (rest.length > 0) setError(rest.map((e) => errorMessage(e, lang)).join('; '));
      return;
    }
    onDone(v.title);
  };

  return (
    <Modal
      open
      title={lead ? t('tasks.newForLead', { name: lead.name || t('leads.unnamed') }) : t('tasks.new')}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={fetching}
      okText={t('tasks.create')}
      okButtonProps={{ 'data-testid': 'task-new-ok' } as Record<string, string>}
      data-testid="task-new-modal"
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} data-testid="task-new-error" />}
      <Form form={form} layout="vertical" initialValues={initial}>
        <Form.Item name="title" label={t('tasks.colTitle')} rules={[{ required: true, whitespace: true, message: t('tasks.titleRequired') }]}>
          <Input maxLength={200} data-testid="task-new-title" />
        </Form.Item>
        <Form.Item name="dueAt" label={t('tasks.colDue')} rules={[{ required: true, message: t('tasks.dueRequired') }]}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} data-testid="task-new-due" />
        </Form.Item>
        {manage && (
          <Form.Item name="assigneeID" label={t('tasks.assignee')}>
            <Select showSearch optionFilterProp="label" options={options} loading={users.fetching} data-testid="task-new-assignee" />
          </Form.Item>
        )}
        <Form.Item name="description" label={t('tasks.colDescription')}>
          <Input.TextArea rows={3} maxLength={2000} showCount data-testid="task-new-description" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
