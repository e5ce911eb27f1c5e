// The kanban (scripts/e2e.sh runs this against `scrm serve` with the demo
// workspace): a card dragged to the next stage's column moves the lead there
// (the API says so), and one dropped on LOST asks for the lost reason first.
// At 1440 px and at 390 px (the columns scroll sideways).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { ADMIN, gql, launch, pick, shot, signIn, token, type Browser } from './lib';

let b: Browser;
let page: Page;
let admin: string;

beforeAll(async () => {
  b = await launch();
  page = b.page;
  admin = await token(ADMIN.email, ADMIN.password);
});

afterAll(async () => {
  await b?.close();
});

interface Stage { id: string; name: string; kind: string; position: number }

async function drag(card: Locator, target: Locator): Promise<void> {
  await card.scrollIntoViewIfNeeded();
  const from = (await card.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + 12);
  await page.mouse.down();
  // Past the 6 px activation distance, then over the column in steps.
  await page.mouse.move(from.x + from.width / 2 + 10, from.y + 20, { steps: 3 });
  await target.scrollIntoViewIfNeeded();
  const to = (await target.boundingBox())!;
  await page.mouse.move(to.x + to.width / 2, to.y + 60, { steps: 12 });
  await page.mouse.up();
}

async function leadStage(id: string) {
  const d = await gql<{ node: { stage: { id: string; kind: string } | null; stageChanges: { lostReason: { name: string } | null }[] } }>(admin,
    `query($id: ID!){ node(id: $id) { ... on Lead { stage { id kind } stageChanges { lostReason { name } } } } }`, { id });
  return d.node;
}

describe('kanban', () => {
  it('moves a lead by dragging its card, and asks for the lost reason on LOST', async () => {
    const reason = `预算不足 ${Date.now() % 100000}`;
    await gql(admin, `mutation($n: String!){ createLostReason(name: $n) { id } }`, { n: reason });
    const { pipelines } = await gql<{ pipelines: { isDefault: boolean; stages: Stage[] }[] }>(admin, `{ pipelines { isDefault stages(includeArchived: false) { id name kind position } } }`);
    const stages = [...pipelines.find((p) => p.isDefault)!.stages].sort((a, b) => a.position - b.position);
    const open = stages.filter((s) => s.kind === 'OPEN');
    const lostStage = stages.find((s) => s.kind === 'LOST')!;
    expect(open.length).toBeGreaterThan(1);

    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto('/kanban');
    const col = (s: Stage) => page.getByTestId(`kanban-col-${s.name}`);
    const count = async (s: Stage) => Number(await col(s).getByTestId('kanban-count').innerText());
    await col(open[0]).getByTestId('kanban-card').first().waitFor();
    const before0 = await count(open[0]);
    const before1 = await count(open[1]);
    await shot(page, 'kanban-1440');

    // Drag the first card of the first stage to the second.
    const card = col(open[0]).getByTestId('kanban-card').first();
    const id = (await card.getAttribute('data-lead'))!;
    await drag(card, col(open[1]));
    await page.locator('.ant-message-notice').filter({ hasText: '阶段已更新' }).first().waitFor();
    await expect.poll(async () => (await leadStage(id)).stage?.id).toBe(open[1].id);
    await expect.poll(() => count(open[1])).toBe(before1 + 1);
    await expect.poll(() => count(open[0])).toBe(before0 - 1);
    await col(open[1]).locator(`[data-lead="${id}"]`).waitFor();

    // Drop it on LOST: a reason is asked first; cancelling leaves it where it was.
    await drag(col(open[1]).locator(`[data-lead="${id}"]`), col(lostStage));
    const modal = page.locator('.ant-modal').filter({ hasText: '标记为输单' });
    await modal.waitFor();
    await modal.getByRole('button', { name: /确\s*定|OK/ }).click();
    await modal.getByText('请选择输单原因').waitFor(); // required
    await pick(page, modal.getByTestId('kanban-lost-reason'), reason);
    await shot(page, 'kanban-lost-reason');
    await modal.getByRole('button', { name: /确\s*定|OK/ }).click();
    await expect.poll(async () => (await leadStage(id)).stage?.kind).toBe('LOST');
    const after = await leadStage(id);
    expect(after.stageChanges.some((c) => c.lostReason?.name === reason)).toBe(true);
    await col(lostStage).locator(`[data-lead="${id}"]`).waitFor();

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await col(open[0]).getByTestId('kanban-card').first().waitFor();
    // The board scrolls inside itself; the page does not get wider than the phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'kanban-390');
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(b.errors).toEqual([]);
  });
});
