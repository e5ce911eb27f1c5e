// A rep's new lead that is already in the workspace (scripts/e2e.sh runs this
// against `scrm serve` with the demo workspace): the new-lead form merges it
// through ingestLeads, as every source does, and then says whose lead it is,
// as far as the rep may know: their own lead (and opens it), a lead waiting
// in a pool (named, at 390 px too), or a colleague's lead the rep may not
// see, said without a name and without a way to open it. Each case's lead is
// chosen through the API as the admin, and what rep1 may read is checked
// first through the API as rep1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN, gql, launch, shot, signIn, token, userPassword, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;
let rep: string;
let repID: string;

const REP = 'rep1@demo.scrm.dev';

interface L { id: string; name: string; phone: string | null; owner: { id: string; name: string } | null; pool: { id: string; name: string } | null }
const LEADS = `query($w: LeadWhereInput){ leads(first: 50, where: $w) { edges { node { id name phone owner { id name } pool { id name } } } } }`;
const leadsAs = async (tok: string, w: Record<string, unknown>) =>
  (await gql<{ leads: { edges: { node: L }[] } }>(tok, LEADS, { w })).leads.edges.map((e) => e.node).filter((l) => l.phone);
/** Whether the holder of tok may read lead id (node answers an out-of-scope id as one it cannot resolve). */
async function visibleTo(tok: string, id: string): Promise<boolean> {
  try {
    return (await gql<{ node: { id: string } | null }>(tok, `query($id: ID!){ node(id: $id) { id } }`, { id })).node !== null;
  } catch (e) {
    if (String(e).includes('Could not resolve to a node')) return false;
    throw e;
  }
}

/** Creates a lead with phone through the new-lead form and returns the merge notice shown. */
async function createDuplicate(p: Page, phone: string): Promise<{ kind: string; text: string }> {
  await p.goto('/leads');
  await p.getByTestId('new-lead').click();
  await p.getByTestId('lead-form-name').fill('E2E 重复客户');
  await p.getByTestId('lead-form-phone').fill(phone);
  await p.getByTestId('lead-form-submit').click();
  const notice = p.getByTestId('lead-merged');
  await notice.waitFor();
  return { kind: (await notice.getAttribute('data-kind')) ?? '', text: await notice.innerText() };
}

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
  rep = await token(REP, userPassword);
  repID = (await gql<{ me: { id: string } }>(rep, `{ me { id } }`)).me.id;
});

afterAll(async () => {
  await b?.close();
});

describe('a new lead that is already there', () => {
  it('says it is the rep’s own lead and opens it (1440 px)', async () => {
    const own = (await leadsAs(admin, { ownerID: repID, status: 'ACTIVE' }))[5];
    expect(own).toBeDefined();
    await signIn(page, REP, userPassword);
    const n = await createDuplicate(page, own.phone!);
    expect(n.kind).toBe('mine');
    expect(n.text).toContain(own.name);
    await shot(page, 'lead-merged-mine', { fullPage: false });
    await page.locator('.ant-modal-confirm').getByRole('button', { name: '打开线索' }).click();
    await page.waitForURL(`**/leads/${own.id}`);
  });

  it('names neither the lead nor the colleague when the rep may not see it', async () => {
    const theirs = (await leadsAs(admin, { hasOwner: true, status: 'ACTIVE', not: { ownerID: repID } })).find((l) => l.owner && l.owner.id !== repID);
    expect(theirs).toBeDefined();
    expect(await visibleTo(rep, theirs!.id)).toBe(false); // rep1 reads their own leads and the pools'
    const n = await createDuplicate(page, theirs!.phone!);
    expect(n.kind).toBe('hidden');
    expect(n.text).toContain('无权查看');
    expect(n.text).not.toContain(theirs!.name);
    expect(n.text).not.toContain(theirs!.owner!.name);
    expect(await page.locator('.ant-modal-confirm').getByRole('button', { name: '打开线索' }).count()).toBe(0);
    await page.locator('.ant-modal-confirm').getByRole('button', { name: /知道了|确\s*定|OK/ }).click();
    expect(b.errors).toEqual([]);
  });

  it('names the pool a pool lead waits in (390 px)', async () => {
    const pooled = (await leadsAs(admin, { hasOwner: false, status: 'ACTIVE' })).find((l) => l.pool);
    expect(pooled).toBeDefined();
    expect(await visibleTo(rep, pooled!.id)).toBe(true);
    await page.setViewportSize({ width: 390, height: 844 });
    const n = await createDuplicate(page, pooled!.phone!);
    expect(n.kind).toBe('pool');
    expect(n.text).toContain(pooled!.pool!.name);
    expect(n.text).toContain(pooled!.name);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'lead-merged-pool-390', { fullPage: false });
    await page.locator('.ant-modal-confirm').getByRole('button', { name: '打开线索' }).click();
    await page.waitForURL(`**/leads/${pooled!.id}`);
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });
});
