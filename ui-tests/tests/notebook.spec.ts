// From panel to notebook in a real JupyterLab and kernel: a click on a group filters every
// nd.SampleGrid to it and sets nd.selection; Send all groups fills nd.groups(); a notebook
// that has not imported the package is told to. The "planted" collection (seed.py) holds
// clusters of 7, 5, 4, 3, 3, 2, 2, 2 among 240 lone points; the largest is cluster0_0..6.
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

const PANEL = '#jp-near-duplicates-panel';
const TAB = '.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]';
const LARGEST = Array.from({ length: 7 }, (_, i) => `cluster0_${i}`);

/** A notebook file (nbformat 4) with these code cells and the python3 kernel. */
function notebook(cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
    },
    cells: cells.map((source, i) => ({
      cell_type: 'code',
      id: `cell-${i}`,
      metadata: {},
      execution_count: null,
      outputs: [],
      source
    }))
  });
}

const GRID_NOTEBOOK = notebook([
  'import jupyterlab_near_duplicates as nd',
  [
    'points, _ = nd.client().scroll("planted", limit=300, with_payload=True)',
    'grid = nd.SampleGrid(points, id_field="sample_id", image_field="thumbnail", label_field="split", page_size=30, thumbnail_size=64)',
    'grid'
  ].join('\n'),
  'print(nd.selection.sample_ids)',
  'print(sorted(grid.selected_ids), grid.filter_ids)',
  'print(len(nd.groups()), [g["size"] for g in nd.groups()])'
]);

async function openPanel(page: IJupyterLabPageFixture) {
  await page.locator(TAB).click();
  const panel = page.locator(PANEL);
  await expect(panel.getByText(/Scan worker ready/)).toBeVisible();
  // A loaded machine can time out the first backend request (the embedded backend may still
  // be indexing the seeded collections); the panel offers Retry, and so does this test.
  const picker = panel.getByLabel('Collection', { exact: true });
  await expect(async () => {
    if (await panel.getByRole('button', { name: 'Retry' }).isVisible()) {
      await panel.getByRole('button', { name: 'Retry' }).click();
    }
    await expect(picker).toBeVisible({ timeout: 5000 });
  }).toPass({ timeout: 60000 });
  return panel;
}

async function detectPlanted(page: IJupyterLabPageFixture) {
  const panel = await openPanel(page);
  await panel.getByLabel('Collection', { exact: true }).selectOption('planted');
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
    /^8 duplicate groups \(28 samples\)/
  );
  const groups = panel.getByRole('listbox', { name: 'Duplicate groups' }).getByRole('option');
  await expect(groups.first()).toContainText('Group 1: 7 samples');
  return { panel, groups, status: panel.locator('.jp-NearDuplicates-sendStatus') };
}

async function output(page: IJupyterLabPageFixture, cell: number): Promise<string> {
  await page.notebook.runCell(cell);
  return ((await page.notebook.getCellTextOutput(cell)) ?? []).join('');
}

test.describe('Panel to notebook', () => {
  test.setTimeout(180 * 1000);

  test('a group click filters the SampleGrid and sets nd.selection', async ({ page, tmpPath }) => {
    await page.contents.uploadContent(GRID_NOTEBOOK, 'text', `${tmpPath}/grid.ipynb`);
    await page.notebook.openByPath(`${tmpPath}/grid.ipynb`);
    await page.notebook.activate('grid.ipynb');
    await page.notebook.runCell(0);
    await page.notebook.runCell(1);
    const grid = page.locator('.jp-NearDuplicates-grid');
    await expect(grid.locator('.jp-NearDuplicates-gridCount')).toHaveText('268 samples');
    await expect(grid.locator('.jp-NearDuplicates-gridItem')).toHaveCount(30);
    await expect(grid.locator('.jp-NearDuplicates-gridPage')).toHaveText('Page 1 of 9 (1–30)');

    const { groups, status, panel } = await detectPlanted(page);
    await expect(status).toHaveText('Click a group to send it to the active notebook (nd.selection)');
    await groups.first().click();
    await expect(status).toHaveText('Sent 7 samples to grid.ipynb');

    // The grid shows exactly the group, with its thumbnails (paths under the Jupyter root).
    const items = grid.locator('.jp-NearDuplicates-gridItem');
    await expect(items).toHaveCount(7);
    await expect(grid.locator('.jp-NearDuplicates-gridId')).toHaveText(LARGEST);
    await expect(grid.locator('.jp-NearDuplicates-gridCount')).toHaveText('7 of 268 samples');
    await expect(grid.locator('.jp-NearDuplicates-gridFilter')).toHaveText(
      'Panel selection: group 1 of planted'
    );
    const images = grid.locator('img.jp-NearDuplicates-gridImage');
    await expect(images).toHaveCount(7);
    for (let i = 0; i < 7; i++) {
      await expect
        .poll(() => images.nth(i).evaluate(img => (img as HTMLImageElement).naturalWidth))
        .toBeGreaterThan(0);
    }
    expect(await grid.screenshot()).toMatchSnapshot('sample-grid-filtered.png');

    // The next cell reads the group.
    expect(await output(page, 2)).toContain(`[${LARGEST.map(id => `'${id}'`).join(', ')}]`);

    // Clicking thumbnails selects samples; Show all clears the filter.
    await items.nth(1).click();
    await items.nth(4).click();
    await expect(items.nth(1)).toHaveAttribute('aria-pressed', 'true');
    await grid.getByRole('button', { name: 'Show all' }).click();
    await expect(grid.locator('.jp-NearDuplicates-gridCount')).toHaveText('268 samples');
    expect(await output(page, 3)).toContain("['cluster0_1', 'cluster0_4'] None");

    // Send all groups: nd.groups() holds the scan's groups, largest first.
    await panel.getByRole('button', { name: 'Send all groups' }).click();
    await expect(status).toHaveText('Sent 8 groups (28 samples) to grid.ipynb');
    expect(await output(page, 4)).toContain('8 [7, 5, 4, 3, 3, 2, 2, 2]');
  });

  test('a notebook without the import is told to import the package', async ({ page }) => {
    const { groups, status } = await detectPlanted(page);
    await groups.first().click();
    await expect(status).toHaveText('Open a notebook to send this group');

    await page.notebook.createNew('plain.ipynb');
    await page.notebook.setCell(0, 'code', '1 + 1');
    await page.notebook.runCell(0); // the kernel is up
    await groups.first().click();
    await expect(status).toHaveText('Run import jupyterlab_near_duplicates in plain.ipynb');
    await expect(status.locator('code')).toHaveText('import jupyterlab_near_duplicates');

    // After the import, clicking the same group again sends it.
    await page.notebook.setCell(0, 'code', 'import jupyterlab_near_duplicates as nd');
    await page.notebook.runCell(0);
    await groups.first().click();
    await expect(status).toHaveText('Sent 7 samples to plain.ipynb');
  });
});
