// Tag groups (exclusive ones keep one tag per lead) and their tags: create,
// rename, move, recolour and delete. A refusal (what uses the tag, leads
// that would break an exclusive group) is said from its extensions. A tag
// or group linked to a WeCom corp tag (wecomCorpTag) is marked 企业微信;
// its renames and deletes are sent to WeCom by the server (names up to 30
// characters there), and it cannot move to another group.
import { useState, type ReactNode } from 'react';
import { Alert, App, Button, Card, Checkbox, Col, Empty, Form, Input, InputNumber, Modal, Popconfirm, Row, Select, Space, Tag, Typography, type ButtonProps } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined, WechatWorkOutlined } from '@ant-design/icons';
import { useMutation, type CombinedError } from 'urql';
import { CreateTagDoc, CreateTagGroupDoc } from '../../api/ops';
import { DeleteTagDoc, DeleteTagGroupDoc, UpdateTagDoc, UpdateTagGroupDoc } from '../../api/taxonomyOps';
import { applyFormErrors, errorMessage } from '../../api/errors';
import { useTags } from '../../api/hooks';
import { useT } from '../../i18n';
import { hasRefusalDetails, refusalLines } from '../../lib/taxonomy';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';

interface TagRow {
  id: string;
  name: string;
  color: string;
  wecomCorpTag?: boolean;
  group?: { id: string } | null;
}

interface GroupRow {
  id: string;
  name: string;
  exclusive: boolean;
  position: number;
  wecomCorpTag?: boolean;
  tags?: { id: string; name: string; color: string; wecomCorpTag?: boolean }[] | null;
}

/** WeCom's limit on a corp tag's or group's name. */
const WECOM_NAME_MAX = 30;

const COLORS = ['', 'red', 'volcano', 'orange', 'gold', 'green', 'cyan', 'blue', 'geekblue', 'purple', 'magenta'];

export default function TagsPage() {
  const t = useT();
  const { groups, tags, error, fetching, refetch } = useTags();
  const [groupOpen, setGroupOpen] = useState(false);
  const [tagFor, setTagFor] = useState<string | null | undefined>(undefined); // group id, null: no group
  const [editTag, setEditTag] = useState<TagRow | null>(null);
  const [editGroup, setEditGroup] = useState<GroupRow | null>(null);
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const tagChip = (x: { id: string; name: string; color: string; wecomCorpTag?: boolean }, groupID: string | null) => (
    <Tag
      key={x.id}
      color={x.color || undefined}
      style={{ cursor: 'pointer' }}
      data-testid={`tag-chip-${x.name}`}
      onClick={() => setEditTag({ ...x, group: groupID ? { id: groupID } : null })}
    >
      {x.name}{x.wecomCorpTag && <WechatWorkOutlined aria-label={t('tags.wecomBadge')} style={{ fontSize: 10, marginInlineStart: 4 }} />} <EditOutlined style={{ fontSize: 10 }} />
    </Tag>
  );
  const loose = tags.filter((x) => !x.group);
  return (
    <div>
      <PageTitle
        title={t('tags.title')}
        sub={t('tags.sub')}
        extra={
          <>
            <Button icon={<PlusOutlined />} onClick={() => setTagFor(null)}>{t('tags.newTag')}</Button>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setGroupOpen(true)}>{t('tags.newGroup')}</Button>
          </>
        }
      />
      <QueryError error={error} retry={reload} />
      {!fetching && groups.length === 0 && loose.length === 0 && <Empty description={t('tags.empty')} />}
      <Row gutter={[16, 16]}>
        {groups.map((g) => ( // by position, then name in pinyin order (useTags)
          <Col xs={24} md={12} xl={8} key={g.id}>
            <Card
              size="small"
              data-testid={`tag-group-${g.name}`}
              title={<Space wrap>{g.name}{g.exclusive && <Tag color="orange">{t('tags.exclusive')}</Tag>}{g.wecomCorpTag && <Tag color="green" data-testid="tag-group-wecom">{t('tags.wecomBadge')}</Tag>}</Space>}
              extra={
                <Space size={0} wrap>
                  <Button size="small" type="link" icon={<PlusOutlined />} onClick={() => setTagFor(g.id)}>{t('tags.newTag')}</Button>
                  <Button size="small" type="link" icon={<EditOutlined />} aria-label={t('tags.edit')} data-testid="tag-group-edit" onClick={() => setEditGroup(g)} />
                  <DeleteGroupButton group={g} onDeleted={reload} />
                </Space>
              }
            >
              <Space wrap>
                {(g.tags ?? []).map((x) => tagChip(x, g.id))}
                {(g.tags ?? []).length === 0 && <Typography.Text type="secondary">{t('tags.noTags')}</Typography.Text>}
              </Space>
            </Card>
          </Col>
        ))}
        {loose.length > 0 && (
          <Col xs={24} md={12} xl={8}>
            <Card size="small" title={t('tags.ungrouped')}>
              <Space wrap>{loose.map((x) => tagChip(x, null))}</Space>
            </Card>
          </Col>
        )}
      </Row>
      {groupOpen && <GroupForm onClose={() => setGroupOpen(false)} onSaved={reload} position={groups.length} />}
      {tagFor !== undefined && <TagForm groupID={tagFor} groups={groups} onClose={() => setTagFor(undefined)} onSaved={reload} />}
      {editTag && <EditTagForm tag={editTag} groups={groups} onClose={() => setEditTag(null)} onSaved={reload} />}
      {editGroup && <EditGroupForm group={editGroup} onClose={() => setEditGroup(null)} onSaved={reload} />}
    </div>
  );
}

