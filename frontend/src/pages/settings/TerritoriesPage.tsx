// Territories: a tree (region → province → city, or by industry). Users,
// partners and leads are attached to territories; a territory includes the
// ones below it. Territories are added, renamed, moved (with everything
// below them) and deleted; a delete the server refuses says what still
// holds the territory, from the refusal's extensions.
import { useMemo, useState } from 'react';
import { Alert, App, Button, Card, Empty, Form, Input, Modal, Popconfirm, Select, Space, Tree, Typography, type ButtonProps } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useMutation } from 'urql';
import { CreateTerritoryDoc } from '../../api/ops';
import { DeleteTerritoryDoc, UpdateTerritoryDoc } from '../../api/taxonomyOps';
import { applyFormErrors, errorMessage } from '../../api/errors';
import { useTerritories } from '../../api/hooks';
import { useT } from '../../i18n';
import { hasRefusalDetails, refusalLines, subtreeIDs } from '../../lib/taxonomy';
import { PageTitle } from '../../components/PageTitle';
import { QueryError } from '../../components/QueryError';

interface Node {
  key: string;
  title: string;
  children: Node[];
}

interface Territory {
  id: string;
  name: string;
  parent?: { id: string } | null;
}

function territoryTree(list: Territory[]): Node[] {
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

/** The form's subject: a new territory (under parentID) or one being edited. */
type Editing = { mode: 'new' } | { mode: 'edit'; territory: Territory };

export default function TerritoriesPage() {
  const t = useT();
  const { message, modal } = App.useApp();
  const { territories, error, fetching, refetch } = useTerritories();
  const [open, setOpen] = useState<Editing | null>(null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [form] = Form.useForm();
  const [formLines, setFormLines] = useState<string[]>([]);
  const [{ fetching: creating }, create] = useMutation(CreateTerritoryDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateTerritoryDoc);
  const [, del] = useMutation(DeleteTerritoryDoc);
  const tree = useMemo(() => territoryTree(territories), [territories]);
  const byID = useMemo(() => new Map(territories.map((x) => [x.id, x])), [territories]);
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const blocked = open?.mode === 'edit' ? subtreeIDs(territories, open.territory.id) : new Set<string>();
  const startNew = (parentID?: string) => {
    form.resetFields();
    if (parentID) form.setFieldsValue({ parentID });
    setFormLines([]);
    setOpen({ mode: 'new' });
  };
  const startEdit = (x: Territory) => {
    form.resetFields();
    form.setFieldsValue({ name: x.name, parentID: x.parent?.id });
    setFormLines([]);
    setOpen({ mode: 'edit', territory: x });
  };
  const remove = async (x: Territory) => {
    const r = await del({ id: x.id });
    if (r.error) {
      modal.error({
        title: t('territories.cannotDelete', { name: x.name }),
        content: <div data-testid="refusal">{refusalLines(r.error, t).map((l, i) => <div key={i}>{l}</div>)}</div>,
        okText: t('common.close'),
      });
      return;
    }
    message.success(t('territories.deleted', { name: x.name }));
    reload();
  };
  return (
    <div>
      <PageTitle title={t('territories.title')} sub={t('territories.sub')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => startNew()}>{t('territories.new')}</Button>} />
      <QueryError error={error} retry={reload} />
      <Card>
        {!fetching && tree.length === 0 ? (
          <Empty description={t('territories.empty')} />
        ) : (
          <Tree
            treeData={tree}
            // Every territory open unless the admin closed it: defaultExpandAll
            // would only open what the first render had (none, while loading).
            expandedKeys={territories.filter((x) => !collapsed.has(x.id)).map((x) => x.id)}
            onExpand={(_, { node, expanded }) => {
              const next = new Set(collapsed);
              if (expanded) next.delete(node.key as string);
              else next.add(node.key as string);
              setCollapsed(next);
            }}
            showLine
            selectable={false}
            titleRender={(n) => {
              const x = byID.get(n.key as string);
              return (
                <span data-testid={`territory-${n.title as string}`}>
                  {n.title as string}{' '}
                  <Space size={8} style={{ fontSize: 12 }} onClick={(e) => e.stopPropagation()}>
                    <Typography.Link style={{ fontSize: 12 }} onClick={() => startNew(n.key as string)}>
                      {t('territories.addChild')}
                    </Typography.Link>
                    {x && (
                      <Typography.Link style={{ fontSize: 12 }} data-testid="territory-edit" onClick={() => startEdit(x)}>
                        {t('territories.edit')}
                      </Typography.Link>
                    )}
                    {x && (
                      <Popconfirm
                        title={t('territories.deleteTitle', { name: x.name })}
                        description={<div style={{ maxWidth: 260 }}>{t('territories.deleteBody')}</div>}
                        okText={t('common.delete')}
                        okButtonProps={{ danger: true, 'data-testid': 'territory-delete-ok' } as ButtonProps}
                        cancelText={t('common.cancel')}
                        onConfirm={() => remove(x)}
                      >
                        <Typography.Link type="danger" style={{ fontSize: 12 }} data-testid="territory-delete">
                          {t('territories.delete')}
                        </Typography.Link>
                      </Popconfirm>
                    )}
                  </Space>
                </span>
              );
            }}
          />
        )}
      </Card>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{t('territories.hint')}</Typography.Paragraph>
      <Modal
        open={open !== null}
        title={open?.mode === 'edit' ? t('territories.editOf', { name: open.territory.name }) : t('territories.new')}
        confirmLoading={creating || updating}
        okButtonProps={{ 'data-testid': 'territory-save' } as ButtonProps}
        onCancel={() => setOpen(null)}
        onOk={async () => {
          if (!open) return;
          setFormLines([]);
          const v = await form.validateFields().catch(() => null);
          if (!v) return;
          let r;
          if (open.mode === 'new') {
            r = await create({ input: { name: v.name, parentID: v.parentID || null } });
          } else {
            const x = open.territory;
            const input: { name: string; parentID?: string; clearParent?: boolean } = { name: v.name };
            const to = v.parentID || null;
            if (to !== (x.parent?.id ?? null)) {
              if (to) input.parentID = to;
              else input.clearParent = true;
            }
            r = await update({ id: x.id, input });
          }
          if (r.error) {
            if (hasRefusalDetails(r.error)) setFormLines(refusalLines(r.error, t));
            else {
              const rest = applyFormErrors(form, r.error, { known: ['name', 'parentID'] });
              if (rest.length) setFormLines(rest.map((e) => errorMessage(e)));
            }
            return;
          }
          message.success(t('common.saved'));
          setOpen(null);
          reload();
        }}
      >
        {formLines.length > 0 && <Alert type="error" showIcon title={formLines.join('; ')} style={{ marginBottom: 12 }} />}
        <Form form={form} layout="vertical">
          <Form.Item name="name" label={t('territories.name')} rules={[{ required: true, message: t('territories.nameRequired') }]}>
            <Input maxLength={200} data-testid="territory-name" />
          </Form.Item>
          <Form.Item name="parentID" label={t('territories.parent')} extra={open?.mode === 'edit' ? t('territories.moveHint') : undefined}>
            <Select
              allowClear
              data-testid="territory-parent"
              options={territories.filter((x) => !blocked.has(x.id)).map((x) => ({ value: x.id, label: x.name }))}
            />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}
