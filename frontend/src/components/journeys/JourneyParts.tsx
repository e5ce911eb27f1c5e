// Pieces the journey pages share: the status tag colours, the trigger in
// words (with the names of the tag, stage, segment or code it is about),
// a step in words, and the status action buttons.
import { useCallback } from 'react';
import { App, Button, Popconfirm, Space } from 'antd';
import { useMutation, useQuery } from 'urql';
import { ContactWaysDoc, SegmentsDoc } from '../../api/ops';
import { SetJourneyStatusDoc } from '../../api/journeyOps';
import { errorText } from '../../api/errors';
import { usePipelines, useTags, useUsers } from '../../api/hooks';
import { useSession } from '../../auth/session';
import { useI18n, type MessageKey } from '../../i18n';
import { actionStatus, statusActions, triggerFromJSON, type StatusAction, type StepDraft } from '../../lib/journeys';
import type { JourneyStatus } from '../../gql/graphql';

export const statusColor: Record<JourneyStatus, string> = { DRAFT: 'default', ACTIVE: 'green', PAUSED: 'orange', ARCHIVED: 'default' };

/** The names of what triggers and steps refer to, by opaque id. */
function useNames() {
  const { can } = useSession();
  const { tags } = useTags();
  const { stages } = usePipelines();
  const { users } = useUsers();
  const [segs] = useQuery({ query: SegmentsDoc, variables: { first: 500 }, pause: !can('segment', 'read') });
  const [cws] = useQuery({ query: ContactWaysDoc, pause: !can('channel', 'read') });
  const names = new Map<string, string>();
  for (const x of tags) names.set(x.id, x.name);
  for (const s of stages) names.set(s.id, `${s.pipelineName} / ${s.name}`);
  for (const u of users) names.set(u.id, u.name);
  for (const e of segs.data?.segments.edges ?? []) if (e?.node) names.set(e.node.id, e.node.name);
  for (const c of cws.data?.contactWays ?? []) names.set(c.id, c.name);
  return names;
}

/** The trigger (Journey.trigger JSON) in words: 打上标签：高意向. */
export function useTriggerText() {
  const { t } = useI18n();
  const names = useNames();
  return useCallback(
    (trigger: unknown) => {
      const d = triggerFromJSON(trigger);
      const kind = t(`journeyTrigger.${d.kind}` as MessageKey);
      if (d.kind === 'leadCreated') return `${kind}：${d.value || t('journeyTrigger.any')}`;
      if (!d.value) return kind;
      return `${kind}：${names.get(d.value) ?? d.value}`;
    },
    [t, names],
  );
}

/** A step in a few words: 等待 1 天 10:00, 创建任务「回访」, 打标签 高意向. */
export function useStepText() {
  const { t } = useI18n();
  const names = useNames();
  return (s: StepDraft): string => {
    const kind = t(`journeyStep.${s.kind}` as MessageKey);
    const list = (ids: string[]) => ids.map((id) => names.get(id) ?? '?').join('、');
    switch (s.kind) {
      case 'wait': {
        const parts = [
          s.days ? `${s.days} ${t('journey.wait.days')}` : '',
          s.hours ? `${s.hours} ${t('journey.wait.hours')}` : '',
          s.minutes ? `${s.minutes} ${t('journey.wait.minutes')}` : '',
          s.atLocalTime ? `→ ${s.atLocalTime}` : '',
        ].filter(Boolean);
        return `${kind} ${parts.join(' ')}`;
      }
      case 'condition':
        return `${kind}（${t(`journey.otherwise.${s.otherwise}`)}）`;
      case 'addTags':
      case 'removeTags':
        return `${kind} ${list(s.tagIDs)}`;
      case 'createTask':
        return `${kind}「${s.title}」`;
      case 'sendMessage':
        return `${kind} · ${s.channel}`;
      case 'moveStage':
        return `${kind} → ${names.get(s.stageID) ?? '?'}`;
      case 'reassign':
        return `${kind} · ${t(`journey.reassignTo.${s.to}`)}`;
      case 'webhook':
        return `${kind} · ${s.url}`;
    }
  };
}

/** The status actions a journey allows now (DRAFT → ACTIVE → PAUSED ↔ ACTIVE, anything → ARCHIVED); activating and archiving ask first. */
export function StatusButtons({ id, name, status, size, onDone }: { id: string; name: string; status: JourneyStatus; size?: 'small' | 'middle'; onDone?: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [{ fetching }, setStatus] = useMutation(SetJourneyStatusDoc);
  const run = async (a: StatusAction) => {
    const r = await setStatus({ id, status: actionStatus[a] });
    if (r.error) {
      message.error(errorText(r.error));
      return;
    }
    message.success(t('journey.statusChanged', { name, status: t(`journeyStatus.${r.data!.setJourneyStatus.status}` as MessageKey) }));
    onDone?.();
  };
  return (
    <Space size={4} wrap>
      {statusActions(status).map((a) => {
        const button = (
          <Button
            key={a}
            size={size}
            danger={a === 'archive'}
            type={a === 'activate' || a === 'resume' ? 'primary' : 'default'}
            loading={fetching}
            onClick={a === 'activate' || a === 'archive' ? undefined : () => void run(a)}
            data-testid={`journey-action-${a}`}
          >
            {t(`journey.action.${a}`)}
          </Button>
        );
        return a === 'activate' || a === 'archive' ? (
          <Popconfirm key={a} title={t(a === 'archive' ? 'journey.archiveConfirm' : 'journey.activateConfirm')} onConfirm={() => run(a)} okButtonProps={{ 'data-testid': 'journey-action-confirm' } as React.ComponentProps<typeof Button>}>
            {button}
          </Popconfirm>
        ) : (
          button
        );
      })}
    </Space>
  );
}
