import { describe, expect, it } from 'vitest';
import { jobPercent, pollDelay } from './jobs';

describe('pollDelay', () => {
  it('polls a job soon after it starts, then once a second', () => {
    const delays = Array.from({ length: 10 }, (_, i) => pollDelay(i + 1));
    expect(delays).toEqual([150, 150, 300, 300, 600, 600, 1000, 1000, 1000, 1000]);
    // A one-batch job that takes half a second is seen done within 0.75 s of its start.
    const seen = delays.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? 0) + d], []).find((t) => t >= 500);
    expect(seen).toBeLessThanOrEqual(750);
    expect(pollDelay(50, 2000)).toBe(2000);
  });
});

describe('jobPercent', () => {
  it('is done of total', () => {
    expect(jobPercent({ status: 'RUNNING', total: 1000, done: 500 })).toBe(50);
    expect(jobPercent({ status: 'SUCCEEDED', total: 0, done: 0 })).toBe(100);
    expect(jobPercent({ status: 'QUEUED', total: 0, done: 0 })).toBe(0);
  });
});
