// Developer tool, not part of the tests: CPU profile and trace of the leads
// page's first render against a running server with the demo workspace, for
// finding what makes it slow (open the files in Chrome DevTools).
//   node e2e/profile.mjs http://127.0.0.1:8080
//   -> e2e/out/leads.cpuprofile, e2e/out/leads.trace.json
// Another workspace (the benchmark workspace of `scrm bench seed`):
//   SCRM_PROFILE_LOGIN=bench,admin@bench.test,<password> node e2e/profile.mjs <url>
import { chromium } from 'playwright-core';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const dir = mkdtempSync(join(tmpdir(), 'scrm-prof-'));
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: '/usr/bin/chromium', headless: true, baseURL: base,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = ctx.pages()[0];
const [workspace, email, password] = (process.env.SCRM_PROFILE_LOGIN ?? 'demo,admin@demo.scrm.dev,demo-admin-2026').split(',');
const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: 'mutation($w:String!,$e:String!,$p:String!){login(input:{workspace:$w,email:$e,password:$p}){token}}', variables: { w: workspace, e: email, p: password } }) });
const tok = (await res.json()).data.login.token;
await page.goto('/login');
await page.evaluate((t) => localStorage.setItem('scrm.token', t), tok);
const times = [];
const lists = [];
for (let i = 0; i < 5; i++) {
  const cdp = await ctx.newCDPSession(page);
  const profiling = i === 4;
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  if (i === 3) await cdp.send('Tracing.start', { categories: 'blink.user_timing,devtools.timeline,loading,v8', transferMode: 'ReportEvents' });
  if (profiling) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start'); }
  await page.goto('/leads', { waitUntil: 'commit' });
  await page.waitForFunction(() => performance.getEntriesByName('scrm:leads:first-page-rendered').length > 0);
  if (i === 3) { await cdp.send('Tracing.end'); await done; writeFileSync('e2e/out/leads.trace.json', JSON.stringify({ traceEvents: events })); }
  times.push(await page.evaluate(() => Math.round(performance.getEntriesByName('scrm:leads:first-page-rendered')[0].startTime)));
  // The list's request (the first to /graphql): sent and answered, ms after navigation start.
  lists.push(await page.evaluate(() => {
    const r = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/graphql'));
    return r ? `${Math.round(r.startTime)}-${Math.round(r.responseEnd)}` : '-';
  }));
  if (profiling) {
    const { profile } = await cdp.send('Profiler.stop');
    mkdirSync('e2e/out', { recursive: true });
    writeFileSync('e2e/out/leads.cpuprofile', JSON.stringify(profile));
  }
  await cdp.detach();
}
console.log('first page ms:', times.join(', '), '| list request sent-answered ms:', lists.join(', '));
await ctx.close();
rmSync(dir, { recursive: true, force: true });
