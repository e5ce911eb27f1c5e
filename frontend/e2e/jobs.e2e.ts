// The jobs page (后台任务, #24: a job outlives its dialog). Each step is
// checked against the API (jobs, node).
// - An admin's export, started through the API, is the newest job on /jobs:
//   its progress runs to 已完成 with the API's counts, the page names who
//   started it, and its file downloads with a row per lead exported; the
//   kind filter and 进行中 are the API's lists and stay in the URL over Back
//   and reload (1440 px).
// - An import started in the leads list's dialog points to the jobs page
//   before it ends (the workers' queue paused meanwhile through the queues
//   dashboard's API); there it is cancelled with 取消 and ends CANCELLED, as
//   the API says (its rows are all rejected, so no lead is written whatever
//   the timing) (1440 px).
// - An analyst sees only the jobs it started; a rep (bulk changes) has the
//   menu entry and its own jobs only (1440 px).
// - At 390 px the page fits the screen and filters (390 px).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { ADMIN, BASE, gql, launch, shot, signIn, token, userPassword, type Browser } from './lib';
import { parseCsv } from '../src/lib/importFile';

let b: Browser;
let page: Page;
let admin: string;
let analyst: string;
let rep: string;

const stamp = String(Date.now() % 10000).padStart(4, '0');

interface JobNode { id: string; kind: string; status: string; total: number; done: number; failed: number; createdBy: { name: string } | null }
const JOBS = `query($k: [JobKind!], $s: [JobStatus!], $f: Int){ jobs(kinds: $k, statuses: $s, first: $f) {
  totalCount edges { node { id kind status total done failed createdBy { name } } } } }`;
const jobsOf = async (tok: string, vars: Record<string, unknown> = {}) =>
  (await gql<{ jobs: { totalCount: number; edges: { node: JobNode }[] } }>(tok, JOBS, { f: 20, ...vars })).jobs;
const jobOf = async (tok: string, id: string) =>
  (await gql<{ node: JobNode }>(tok, `query($id: ID!){ node(id: $id){ ... on Job { id kind status total done failed createdBy { name } } } }`, { id })).node;

const rowIDs = () => page.getByTestId('job').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
const row = (id: string) => page.locator(`[data-testid=job][data-id="${id}"]`);
const wide = () => page.evaluate(() => document.documentElement.scrollWidth);

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  analyst = await token('analyst@demo.scrm.dev', userPassword);
  rep = await token('rep1@demo.scrm.dev', userPassword);
});

afterAll(async () => {
  await b?.close();
});

