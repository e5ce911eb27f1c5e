// 重复线索: groups of leads that look like the same person
// (duplicateGroups), by phone or email shared with archived leads, or by
// the same name and company, each shown side by side with the lead to keep
// picked (an active, owned, older lead by default) and merged through
// mergeLeads. A group whose leads are different people is dismissed with
// 不是重复 (dismissDuplicateGroup), with an undo in the message
// (restoreDuplicateGroup). A kind the viewer sees masked is refused by the
// API and said so.
import { useMemo, useState } from 'react';
import { App, Button, Card, Empty, Radio, Segmented, Space, Table, Tag, Typography } from 'antd';
import { MergeCellsOutlined, StopOutlined } from '@ant-design/icons';
import { Link } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { DismissDuplicateGroupDoc, DuplicateGroupsDoc, MergeLeadsDoc, RestoreDuplicateGroupDoc } from '../api/duplicateOps';
import { errorText } from '../api/errors';
import { useT } from '../i18n';
import { PageTitle } from '../components/PageTitle';
import { QueryError } from '../components/QueryError';
import { defaultPrimary, groupChanged } from '../lib/duplicates';
import { fmtNumber } from '../lib/format';
import { useMobile } from '../lib/useMobile';
import type { DuplicateGroupsQuery, DuplicateKind } from '../gql/graphql';

type Group = DuplicateGroupsQuery['duplicateGroups']['edges'][number]['node'];
type GroupLead = Group['leads'][number];

const PAGE = 10;

export default function DuplicatesPage() {
  const t = useT();
  const [kind, setKind] = useState<DuplicateKind>('NAME_COMPANY');
  const [after, setAfter] = useState<(string | null)[]>([null]);
  const [res, refetch] = useQuery({
    query: DuplicateGroupsDoc,
    variables: { kind, first: PAGE, after: after[after.length - 1] },
    requestPolicy: 'cache-and-network',
    context: useMemo(() => ({ additionalTypenames: ['Lead'] }), []),
  });
  const conn = res.data?.duplicateGroups;
  const groups = (conn?.edges ?? []).map((e) => e.node);

  return (
    <div>
      <PageTitle title={t('dup.title')} sub={conn ? t('dup.count', { n: fmtNumber(conn.totalCount) }) : t('dup.sub')} />
      <Space wrap style={{ marginBottom: 12 }}>
        <Segmented
          data-testid="dup-kind"
          value={kind}
          onChange={(v) => {
            setKind(v as DuplicateKind);
            setAfter([null]);
          }}
          options={[
            { value: 'NAME_COMPANY', label: t('dup.kind.NAME_COMPANY') },
            { value: 'PHONE', label: t('dup.kind.PHONE') },
            { value: 'EMAIL', label: t('dup.kind.EMAIL') },
          ]}
        />
      </Space>
      <Typography.Paragraph type="secondary">{t(`dup.hint.${kind}`)}</Typography.Paragraph>
      <QueryError error={res.error} retry={() => refetch({ requestPolicy: 'network-only' })} />
      {!res.error && conn && groups.length === 0 && <Empty description={t('dup.none')} />}
      <Space direction="vertical" style={{ width: '100%' }} size="middle">
        {groups.map((g) => (
          // Keyed by version too: a group that changed (a lead joined) starts over with its
          // default lead to keep, not the pick made among the leads it had.
          <GroupCard key={`${g.kind}:${g.key}:${g.version}`} group={g} onChanged={() => refetch({ requestPolicy: 'network-only' })} />
        ))}
      </Space>
      {(after.length > 1 || conn?.pageInfo.hasNextPage) && (
        <Space style={{ marginTop: 12 }}>
          <Button disabled={after.length <= 1} onClick={() => setAfter((a) => a.slice(0, -1))}>{t('dup.prev')}</Button>
          <Button disabled={!conn?.pageInfo.hasNextPage} onClick={() => setAfter((a) => [...a, conn?.pageInfo.endCursor ?? null])} data-testid="dup-next">
            {t('dup.next')}
          </Button>
        </Space>
      )}
    </div>
  );
}

