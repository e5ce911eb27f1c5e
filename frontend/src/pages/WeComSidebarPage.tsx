// The WeCom chat sidebar (聊天工具栏, docs/wecom.md): WeCom opens it beside a
// chat with a customer. Inside WeCom the customer comes from the JS-SDK
// (getCurExternalContact after agentConfig); elsewhere from
// ?externalUserId= (development and the browser test). It shows the
// customer's lead as the viewer may see it and the rep's everyday actions:
// a follow-up, tags, the stage, and a link to the full app. Phone-first:
// 390 px and narrower, no app shell.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { App, Alert, Button, Card, Descriptions, Empty, Form, Input, Result, Select, Space, Spin, Tag, Typography } from 'antd';
import { useClient, useMutation, useQuery } from 'urql';
import { AddWeComCustomerLeadDoc, WeComCustomerDoc, WeComJsSdkConfigDoc } from '../api/sidebarOps';
import { CreateFollowUpDoc, MoveLeadStageDoc, TagLeadsDoc, UntagLeadsDoc } from '../api/ops';
import { errorText } from '../api/errors';
import { usePipelines, useTags } from '../api/hooks';
import { useSession } from '../auth/session';
import { useT } from '../i18n';
import { fmtTime } from '../lib/format';
import { followUpKindLabel } from '../lib/labels';
import { useLeadTasks } from '../components/tasks/LeadTasks';
import { currentExternalContact, externalUserIdFrom, insideWeCom } from '../lib/wecomSidebar';
import type { FollowUpKind, SidebarLeadFragment } from '../gql/graphql';

const KINDS: FollowUpKind[] = ['WECOM', 'CALL', 'VISIT', 'NOTE'];

/** The chat's customer: ?externalUserId= first, else WeCom's JS-SDK inside WeCom. */
function useExternalContact(): { id: string | null; loading: boolean; error: string | null } {
  const client = useClient();
  const fromURL = externalUserIdFrom(window.location.search);
  const inWeCom = !fromURL && insideWeCom(navigator.userAgent);
  const [state, setState] = useState<{ id: string | null; loading: boolean; error: string | null }>(
    { id: fromURL, loading: inWeCom, error: null },
  );
  useEffect(() => {
    if (!inWeCom) return;
    let cancelled = false;
    const sign = async (url: string) => {
      const r = await client.query(WeComJsSdkConfigDoc, { url }, { requestPolicy: 'network-only' }).toPromise();
      if (!r.data) throw new Error(errorText(r.error));
      return r.data.weComJsSdkConfig;
    };
    currentExternalContact(sign).then(
      (id) => !cancelled && setState({ id, loading: false, error: null }),
      (e: Error) => !cancelled && setState({ id: null, loading: false, error: e.message }),
    );
    return () => {
      cancelled = true;
    };
  }, [client, inWeCom]);
  return state;
}

export default function WeComSidebarPage() {
  const t = useT();
  const contact = useExternalContact();
  return (
    <div className="scrm-sidebar" data-testid="wecom-sidebar">
      <Typography.Title level={5} style={{ margin: '0 0 8px' }}>{t('sidebar.title')}</Typography.Title>
      {contact.loading && <Spin tip={t('sidebar.loadingContact')}><div style={{ height: 80 }} /></Spin>}
      {contact.error && <Alert type="error" showIcon title={t('sidebar.sdkFailed', { err: contact.error })} />}
      {!contact.loading && !contact.error && !contact.id && <Alert type="info" showIcon title={t('sidebar.noContact')} />}
      {contact.id && <Customer externalUserID={contact.id} />}
    </div>
  );
}

