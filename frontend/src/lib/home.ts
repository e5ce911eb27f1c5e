// The home dashboard's arithmetic, kept out of the page so it is tested:
// the periods it asks for and how full a limit is.
import dayjs, { type Dayjs } from 'dayjs';

export interface Period {
  from: string;
  to: string;
}

/** Today as [local midnight, now + 1 minute) in the browser's time zone. */
export function today(now: Dayjs = dayjs()): Period {
  return { from: now.startOf('day').toISOString(), to: now.add(1, 'minute').toISOString() };
}

/** This calendar month as [the 1st at local midnight, now + 1 minute). */
export function thisMonth(now: Dayjs = dayjs()): Period {
  return { from: now.startOf('month').toISOString(), to: now.add(1, 'minute').toISOString() };
}

export interface Usage {
  /** 0–100, for a progress bar. */
  percent: number;
  /** What is left (never below 0). */
  left: number;
  /** normal below 80 %, warning from 80 %, full at the limit. */
  level: 'normal' | 'warning' | 'full';
}

/** How much of limit used takes. A limit of 0 or less is full. */
export function usage(used: number, limit: number): Usage {
  if (limit <= 0) return { percent: 100, left: 0, level: 'full' };
  const percent = Math.min(100, Math.round((used / limit) * 100));
  const left = Math.max(0, limit - used);
  return { percent, left, level: left === 0 ? 'full' : percent >= 80 ? 'warning' : 'normal' };
}

/** The conversion of a funnel: deals over listed, null without listed leads. */
export function conversion(steps: { step: string; count: number }[]): number | null {
  const listed = steps.find((s) => s.step === 'LISTED')?.count ?? 0;
  const deal = steps.find((s) => s.step === 'DEAL')?.count ?? 0;
  return listed > 0 ? deal / listed : null;
}
