// CSV import and list export (scripts/e2e.sh runs this against `scrm serve`
// with the demo workspace). An admin uploads a GBK file (its bytes built here
// with the code points TextDecoder('gbk') answers) of three good rows, three
// bad ones (a phone, an email, a budget the server rejects) and an empty
// one: the encoding is detected, each column's target guessed, the preview
// shows the rows and flags the empty one, a target given twice stops the
// import; the job runs with a progress bar to its counts, the API has the
// three leads, and the rejected rows' CSV lists the bad rows with the
// server's reasons. A big file is cancelled while it runs (and a finished
// job's cancel is a CONFLICT). The filtered list exports the same leads as
// the API answers, with the columns shown; an analyst's export is masked as
// the analyst sees it; a rep is offered neither. At 1440 px and 390 px.
// The imported leads have their own source, so later specs' counts are not
// theirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { ADMIN, BASE, gql, launch, pick, shot, signIn, token, userPassword, type Browser } from './lib';
import { parseCsv } from '../src/lib/importFile';

let b: Browser;
let page: Page;
let admin: string;
let analyst: string;

const stamp = String(Date.now() % 10000).padStart(4, '0');
const SOURCE = `e2e导入-${stamp}`;
const phone = (i: number) => `199${stamp}${String(i).padStart(4, '0')}`;
const FILE = `展会名单-${stamp}.csv`;

const HEADER = ['姓名', '手机', '邮箱', '公司', '预算', '意向等级', '备注'];
const GOOD = [
  ['张伟导入', phone(1), `zhangwei${stamp}@example.com`, '上海车行', '200000', '高意向', '老客户介绍'],
  ['李娜导入', phone(2), '', '杭州贸易', '150000', '中意向', ''],
  ['王芳导入', phone(3), `wangfang${stamp}@example.com`, '', '', '低意向', ''],
];
const BAD = [
  ['赵磊坏号', '12345', '', '', '', '', '手机号错误'],
  ['钱敏坏邮箱', '', 'not-an-email', '', '', '', '邮箱错误'],
  ['孙强坏预算', phone(6), '', '', '很多', '', '预算不是数字'],
];
const EMPTY = ['', '', '', '', '', '', ''];
const csvLine = (r: string[]) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
const CSV = [HEADER, ...GOOD, ...BAD.slice(0, 2), EMPTY, BAD[2]].map(csvLine).join('\r\n') + '\r\n';

/** s in GBK: ASCII as is, anything else by the two-byte code that TextDecoder('gbk') reads as it. */
function gbk(s: string): Buffer {
  const codes = new Map<string, [number, number]>();
  const dec = new TextDecoder('gbk');
  for (let a = 0x81; a <= 0xfe; a++) {
    for (let c = 0x40; c <= 0xfe; c++) {
      if (c === 0x7f) continue;
      const ch = dec.decode(new Uint8Array([a, c]));
      if (!codes.has(ch)) codes.set(ch, [a, c]);
    }
  }
  const out: number[] = [];
  for (const ch of s) {
    if (ch.charCodeAt(0) < 0x80) out.push(ch.charCodeAt(0));
    else {
      const code = codes.get(ch);
      if (!code) throw new Error(`no GBK code for ${ch}`);
      out.push(...code);
    }
  }
  const buf = Buffer.from(out);
  expect(new TextDecoder('gbk').decode(buf)).toBe(s);
  expect(() => new TextDecoder('utf-8', { fatal: true }).decode(buf)).toThrow();
  return buf;
}

/** A GraphQL call's error codes (gql() throws on errors; this one reads them). */
async function errorCodes(tok: string, query: string, variables: Record<string, unknown>): Promise<string[]> {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tok}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  return (body.errors ?? []).map((e) => e.extensions?.code ?? '');
}
const CANCEL = `mutation($id: ID!){ cancelJob(id: $id){ id status } }`;

