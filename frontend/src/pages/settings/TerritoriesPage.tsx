// Territories: a tree (region → province → city, or by industry). Users,
// partners and leads are attached to territories; a territory includes the
// ones below it.
import { useMemo, useState } from 'react';
import { Alert, App, Button, Card, Empty, Form, Input, Modal, Select, Tree, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { CreateTerritoryDoc } from '../../api/ops';
import { applyFormErrors, errorMessage } from '../../api/errors';
import { useTerritories } from '../../api/hooks';
import { useT } from '../../i18n';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';

interface Node {
  key: string;
  title: string;
  children: Node[];
}

function territoryTree(list: { id: string; name: string; parent?: { id: string } | null }[]): Node[] {
  const nodes = new Map(list.map((x) => [x.id, { key: x.id, title: x.name, children: [] as Node[] }]));
  const roots: Node[] = [];
  for (const x of list) {
    const n = nodes.get(x.id)!;
    const p = x.parent ? nodes.get(x.parent.id) : undefined;
    if (p) p.children.push(n);
    else roots.push(n);
  }
  return roots;
}

export default function TerritoriesPage() {
  const t = useT();
  const { message } = App.useApp();
  const { territories, error, fetching, refetch } = useTerritories();
  const [open, setOpen] = useState<string | null | undefined>(undefined);
  const [form] = Form.useForm();
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching: saving }, create] = useMutation(CreateTerritoryDoc);
  const tree = useMemo(() => territoryTree(territories), [territories]);
  return (
    <div>
      <PageTitle title={t('territories.title')} sub={t('territories.sub')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => { form.resetFields(); setOpen(null); }}>{t('territories.new')}</Button>} />
      <QueryError error={error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      <Card>
        {!fetching && tree.length === 0 ? (
          <Empty description={t('territories.empty')} />
        ) : (
          <Tree
            treeData={tree}
            defaultExpandAll
            showLine
            titleRender={(n) => (
              <span>
                {n.title as string}{' '}
                <Typography.Link style={{ fontSize: 12 }} onClick={(e) => { e.stopPropagation(); form.resetFields(); form.setFieldsValue({ parentID: n.key }); setOpen(n.key as string); }}>
                  {t('territories.addChild')}
                </Typography.Link>
              </span>
            )}
          />
        )}
      </Card>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{t('territories.hint')}</Typography.Paragraph>
      <Modal
        open={open !== undefined}
        title={t('territories.new')}
        confirmLoading={saving}
        onCancel={() => setOpen(undefined)}
        onOk={async () => {
          setFormError(null);
          const v = await form.validateFields().catch(() => null);
          if (!v) return;
          const r = await create({ input: { name: v.name, parentID: v.parentID || null } });
          if (r.error) {
            const rest = applyFormErrors(form, r.error, { known: ['name', 'parentID'] });
            if (rest.length) setFormError(rest.map((e) => errorMessage(e)).join('; '));
            return;
          }
          message.success(t('common.saved'));
          setOpen(undefined);
          refetch({ requestPolicy: 'network-only' });
        }}
      >
        {formError && <Alert type="error" showIcon title={formError} style={{ marginBottom: 12 }} />}
        <Form form={form} layout="vertical">
          <Form.Item name="name" label={t('territories.name')} rules={[{ required: true, message: t('territories.nameRequired') }]}>
            <Input maxLength={60} />
          </Form.Item>
          <Form.Item name="parentID" label={t('territories.parent')}>
            <Select allowClear options={territories.map((x) => ({ value: x.id, label: x.name }))} />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