function Customer({ externalUserID }: { externalUserID: string }) {
  const t = useT();
  const { message } = App.useApp();
  const { can } = useSession();
  const context = useMemo(() => ({ additionalTypenames: ['Lead', 'FollowUp', 'WeComContact'] }), []);
  const [res, refetch] = useQuery({ query: WeComCustomerDoc, variables: { externalUserID }, context });
  const [added, add] = useMutation(AddWeComCustomerLeadDoc);
  if (res.fetching && !res.data) return <Spin style={{ display: 'block', margin: '40px auto' }} />;
  if (!res.data) {
    return <Result status="warning" title={t('common.loadFailed')} subTitle={errorText(res.error)}
      extra={<Button onClick={() => refetch({ requestPolicy: 'network-only' })}>{t('common.retry')}</Button>} />;
  }
  const c = res.data.weComCustomer;
  if (c.lead) return <LeadCard lead={c.lead} onChanged={() => refetch({ requestPolicy: 'network-only' })} />;
  if (c.reason === 'OUT_OF_SCOPE') {
    return <Result status="403" title={t('sidebar.outOfScope')} subTitle={t('sidebar.outOfScopeHint')} />;
  }
  return (
    <Empty description={t('sidebar.unknown')} data-testid="sidebar-unknown">
      <Typography.Paragraph type="secondary">{t('sidebar.unknownHint')}</Typography.Paragraph>
      {can('lead', 'write') && (
        <Button type="primary" loading={added.fetching} onClick={async () => {
          const r = await add({ externalUserID });
          if (r.error) message.error(errorText(r.error));
          else {
            message.success(t('sidebar.created'));
            refetch({ requestPolicy: 'network-only' });
          }
        }}>{t('sidebar.createLead')}</Button>
      )}
    </Empty>
  );
}

function LeadCard({ lead, onChanged }: { lead: SidebarLeadFragment; onChanged: () => void }) {
  const t = useT();
  const { can } = useSession();
  const tasks = useLeadTasks(lead.id);
  const open = tasks.rows.filter((r) => r.status === 'OPEN');
  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Card size="small" data-testid="sidebar-lead">
        <Space wrap size={6} style={{ marginBottom: 8 }}>
          <Typography.Text strong style={{ fontSize: 16 }}>{lead.name || '—'}</Typography.Text>
          {lead.tier && <Tag color="gold">{lead.tier}</Tag>}
          {lead.stage && <Tag color={lead.stage.color || undefined}>{lead.stage.name}</Tag>}
        </Space>
        <Descriptions size="small" column={1} colon={false} styles={{ label: { width: 76 } }}>
          <Descriptions.Item label={t('lead.phone')}><span data-testid="sidebar-phone">{lead.phone || '—'}</span></Descriptions.Item>
          <Descriptions.Item label={t('lead.owner')}>{lead.owner?.name ?? t('sidebar.noOwner')}</Descriptions.Item>
          <Descriptions.Item label={t('lead.score')}>{lead.score}{lead.tier ? ` · ${lead.tier}` : ''}</Descriptions.Item>
          <Descriptions.Item label={t('lead.lastFollowUpAt')}>{lead.lastFollowUpAt ? fmtTime(lead.lastFollowUpAt) : t('sidebar.never')}</Descriptions.Item>
          <Descriptions.Item label={t('sidebar.openTasks')}>
            {open.length === 0 ? t('sidebar.noTasks') : (
              <Space direction="vertical" size={2}>
                {open.map((r) => <span key={r.id}>{r.title}{r.dueAt ? ` · ${fmtTime(r.dueAt)}` : ''}</span>)}
              </Space>
            )}
          </Descriptions.Item>
        </Descriptions>
        <Button type="link" href={`/leads/${lead.id}`} style={{ padding: 0 }}>{t('sidebar.openFull')}</Button>
      </Card>
      <Tags lead={lead} editable={can('lead.tag', 'write')} onChanged={onChanged} />
      {can('lead', 'write') && <Stage lead={lead} onChanged={onChanged} />}
      {can('lead.followup', 'write') && <FollowUp leadID={lead.id} onChanged={onChanged} />}
    </Space>
  );
}