/** The records of a downloaded CSV (the server starts it with a byte order mark). */
async function downloaded(p: Promise<import('playwright-core').Download>): Promise<{ name: string; rows: string[][] }> {
  const dl = await p;
  const path = await dl.path();
  const text = readFileSync(path, 'utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  return { name: dl.suggestedFilename(), rows: parseCsv(text.slice(1)).map((r) => r.fields) };
}

interface LeadNode { name: string; phone: string | null; email: string | null; company: string; tags: { name: string }[]; attributes: Record<string, unknown> | null }
const LEADS = `query($w: LeadWhereInput){ leads(first: 50, where: $w, orderBy: { field: CREATED_AT, direction: DESC }) {
  totalCount edges { node { name phone email company tags { name } attributes } } } }`;
const leadsOf = async (tok: string) =>
  (await gql<{ leads: { totalCount: number; edges: { node: LeadNode }[] } }>(tok, LEADS, { w: { sourceIn: [SOURCE], statusIn: ['ACTIVE'] } })).leads;

const listURL = `/leads?filter=${encodeURIComponent(JSON.stringify({ sources: [SOURCE] }))}&cols=name,phone,email,tags,attr:budget`;
const wide = () => page.evaluate(() => document.documentElement.scrollWidth);
const target = (header: string) => page.locator(`[data-testid=map-row][data-header="${header}"]`).getAttribute('data-target');

async function openImport(file: { name: string; buffer: Buffer }): Promise<void> {
  await page.getByTestId('import-leads').click();
  await page.getByTestId('import-modal').waitFor();
  await page.getByTestId('import-modal').locator('input[type=file]').setInputFiles({ name: file.name, mimeType: 'text/csv', buffer: file.buffer });
  await page.locator('[data-testid=import-modal][data-phase=map]').waitFor();
}

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  analyst = await token('analyst@demo.scrm.dev', userPassword);
});

afterAll(async () => {
  await b?.close();
});

