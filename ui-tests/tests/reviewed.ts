// The "reviewed" collection (seed.py: planted's clusters of 7, 5, 4, 3, 3, 2, 2, 2 among 40
// lone points), which the tag, export and insert-code specs write into: each starts by
// clearing the tags an earlier run left there.
import { expect, IJupyterLabPageFixture } from './fixtures';
import { notebook } from './notebookFile';

export const PANEL = '#jp-near-duplicates-panel';
const TAB = '.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]';
export const COLLECTION = 'reviewed';

/** The first cell of every notebook here: the import, and no tag left from an earlier run. */
export const CLEAR_TAGS = [
  'import jupyterlab_near_duplicates as nd',
  `ids = [p.id for p in nd.client().scroll("${COLLECTION}", limit=1000)[0]]`,
  `nd.client().delete_payload("${COLLECTION}", keys=["near_duplicate"], points=ids)`,
  'print("cleared", len(ids))'
].join('\n');

/** Uploads the notebook, opens it and runs its first cell (CLEAR_TAGS). */
export async function openNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  cells: string[]
): Promise<void> {
  await page.contents.uploadContent(
    notebook(cells),
    'text',
    `${tmpPath}/${name}`
  );
  await page.notebook.openByPath(`${tmpPath}/${name}`);
  await page.notebook.activate(name);
  expect(await output(page, 0)).toContain('cleared 68');
}

/** Runs a cell and returns its text output. */
export async function output(
  page: IJupyterLabPageFixture,
  cell: number
): Promise<string> {
  await page.notebook.runCell(cell);
  return ((await page.notebook.getCellTextOutput(cell)) ?? []).join('');
}

/** Opens the panel, picks "reviewed" and runs Detect at the default 0.95. */
export async function detectReviewed(page: IJupyterLabPageFixture) {
  await page.locator(TAB).click();
  const panel = page.locator(PANEL);
  const picker = panel.getByLabel('Collection', { exact: true });
  await expect(async () => {
    if (await panel.getByRole('button', { name: 'Retry' }).isVisible()) {
      await panel.getByRole('button', { name: 'Retry' }).click();
    }
    await expect(picker).toBeVisible({ timeout: 5000 });
  }).toPass({ timeout: 60000 });
  await picker.selectOption(COLLECTION);
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
    /^8 duplicate groups \(28 samples\) at 0\.95/,
    { timeout: 60000 }
  );
  return panel;
}

/** "Send all groups", and wait until the notebook's kernel has them (nd.groups()). */
export async function sendAllGroups(
  panel: ReturnType<IJupyterLabPageFixture['locator']>,
  notebookName: string
): Promise<void> {
  await panel.getByRole('button', { name: 'Send all groups' }).click();
  // The groups, then the panel's plan after them (the status ends on the plan's line).
  await expect(panel.locator('.jp-NearDuplicates-sendStatus')).toHaveText(
    new RegExp(
      `^Sent (8 groups \\(28 samples\\)|the keep-one plan \\(keep 8, drop 20 samples .*\\)) to ${notebookName}$`
    )
  );
}
