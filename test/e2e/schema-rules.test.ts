/**
 * The Schema view's Rules section in a real VS Code (code-server), driven like a person would: the
 * proposed date order is listed, switched to report only, a rule that contradicts it is refused,
 * and a new order that the data breaks in five rows is added as report only after the view says
 * how many rows break it and where; a column missing wherever its parent is is added with "Any
 * value". Each step is checked in the saved <name>.schema.json.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { clickInlineAction, explorerRow, quickInputVisible, screenshot, showExplorer, start, waitFor, type Session } from './harness';

/**
 * Data rows whose booking comes after the admission (lines 52, 122, 302, 342 and 382 of the file):
 * 1.25 %, more than a soft order between dates may have, so inference does not propose it.
 */
const LATE_BOOKINGS = [50, 120, 300, 340, 380];
/** Data rows without a ward (and so without a bed). */
const WARDLESS = [7, 150, 333];

function prepare(dir: string): void {
  const day = (n: number): string => new Date(Date.UTC(2023, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
  const lines = ['id,sex,booked,admitted,discharged,stay,age,ward,bed'];
  for (let i = 0; i < 400; i++) {
    const admitted = (i * 37) % 500;
    const stay = 2 + ((i * 7) % 20);
    const booked = LATE_BOOKINGS.includes(i) ? admitted + 1 : admitted - 1 - ((i * 11) % 30);
    // A bed wherever there is a ward; three rows have neither (too few for mining to propose it).
    const ward = WARDLESS.includes(i) ? '' : ['North', 'South', 'East'][i % 3];
    lines.push([1000 + i, i % 2 ? 'F' : 'M', day(booked), day(admitted), day(admitted + stay), stay, 20 + ((i * 13) % 70), ward, ward ? `bed-${i % 5}` : ''].join(','));
  }
  fs.writeFileSync(path.join(dir, 'admissions.csv'), lines.join('\n') + '\n');
}

interface SavedRule {
  kind: string;
  low?: string;
  high?: string;
  strict?: boolean;
  column?: string;
  parent?: string;
  presentOnlyWhen?: string[];
  source: string;
  enforce: boolean;
  realShare?: number;
}

/** Pick an item in the open quick pick, once it asks the expected question; `many`: tick it and accept. */
async function pick(page: Page, placeholder: RegExp, item: string, many = false): Promise<void> {
  const widget = await quickInputVisible(page);
  const input = widget.locator('input.input');
  await waitFor(`the quick pick to ask ${placeholder}`, async () => placeholder.test((await input.getAttribute('placeholder')) ?? ''), 15_000);
  const row = widget.locator('.quick-input-list .monaco-list-row').filter({ hasText: item }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  // Accepted with the widget's OK button: an Enter key reaching the view behind it would fold the
  // focused Rules section.
  if (many) await widget.locator('.monaco-button', { hasText: 'OK' }).click();
}

describe('Schema view: rules (code-server 4.100.3)', { timeout: 300_000 }, () => {
  let s: Session;

  before(async () => {
    s = await start(prepare);
  });

  after(async () => {
    await s?.close();
  });

  test('the proposed date order is listed, switched off, and an order rule is added; the schema file follows', async () => {
    const { page, workspace } = s;
    const schemaFile = path.join(workspace, 'admissions.schema.json');
    const saved = (): SavedRule[] | undefined => (fs.existsSync(schemaFile) ? (JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as { rules?: SavedRule[] }).rules : undefined);

    await showExplorer(page);
    await explorerRow(page, 'admissions.csv').dblclick();
    await page.locator('.tab.active', { hasText: 'admissions.csv' }).waitFor({ timeout: 15_000 });
    await page.locator('.activitybar [aria-label^="Synthetic Data"]').first().click();
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Schema' }) });
    const row = (label: string): Locator => pane.locator('.monaco-list-row').filter({ has: page.locator('.label-name', { hasText: label }) });

    // The proposed rule, in words, with its source, its share of real rows and its enforcement.
    const order = row('discharged is on or after admitted');
    await order.waitFor({ timeout: 60_000 });
    assert.match(await order.innerText(), /inferred · kept by every row · enforced/);
    assert.match(await row('stay = discharged − admitted (days)').innerText(), /enforced/);
    assert.match(await row('Rules').first().innerText(), /enforced/);
    await screenshot(page, 'rules-listed');

    // Switch it off: kept only as a report.
    await clickInlineAction(order, 'Keep Rule as Report Only');
    const off = await waitFor('the date order saved as report only', () => saved()?.find((r) => r.kind === 'order' && r.low === 'admitted' && r.high === 'discharged' && r.enforce === false));
    assert.equal(off.source, 'inferred');
    assert.equal(off.realShare, 1);
    await order.filter({ hasText: 'report only' }).waitFor({ timeout: 10_000 });
    const before = saved()!.length;

    // A rule that contradicts it (admitted strictly after discharged) is refused, naming both.
    await clickInlineAction(row('Rules').first(), 'Add Rule…');
    await pick(page, /Kind of rule/, 'Order');
    await pick(page, /earlier or smaller/, 'discharged');
    await pick(page, /on or after, or at least, discharged/, 'admitted');
    await pick(page, /May they be equal/, 'never equal');
    const refusal = page.locator('.monaco-dialog-box', { hasText: 'Rule not saved' });
    await refusal.waitFor({ timeout: 15_000 });
    assert.match(await refusal.innerText(), /contradicting orders.*(admitted ≤ discharged|discharged < admitted)/s);
    await page.keyboard.press('Escape');
    await refusal.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(saved()!.length, before, 'nothing saved');

    // An order the data breaks in five rows: the view says how many and where, and adds it as report only.
    await clickInlineAction(row('Rules').first(), 'Add Rule…');
    await pick(page, /Kind of rule/, 'Order');
    await pick(page, /earlier or smaller/, 'booked');
    await pick(page, /on or after, or at least, booked/, 'admitted');
    await pick(page, /May they be equal/, 'may be equal');
    const broken = page.locator('.monaco-dialog-box', { hasText: 'rows break' });
    await broken.waitFor({ timeout: 60_000 });
    assert.match(await broken.innerText(), /5 of 400 rows break "admitted is on or after booked", the first on line 52/);
    await screenshot(page, 'rules-broken');
    await broken.locator('.monaco-button', { hasText: 'Add as Report Only' }).click();
    const added = await waitFor('the new order in the schema file', () => saved()?.find((r) => r.kind === 'order' && r.low === 'booked' && r.high === 'admitted'));
    const { realShare, ...rest } = added;
    assert.deepEqual(rest, { kind: 'order', low: 'booked', high: 'admitted', source: 'declared', enforce: false });
    assert.ok(Math.abs(realShare! - 395 / 400) < 1e-12, `share kept: ${realShare}`);
    assert.equal(saved()!.length, before + 1);
    const listed = row('admitted is on or after booked');
    await listed.waitFor({ timeout: 10_000 });
    assert.match(await listed.innerText(), /declared public · kept by 98\.8 % of rows · report only/);
    await screenshot(page, 'rules-added');

    // A column missing wherever its parent is: "Any value" saves the rule without a list of values.
    await clickInlineAction(row('Rules').first(), 'Add Rule…');
    await pick(page, /Kind of rule/, 'Present only when');
    await pick(page, /sometimes missing/, 'bed');
    await pick(page, /decides whether bed is present/, 'ward');
    await pick(page, /Values of ward for which bed is present/, 'Any value', true);
    const presence = await waitFor('the presence rule in the schema file', () => saved()?.find((r) => r.kind === 'missingWhen' && r.source === 'declared'));
    assert.deepEqual({ ...presence, realShare: undefined }, { kind: 'missingWhen', column: 'bed', parent: 'ward', source: 'declared', enforce: true, realShare: undefined });
    assert.equal(presence.realShare, 1);
    // Each click on the Rules row (to reach its inline actions) folds or unfolds it.
    const rulesRow = row('Rules').first();
    if ((await rulesRow.getAttribute('aria-expanded')) === 'false') await rulesRow.click();
    const presenceRow = row('bed present only when ward is present');
    await presenceRow.waitFor({ timeout: 10_000 });
    assert.match(await presenceRow.innerText(), /declared public · kept by every row · enforced/);
  });
});