describe('CSV import and export', () => {
  let jobID = '';

  it('reads a GBK file, guesses each column, previews the rows and stops a mapping that gives a field twice', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto('/leads');
    await page.getByTestId('leads-table').waitFor();
    await openImport({ name: FILE, buffer: gbk(CSV) });

    expect(await page.getByTestId('import-encoding').innerText()).toBe('GBK');
    expect(await page.getByTestId('import-file-name').innerText()).toBe(FILE);
    // The guessed targets: built-ins by their Chinese names, the custom field
    // by its label (预算 (元)), the tag group by its name; 备注 is skipped.
    expect(await target('姓名')).toBe('name');
    expect(await target('手机')).toBe('phone');
    expect(await target('邮箱')).toBe('email');
    expect(await target('公司')).toBe('company');
    expect(await target('预算')).toBe('attributes.budget');
    expect(await target('意向等级')).toBe('tags');
    expect(await target('备注')).toBe('');

    // The preview: every data row, decoded, the empty one flagged; values are left to the server.
    const rows = page.locator('[data-testid=preview-row]');
    expect(await rows.count()).toBe(7);
    expect(await rows.first().innerText()).toContain('张伟导入');
    expect(await rows.first().getAttribute('data-line')).toBe('2');
    expect(await page.locator('[data-testid=preview-row][data-line="7"]').getAttribute('data-problems')).toBe('empty');
    expect(await page.locator('[data-testid=preview-row][data-line="5"]').getAttribute('data-problems')).toBe('');
    expect(await page.locator('[data-testid=preview-row][data-line="5"]').innerText()).toContain('12345');
    expect(await page.getByTestId('import-server-note').innerText()).toContain('被拒绝的行');
    expect(await page.getByTestId('import-problems').count()).toBe(0);

    // 公司 into 姓名 too: one field, two columns, no import.
    await pick(page, page.locator('[data-testid=map-row][data-header="公司"] .ant-select'), '姓名');
    await page.locator('[data-testid=import-problem][data-code=duplicateTarget]').waitFor();
    expect(await page.getByTestId('import-start').isDisabled()).toBe(true);
    await shot(page, 'import-mapping-problem-1440', { fullPage: false });
    await pick(page, page.locator('[data-testid=map-row][data-header="公司"] .ant-select'), '公司');
    await expect.poll(() => target('公司')).toBe('company');
    expect(await page.getByTestId('import-problems').count()).toBe(0);
    expect(await page.getByTestId('import-start').isDisabled()).toBe(false);

    await page.getByTestId('import-source').fill(SOURCE);
    await shot(page, 'import-mapping-1440', { fullPage: false });
    expect(b.errors).toEqual([]);
  });

  it('runs the import with a progress bar to its counts; the API has the good rows', async () => {
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-progress').waitFor();
    const done = page.getByTestId('import-done');
    await done.waitFor({ timeout: 60_000 });
    jobID = (await page.getByTestId('import-job').getAttribute('data-job')) ?? '';
    expect(jobID).not.toBe('');
    expect(await page.getByTestId('import-progress').getAttribute('data-status')).toBe('SUCCEEDED');
    expect(await page.getByTestId('import-progress').getAttribute('data-percent')).toBe('100');
    expect(await page.getByTestId('import-progress').locator('.ant-progress').count()).toBe(1);
    // Seven rows: three imported, the three bad ones and the empty one rejected.
    expect(await done.getAttribute('data-done')).toBe('7');
    expect(await done.getAttribute('data-failed')).toBe('4');
    expect(await done.innerText()).toContain('导入 3 行');

    const leads = await leadsOf(admin);
    expect(leads.totalCount).toBe(3);
    const byName = new Map(leads.edges.map((e) => [e.node.name, e.node]));
    expect([...byName.keys()].sort()).toEqual(GOOD.map((r) => r[0]).sort());
    const zhang = byName.get('张伟导入')!;
    expect(zhang.phone).toContain(phone(1));
    expect(zhang.email).toBe(`zhangwei${stamp}@example.com`);
    expect(zhang.company).toBe('上海车行');
    expect(zhang.tags.map((t) => t.name)).toEqual(['高意向']);
    expect(Number(zhang.attributes?.budget)).toBe(200000);
    expect(byName.get('李娜导入')!.tags.map((t) => t.name)).toEqual(['中意向']);
    await shot(page, 'import-done-1440', { fullPage: false });
    expect(b.errors).toEqual([]);
  });

  it('downloads the rejected rows with the server’s reasons', async () => {
    const file = await downloaded(Promise.all([page.waitForEvent('download'), page.getByTestId('import-rejects').click()]).then(([d]) => d));
    expect(file.name).toContain('rejected');
    const [header, ...rows] = file.rows;
    expect(header.slice(0, HEADER.length)).toEqual(HEADER);
    const errCol = header.indexOf('_errors');
    const lineCol = header.indexOf('_line');
    expect(errCol).toBeGreaterThan(0);
    expect(lineCol).toBeGreaterThan(0);
    const byName = new Map(rows.map((r) => [r[0], r]));
    expect(byName.get('赵磊坏号')?.[errCol]).toMatch(/phone/);
    expect(byName.get('赵磊坏号')?.[lineCol]).toBe('5');
    expect(byName.get('钱敏坏邮箱')?.[errCol]).toMatch(/email/);
    expect(byName.get('孙强坏预算')?.[errCol]).toMatch(/budget/);
    expect(rows.some((r) => GOOD.some((g) => g[0] === r[0]))).toBe(false);
    expect(rows).toHaveLength(4);

    // A finished job cannot be cancelled.
    expect(await errorCodes(admin, CANCEL, { id: jobID })).toEqual(['CONFLICT']);
    await page.getByTestId('import-close').click();
    await page.getByTestId('import-modal').waitFor({ state: 'detached' });
    expect(b.errors).toEqual([]);
  });

  it('cancels an import while it runs', async () => {
    // 30,000 rows the server rejects (no lead is written whatever the timing).
    const big = ['姓名,手机', ...Array.from({ length: 30_000 }, (_, i) => `取消测试${i},123`)].join('\n') + '\n';
    await openImport({ name: `cancel-${stamp}.csv`, buffer: Buffer.from(big, 'utf8') });
    expect(await page.getByTestId('import-encoding').innerText()).toBe('UTF-8');
    expect(await page.locator('[data-testid=preview-row]').count()).toBe(10);
    await page.getByTestId('import-source').fill(SOURCE);
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-cancel').click();
    await page.getByTestId('import-cancelled').waitFor();
    const id = (await page.getByTestId('import-job').getAttribute('data-job')) ?? '';
    const node = await gql<{ node: { status: string; done: number; total: number } }>(admin, `query($id: ID!){ node(id: $id){ ... on Job { status done total } } }`, { id });
    expect(node.node.status).toBe('CANCELLED');
    expect(await errorCodes(admin, CANCEL, { id })).toEqual(['CONFLICT']);
    await shot(page, 'import-cancelled-1440', { fullPage: false });
    await page.getByTestId('import-close').click();
    expect((await leadsOf(admin)).totalCount).toBe(3);
    expect(b.errors).toEqual([]);
  });

  it('exports the filtered list with its columns, as the API answers the same filter', async () => {
    await page.goto(listURL);
    await expect.poll(() => page.getByTestId('leads-table').locator('tbody tr.ant-table-row').count()).toBe(3);
    const file = await downloaded(Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-leads').click()]).then(([d]) => d));
    await page.getByTestId('export-done').waitFor();
    expect(file.name).toMatch(/^leads-.*\.csv$/);
    const [header, ...rows] = file.rows;
    expect(header).toEqual(['name', 'phone', 'email', 'tags', 'attributes.budget']);
    const api = await leadsOf(admin);
    const want = api.edges.map((e) => [e.node.name, e.node.phone ?? '', e.node.email ?? '', e.node.tags.map((t) => t.name).join('|'), e.node.attributes?.budget == null ? '' : String(e.node.attributes.budget)]);
    expect(rows.map((r) => r.slice(0, 4)).sort()).toEqual(want.map((r) => r.slice(0, 4)).sort());
    expect(rows.map((r) => Number(r[4] || 0)).sort()).toEqual(want.map((r) => Number(r[4] || 0)).sort());
    await shot(page, 'export-done-1440', { fullPage: false });
    await page.getByTestId('export-close').click();
    expect(b.errors).toEqual([]);
  });

  it('exports masked values for an analyst, who may not import', async () => {
    await signIn(page, 'analyst@demo.scrm.dev', userPassword);
    await page.goto(listURL);
    await expect.poll(() => page.getByTestId('leads-table').locator('tbody tr.ant-table-row').count()).toBe(3);
    expect(await page.getByTestId('import-leads').count()).toBe(0);
    const file = await downloaded(Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-leads').click()]).then(([d]) => d));
    const [header, ...rows] = file.rows;
    const phoneCol = header.indexOf('phone');
    const api = await leadsOf(analyst);
    const seen = new Map(api.edges.map((e) => [e.node.name, e.node.phone]));
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r[phoneCol]).toContain('*');
      expect(r[phoneCol]).not.toContain(phone(1));
      expect(r[phoneCol]).toBe(seen.get(r[0]));
    }
    await page.getByTestId('export-close').click();
    expect(b.errors).toEqual([]);
  });

  it('offers a rep neither import nor export', async () => {
    await signIn(page, 'rep1@demo.scrm.dev', userPassword);
    await page.goto('/leads');
    await page.getByTestId('leads-table').waitFor();
    expect(await page.getByTestId('import-leads').count()).toBe(0);
    expect(await page.getByTestId('export-leads').count()).toBe(0);
    expect(b.errors).toEqual([]);
  });

  it('fits a phone (390 px): the buttons, the mapping and preview, the export', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(listURL);
    await page.getByTestId('import-leads').waitFor();
    await expect.poll(() => page.getByTestId('lead-card').count()).toBe(3);
    expect(await wide()).toBeLessThanOrEqual(390);
    await shot(page, 'leads-import-export-390', { fullPage: false });
    await openImport({ name: FILE, buffer: gbk(CSV) });
    expect(await target('手机')).toBe('phone');
    expect(await wide()).toBeLessThanOrEqual(390);
    await shot(page, 'import-mapping-390', { fullPage: false });
    await page.getByRole('dialog').locator('.ant-modal-close').click();
    await page.getByTestId('import-modal').waitFor({ state: 'detached' });

    const dl = page.waitForEvent('download', { timeout: 60_000 });
    await page.getByTestId('export-leads').click();
    await dl;
    await page.getByTestId('export-done').waitFor();
    expect(await wide()).toBeLessThanOrEqual(390);
    await shot(page, 'export-done-390', { fullPage: false });
    await page.getByTestId('export-close').click();
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });
});
