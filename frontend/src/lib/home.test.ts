import { describe, expect, it } from 'vitest';
import dayjs from 'dayjs';
import { conversion, thisMonth, today, usage } from './home';

describe('home periods', () => {
  const now = dayjs('2026-12-02T15:30:00');
  it('today starts at local midnight and ends just after now', () => {
    const p = today(now);
    expect(dayjs(p.from).format('YYYY-MM-DD HH:mm')).toBe('2026-12-02 00:00');
    expect(dayjs(p.to).diff(now, 'second')).toBe(60);
  });
  it('this month starts on the 1st', () => {
    expect(dayjs(thisMonth(now).from).format('YYYY-MM-DD HH:mm')).toBe('2026-12-01 00:00');
  });
});

describe('usage', () => {
  it('is normal, warning from 80 %, full at the limit', () => {
    expect(usage(3, 10)).toEqual({ percent: 30, left: 7, level: 'normal' });
    expect(usage(8, 10)).toEqual({ percent: 80, left: 2, level: 'warning' });
    expect(usage(10, 10)).toEqual({ percent: 100, left: 0, level: 'full' });
  });
  it('caps above the limit and treats no limit as full', () => {
    expect(usage(12, 10)).toEqual({ percent: 100, left: 0, level: 'full' });
    expect(usage(0, 0).level).toBe('full');
  });
});

describe('conversion', () => {
  it('is deals over listed', () => {
    expect(conversion([{ step: 'LISTED', count: 200 }, { step: 'DEAL', count: 30 }])).toBeCloseTo(0.15);
    expect(conversion([{ step: 'LISTED', count: 0 }, { step: 'DEAL', count: 0 }])).toBeNull();
    expect(conversion([])).toBeNull();
  });
});