function GroupForm({ onClose, onSaved, position }: { onClose: () => void; onSaved: () => void; position: number }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreateTagGroupDoc);
  return (
    <Modal
      open
      title={t('tags.newGroup')}
      onCancel={onClose}
      confirmLoading={fetching}
      onOk={async () => {
        setError(null);
        const v = await form.validateFields().catch(() => null);
        if (!v) return;
        const r = await create({ input: { name: v.name, exclusive: !!v.exclusive, position, tags: v.tags ?? [] } });
        if (r.error) {
          const rest = applyFormErrors(form, r.error, { known: ['name', 'exclusive', 'tags'] });
          if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
          return;
        }
        message.success(t('common.saved'));
        onSaved();
        onClose();
      }}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical">
        <Form.Item name="name" label={t('tags.groupName')} rules={[{ required: true, message: t('tags.nameRequired') }]}>
          <Input maxLength={60} />
        </Form.Item>
        <Form.Item name="exclusive" valuePropName="checked" extra={t('tags.exclusiveHint')}>
          <Checkbox>{t('tags.exclusive')}</Checkbox>
        </Form.Item>
        <Form.Item name="tags" label={t('tags.initialTags')}>
          <Select mode="tags" open={false} tokenSeparators={[',', '，']} placeholder={t('tags.initialTagsHint')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function TagForm({ groupID, groups, onClose, onSaved }: { groupID: string | null; groups: { id: string; name: string }[]; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreateTagDoc);
  return (
    <Modal
      open
      title={t('tags.newTag')}
      onCancel={onClose}
      confirmLoading={fetching}
      onOk={async () => {
        setError(null);
        const v = await form.validateFields().catch(() => null);
        if (!v) return;
        const r = await create({ input: { name: v.name, color: v.color || null, groupID: v.groupID || null } });
        if (r.error) {
          const rest = applyFormErrors(form, r.error, { known: ['name', 'color', 'groupID'] });
          if (rest.length) setError(rest.map((e) => errorMessage(e)).join('; '));
          return;
        }
        message.success(t('common.saved'));
        onSaved();
        onClose();
      }}
    >
      {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" initialValues={{ groupID: groupID ?? undefined, color: '' }}>
        <Form.Item name="name" label={t('tags.tagName')} rules={[{ required: true, message: t('tags.nameRequired') }]}>
          <Input maxLength={60} />
        </Form.Item>
        <Form.Item name="groupID" label={t('tags.group')}>
          <Select allowClear options={groups.map((g) => ({ value: g.id, label: g.name }))} />
        </Form.Item>
        <Form.Item name="color" label={t('tags.color')}>
          <Select options={COLORS.map((c) => ({ value: c, label: c ? <Tag color={c}>{c}</Tag> : t('tags.noColor') }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The lines of a refusal, for an alert or a dialog (data-testid="refusal"). */
function RefusalList({ lines }: { lines: string[] }): ReactNode {
  return (
    <div data-testid="refusal">
      {lines.map((l, i) => <div key={i}>{l}</div>)}
    </div>
  );
}

/** Shows why a delete was refused in a dialog, in the UI's language. */
function useRefusalDialog() {
  const t = useT();
  const { modal } = App.useApp();
  return (title: string, err: CombinedError, showTag = false) =>
    modal.error({ title, content: <RefusalList lines={refusalLines(err, t, showTag)} />, okText: t('common.close') });
}

function DeleteGroupButton({ group, onDeleted }: { group: GroupRow; onDeleted: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const refused = useRefusalDialog();
  const [{ fetching }, del] = useMutation(DeleteTagGroupDoc);
  return (
    <Popconfirm
      title={t('tags.deleteGroupTitle', { name: group.name, n: (group.tags ?? []).length })}
      description={<div style={{ maxWidth: 280 }}>{t('tags.deleteGroupBody')}{(group.wecomCorpTag || (group.tags ?? []).some((x) => x.wecomCorpTag)) && <> {t('tags.wecomDeleteNote')}</>}</div>}
      okText={t('common.delete')}
      okButtonProps={{ danger: true, 'data-testid': 'tag-group-delete-ok' } as ButtonProps}
      cancelText={t('common.cancel')}
      onConfirm={async () => {
        const r = await del({ id: group.id });
        if (r.error) {
          refused(t('tags.cannotDelete', { name: group.name }), r.error, true);
          return;
        }
        const wecom = group.wecomCorpTag || (group.tags ?? []).some((x) => x.wecomCorpTag);
        message.success(t(wecom ? 'tags.deletedToWeCom' : 'tags.deleted', { name: group.name }));
        onDeleted();
      }}
    >
      <Button size="small" type="link" danger icon={<DeleteOutlined />} loading={fetching} aria-label={t('tags.deleteGroup')} data-testid="tag-group-delete" />
    </Popconfirm>
  );
}

function EditGroupForm({ group, onClose, onSaved }: { group: GroupRow; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [lines, setLines] = useState<string[]>([]);
  const [{ fetching }, update] = useMutation(UpdateTagGroupDoc);
  return (
    <Modal
      open
      title={t('tags.editGroup', { name: group.name })}
      onCancel={onClose}
      confirmLoading={fetching}
      okButtonProps={{ 'data-testid': 'tag-group-save' } as ButtonProps}
      onOk={async () => {
        setLines([]);
        const v = await form.validateFields().catch(() => null);
        if (!v) return;
        const r = await update({ id: group.id, input: { name: v.name, exclusive: !!v.exclusive, position: v.position ?? group.position } });
        if (r.error) {
          if (hasRefusalDetails(r.error)) setLines(refusalLines(r.error, t));
          else if (applyFormErrors(form, r.error, { known: ['name', 'position'] }).length) setLines(refusalLines(r.error, t));
          return;
        }
        message.success(t(group.wecomCorpTag && v.name !== group.name ? 'tags.savedToWeCom' : 'common.saved'));
        onSaved();
        onClose();
      }}
    >
      {lines.length > 0 && <Alert type="error" showIcon title={t('tags.cannotSave')} description={<RefusalList lines={lines} />} style={{ marginBottom: 12 }} />}
      {group.wecomCorpTag && <Alert type="info" showIcon data-testid="tag-wecom-note" title={t('tags.wecomGroupNote')} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" initialValues={{ name: group.name, exclusive: group.exclusive, position: group.position }}>
        <Form.Item name="name" label={t('tags.groupName')} rules={[{ required: true, message: t('tags.nameRequired') }]}>
          <Input maxLength={group.wecomCorpTag ? WECOM_NAME_MAX : 100} showCount={group.wecomCorpTag} />
        </Form.Item>
        <Form.Item name="exclusive" valuePropName="checked" extra={t('tags.exclusiveOnHint')}>
          <Checkbox data-testid="tag-group-exclusive">{t('tags.exclusive')}</Checkbox>
        </Form.Item>
        <Form.Item name="position" label={t('tags.position')}>
          <InputNumber min={0} precision={0} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function EditTagForm({ tag, groups, onClose, onSaved }: { tag: TagRow; groups: { id: string; name: string }[]; onClose: () => void; onSaved: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const refused = useRefusalDialog();
  const [form] = Form.useForm();
  const [lines, setLines] = useState<string[]>([]);
  const [{ fetching }, update] = useMutation(UpdateTagDoc);
  const [{ fetching: deleting }, del] = useMutation(DeleteTagDoc);
  return (
    <Modal
      open
      title={t('tags.editTag', { name: tag.name })}
      onCancel={onClose}
      footer={(_, { OkBtn, CancelBtn }) => (
        <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
          <Popconfirm
            title={t('tags.deleteTagTitle', { name: tag.name })}
            description={<div style={{ maxWidth: 280 }}>{t('tags.deleteTagBody')}{tag.wecomCorpTag && <> {t('tags.wecomDeleteNote')}</>}</div>}
            okText={t('common.delete')}
            okButtonProps={{ danger: true, 'data-testid': 'tag-delete-ok' } as ButtonProps}
            cancelText={t('common.cancel')}
            onConfirm={async () => {
              const r = await del({ id: tag.id });
              if (r.error) {
                refused(t('tags.cannotDelete', { name: tag.name }), r.error);
                return;
              }
              message.success(t(tag.wecomCorpTag ? 'tags.deletedToWeCom' : 'tags.deleted', { name: tag.name }));
              onSaved();
              onClose();
            }}
          >
            <Button danger icon={<DeleteOutlined />} loading={deleting} data-testid="tag-delete">{t('tags.deleteTag')}</Button>
          </Popconfirm>
          <Space>
            <CancelBtn />
            <OkBtn />
          </Space>
        </Space>
      )}
      confirmLoading={fetching}
      okButtonProps={{ 'data-testid': 'tag-save' } as ButtonProps}
      onOk={async () => {
        setLines([]);
        const v = await form.validateFields().catch(() => null);
        if (!v) return;
        const input: { name: string; color: string; groupID?: string; clearGroup?: boolean } = { name: v.name, color: v.color ?? '' };
        const from = tag.group?.id ?? null;
        const to = v.groupID || null;
        if (to !== from) {
          if (to) input.groupID = to;
          else input.clearGroup = true;
        }
        const r = await update({ id: tag.id, input });
        if (r.error) {
          if (hasRefusalDetails(r.error)) setLines(refusalLines(r.error, t));
          else if (applyFormErrors(form, r.error, { known: ['name', 'color', 'groupID'] }).length) setLines(refusalLines(r.error, t));
          return;
        }
        message.success(t(tag.wecomCorpTag && v.name !== tag.name ? 'tags.savedToWeCom' : 'common.saved'));
        onSaved();
        onClose();
      }}
    >
      {lines.length > 0 && <Alert type="error" showIcon title={t('tags.cannotSave')} description={<RefusalList lines={lines} />} style={{ marginBottom: 12 }} />}
      {tag.wecomCorpTag && <Alert type="info" showIcon data-testid="tag-wecom-note" title={t('tags.wecomTagNote')} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" initialValues={{ name: tag.name, color: tag.color ?? '', groupID: tag.group?.id ?? undefined }}>
        <Form.Item name="name" label={t('tags.tagName')} rules={[{ required: true, message: t('tags.nameRequired') }]} extra={t('tags.renameHint')}>
          <Input maxLength={tag.wecomCorpTag ? WECOM_NAME_MAX : 100} showCount={tag.wecomCorpTag} data-testid="tag-name" />
        </Form.Item>
        <Form.Item name="groupID" label={t('tags.group')} extra={tag.wecomCorpTag ? t('tags.wecomNoMove') : t('tags.moveHint')}>
          <Select allowClear={!tag.wecomCorpTag} disabled={tag.wecomCorpTag} data-testid="tag-group-select" options={groups.map((g) => ({ value: g.id, label: g.name }))} />
        </Form.Item>
        <Form.Item name="color" label={t('tags.color')}>
          <Select options={COLORS.map((c) => ({ value: c, label: c ? <Tag color={c}>{c}</Tag> : t('tags.noColor') }))} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
