import { describe, expect, it } from 'vitest';
import { jobPercent, pollDelay, jobsSearch, jobsVariables, parseJobsFilter } from './jobs';

describe('pollDelay', () => {
  it('polls a job soon after it starts, then once a second', () => {
    const delays = Array.from({ length: 25 }, (_, i) => pollDelay(i + 1));
    expect(delays.slice(0, 10).every((d) => d === 200)).toBe(true);
    expect(delays.slice(10, 20).every((d) => d === 500)).toBe(true);
    expect(delays.slice(20).every((d) => d === 1000)).toBe(true);
    // A job that ends at any moment of its first two seconds is seen within 200 ms of it.
    const at = delays.reduce<number[]>((acc, d) => [...acc, (acc.at(-1) ?? 0) + d], [0]);
    for (const end of [90, 480, 1170, 1990]) expect(at.find((t) => t >= end)! - end).toBeLessThanOrEqual(200);
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

describe('the jobs page filter in the URL', () => {
  it('reads a kind and 进行中, and ignores an unknown kind', () => {
    expect(parseJobsFilter(new URLSearchParams('kind=IMPORT&active=1'))).toEqual({ kind: 'IMPORT', activeOnly: true });
    expect(parseJobsFilter(new URLSearchParams('kind=DELETE_ALL'))).toEqual({ kind: null, activeOnly: false });
    expect(parseJobsFilter(new URLSearchParams(''))).toEqual({ kind: null, activeOnly: false });
  });
  it('writes only what differs from the defaults and keeps other parameters', () => {
    const p = new URLSearchParams('kind=EXPORT&active=1&x=1');
    expect(jobsSearch(p, { kind: null, activeOnly: false }).toString()).toBe('x=1');
    expect(jobsSearch(new URLSearchParams(''), { kind: 'BULK_UPDATE', activeOnly: true }).toString()).toBe('kind=BULK_UPDATE&active=1');
    // A round trip gives the filter back.
    expect(parseJobsFilter(jobsSearch(new URLSearchParams(''), { kind: 'WECOM_SYNC', activeOnly: false }))).toEqual({ kind: 'WECOM_SYNC', activeOnly: false });
  });
  it('asks the API for the kind and the queued or running jobs', () => {
    expect(jobsVariables({ kind: 'IMPORT', activeOnly: true })).toEqual({ kinds: ['IMPORT'], statuses: ['QUEUED', 'RUNNING'] });
    expect(jobsVariables({ kind: null, activeOnly: false })).toEqual({ kinds: null, statuses: null });
  });
});
