// Actions on the selected leads: tag / untag, assign to a rep, release to the
// public pool at once; set or clear a field and move stage through the bulk
// dialog (bulkUpdateLeads on the selected ids: at once up to 200, else a
// job with its progress).
import { lazy, Suspense, useState } from 'react';
import { App, Button, Form, Input, Modal, Radio, Select, Space, Typography } from 'antd';
import { TagsOutlined, UserSwitchOutlined, RollbackOutlined, EditOutlined, NodeIndexOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { AssignLeadsDoc, ReleaseLeadsDoc, TagLeadsDoc, UntagLeadsDoc } from '../../api/ops';
import { errorText } from '../../api/errors';
import { useSession } from '../../auth/session';
import { useT } from '../../i18n';
import { FailureList, type Failure } from '../FailureList';

// The field edit and stage move, loaded when opened.
const BulkAllModal = lazy(() => import('./BulkAllModal').then((m) => ({ default: m.BulkAllModal })));

interface Props {
  ids: string[];
  names: Record<string, string>;
  tags: { id: string; name: string; group?: { name: string } | null }[];
  users: { id: string; name: string; active: boolean; roles: string[] }[];
  onDone: () => void;
}

export function BulkActions({ ids, names, tags, users, onDone }: Props) {
  const t = useT();
  const { can } = useSession();
  const { message, modal } = App.useApp();
  const [open, setOpen] = useState<'tag' | 'assign' | 'release' | null>(null);
  const [form] = Form.useForm();
  const [{ fetching: tagging }, tagLeads] = useMutation(TagLeadsDoc);
  const [{ fetching: untagging }, untagLeads] = useMutation(UntagLeadsDoc);
  const [{ fetching: assigning }, assignLeads] = useMutation(AssignLeadsDoc);
  const [{ fetching: releasing }, releaseLeads] = useMutation(ReleaseLeadsDoc);
  const canAssign = can('lead', 'assign');
  const canRelease = can('lead', 'release') || canAssign;
  const canEdit = can('lead', 'write') && can('lead.bulk', 'write');
  const [editing, setEditing] = useState<'update' | 'moveStage' | null>(null);

  const showFailures = (title: string, failures: Failure[]) =>
    modal.warning({ title, width: 560, content: <FailureList failures={failures} names={names} /> });

  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    if (open === 'tag') {
      const fn = v.mode === 'remove' ? untagLeads : tagLeads;
      const res = await fn({ leadIDs: ids, tagIDs: v.tagIDs });
      if (res.error) return void message.error(errorText(res.error));
      const n = v.mode === 'remove' ? (res.data as { untagLeads?: { affected: number } })?.untagLeads?.affected : (res.data as { tagLeads?: { affected: number } })?.tagLeads?.affected;
      message.success(t('bulk.tagged', { n: n ?? 0 }));
    } else if (open === 'assign') {
      const res = await assignLeads({ ids, ownerID: v.ownerID, reason: v.reason || null });
      if (res.error) return void message.error(errorText(res.error));
      const out = res.data!.assignLeads;
      message.success(t('bulk.assigned', { n: out.assigned }));
      if (out.failures.length) showFailures(t('bulk.someFailed', { n: out.failures.length }), out.failures);
    } else if (open === 'release') {
      if (canAssign) {
        const res = await assignLeads({ ids, ownerID: null, reason: v.reason || null });
        if (res.error) return void message.error(errorText(res.error));
        const out = res.data!.assignLeads;
        message.success(t('bulk.released', { n: out.assigned }));
        if (out.failures.length) showFailures(t('bulk.someFailed', { n: out.failures.length }), out.failures);
      } else {
        const res = await releaseLeads({ ids, reason: v.reason || null });
        if (res.error) return void message.error(errorText(res.error));
        message.success(t('bulk.released', { n: res.data!.releaseLeads.released }));
      }
    }
    setOpen(null);
    form.resetFields();
    onDone();
  };

  const titles = { tag: t('bulk.tag'), assign: t('bulk.assign'), release: t('bulk.release') };
  return (
    <>
      <Space wrap data-testid="bulk-actions">
        <Typography.Text>{t('bulk.selected', { n: ids.length })}</Typography.Text>
        {can('lead.tag', 'write') && (
          <Button size="small" icon={<TagsOutlined />} onClick={() => setOpen('tag')}>
            {t('bulk.tag')}
          </Button>
        )}
        {canAssign && (
          <Button size="small" icon={<UserSwitchOutlined />} onClick={() => setOpen('assign')}>
            {t('bulk.assign')}
          </Button>
        )}
        {canRelease && (
          <Button size="small" icon={<RollbackOutlined />} onClick={() => setOpen('release')}>
            {t('bulk.release')}
          </Button>
        )}
        {canEdit && (
          <Button size="small" icon={<EditOutlined />} onClick={() => setEditing('update')} data-testid="bulk-edit">
            {t('bulkEdit.update')}
          </Button>
        )}
        {canEdit && (
          <Button size="small" icon={<NodeIndexOutlined />} onClick={() => setEditing('moveStage')} data-testid="bulk-move">
            {t('bulkEdit.move')}
          </Button>
        )}
      </Space>
      {editing && (
        <Suspense fallback={null}>
          <BulkAllModal
            open
            selection
            initialKind={editing}
            where={{ idIn: ids }}
            total={ids.length}
            tags={tags}
            users={users}
            onClose={() => setEditing(null)}
            onDone={onDone}
          />
        </Suspense>
      )}
      <Modal
        open={open !== null}
        title={open ? `${titles[open]} · ${t('bulk.selected', { n: ids.length })}` : ''}
        onCancel={() => setOpen(null)}
        onOk={submit}
        confirmLoading={tagging || untagging || assigning || releasing}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" initialValues={{ mode: 'add' }} preserve={false}>
          {open === 'tag' && (
            <>
              <Form.Item name="mode">
                <Radio.Group
                  options={[
                    { value: 'add', label: t('bulk.addTags') },
                    { value: 'remove', label: t('bulk.removeTags') },
                  ]}
                />
              </Form.Item>
              <Form.Item name="tagIDs" label={t('lead.tags')} rules={[{ required: true, message: t('bulk.pickTags') }]}>
                <Select
                  mode="multiple"
                  options={tags.map((tg) => ({ value: tg.id, label: tg.group ? `${tg.group.name} / ${tg.name}` : tg.name }))}
                  showSearch={{ optionFilterProp: 'label' }}
                />
              </Form.Item>
            </>
          )}
          {open === 'assign' && (
            <Form.Item name="ownerID" label={t('bulk.assignTo')} rules={[{ required: true, message: t('bulk.pickUser') }]}>
              <Select
                showSearch={{ optionFilterProp: 'label' }}
                options={users.filter((u) => u.active).map((u) => ({ value: u.id, label: `${u.name} (${u.roles.join(', ')})` }))}
              />
            </Form.Item>
          )}
          {open === 'release' && <Typography.Paragraph>{t('bulk.releaseHint')}</Typography.Paragraph>}
          {(open === 'assign' || open === 'release') && (
            <Form.Item name="reason" label={t('bulk.reason')}>
              <Input maxLength={200} />
            </Form.Item>
          )}
        </Form>
      </Modal>
    </>
  );
}
