// Labels of the API's enums and codes in the current language.
import type { TFunc, MessageKey } from '../i18n';

function label(t: TFunc, prefix: string, v: string | null | undefined): string {
  if (!v) return '';
  const key = `${prefix}.${v}` as MessageKey;
  const out = t(key);
  return out === key ? v : out;
}

export const fieldTypeLabel = (t: TFunc, v: string) => label(t, 'fieldType', v);
export const opLabel = (t: TFunc, v: string) => label(t, 'op', v);
export const stageKindLabel = (t: TFunc, v: string) => label(t, 'stageKind', v);
export const funnelStepLabel = (t: TFunc, v: string | null | undefined) => label(t, 'funnelStep', v);
export const followUpKindLabel = (t: TFunc, v: string) => label(t, 'followUpKind', v);
export const outcomeLabel = (t: TFunc, v: string | null | undefined) => label(t, 'outcome', v);
export const strategyLabel = (t: TFunc, v: string) => label(t, 'strategy', v);
export const broadcastStatusLabel = (t: TFunc, v: string) => label(t, 'broadcastStatus', v);
export const segmentStatusLabel = (t: TFunc, v: string) => label(t, 'segmentStatus', v);
export const failureLabel = (t: TFunc, v: string) => label(t, 'failure', v);
export const failureReasonLabel = (t: TFunc, v: string) => label(t, 'failure.reason', v);
export const ownerChangeLabel = (t: TFunc, v: string) => label(t, 'ownerChange', v);
export const indexStatusLabel = (t: TFunc, v: string) => label(t, 'indexStatus', v);
export const roleLabel = (t: TFunc, v: string) => label(t, 'role', v);
export const resourceLabel = (t: TFunc, v: string) => label(t, 'resource', v);
export const actionLabel = (t: TFunc, v: string) => label(t, 'action', v);
export const taskKindLabel = (t: TFunc, v: string) => label(t, 'taskKind', v);
export const contactWayStrategyLabel = (t: TFunc, v: string) => label(t, 'contactWayStrategy', v);
export const notificationKindLabel = (t: TFunc, v: string) => label(t, 'notificationKind', v);
