// The lead timeline's pure logic: each kind's colour and label, and what an
// item shows (its title line and its detail line) in the current language.
import type { TFunc, MessageKey } from '../i18n';
import type { TimelineKind } from '../gql/graphql';
import { fmtMoney } from './format';
import { followUpKindLabel, outcomeLabel, ownerChangeLabel } from './labels';

/** Every kind, in the order the filter chips show them. */
export const TIMELINE_KINDS: TimelineKind[] = ['FOLLOW_UP', 'STAGE_CHANGE', 'OWNER_CHANGE', 'DEAL', 'EVENT', 'MESSAGE', 'WECOM'];

/** The page size the lead page asks for. */
export const TIMELINE_PAGE = 20;

/** The dot colour of each kind (antd Timeline colours, or a CSS colour). */
export const KIND_COLOR: Record<TimelineKind, string> = {
  FOLLOW_UP: 'blue',
  STAGE_CHANGE: 'purple',
  OWNER_CHANGE: 'gray',
  DEAL: 'green',
  EVENT: 'cyan',
  MESSAGE: 'orange',
  WECOM: '#07c160',
};

export const timelineKindLabel = (t: TFunc, k: TimelineKind) => t(`timeline.kind.${k}` as MessageKey);

/** What the timeline reads of an item (the LeadTimeline query's node). */
export interface TimelineItemView {
  id: string;
  at: string;
  kind: TimelineKind;
  summary: string;
  actor?: { name: string } | null;
  followUp?: { kind: string; outcome?: string | null; content: string } | null;
  stageChange?: { reason: string; from?: { name: string } | null; to: { name: string; kind: string }; lostReason?: { name: string } | null } | null;
  ownerChange?: { kind: string; by: string; reason: string; fromUser?: { name: string } | null; toUser?: { name: string } | null; rule?: { name: string } | null } | null;
  deal?: { amount: number; currency: string; repurchase: boolean } | null;
  event?: { name: string; source: string; properties: unknown } | null;
  message?: { status: string; reply?: string | null; broadcast: { name: string } } | null;
}

/** An item's dot colour: its kind's, except won (green) and lost (red) stages and failed messages (red). */
export function itemColor(it: TimelineItemView): string {
  if (it.kind === 'STAGE_CHANGE' && it.stageChange) {
    if (it.stageChange.to.kind === 'WON') return 'green';
    if (it.stageChange.to.kind === 'LOST') return 'red';
  }
  if (it.kind === 'MESSAGE' && it.message?.status === 'FAILED') return 'red';
  if (it.kind === 'WECOM' && it.event?.name === 'wecom.lost') return 'red';
  return KIND_COLOR[it.kind];
}

function tOr(t: TFunc, key: string, fallback: string, vars?: Record<string, string | number>): string {
  const out = t(key as MessageKey, vars);
  return out === key ? fallback : out;
}

/** The properties of an event as "key: value" pairs, without the ids WeCom events carry. */
export function eventProperties(props: unknown, skip: string[] = []): string {
  if (!props || typeof props !== 'object' || Array.isArray(props)) return '';
  return Object.entries(props as Record<string, unknown>)
    .filter(([k, v]) => !skip.includes(k) && v !== null && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}

/** The title line and the detail line of an item. */
export function describeItem(t: TFunc, it: TimelineItemView): { title: string; detail: string } {
  const pool = t('leads.publicPool');
  switch (it.kind) {
    case 'FOLLOW_UP': {
      const f = it.followUp;
      if (!f) break;
      const title = [followUpKindLabel(t, f.kind), outcomeLabel(t, f.outcome)].filter(Boolean).join(' · ');
      return { title, detail: f.content };
    }
    case 'STAGE_CHANGE': {
      const s = it.stageChange;
      if (!s) break;
      return {
        title: t('timeline.stage', { from: s.from?.name ?? '—', to: s.to.name }),
        detail: [s.lostReason?.name, s.reason].filter(Boolean).join(' · '),
      };
    }
    case 'OWNER_CHANGE': {
      const o = it.ownerChange;
      if (!o) break;
      return {
        title: t('timeline.owner', { kind: ownerChangeLabel(t, o.kind), from: o.fromUser?.name ?? pool, to: o.toUser?.name ?? pool }),
        detail: [o.rule?.name, o.reason].filter(Boolean).join(' · '),
      };
    }
    case 'DEAL': {
      const d = it.deal;
      if (!d) break;
      return { title: t('timeline.deal', { amount: fmtMoney(d.amount, d.currency) }), detail: d.repurchase ? t('deal.repurchase') : '' };
    }
    case 'EVENT': {
      const e = it.event;
      if (!e) break;
      const props = (e.properties ?? {}) as Record<string, unknown>;
      if (e.name === 'lead.duplicate_dismissed' || e.name === 'lead.duplicate_restored') {
        // Written by the duplicate review (internal/duplicates): the line says what happened and
        // with how many other leads (count; events before it listed the leads' ids).
        const n = typeof props.count === 'number' ? props.count : Array.isArray(props.leads) ? props.leads.length : 0;
        const others = Math.max(n - 1, 0);
        const kind = typeof props.kind === 'string' ? tOr(t, `dup.kind.${props.kind}`, props.kind) : '';
        return { title: t(`timeline.${e.name === 'lead.duplicate_dismissed' ? 'dupDismissed' : 'dupRestored'}`, { kind }), detail: t('timeline.dupOthers', { n: others }) };
      }
      return { title: t('timeline.event', { name: e.name }), detail: eventProperties(props) };
    }
    case 'WECOM': {
      const e = it.event;
      if (!e) break;
      const suffix = e.name.startsWith('wecom.') ? e.name.slice('wecom.'.length) : e.name;
      const props = (e.properties ?? {}) as Record<string, unknown>;
      const way = typeof props.contactWay === 'string' ? t('timeline.contactWay', { name: props.contactWay }) : '';
      return { title: tOr(t, `timeline.wecom.${suffix}`, t('timeline.wecom.other', { name: e.name })), detail: way };
    }
    case 'MESSAGE': {
      const m = it.message;
      if (!m) break;
      const status = tOr(t, `timeline.messageStatus.${m.status}`, m.status);
      return {
        title: `${t('timeline.message', { name: m.broadcast.name })} · ${status}`,
        detail: m.reply ? t('timeline.reply', { text: m.reply }) : '',
      };
    }
  }
  return { title: it.summary, detail: '' };
}

/**
 * The actor line: the user's name; for owner and stage changes nobody made
 * by hand, 规则 or 系统; otherwise nothing (a tracked event, or a deal or
 * message recorded without a user).
 */
export function actorName(t: TFunc, it: TimelineItemView): string {
  if (it.actor) return it.actor.name;
  if (it.kind === 'OWNER_CHANGE') return it.ownerChange?.by === 'RULE' ? t('history.rule') : t('timeline.system');
  if (it.kind === 'STAGE_CHANGE') return t('timeline.system');
  return '';
}

/** Appends a page to the items already shown, skipping any already there (a refetch racing a load more). */
export function appendPage<T extends { id: string }>(shown: T[], page: T[]): T[] {
  const seen = new Set(shown.map((x) => x.id));
  return [...shown, ...page.filter((x) => !seen.has(x.id))];
}

/** The kinds to ask for: null (every kind) when all or none are chosen. */
export function kindsVariable(chosen: TimelineKind[]): TimelineKind[] | null {
  return chosen.length === 0 || chosen.length === TIMELINE_KINDS.length ? null : TIMELINE_KINDS.filter((k) => chosen.includes(k));
}
