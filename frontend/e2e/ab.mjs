// Developer tool, not part of the tests: the leads page's first render on two
// or more running servers, measured in alternating reloads so that the load of
// the machine falls on each alike (for comparing a change with the code before
// it; a worktree of the old commit gives the second server).
//   node e2e/ab.mjs http://127.0.0.1:18101 http://127.0.0.1:18102   (ROUNDS=12 by default)
// For each server: the median of the time from navigation start to the first
// page's mark (scrm:leads:first-page-rendered), of the app's start, of the
// list's request, and of the renderer main thread's CPU time until the mark
// (thread time of its tasks in a Chromium trace: less moved by other work on
// the machine than the wall time). Each server needs the demo workspace
// (`scrm demo --leads 10000`, then `scrm serve --demo`).
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
const bases = process.argv.slice(2);
// Another workspace (the benchmark workspace of `scrm bench seed`): SCRM_PROFILE_LOGIN=bench,admin@bench.test,<password>
const [workspace, email, password] = (process.env.SCRM_PROFILE_LOGIN ?? 'demo,admin@demo.scrm.dev,demo-admin-2026').split(',');
const rounds = Number(process.env.ROUNDS ?? 12);
// A pause after each reload (ms): work a page starts after its first rows (the
// count, the filters' reads) then ends before the next reload, which may be
// the other server's (PAUSE=2000 for a page whose count is slow).
const pause = Number(process.env.PAUSE ?? 0);
const pages = [];
for (const base of bases) {
  const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'ab-')), { executablePath: '/usr/bin/chromium', headless: true, baseURL: base,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = ctx.pages()[0];
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: 'mutation($w:String!,$e:String!,$p:String!){login(input:{workspace:$w,email:$e,password:$p}){token}}', variables: { w: workspace, e: email, p: password } }) });
  const tok = (await res.json()).data.login.token;
  await page.goto('/login');
  await page.evaluate((t) => localStorage.setItem('scrm.token', t), tok);
  pages.push(page);
}
const load = async (page) => {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const complete = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.start', { categories: 'toplevel,blink.user_timing,devtools.timeline,navigation', transferMode: 'ReportEvents' });
  await page.goto('/leads', { waitUntil: 'commit' });
  await page.waitForFunction(() => performance.getEntriesByName('scrm:leads:first-page-rendered').length > 0, undefined, { timeout: 30000 });
  await cdp.send('Tracing.end'); await complete; await cdp.detach();
  const mark = events.find((e) => e.name === 'scrm:leads:first-page-rendered');
  const nav = events.filter((e) => e.name === 'navigationStart' && mark && e.pid === mark.pid && e.ts <= mark.ts).pop();
  let cpu = -1;
  if (mark && nav) { cpu = 0; for (const e of events) if (e.pid === mark.pid && e.tid === mark.tid && e.ph === 'X' && (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask') && e.ts >= nav.ts && e.ts <= mark.ts) cpu += (e.tdur ?? 0) / 1000; }
  const r = await page.evaluate(() => {
    const g = (n) => performance.getEntriesByName(n)[0]?.startTime ?? -1;
    const list = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/graphql'))[0];
    return { first: g('scrm:leads:first-page-rendered'), app: g('scrm:app:start'), html: performance.getEntriesByType('navigation')[0].responseEnd, ls: list?.startTime ?? -1, le: list?.responseEnd ?? -1 };
  });
  if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  return { ...r, cpu };
};
for (const p of pages) for (let i = 0; i < 3; i++) await load(p);
const out = pages.map(() => []);
for (let r = 0; r < rounds; r++) for (let k = 0; k < pages.length; k++) { const idx = (r % 2) ? pages.length - 1 - k : k; out[idx].push(await load(pages[idx])); }
const med = (a) => { const s = [...a].sort((x, y) => x - y); return Math.round(s[Math.floor(s.length / 2)]); };
bases.forEach((b, k) => {
  const o = out[k];
  console.log(b, 'first', med(o.map((x) => x.first)), 'html', med(o.map((x) => x.html)), 'app', med(o.map((x) => x.app)), 'list', med(o.map((x) => x.ls)) + '-' + med(o.map((x) => x.le)), 'cpu', med(o.map((x) => x.cpu)), 'all first:', o.map((x) => Math.round(x.first)).join(','), 'cpu:', o.map((x) => Math.round(x.cpu)).join(','));
});
console.log('load', loadavg()[0]);
// AB_JSON=1: one more line, the figures as JSON, for `make bench` (bench/web_test.go).
if (process.env.AB_JSON) {
  console.log('AB_JSON ' + JSON.stringify({ load: loadavg()[0], servers: bases.map((b, k) => {
    const o = out[k];
    return { url: b, firstMs: med(o.map((x) => x.first)), appMs: med(o.map((x) => x.app)), listSentMs: med(o.map((x) => x.ls)), listAnsweredMs: med(o.map((x) => x.le)),
      cpuMs: med(o.map((x) => x.cpu)), runs: o.map((x) => Math.round(x.first)) };
  }) }));
}
process.exit(0);