function Tags({ lead, editable, onChanged }: { lead: SidebarLeadFragment; editable: boolean; onChanged: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const { tags } = useTags(editable);
  const [, tag] = useMutation(TagLeadsDoc);
  const [, untag] = useMutation(UntagLeadsDoc);
  const leadTags = lead.tags ?? [];
  const have = new Set(leadTags.map((x) => x.id));
  const run = useCallback(async (p: Promise<{ error?: Parameters<typeof errorText>[0] }>, ok: string) => {
    const r = await p;
    if (r.error) message.error(errorText(r.error));
    else {
      message.success(ok);
      onChanged();
    }
  }, [message, onChanged]);
  return (
    <Card size="small" title={t('sidebar.tags')}>
      <Space wrap size={[4, 6]}>
        {leadTags.map((x) => (
          <Tag key={x.id} color={x.color || undefined} closable={editable}
            onClose={(e) => {
              e.preventDefault();
              void run(untag({ leadIDs: [lead.id], tagIDs: [x.id] }), t('sidebar.tagRemoved'));
            }}>{x.name}</Tag>
        ))}
      </Space>
      {editable && (
        <Select showSearch size="small" value={null} placeholder={t('sidebar.addTag')} aria-label={t('sidebar.addTag')}
          style={{ width: '100%', marginTop: 8 }} optionFilterProp="label"
          options={tags.filter((x) => !have.has(x.id)).map((x) => ({ value: x.id, label: x.name }))}
          onChange={(id: string) => void run(tag({ leadIDs: [lead.id], tagIDs: [id] }), t('sidebar.tagAdded'))} />
      )}
    </Card>
  );
}

function Stage({ lead, onChanged }: { lead: SidebarLeadFragment; onChanged: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const { pipelines, lostReasons } = usePipelines();
  const [, move] = useMutation(MoveLeadStageDoc);
  const [lost, setLost] = useState<string | null>(null);
  const stages = pipelines.find((p) => p.id === lead.stage?.pipeline.id)?.stages.filter((s) => !s.archived) ?? [];
  const go = async (stageID: string, lostReasonID?: string) => {
    const r = await move({ id: lead.id, stageID, reason: null, lostReasonID: lostReasonID ?? null });
    if (r.error) message.error(errorText(r.error));
    else {
      message.success(t('lead.stageMoved'));
      setLost(null);
      onChanged();
    }
  };
  return (
    <Card size="small" title={t('sidebar.moveStage')}>
      <Select size="small" style={{ width: '100%' }} aria-label={t('sidebar.moveStage')} value={lost ?? lead.stage?.id}
        options={stages.map((s) => ({ value: s.id, label: s.name }))}
        onChange={(id: string) => (stages.find((s) => s.id === id)?.kind === 'LOST' ? setLost(id) : void go(id))} />
      {lost && (
        <Select size="small" style={{ width: '100%', marginTop: 8 }} placeholder={t('sidebar.lostReasonRequired')} aria-label={t('sidebar.lostReason')}
          options={lostReasons.filter((r) => !r.archived).map((r) => ({ value: r.id, label: r.name }))}
          onChange={(id: string) => void go(lost, id)} />
      )}
    </Card>
  );
}

function FollowUp({ leadID, onChanged }: { leadID: string; onChanged: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ kind: FollowUpKind; content: string }>();
  const [saving, create] = useMutation(CreateFollowUpDoc);
  return (
    <Card size="small" title={t('sidebar.followUp')}>
      <Form form={form} layout="vertical" size="small" initialValues={{ kind: 'WECOM' }}
        onFinish={async (v) => {
          const r = await create({ input: { leadID, kind: v.kind, content: v.content.trim() } });
          if (r.error) message.error(errorText(r.error));
          else {
            message.success(t('sidebar.followUpSaved'));
            form.resetFields(['content']);
            onChanged();
          }
        }}>
        <Form.Item name="kind" label={t('followUp.kind')}>
          <Select options={KINDS.map((k) => ({ value: k, label: followUpKindLabel(t, k) }))} />
        </Form.Item>
        <Form.Item name="content" label={t('followUp.content')} rules={[{ required: true, whitespace: true, message: t('sidebar.contentRequired') }]}>
          <Input.TextArea rows={3} maxLength={2000} />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={saving.fetching}>{t('followUp.add')}</Button>
      </Form>
    </Card>
  );
}
