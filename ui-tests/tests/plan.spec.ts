// The keep-one plan in the panel (issue 14) on the demo collection: its counts are the groups'
// own before any rule, they change when a rule changes and equal what the kernel's
// nd.plan(keep=...) computes by itself; nd.plan() with no arguments is the panel's plan (sent
// with "Send all groups", and again when it changes); a pinned keeper and a group marked "not
// duplicates" survive a page reload.
import { expect, IJupyterLabPageFixture, test } from './fixtures';
import { cutOff } from './layout';

const NOTEBOOK = 'examples/near-duplicates.ipynb';
const POINTS = 817;

/** Runs `code` in a new cell at the end of the notebook; its printed lines. */
async function kernelLines(
  page: IJupyterLabPageFixture,
  code: string
): Promise<string[]> {
  await page.notebook.activate('near-duplicates.ipynb');
  await page.notebook.addCell('code', code);
  const last = (await page.notebook.getCellCount()) - 1;
  await page.notebook.runCell(last);
  const output = ((await page.notebook.getCellTextOutput(last)) ?? []).join('');
  return output.split('\n');
}

/** The plan's counts as the kernel's summary writes them: the first line and the split lines. */
function summaryCounts(lines: string[]): string[] {
  const start = lines.findIndex(l => /^keep [\d,]+, drop /.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  return [
    lines[start],
    ...lines
      .slice(start + 1)
      .filter(l => /^ {2}[^ ].*: keep [\d,]+, drop [\d,]+/.test(l))
      .map(l => l.trim())
  ];
}

test('the plan’s counts follow its rules as nd.plan computes them; a pin and a "not duplicates" mark survive a reload', async ({
  page
}, testInfo) => {
  test.setTimeout(900 * 1000);
  await page.notebook.openByPath(NOTEBOOK);
  await page.notebook.activate('near-duplicates.ipynb');
  await page.notebook.run();
  await expect(page.getByText(/^817 vectors of 256 dimensions/)).toBeVisible();

  await page
    .locator('.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]')
    .click();
  const panel = page.locator('#jp-near-duplicates-panel');
  await panel
    .getByRole('button', { name: 'Refresh the backend and its collections' })
    .click();
  const picker = panel.getByLabel('Collection', { exact: true });
  await expect(picker).toContainText(`demo-images (${POINTS} points)`, {
    timeout: 60000
  });
  await picker.selectOption('demo-images');
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  const summary = panel.locator('.jp-NearDuplicates-summary');
  await expect(summary).toHaveText(
    /duplicate groups \(\d+ samples\) at 0\.95/,
    { timeout: 180000 }
  );
  const [, g, s] = /^(\d+) duplicate groups \((\d+) samples\)/.exec(
    (await summary.textContent())!
  )!;
  const groups = Number(g);
  const samples = Number(s);

  // Before any rule: one kept per group, the rest dropped, of the collection's points.
  const plan = panel.getByRole('region', { name: 'Keep one per group' });
  const headline = plan.locator('.jp-NearDuplicates-planHeadline');
  const share = (drop: number) => ((100 * drop) / POINTS).toFixed(1);
  await expect(headline).toHaveText(
    `Keep one per group: keep ${groups}, drop ${samples - groups} samples (${share(samples - groups)}%)`
  );
  await headline.click();
  const splitLines = plan.getByRole('list', { name: 'Per split' });
  const panelCounts = async () => [
    ((await headline.textContent()) ?? '').replace('Keep one per group: ', ''),
    ...(await splitLines.getByRole('listitem').allTextContents())
  ];

  // "Most central", ranked in the scan worker: the plan says nothing is planned while the
  // worker works, then shows its counts (checked against the kernel's own ranking below).
  const byFirst = await panelCounts();
  await plan.getByLabel('Rule to add').selectOption('central');
  await plan.getByRole('button', { name: 'Add rule' }).click();
  await expect(
    plan.getByRole('list', { name: 'Rules, tie-breakers in order' })
  ).toContainText('most central');
  await expect(headline).toHaveText(/^Keep one per group: keep /);
  await expect(plan.locator('.jp-NearDuplicates-planProblem')).toHaveCount(0);
  const byCentral = await panelCounts();
  // It keeps other members than the first point id: some split's counts move.
  expect(byCentral).not.toEqual(byFirst);
  await plan.getByRole('button', { name: 'Remove rule: most central' }).click();
  await expect.poll(panelCounts).toEqual(byFirst);
  // The plan's changes settle (PLAN_RESEND_MS) before the groups go, so no late resend of the
  // plan overwrites the groups' status line below.
  await page.waitForTimeout(1000);

  // The panel's plan is the kernel's nd.plan() once the groups are sent.
  await panel.getByRole('button', { name: 'Send all groups' }).click();
  await expect(
    panel.getByText(/Sent \d+ groups \(\d+ samples\) to near-duplicates\.ipynb/)
  ).toBeVisible();
  const first = await panelCounts();
  expect(
    summaryCounts(await kernelLines(page, 'print(nd.plan().summary())'))
  ).toEqual(first);

  // The members "most central" kept in the panel are those the kernel ranks first by itself.
  expect(
    summaryCounts(
      await kernelLines(page, 'print(nd.plan(keep=["central"]).summary())')
    )
  ).toEqual(byCentral);

  // A rule changes the counts: the test copy first. The kernel computes the same by itself,
  // and the changed plan reached it without another "Send all groups".
  const sent = panel.getByText(/^Sent the keep-one plan \(keep /);
  await plan.getByLabel('Rule to add').selectOption('split');
  await plan.getByLabel('Split order, first kept first').fill('test, train');
  await plan.getByRole('button', { name: 'Add rule' }).click();
  await expect.poll(panelCounts).not.toEqual(first);
  const bySplit = await panelCounts();
  expect(
    summaryCounts(
      await kernelLines(
        page,
        'print(nd.plan(keep=[("split", ["test", "train"])]).summary())'
      )
    )
  ).toEqual(bySplit);
  await expect(sent).toBeVisible({ timeout: 30000 });
  expect(
    summaryCounts(await kernelLines(page, 'print(nd.plan().summary())'))
  ).toEqual(bySplit);
  // keeping the test copy drops no test sample from a group that has one
  const testLine = bySplit.find(l => l.startsWith('test: '))!;
  const firstTest = first.find(l => l.startsWith('test: '))!;
  expect(Number(/drop (\d+)/.exec(testLine)![1])).toBeLessThan(
    Number(/drop (\d+)/.exec(firstTest)![1])
  );

  // A rule on a payload field: read by point id through the Jupyter server.
  await plan.getByLabel('Rule to add').selectOption('max');
  await plan.getByLabel('Payload field').fill('width');
  await plan.getByRole('button', { name: 'Add rule' }).click();
  await expect(headline).toHaveText(/^Keep one per group: keep /);
  const byWidth = await panelCounts();
  expect(
    summaryCounts(
      await kernelLines(
        page,
        'print(nd.plan(keep=[("split", ["test", "train"]), ("max", "width")]).summary())'
      )
    )
  ).toEqual(byWidth);

  await testInfo.attach('plan-panel.png', {
    path: await panel
      .screenshot({ path: testInfo.outputPath('plan-panel.png') })
      .then(() => testInfo.outputPath('plan-panel.png')),
    contentType: 'image/png'
  });
  for (const selector of [
    '.jp-NearDuplicates-planHeadline',
    '.jp-NearDuplicates-planRuleText'
  ]) {
    expect(await cutOff(panel, selector)).toEqual([]);
  }

  // Pin the second member of group 1 as its keeper, from the group's details.
  const options = panel
    .getByRole('listbox', { name: 'Duplicate groups' })
    .getByRole('option');
  const secondSize = Number(
    /: (\d+) samples/.exec(
      (await options.nth(1).getAttribute('aria-label')) ?? ''
    )![1]
  );
  await options.first().click();
  await panel.getByRole('button', { name: 'Details' }).click();
  const detail = panel.getByRole('region', { name: 'Details of group 1' });
  const pins = detail.getByRole('button', {
    name: /^Keep .* \(pin it as the keeper\)$/
  });
  const label = (await pins.first().getAttribute('aria-label'))!;
  const pinned = /^Keep (.*) \(pin it as the keeper\)$/.exec(label)![1];
  await pins.first().click();
  const unpin = detail.getByRole('button', {
    name: `${pinned}, pinned keeper: unpin`
  });
  await expect(unpin).toHaveAttribute('aria-pressed', 'true');
  await expect(detail).toContainText(`Keeps ${pinned} (pinned).`);
  await detail.getByRole('button', { name: 'Back to the groups' }).click();

  // Group 2 is not duplicates: it leaves the plan's counts.
  await options.nth(1).click();
  await panel.getByRole('button', { name: 'Details' }).click();
  const second = panel.getByRole('region', { name: 'Details of group 2' });
  const saved = page.waitForRequest(
    request =>
      request.url().includes('/api/workspaces') &&
      request.method() === 'PUT' &&
      /"notDuplicates":\["/.test(request.postData() ?? '')
  );
  await second.getByRole('button', { name: 'Not duplicates' }).click();
  await expect(
    second.getByRole('button', { name: 'Not duplicates' })
  ).toHaveAttribute('aria-pressed', 'true');
  await second.getByRole('button', { name: 'Back to the groups' }).click();
  const leftOut = `keep ${groups - 1}, drop ${samples - groups - (secondSize - 1)} samples (${share(samples - groups - (secondSize - 1))}%)`;
  await expect(headline).toHaveText(`Keep one per group: ${leftOut}`);
  await expect(options.nth(1)).toContainText('not duplicates');
  const marked = await panelCounts();
  await expect(
    panel.getByText(
      `Sent the keep-one plan (${leftOut}) to near-duplicates.ipynb`
    )
  ).toBeVisible({ timeout: 30000 });
  const kernel = await kernelLines(page, 'print(nd.plan().summary())');
  expect(summaryCounts(kernel)).toEqual(marked);
  expect(kernel).toContain(
    `  left out: 1 group(s) marked not duplicates (${secondSize} samples)`
  );
  expect(kernel.find(l => l.startsWith('  rules: '))).toBe(
    '  rules: split test > train, highest width, first point id; 1 pinned'
  );

  // After a reload: the same rules, counts, pin and mark. The notebook closes unsaved first,
  // so the next spec on this server finds the demo notebook as it was.
  await saved;
  await page.notebook.close(true);
  await page.reload({ waitUntil: 'networkidle', waitForIsReady: false });
  await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
  const again = page.locator('#jp-near-duplicates-panel');
  const againPlan = again.getByRole('region', { name: 'Keep one per group' });
  await expect(againPlan.locator('.jp-NearDuplicates-planHeadline')).toHaveText(
    `Keep one per group: ${leftOut}`,
    { timeout: 60000 }
  );
  const againOptions = again
    .getByRole('listbox', { name: 'Duplicate groups' })
    .getByRole('option');
  await expect(againOptions.nth(1)).toContainText('not duplicates');
  await againOptions.first().click();
  await again.getByRole('button', { name: 'Details' }).click();
  await expect(
    again
      .getByRole('region', { name: 'Details of group 1' })
      .getByRole('button', { name: `${pinned}, pinned keeper: unpin` })
  ).toHaveAttribute('aria-pressed', 'true');
});
