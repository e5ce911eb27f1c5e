// The web app in real headless Chromium against `scrm serve` on a fresh
// database holding the demo workspace with 10,000 leads (scripts/e2e.sh).
// The steps run in order and build on each other: an admin defines a custom
// field, creates a lead with it and filters by it; a new rep claims from the
// public pool and sees why a second claim is refused; a segment intersects
// conditions with a saved segment and previews its count; a broadcast is
// scheduled to it. Every page is screenshotted to e2e/out/, and the leads
// page's first render with 10,000 leads is measured and reported.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ADMIN, BASE, formItem, gql, holdRequests, launch, OUT, pick, shot, signIn, token, userPassword, type Browser } from './lib';

const LEADS = Number(process.env.SCRM_E2E_LEADS ?? 10000);
let b: Browser;
let page: Page;
let adminToken: string;

const FIELD = { key: 'member_level', label: '会员等级' };
const LEAD = { name: 'E2E 测试客户', phone: '13700001234' };
const REP = { name: 'E2E 销售', email: 'e2e.rep@demo.scrm.dev', password: 'e2e-rep-password' };
const SEGMENT = '上海 ∩ 高意向 (E2E)';

beforeAll(async () => {
  b = await launch();
  page = b.page;
  adminToken = await token(ADMIN.email, ADMIN.password);
});

afterEach(async (ctx) => {
  // A failed step leaves a picture of the page as it was.
  if (ctx.task.result?.state === 'fail' && page) {
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await page.screenshot({ path: join(OUT, `FAILED-${name}.png`), fullPage: true }).catch(() => {});
  }
});

afterAll(async () => {
  await b?.close();
});

async function navTexts(): Promise<string> {
  return (await page.getByTestId('nav').innerText()).replace(/\s+/g, ' ');
}

async function toast(text: string | RegExp): Promise<void> {
  await page.locator('.ant-message-notice').filter({ hasText: text }).first().waitFor();
}

