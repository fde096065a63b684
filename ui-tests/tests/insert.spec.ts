// Insert code (issue 14, section 3): the panel adds to the active notebook, below the active
// cell, a cell that rebuilds its plan from the scan and tags the collection; nothing runs until
// the user runs it. Run, it tags the embedded backend: every member of every group gets the
// near_duplicate payload (read back with nd.client() in the next cell), one keeper per group,
// the one the user pinned in the panel where there is one.
import { expect, test } from './fixtures';
import {
  CLEAR_TAGS,
  COLLECTION,
  detectReviewed,
  openNotebook,
  output
} from './reviewed';

const CHECK = [
  `points = nd.client().scroll("${COLLECTION}", limit=1000, with_payload=["near_duplicate"])[0]`,
  'tags = [p.payload["near_duplicate"] for p in points if "near_duplicate" in (p.payload or {})]',
  'print("tagged", len(tags), "kept", sum(t["keep"] for t in tags), "groups", len({t["group"] for t in tags}))',
  'print("group 0 keeps", [p.id for p in points if (p.payload or {}).get("near_duplicate", {}).get("group") == 0 and p.payload["near_duplicate"]["keep"]])'
].join('\n');

test('Insert code adds a cell that rebuilds the plan and, run, tags the embedded backend', async ({
  page,
  tmpPath
}, testInfo) => {
  test.setTimeout(240 * 1000);
  await openNotebook(page, tmpPath, 'insert.ipynb', [CLEAR_TAGS, CHECK]);
  expect(await output(page, 1)).toContain('tagged 0 kept 0 groups 0');
  await page.notebook.selectCells(0);
  const cells = await page.notebook.getCellCount();

  const panel = await detectReviewed(page);
  // The panel's plan, not only its rules: the first group keeps cluster0_3 (point 3), pinned.
  await panel
    .getByRole('listbox', { name: 'Duplicate groups' })
    .getByRole('option')
    .first()
    .click();
  await panel.getByRole('button', { name: 'Details' }).click();
  await panel
    .getByRole('button', { name: 'Keep cluster0_3 (pin it as the keeper)' })
    .click();
  await expect(
    panel.getByRole('button', { name: 'cluster0_3, pinned keeper: unpin' })
  ).toBeVisible();
  const insert = panel.locator(
    '[data-command="jupyterlab-near-duplicates:insert-code"]'
  );
  await expect(insert).toBeEnabled();
  await insert.click();
  await expect(
    page
      .locator('.Toastify__toast')
      .filter({ hasText: 'Inserted the code in insert.ipynb' })
  ).toBeVisible();
  const shot = testInfo.outputPath('insert-code.png');
  await page.screenshot({ path: shot });
  await testInfo.attach('insert-code.png', {
    path: shot,
    contentType: 'image/png'
  });

  // Below the active cell, not run: the plan of the panel, for this scan.
  expect(await page.notebook.getCellCount()).toBe(cells + 1);
  const source = (await page.notebook.getCellTextInput(1)) ?? '';
  expect(source).toContain('plan = nd.plan(keep=["first"]).pin(3)');
  expect(source).toMatch(/scan, collection = "scan-[^"]+", "reviewed"/);
  expect(source).toContain('print(plan.tag())');
  expect(await page.notebook.getCellTextOutput(1)).toBeNull();
  expect(await output(page, 2)).toContain('tagged 0 kept 0 groups 0');

  const ran = await output(page, 1);
  expect(ran).toContain('keep 8, drop 20 samples');
  expect(ran).toContain(
    "Wrote 'near_duplicate' on 28 points of 'reviewed' (8 keep, 20 drop"
  );
  // 28 members of 8 groups: as many tags as the plan has members, one keeper per group.
  const check = await output(page, 2);
  expect(check).toContain('tagged 28 kept 8 groups 8');
  expect(check).toContain('group 0 keeps [3]');
});
