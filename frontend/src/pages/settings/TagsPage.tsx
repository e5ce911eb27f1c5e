// Tag groups (exclusive ones keep one tag per lead) and their tags.
import { useState } from 'react';
import { Alert, App, Button, Card, Checkbox, Col, Empty, Form, Input, Modal, Row, Select, Space, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { CreateTagDoc, CreateTagGroupDoc } from '../../api/ops';
import { applyFormErrors, errorMessage } from '../../api/errors';
import { useTags } from '../../api/hooks';
import { useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';

const COLORS = ['', 'red', 'volcano', 'orange', 'gold', 'green', 'cyan', 'blue', 'geekblue', 'purple', 'magenta'];

export default function TagsPage() {
  const t = useT();
  const { groups, tags, error, fetching, refetch } = useTags();
  const [groupOpen, setGroupOpen] = useState(false);
  const [tagFor, setTagFor] = useState<string | null | undefined>(undefined); // group id, null: no group
  const reload = () => refetch({ requestPolicy: 'network-only' });
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
        {[...groups].sort((a, b) => a.position - b.position).map((g) => (
          <Col xs={24} md={12} xl={8} key={g.id}>
            <Card
              size="small"
              title={<Space>{g.name}{g.exclusive && <Tag color="orange">{t('tags.exclusive')}</Tag>}</Space>}
              extra={<Button size="small" type="link" icon={<PlusOutlined />} onClick={() => setTagFor(g.id)}>{t('tags.newTag')}</Button>}
            >
              <Space wrap>
                {(g.tags ?? []).map((x) => <Tag key={x.id} color={x.color || undefined}>{x.name}</Tag>)}
                {(g.tags ?? []).length === 0 && <Typography.Text type="secondary">{t('tags.noTags')}</Typography.Text>}
              </Space>
            </Card>
          </Col>
        ))}
        {loose.length > 0 && (
          <Col xs={24} md={12} xl={8}>
            <Card size="small" title={t('tags.ungrouped')}>
              <Space wrap>{loose.map((x) => <Tag key={x.id} color={x.color || undefined}>{x.name}</Tag>)}</Space>
            </Card>
          </Col>
        )}
      </Row>
      {groupOpen && <GroupForm onClose={() => setGroupOpen(false)} onSaved={reload} position={groups.length} />}
      {tagFor !== undefined && <TagForm groupID={tagFor} groups={groups} onClose={() => setTagFor(undefined)} onSaved={reload} />}
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