describe('scrm web app', () => {
  it('signs in and refuses a wrong password with a message', async () => {
    await page.goto('/');
    await page.getByTestId('login-workspace').waitFor();
    await shot(page, 'login');
    await page.getByTestId('login-workspace').fill('demo');
    await page.getByTestId('login-email').fill(ADMIN.email);
    await page.getByTestId('login-password').fill('wrong-password');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').innerText()).toContain('不正确');
    await page.getByTestId('login-password').fill(ADMIN.password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL('**/home');
    await page.getByTestId('home').waitFor();
    await page.goto('/leads');
    await page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().waitFor();
    const nav = await navTexts();
    for (const item of ['线索', '公海', '分群', '群发', '漏斗', '设置', '自定义字段']) expect(nav).toContain(item);
    await shot(page, 'leads');
  });

  it(`renders the first page of ${LEADS} leads and reports how long it took`, async () => {
    const runs: Record<string, number>[] = [];
    let trace: unknown[] = [];
    // One cold reload, then seven warm ones: a single reload on this 2-core
    // machine spreads over 160-500 ms with the browser's own processes, the
    // server and PostgreSQL sharing the cores, so a median of three moved by
    // 100 ms between runs of the same code; of seven it is steadier.
    for (let i = 0; i < 8; i++) {
      const cdp = await page.context().newCDPSession(page);
      const events: { name: string; ts: number; cat: string; args?: { data?: { documentLoaderURL?: string; isLoadingMainFrame?: boolean } } }[] = [];
      cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as typeof events)));
      const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
      await cdp.send('Tracing.start', { categories: 'blink.user_timing,devtools.timeline,loading,navigation', transferMode: 'ReportEvents' });
      await page.goto('/leads', { waitUntil: 'commit' });
      // The first screen of rows, then the rest of the page a frame later.
      await page.waitForFunction(() => performance.getEntriesByName('scrm:leads:first-page-complete').length > 0, undefined, { timeout: 30_000 });
      await cdp.send('Tracing.end');
      await complete;
      await cdp.detach();
      const m = await page.evaluate(() => {
        const mark = performance.getEntriesByName('scrm:leads:first-page-rendered')[0] as PerformanceMark;
        const done = performance.getEntriesByName('scrm:leads:first-page-complete')[0] as PerformanceMark;
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const gqls = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/graphql')) as PerformanceResourceTiming[];
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        const app = performance.getEntriesByName('scrm:app:start')[0];
        // The first request to /graphql is the list's first page (index.html or src/api/prefetch.ts sends it).
        const list = gqls[0];
        return {
          firstPageMs: mark.startTime,
          rows: (mark.detail as { rows: number }).rows,
          drawn: (mark.detail as { drawn: number }).drawn,
          completeMs: done.startTime,
          completeRows: (done.detail as { rows: number }).rows,
          responseEndMs: nav.responseEnd,
          domContentLoadedMs: nav.domContentLoadedEventEnd,
          appStartMs: app ? app.startTime : -1,
          listRequestStartMs: list ? list.startTime : -1,
          listResponseStartMs: list ? list.responseStart : -1,
          listResponseEndMs: list ? list.responseEnd : -1,
          firstContentfulPaintMs: paint ? paint.startTime : -1,
          graphqlRequests: gqls.length,
          graphqlTotalMs: gqls.reduce((n, r) => n + r.duration, 0),
        };
      });
      // The same moment read from the trace: the user-timing mark after the
      // last main-frame navigationStart.
      const markEv = events.find((e) => e.name === 'scrm:leads:first-page-rendered');
      const navEv = events.filter((e) => e.name === 'navigationStart' && markEv && e.ts <= markEv.ts && e.args?.data?.isLoadingMainFrame !== false).pop();
      const traceMs = markEv && navEv ? (markEv.ts - navEv.ts) / 1000 : -1;
      runs.push({ ...m, traceMs: Math.round(traceMs * 10) / 10, cold: i === 0 ? 1 : 0 });
      if (i === 0) trace = events;
    }
    // The count comes in its own request, after the rows or before them.
    const countText = () => page.getByTestId('leads-table').evaluate(() => document.body.innerText.match(/共\s*([\d,]+)\s*条/)?.[1] ?? '');
    await expect.poll(countText, { timeout: 15_000 }).not.toBe('');
    const total = await countText();
    const warm = runs.slice(1).map((r) => r.firstPageMs).sort((a, b) => a - b);
    const med = (k: string) => {
      const v = runs.slice(1).map((r) => r[k]).sort((a, b) => a - b);
      return Math.round(v[Math.floor(v.length / 2)]);
    };
    const report = {
      what: 'leads page: navigation start to the first page of rows committed (performance mark scrm:leads:first-page-rendered, cross-checked in a Chromium trace)',
      url: `${BASE}/leads`,
      leadsInWorkspace: Number(total.replace(/,/g, '')),
      pageSize: runs[0].rows,
      firstScreenRows: runs[0].drawn,
      coldMs: Math.round(runs[0].firstPageMs),
      warmMedianMs: Math.round(warm[Math.floor(warm.length / 2)]),
      // Medians of the warm runs' steps: HTML received, app code evaluated,
      // the list's request sent and answered, rows committed.
      warmSteps: {
        htmlMs: med('responseEndMs'),
        appStartMs: med('appStartMs'),
        listRequestStartMs: med('listRequestStartMs'),
        listResponseEndMs: med('listResponseEndMs'),
        firstPageMs: med('firstPageMs'),
        // every row of the page committed (the rows below the first screen
        // are drawn after it is painted)
        completeMs: med('completeMs'),
      },
      runs,
      // Other work on the machine shows in the timings: these say how busy it was.
      machine: { cpus: cpus().length, loadavg1m: Math.round(loadavg()[0] * 100) / 100 },
      when: new Date().toISOString(),
    };
    writeFileSync(join(OUT, 'perf-leads.json'), JSON.stringify(report, null, 2));
    writeFileSync(join(OUT, 'trace-leads.json'), JSON.stringify({ traceEvents: trace }));
    console.log(
      `\nPERF leads first page (${report.leadsInWorkspace} leads, ${report.pageSize} rows, ${report.firstScreenRows} in the first screen): cold ${report.coldMs} ms, warm median ${report.warmMedianMs} ms, all ${report.pageSize} rows ${report.warmSteps.completeMs} ms; ` +
        `trace: ${runs.map((r) => r.traceMs).join(', ')} ms; warm medians: HTML ${report.warmSteps.htmlMs}, app code ${report.warmSteps.appStartMs}, ` +
        `list request ${report.warmSteps.listRequestStartMs}-${report.warmSteps.listResponseEndMs} ms; load average ${report.machine.loadavg1m} on ${report.machine.cpus} CPUs (written to ${OUT}/perf-leads.json)\n`,
    );
    expect(report.leadsInWorkspace).toBeGreaterThanOrEqual(LEADS);
    expect(report.pageSize).toBe(50);
    // One screen first (the window's height over 45 px rows), then the page.
    expect(report.firstScreenRows).toBeLessThan(50);
    for (const r of runs) {
      expect(r.completeRows).toBe(50);
      expect(r.completeMs).toBeGreaterThanOrEqual(r.firstPageMs);
    }
    for (const r of runs) expect(r.traceMs).toBeGreaterThan(0);
    // The table draws preset-coloured tags as spans with antd's class names
    // (components/leads/columns.tsx cellTag): they must look like antd's Tag,
    // here the header's role tag.
    const look = (sel: string) =>
      page.locator(sel).first().evaluate((el) => {
        const s = getComputedStyle(el);
        return ['background-color', 'color', 'padding-left', 'padding-right', 'border-top-width', 'border-top-color', 'border-radius', 'font-size', 'line-height', 'height', 'margin-right'].map((p) => `${p}: ${s.getPropertyValue(p)}`);
      });
    expect(await look('[data-testid=leads-table] tbody span.ant-tag-blue')).toEqual(await look('[data-testid=user-menu] .ant-tag-blue'));

    // The rows' check boxes are antd's markup without antd's Checkbox
    // (components/leads/LeadsTable.tsx): they look like the header's, which
    // is antd's, and select rows, shift-click ranges included.
    const box = (sel: string) =>
      page.locator(sel).first().evaluate((el) => {
        const s = getComputedStyle(el);
        return ['width', 'height', 'border-top-width', 'border-top-style', 'border-top-color', 'border-radius', 'background-color', 'cursor'].map((p) => `${p}: ${s.getPropertyValue(p)}`);
      });
    const table = page.getByTestId('leads-table');
    await expect.poll(() => table.locator('tbody .ant-checkbox-wrapper').count()).toBe(50);
    expect(await box('[data-testid=leads-table] tbody td.ant-table-selection-column .ant-checkbox')).toEqual(await box('[data-testid=leads-table] thead .ant-checkbox'));
    const rowBox = (i: number) => table.locator('tbody tr.ant-table-row').nth(i).locator('input.ant-checkbox-input');
    await rowBox(0).click();
    await page.getByText('已选 1 条').waitFor();
    expect(await table.locator('tbody tr.ant-table-row').first().locator('.ant-checkbox').getAttribute('class')).toContain('ant-checkbox-checked');
    await rowBox(3).click({ modifiers: ['Shift'] });
    await page.getByText('已选 4 条').waitFor();
    expect(await table.locator('tbody .ant-checkbox-checked').count()).toBe(4);
    await rowBox(1).click();
    await page.getByText('已选 3 条').waitFor();
    // The header's box selects the whole page, and clears it again.
    await table.locator('thead input.ant-checkbox-input').click();
    await expect.poll(() => table.locator('tbody .ant-checkbox-checked').count()).toBe(50);
    await table.locator('thead input.ant-checkbox-input').click();
    await expect.poll(() => table.locator('tbody .ant-checkbox-checked').count()).toBe(0);
  });

  it('draws the rows without waiting for the count of every matching lead', async () => {
    // The count of a large workspace takes longer than its page: the list
    // asks for it apart (LeadsTotal), once the page's rows are drawn, and
    // shows 共 … 条 until it is in.
    const counts = await holdRequests(page, 'query LeadsTotal');
    try {
      await page.goto('/leads');
      await page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().waitFor();
      // Asked after the rows, and held here: the rows stay drawn without it.
      await expect.poll(() => counts.count(), { timeout: 15_000 }).toBeGreaterThan(0);
      expect(await page.locator('[data-testid=leads-table] tbody tr.ant-table-row').count()).toBeGreaterThan(0);
      expect(await page.locator('body').innerText()).toContain('共 … 条');
      counts.release();
      await expect.poll(() => page.locator('body').innerText(), { timeout: 15_000 }).toMatch(/共 [\d,]+ 条/);
    } finally {
      await counts.stop();
    }
  });
  it('defines a custom field with type-specific options', async () => {
    await page.goto('/settings/fields');
    await page.getByTestId('new-field').click();
    const modal = page.locator('.ant-modal').filter({ has: page.getByTestId('field-form') });
    await page.getByTestId('field-label').fill(FIELD.label);
    await page.getByTestId('field-key').fill(FIELD.key);
    await pick(page, page.getByTestId('field-type'), '单选');
    // A select field takes options; a number field would take min/max instead.
    await page.getByTestId('field-add-option').click();
    await page.getByTestId('field-option-value-0').fill('gold');
    await page.getByTestId('field-option-label-0').fill('金卡');
    await page.getByTestId('field-add-option').click();
    await page.getByTestId('field-option-value-1').fill('silver');
    await page.getByTestId('field-option-label-1').fill('银卡');
    await shot(page, 'field-form');
    await modal.getByRole('button', { name: /确\s*定|OK/ }).click();
    await toast('已保存');
    await page.getByTestId('fields-table').getByText(FIELD.label).waitFor();
    await expect.poll(() => page.getByTestId('fields-table').innerText()).toContain(FIELD.key);
    await shot(page, 'settings-fields');
  });

  it('shows a field error from the API on the form field', async () => {
    await page.getByTestId('new-field').click();
    await page.getByTestId('field-label').fill('重复的键');
    await page.getByTestId('field-key').fill(FIELD.key); // taken: the API refuses it at input.key
    await page.locator('.ant-modal').filter({ has: page.getByTestId('field-form') }).getByRole('button', { name: /确\s*定|OK/ }).click();
    const keyItem = formItem(page.locator('.ant-modal'), '字段键');
    await expect.poll(() => keyItem.locator('.ant-form-item-explain-error').innerText(), { timeout: 10_000 }).toMatch(/.+/);
    await shot(page, 'field-error');
    await page.locator('.ant-modal').getByRole('button', { name: /取\s*消|Cancel/ }).click();
  });

  it('creates a lead with the custom field', async () => {
    await page.goto('/leads');
    // The form and the lead page use the workspace's typed schema: the
    // option goes in as its enum value name, the page selects the field by
    // its key, neither touches the generic attributes.
    const bodies: { query: string; variables: Record<string, unknown> }[] = [];
    const capture = (r: import('playwright-core').Request) => {
      if (r.url().endsWith('/graphql') && r.method() === 'POST') bodies.push(r.postDataJSON());
    };
    page.on('request', capture);
    await page.getByTestId('new-lead').click();
    const modal = page.locator('.ant-modal').filter({ has: page.getByTestId('lead-form') });
    await page.getByTestId('lead-form-name').fill(LEAD.name);
    await page.getByTestId('lead-form-phone').fill(LEAD.phone);
    await pick(page, formItem(modal, FIELD.label), '金卡');
    await shot(page, 'lead-form');
    await page.getByTestId('lead-form-submit').click();
    await page.waitForURL(/\/leads\/[^/]+$/);
    await expect.poll(() => page.getByTestId(`lead-attr-${FIELD.key}`).innerText()).toBe('金卡');
    await expect.poll(() => page.getByTestId('lead-name').innerText()).toContain(LEAD.name);
    await shot(page, 'lead-detail');
    const ingest = bodies.find((x) => x.query.includes('ingestLeads'))!;
    const row = (ingest.variables.input as { leads: Record<string, unknown>[] }).leads[0];
    expect(row[FIELD.key]).toBe('GOLD');
    expect(row).not.toHaveProperty('attributes');
    const read = bodies.filter((x) => /query Lead\b/.test(x.query));
    expect(read.length).toBeGreaterThan(0);
    for (const x of read) {
      expect(x.query).toMatch(new RegExp(`fragment LeadTypedFields on Lead \\{[^}]*\\b${FIELD.key}\\b`));
      expect(x.query).not.toMatch(/\battributes\b/);
    }
    // Edited on the lead page: updateLead gets the typed field (SILVER), and
    // back to gold for the filter step.
    for (const [label, name] of [['银卡', 'SILVER'], ['金卡', 'GOLD']]) {
      bodies.length = 0;
      await page.getByTestId('lead-edit').click();
      await pick(page, formItem(page, FIELD.label), label);
      await page.getByTestId('lead-save').click();
      await expect.poll(() => page.getByTestId(`lead-attr-${FIELD.key}`).innerText()).toBe(label);
      const upd = bodies.find((x) => x.query.includes('updateLead'))!;
      expect(upd.variables.input).toEqual({ [FIELD.key]: name });
    }
    page.off('request', capture);
  });

  it('reads a lead again after a custom field was archived elsewhere', async () => {
    // The page has the definitions with a field that is then archived
    // through the API: the next lead's typed query names a field the schema
    // no longer has (GRAPHQL_VALIDATION_FAILED), so the page reads the
    // definitions again and retries without it.
    const id = page.url().split('/').pop()!;
    const created = await gql<{ createFieldDefinition: { id: string } }>(adminToken,
      `mutation { createFieldDefinition(input: {key: "e2e_gone", label: "将归档", type: TEXT}) { id } }`);
    await page.goto(`/leads/${id}`);
    await page.getByTestId('lead-attr-e2e_gone').waitFor({ state: 'attached' });
    await page.waitForLoadState('networkidle'); // every component has read the definitions
    await gql(adminToken, `mutation($id: ID!) { archiveFieldDefinition(id: $id) { id } }`, { id: created.createFieldDefinition.id });
    const other = await gql<{ leads: { edges: { node: { id: string; name: string } }[] } }>(adminToken,
      `{ leads(first: 1, where: {nameNEQ: ""}, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id name } } } }`);
    // The app refreshes cached queries in the background on navigation
    // (cache-and-network): that first refresh of the definitions is held
    // back for 6 s, so only the page's own retry can recover in time.
    let held = false;
    let released = false;
    await page.route('**/graphql', async (route) => {
      if (!held && /query FieldDefinitions\b/.test(route.request().postData() ?? '')) {
        held = true;
        await new Promise((r) => setTimeout(r, 6000));
        released = true;
      }
      await route.fallback();
    });
    const codes: string[] = [];
    const onResponse = async (r: import('playwright-core').Response) => {
      if (!r.url().endsWith('/graphql') || !/query Lead\b/.test(r.request().postData() ?? '')) return;
      const body = (await r.json().catch(() => ({}))) as { errors?: { extensions?: { code?: string } }[] };
      codes.push((body.errors?.[0]?.extensions?.code ?? 'OK') + (released ? ' after the held refresh' : ''));
    };
    page.on('response', onResponse);
    const errorsBefore = b.errors.length;
    // In-app navigation, so the definitions come from the client's cache.
    await page.evaluate((to) => {
      history.pushState({}, '', to);
      dispatchEvent(new PopStateEvent('popstate'));
    }, `/leads/${other.leads.edges[0].node.id}`);
    await expect.poll(() => page.getByTestId('lead-name').innerText(), { timeout: 5_000 }).toContain(other.leads.edges[0].node.name);
    await expect.poll(() => codes.join(',')).toMatch(/^GRAPHQL_VALIDATION_FAILED,OK/);
    expect(await page.getByTestId('lead-attr-e2e_gone').count()).toBe(0);
    expect(held).toBe(true);
    // The refused query is the one expected browser error (HTTP 400).
    const refused = b.errors.slice(errorsBefore).filter((e) => e.includes('status of 400'));
    expect(refused).toHaveLength(1);
    b.errors.splice(b.errors.indexOf(refused[0]), 1);
    page.off('response', onResponse);
    await page.unrouteAll({ behavior: 'wait' });
    await page.goto(`/leads/${id}`);
  });

  it('records a follow-up and moves the stage on the lead', async () => {
    await page.getByTestId('followup-form').locator('textarea').fill('电话沟通，客户对 SUV 有兴趣');
    await page.getByTestId('followup-submit').click();
    await toast('已记录跟进');
    await page.getByTestId('followup-timeline').getByText('客户对 SUV 有兴趣').waitFor();
    const steps = page.getByTestId('stage-bar').locator('.ant-steps-item');
    await steps.nth(1).click();
    await page.locator('.ant-modal-confirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await toast('阶段已更新');
    await page.getByRole('tab', { name: '历史' }).click();
    await page.getByTestId('history-timeline').waitFor();
    await shot(page, 'lead-history');
  });

  it('filters the leads list by the custom field', async () => {
    await page.goto('/leads');
    await page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().waitFor();
    // The list uses the workspace's typed schema: the filter is the typed
    // where input (member_level: GOLD), a shown custom column is selected as
    // the typed field, and neither touches the generic attributes.
    const lists: { query: string; variables: Record<string, unknown> }[] = [];
    const capture = (r: import('playwright-core').Request) => {
      if (r.url().endsWith('/graphql') && r.method() === 'POST' && /query Leads\b/.test(r.postData() ?? '')) lists.push(r.postDataJSON());
    };
    page.on('request', capture);
    await page.getByTestId('filter-toggle').click();
    await page.getByTestId('add-attr-condition').click();
    const cond = page.getByTestId('attr-condition').first();
    await pick(page, cond.getByTestId('attr-field'), FIELD.label);
    await pick(page, cond.locator('.ant-col').nth(2), '金卡');
    const rows = page.locator('[data-testid=leads-table] tbody tr.ant-table-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => rows.first().innerText()).toContain(LEAD.name);
    const filtered = lists.at(-1)!;
    expect(filtered.variables.where).toMatchObject({ [FIELD.key]: 'GOLD' });
    // The column chooser adds the custom field as a column.
    await page.getByTestId('column-chooser-button').click();
    await page.getByTestId(`column-${FIELD.key}`).click();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('leads-table').locator('thead').innerText()).toContain(FIELD.label);
    await expect.poll(() => rows.first().innerText()).toContain('金卡');
    const shown = lists.at(-1)!;
    expect(shown.query).toMatch(new RegExp(`fragment LeadTypedFields on Lead \\{[^}]*\\b${FIELD.key}\\b`));
    for (const x of lists) {
      expect(x.query).not.toMatch(/\battributes\b|orderByAttribute/);
      expect(JSON.stringify(x.variables)).not.toContain('attributes');
    }
    page.off('request', capture);
    // A saved view (kept on the server: e2e/saved-views.e2e.ts).
    await page.getByTestId('view-save').click();
    await page.getByTestId('view-name').fill('金卡客户');
    await page.locator('.ant-modal').filter({ has: page.getByTestId('view-name') }).getByRole('button', { name: /确\s*定|OK/ }).click();
    await toast('金卡客户');
    await shot(page, 'leads-filtered');
  });

  it('shows CEL errors from the API on their line', async () => {
    await page.goto('/settings/rules');
    await page.getByRole('tab', { name: '评分规则' }).click();
    await page.getByTestId('new-scoring-rule').click();
    await page.getByTestId('rule-name').fill('金卡加分');
    await page.getByTestId('cel-editor').fill('lead.source == "官网" &&\n  attributes.member_levle == "gold"');
    await page.getByTestId('rule-submit').click();
    await expect.poll(() => page.getByTestId('cel-errors').innerText(), { timeout: 10_000 }).toContain('member_levle');
    expect(await page.getByTestId('cel-errors').innerText()).toMatch(/第 2 行/);
    await shot(page, 'rules-cel-error');
    await page.getByTestId('cel-editor').fill('has(attributes.member_level) && attributes.member_level == "gold"');
    await page.getByTestId('rule-submit').click();
    await toast('重新评分');
    await page.getByTestId('scoring-rules').getByText('金卡加分').waitFor();
    await shot(page, 'settings-rules');
  });

  it('adds a rep and a cooldown to the public pool', async () => {
    await page.goto('/settings/users');
    await page.getByTestId('new-user').click();
    const modal = page.locator('.ant-modal').last();
    await formItem(modal, '姓名').locator('input').fill(REP.name);
    await formItem(modal, '邮箱').locator('input').fill(REP.email);
    await formItem(modal, '密码').locator('input').fill(REP.password);
    await formItem(modal, '私海库容').locator('input').fill('20');
    await modal.getByRole('button', { name: /确\s*定|OK/ }).click();
    await toast('已保存');
    await page.getByText(REP.email).waitFor();
    await shot(page, 'settings-users');

    await page.goto('/settings/pools');
    await page.locator('.ant-table-row').first().getByRole('button', { name: /编\s*辑/ }).click();
    const pm = page.locator('.ant-modal').last();
    await formItem(pm, '冷却期').locator('input').fill('7');
    await pm.getByRole('button', { name: /确\s*定|OK/ }).click();
    await toast('已保存');
    await expect.poll(() => page.locator('.ant-table-row').first().innerText()).toContain('7 天');
    await shot(page, 'settings-pools');
  });

  it('lets a rep claim from the public pool and shows why a claim is refused', async () => {
    await signIn(page, REP.email, REP.password);
    const nav = await navTexts();
    expect(nav).toContain('公海');
    expect(nav).not.toContain('设置');
    expect(nav).not.toContain('分群');
    await page.goto('/pool');
    const row = page.locator('[data-testid=pool-table] tbody tr.ant-table-row').first();
    await row.waitFor();
    const leadID = await row.getAttribute('data-row-key');
    expect(leadID).toBeTruthy();
    await shot(page, 'pool');
    await row.getByTestId('claim-one').click();
    await toast('已领取 1 条');
    await page.goto(`/leads/${leadID}`);
    await expect.poll(() => page.getByTestId('lead-detail').innerText()).toContain(REP.name);
    // Release it, then claim it again: the pool's 7-day cooldown refuses.
    await page.getByRole('button', { name: '退回公海' }).click();
    await page.locator('.ant-modal-confirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await toast('已退回 1 条');
    await page.getByTestId('detail-claim').click();
    const refused = page.locator('.ant-modal-confirm').filter({ hasText: '未能领取' });
    await refused.waitFor();
    expect(await refused.innerText()).toContain('冷却期');
    // When it ends, said in Chinese from the failure's until (not the API's English text).
    expect(await page.getByTestId('claim-refused').innerText()).toMatch(/^可于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 再次领取$/);
    await shot(page, 'pool-claim-refused');
    await refused.getByRole('button').click();
  });

  it('shows a partner masked phones and no settings', async () => {
    await signIn(page, 'partner@demo.scrm.dev', userPassword);
    expect(await navTexts()).not.toContain('设置');
    await page.goto('/leads');
    const rows = page.locator('[data-testid=leads-table] tbody tr.ant-table-row');
    await rows.first().waitFor();
    const text = await page.getByTestId('leads-table').locator('tbody').innerText();
    expect(text).toMatch(/\d{3}\*{4}\d{4}/);
    expect(text).not.toMatch(/\+86139\d{8}/);
    await shot(page, 'partner-leads-masked');
  });

  it('builds a segment with an intersect and previews its count', async () => {
    await signIn(page, 'analyst@demo.scrm.dev', userPassword);
    await page.goto('/segments');
    await page.getByTestId('segments-table').locator('tbody tr').first().waitFor();
    await shot(page, 'segments');
    await page.getByTestId('new-segment').click();
    const builder = page.getByTestId('segment-builder');
    await builder.getByRole('button', { name: '+ 条件', exact: true }).click();
    const rule = builder.locator('.rule').first();
    await pick(page, rule.locator('.rule-fields'), '城市', true);
    await pick(page, rule.locator('.rule-operators'), '等于');
    await pick(page, page.getByTestId('seg-value-city'), '上海');
    await expect.poll(() => page.getByTestId('preview-count').innerText(), { timeout: 15_000 }).toMatch(/^[\d,]+$/);
    const conditionsOnly = Number((await page.getByTestId('preview-count').innerText()).replace(/,/g, ''));

    await page.getByTestId('segment-setops').getByText('交集 ∩').click();
    await pick(page, page.getByTestId('setop-segment').first(), '高意向客户');
    // The count the API gives for the same rule, asked directly.
    const segs = await gql<{ segments: { edges: { node: { id: string; name: string } }[] } }>(adminToken, `{ segments(first: 100) { edges { node { id name } } } }`);
    const hot = segs.segments.edges.find((e) => e.node.name === '高意向客户')!.node.id;
    const want = await gql<{ previewSegment: { count: number } }>(adminToken, `query($r: SegmentRuleInput!){ previewSegment(rule: $r) { count } }`, {
      r: { intersect: [{ attribute: { key: 'city', op: 'EQ', value: 'shanghai' } }, { segment: hot }] },
    });
    await expect
      .poll(async () => Number((await page.getByTestId('preview-count').innerText()).replace(/,/g, '')), { timeout: 15_000 })
      .toBe(want.previewSegment.count);
    expect(want.previewSegment.count).toBeGreaterThan(0);
    expect(want.previewSegment.count).toBeLessThan(conditionsOnly);
    await page.getByTestId('segment-name').fill(SEGMENT);
    await shot(page, 'segment-builder');
    await page.getByTestId('segment-save').click();
    await page.waitForURL(/\/segments\/[^/]+$/);
    await toast('分群已保存');
    await expect.poll(() => page.getByTestId('segment-status').innerText(), { timeout: 30_000 }).toBe('就绪');
    await shot(page, 'segment-saved');

    // 在线索列表中查看: the leads list narrowed to the members (where.inSegment),
    // with the segment chosen in its open filter panel and the API's count.
    const segID = page.url().split('/').pop()!;
    const analyst = await token('analyst@demo.scrm.dev', userPassword);
    const inSeg = await gql<{ leads: { totalCount: number } }>(analyst, `query($s: ID!){ leads(where: { inSegment: $s, statusIn: [ACTIVE] }) { totalCount } }`, { s: segID });
    expect(inSeg.leads.totalCount).toBe(want.previewSegment.count);
    await page.getByTestId('segment-view-leads').click();
    await page.waitForURL(/\/leads\?filter=/);
    await expect.poll(() => page.getByTestId('filter-segment').innerText()).toContain(SEGMENT);
    await expect.poll(() => page.locator('body').innerText()).toMatch(new RegExp(`共\\s*${inSeg.leads.totalCount.toLocaleString('en-US')}\\s*条`));
    await shot(page, 'leads-in-segment');
  });

  it('schedules a broadcast to the segment and cancels it', async () => {
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto('/broadcasts');
    await page.getByRole('tab', { name: '渠道配置' }).click();
    await page.getByTestId('configure-webhook').click();
    await page.getByTestId('channel-url').fill('http://127.0.0.1:9/scrm-e2e-hook');
    await page.getByTestId('channel-secret').fill('e2e-webhook-secret-0123456789');
    await page.getByTestId('channel-submit').click();
    await toast('渠道已保存');
    await expect.poll(() => page.getByTestId('channels-table').innerText()).toContain('已启用');
    await shot(page, 'broadcast-channels');

    await page.getByRole('tab', { name: '群发任务' }).click();
    await page.getByTestId('new-broadcast').click();
    await page.getByTestId('broadcast-name').fill('E2E 周末试驾邀请');
    await pick(page, page.getByTestId('broadcast-segment'), SEGMENT);
    await pick(page, page.getByTestId('broadcast-channel'), 'webhook');
    await page.getByTestId('broadcast-template').fill('{{.name}}您好，本周末门店试驾活动，欢迎预约。');
    await shot(page, 'broadcast-form');
    await page.getByTestId('broadcast-submit').click();
    await toast('群发已安排');
    const row = page.locator('[data-testid=broadcasts-table] tbody tr.ant-table-row').filter({ hasText: 'E2E 周末试驾邀请' });
    await expect.poll(() => row.getByTestId('broadcast-status').innerText()).toBe('已排期');
    await shot(page, 'broadcasts');
    await row.getByTestId('broadcast-cancel').click();
    await page.locator('.ant-popconfirm').getByRole('button', { name: /确\s*定|OK/ }).click();
    await expect.poll(() => row.getByTestId('broadcast-status').innerText()).toBe('已取消');
  });

  it('renders the funnel dashboard and the remaining settings pages', async () => {
    await page.goto('/funnel');
    await page.getByTestId('funnel-chart').locator('canvas').first().waitFor();
    await page.waitForTimeout(1200); // the charts' entry animation
    await shot(page, 'funnel');
    await pick(page, page.getByTestId('funnel-groupby'), '按来源');
    await page.getByTestId('funnel-bars').locator('canvas').first().waitFor();
    await page.waitForTimeout(1200);
    await shot(page, 'funnel-by-source');
    for (const [path, name, ready] of [
      ['/settings/pipelines', 'settings-pipelines', '[data-testid=pipeline-card]'],
      ['/settings/tags', 'settings-tags', '.ant-card'],
      ['/settings/roles', 'settings-roles', '[data-testid=roles-matrix] tbody tr.ant-table-row'],
      ['/settings/territories', 'settings-territories', '.ant-tree-node-content-wrapper'],
    ] as const) {
      await page.goto(path);
      await page.locator(ready).first().waitFor();
      await shot(page, name);
    }
    await page.getByTestId('lang-switch').click();
    await page.goto('/leads');
    await page.locator('[data-testid=leads-table] tbody tr.ant-table-row').first().waitFor();
    expect(await navTexts()).toContain('Leads');
    await shot(page, 'leads-english');
    await page.getByTestId('lang-switch').click();
  });

  it('logged no browser errors', () => {
    expect(b.errors).toEqual([]);
  });
});
