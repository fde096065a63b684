// The demo end to end: the notebook runs top to bottom (it builds the demo collection with
// nd.client()), the panel scans that collection and shows its pictures (paths under the
// Jupyter root, served by /files/), and every planted group is found.
import { expect, test } from './fixtures';
import { cutOff, PANEL_TEXTS } from './layout';

const NOTEBOOK = 'examples/near-duplicates.ipynb';

test('the demo notebook runs and the panel finds every planted duplicate group, with pictures', async ({
  page
}, testInfo) => {
  test.setTimeout(420 * 1000);
  await page.notebook.openByPath(NOTEBOOK);
  await page.notebook.activate('near-duplicates.ipynb');
  await page.notebook.run();
  const errors = page.locator(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
    { hasText: /Traceback|Error/ }
  );
  await expect(errors).toHaveCount(0);
  await expect(page.getByText(/^817 vectors of 256 dimensions/)).toBeVisible();

  await page
    .locator('.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]')
    .click();
  const panel = page.locator('#jp-near-duplicates-panel');
  await panel
    .getByRole('button', { name: 'Refresh the backend and its collections' })
    .click();
  const picker = panel.getByLabel('Collection', { exact: true });
  await expect(picker).toContainText('demo-images (817 points)', {
    timeout: 60000
  });
  await picker.selectOption('demo-images');
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
    /duplicate groups \(\d+ samples\) at 0\.95/,
    { timeout: 120000 }
  );

  // The first groups show pictures, not their sample ids as text. Jupyter serves /files/
  // to a cookie-authenticated request only with a same-origin Referer, so a thumbnail asked
  // for without one is a 403 and a text tile.
  const rows = panel
    .getByRole('listbox', { name: 'Duplicate groups' })
    .getByRole('option');
  for (let i = 0; i < 3; i++) {
    const row = rows.nth(i);
    // Thumbnails load lazily: bring the row into view as a user scrolling to it would.
    await row.scrollIntoViewIfNeeded();
    const images = row.locator('img.jp-NearDuplicates-thumbnail');
    await expect(images).not.toHaveCount(0);
    await expect
      .poll(() =>
        images.evaluateAll(all =>
          all.every(
            img =>
              (img as HTMLImageElement).complete &&
              (img as HTMLImageElement).naturalWidth > 0
          )
        )
      )
      .toBe(true);
    await expect(row.locator('.jp-NearDuplicates-thumbnailText')).toHaveCount(
      0
    );
  }
  // At the default sidebar width, every title, size, score and the backend line reads in full.
  for (const selector of PANEL_TEXTS) {
    expect(await cutOff(panel, selector)).toEqual([]);
  }
  const picture = testInfo.outputPath('panel-demo.png');
  await panel.screenshot({ path: picture });
  await testInfo.attach('panel-demo.png', {
    path: picture,
    contentType: 'image/png'
  });

  await panel.getByRole('button', { name: 'Send all groups' }).click();
  await expect(
    panel.getByText(/Sent \d+ groups \(\d+ samples\) to near-duplicates\.ipynb/)
  ).toBeVisible();

  // The notebook's own check against the planted ground truth, on the groups just sent.
  const cells = await page.notebook.getCellCount();
  let checkCell = -1;
  for (let i = 0; i < cells; i++) {
    const text = await page.notebook.getCellTextInput(i);
    if (text.includes('planted groups found')) {
      checkCell = i;
    }
  }
  expect(checkCell).toBeGreaterThan(0);
  for (let i = checkCell - 2; i <= checkCell; i++) {
    await page.notebook.runCell(i);
  }
  const output = await page.notebook.getCellTextOutput(checkCell);
  expect(output?.join('')).toMatch(/^69 of 69 planted groups found/);
});