function GroupCard({ group, onChanged }: { group: Group; onChanged: () => void }) {
  const t = useT();
  const mobile = useMobile();
  const { message, modal } = App.useApp();
  const [primary, setPrimary] = useState<string | null>(() => defaultPrimary(group.leads));
  const [{ fetching }, merge] = useMutation(MergeLeadsDoc);
  const [{ fetching: dismissing }, dismiss] = useMutation(DismissDuplicateGroupDoc);
  const [, restore] = useMutation(RestoreDuplicateGroupDoc);
  const rows: { key: string; label: string; value: (l: GroupLead) => React.ReactNode }[] = [
    { key: 'name', label: t('lead.name'), value: (l) => <Link to={`/leads/${l.id}`}>{l.name || l.id}</Link> },
    { key: 'phone', label: t('lead.phone'), value: (l) => l.phone ?? '—' },
    { key: 'email', label: t('lead.email'), value: (l) => l.email ?? '—' },
    { key: 'company', label: t('lead.company'), value: (l) => l.company || '—' },
    { key: 'status', label: t('dup.status'), value: (l) => <Tag color={l.status === 'ACTIVE' ? 'green' : 'default'}>{t(`dup.status.${l.status}`)}</Tag> },
    { key: 'owner', label: t('lead.owner'), value: (l) => l.owner?.name ?? t('dup.noOwner') },
    { key: 'stage', label: t('dup.stage'), value: (l) => l.stage?.name ?? '—' },
    { key: 'source', label: t('dup.source'), value: (l) => l.source || '—' },
    { key: 'created', label: t('dup.created'), value: (l) => new Date(l.createdAt).toLocaleString() },
  ];
  const others = group.leads.filter((l) => l.id !== primary).map((l) => l.id);
  const doMerge = () =>
    modal.confirm({
      title: t('dup.confirm', { n: others.length }),
      content: t('dup.confirmHint'),
      onOk: async () => {
        const r = await merge({ primaryID: primary!, duplicateIDs: others });
        if (r.error) {
          message.error(errorText(r.error));
          return;
        }
        message.success(t('dup.merged', { n: others.length }));
        onChanged();
      },
    });
  // The leads shown name the group: the server dismisses it whole, by its
  // key (also the leads beyond the 50 shown), and the undo with the same
  // leads brings it back whole. The version is the whole group as this page
  // read it: if a lead joined it since, the server refuses and the page
  // reloads it for another look instead of dismissing a lead nobody saw.
  const vars = { kind: group.kind, leadIDs: group.leads.map((l) => l.id) };
  const undo = async (key: string) => {
    message.destroy(key);
    const r = await restore({ ...vars, version: group.version });
    if (groupChanged(r.error)) {
      message.warning({ duration: 8, content: <span data-testid="dup-restore-changed">{t('dup.restoreChanged')}</span> });
      onChanged();
      return;
    }
    if (r.error) {
      message.error(errorText(r.error));
      return;
    }
    message.success(t('dup.restored'));
    onChanged();
  };
  const doDismiss = () =>
    modal.confirm({
      title: t('dup.dismissConfirm', { n: group.count }),
      content: t('dup.dismissHint'),
      onOk: async () => {
        const r = await dismiss({ ...vars, version: group.version });
        const changed = groupChanged(r.error);
        if (changed) {
          message.warning({
            duration: 8,
            content: (
              <span data-testid="dup-changed" data-joined={changed.joined}>
                {changed.joined > 0 ? t('dup.changedJoined', { n: changed.joined }) : t('dup.changedOther')}
              </span>
            ),
          });
          onChanged();
          return;
        }
        if (r.error) {
          message.error(errorText(r.error));
          return;
        }
        const key = `dup-dismissed:${group.kind}:${group.key}`;
        message.success({
          key,
          duration: 10,
          content: (
            <span data-testid="dup-dismissed">
              {t('dup.dismissed')}
              <Button type="link" size="small" onClick={() => void undo(key)} data-testid="dup-undo">
                {t('dup.undo')}
              </Button>
            </span>
          ),
        });
        onChanged();
      },
    });

  return (
    <Card
      size="small"
      data-testid="dup-group"
      data-key={group.key}
      title={
        <Space wrap>
          <Typography.Text strong>{group.key}</Typography.Text>
          <Tag>{t('dup.leads', { n: group.count })}</Tag>
        </Space>
      }
      extra={
        <Space size="small">
          <Button size="small" icon={<StopOutlined />} loading={dismissing} onClick={doDismiss} data-testid="dup-dismiss" aria-label={t('dup.dismiss')} title={t('dup.dismiss')}>
            {mobile ? null : t('dup.dismiss')}
          </Button>
          <Button size="small" type="primary" icon={<MergeCellsOutlined />} disabled={!primary || others.length === 0} loading={fetching} onClick={doMerge} data-testid="dup-merge">
            {mobile ? null : t('dup.merge')}
          </Button>
        </Space>
      }
    >
      <div style={{ overflowX: 'auto' }}>
        <Table
          size="small"
          pagination={false}
          rowKey="key"
          dataSource={rows}
          columns={[
            { title: '', dataIndex: 'label', key: 'label', width: 72, render: (v: string) => <Typography.Text type="secondary">{v}</Typography.Text> },
            ...group.leads.map((l) => ({
              key: l.id,
              title: (
                <Radio checked={primary === l.id} onChange={() => setPrimary(l.id)} data-testid="dup-primary" data-lead={l.id}>
                  {primary === l.id ? t('dup.keep') : t('dup.mergeIn')}
                </Radio>
              ),
              render: (_: unknown, row: (typeof rows)[number]) => row.value(l),
            })),
          ]}
        />
      </div>
    </Card>
  );
}