describe('the jobs page', () => {
  it('follows an export to its end, downloads it, and filters by kind and 进行中 (1440 px)', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    const started = await gql<{ exportLeads: { id: string } }>(admin,
      `mutation($w: LeadWhereInput){ exportLeads(where: $w, columns: ["name", "phone"]) { id } }`, { w: { statusIn: ['ACTIVE'] } });
    const id = started.exportLeads.id;

    await page.getByRole('menuitem', { name: '后台任务' }).click();
    await page.waitForURL(/\/jobs$/);
    await expect.poll(async () => (await rowIDs())[0]).toBe(id);
    await expect.poll(() => row(id).getAttribute('data-status'), { timeout: 30_000 }).toBe('SUCCEEDED');
    const done = await jobOf(admin, id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.total).toBeGreaterThan(0);
    expect(await row(id).getByTestId('job-status').innerText()).toBe('已完成');
    expect(await row(id).getByTestId('job-counts').innerText()).toBe(`${done.done.toLocaleString()} / ${done.total.toLocaleString()}`);
    expect(await row(id).innerText()).toContain(`发起人：${done.createdBy?.name}`);
    // The rows are the API's first page.
    expect(await rowIDs()).toEqual((await jobsOf(admin)).edges.map((e) => e.node.id));
    expect(await page.getByTestId('jobs-total').innerText()).toBe(`共 ${(await jobsOf(admin)).totalCount.toLocaleString()} 个任务`);
    await shot(page, 'jobs-1440', { fullPage: false });

    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), row(id).getByTestId('job-download').click()]);
    const text = readFileSync(await dl.path(), 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const [header, ...rows] = parseCsv(text.slice(1)).map((r) => r.fields);
    expect(header).toEqual(['name', 'phone']);
    expect(rows).toHaveLength(done.done - done.failed);

    // Only exports, then only what is queued or running: the API's lists, in the URL.
    await page.getByTestId('jobs-kind').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '导出线索' }).click();
    await page.waitForURL(/\/jobs\?kind=EXPORT$/);
    const exports = (await jobsOf(admin, { k: ['EXPORT'] })).edges.map((e) => e.node.id);
    expect(exports[0]).toBe(id);
    await expect.poll(rowIDs).toEqual(exports);
    await page.getByTestId('jobs-active').getByText('进行中').click();
    await page.waitForURL(/\/jobs\?kind=EXPORT&active=1$/);
    const active = (await jobsOf(admin, { k: ['EXPORT'], s: ['QUEUED', 'RUNNING'] })).edges.map((e) => e.node.id);
    await expect.poll(rowIDs).toEqual(active);
    if (active.length === 0) await page.getByText('没有进行中的任务').waitFor();
    await page.goBack();
    await page.waitForURL(/\/jobs\?kind=EXPORT$/);
    await expect.poll(rowIDs).toEqual(exports);
    await page.reload();
    await expect.poll(rowIDs).toEqual(exports);
    expect(b.errors).toEqual([]);
  });

  it('cancels, on the jobs page, an import its dialog pointed to (1440 px)', async () => {
    // The workers' low queue (job:run's) is paused while the import is made
    // and cancelled, through the queues dashboard's API as an operator would:
    // the job waits QUEUED, so 取消 finds it unfinished however fast the
    // machine. Its rows are all rejected besides, so no lead is written.
    await queue('low', 'pause');
    try {
      await cancelAnImport();
    } finally {
      await queue('low', 'resume');
    }
    expect(b.errors).toEqual([]);
  });

  /** Pauses or resumes one of the workers' queues through the queues dashboard's API, as the demo's admin (an operator). */
  async function queue(name: string, action: 'pause' | 'resume') {
    const res = await fetch(`${BASE}/ops/queues/api/queues/${name}:${action}`, { method: 'POST', headers: { Authorization: `Bearer ${admin}`, Origin: BASE } });
    expect(res.status, `${action} ${name}`).toBeLessThan(300);
  }

  async function cancelAnImport() {
    const big = ['姓名,手机', ...Array.from({ length: 2_000 }, (_, i) => `任务页取消${stamp}-${i},123`)].join('\n') + '\n';
    await page.goto('/leads');
    await page.getByTestId('import-leads').click();
    await page.getByTestId('import-modal').waitFor();
    await page.getByTestId('import-modal').locator('input[type=file]').setInputFiles({ name: `jobs-cancel-${stamp}.csv`, mimeType: 'text/csv', buffer: Buffer.from(big, 'utf8') });
    await page.locator('[data-testid=import-modal][data-phase=map]').waitFor();
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-job').waitFor();
    const id = (await page.getByTestId('import-job').getAttribute('data-job')) ?? '';
    expect(id).not.toBe('');
    await page.getByTestId('jobs-link').click();
    await page.waitForURL(/\/jobs\?kind=IMPORT$/);
    await expect.poll(() => page.getByTestId('import-modal').count()).toBe(0);
    await expect.poll(async () => (await rowIDs())[0]).toBe(id);
    expect((await jobOf(admin, id)).status).toBe('QUEUED'); // the paused queue holds it
    await row(id).getByTestId('job-cancel').click();
    await page.locator('.ant-popconfirm .ant-btn-primary').click();
    await expect.poll(() => row(id).getAttribute('data-status')).toBe('CANCELLED');
    expect(await row(id).getByTestId('job-status').innerText()).toBe('已取消');
    expect(await row(id).getByTestId('job-cancel').count()).toBe(0);
    expect((await jobOf(admin, id)).status).toBe('CANCELLED');
  }

  it('shows an analyst and a rep only the jobs they started (1440 px)', async () => {
    const mine = await gql<{ exportLeads: { id: string } }>(analyst, `mutation{ exportLeads(where: { tier: A }, columns: ["name"]) { id } }`);
    await signIn(page, 'analyst@demo.scrm.dev', userPassword);
    await page.goto('/jobs');
    const seen = (await jobsOf(analyst)).edges;
    expect(seen.map((e) => e.node.id)).toContain(mine.exportLeads.id);
    expect(new Set(seen.map((e) => e.node.createdBy?.name)).size).toBe(1);
    await expect.poll(rowIDs).toEqual(seen.map((e) => e.node.id));

    await signIn(page, 'rep1@demo.scrm.dev', userPassword);
    await page.getByRole('menuitem', { name: '后台任务' }).click();
    await page.waitForURL(/\/jobs$/);
    const repJobs = (await jobsOf(rep)).edges.map((e) => e.node.id);
    expect(repJobs).not.toContain(mine.exportLeads.id);
    if (repJobs.length === 0) await page.getByText('还没有后台任务').waitFor();
    await expect.poll(rowIDs).toEqual(repJobs);
    expect(b.errors).toEqual([]);
  });

  it('fits a phone and filters there (390 px)', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/jobs?kind=IMPORT');
    const imports = (await jobsOf(admin, { k: ['IMPORT'] })).edges.map((e) => e.node.id);
    await expect.poll(rowIDs).toEqual(imports);
    expect(await wide()).toBeLessThanOrEqual(390);
    await shot(page, 'jobs-390', { fullPage: false });
    await page.getByTestId('jobs-kind').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '全部类型' }).click();
    await page.waitForURL(/\/jobs$/);
    await expect.poll(rowIDs).toEqual((await jobsOf(admin)).edges.map((e) => e.node.id));
    expect(await wide()).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });
});
