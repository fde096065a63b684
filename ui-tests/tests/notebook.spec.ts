// From panel to notebook in a real JupyterLab and kernel: a click on a group filters every
// nd.SampleGrid to it and sets nd.selection; Send all groups fills nd.groups(); a notebook
// that has not imported the package is told to. The "planted" collection (seed.py) holds
// clusters of 7, 5, 4, 3, 3, 2, 2, 2 among 240 lone points; the largest is cluster0_0..6.
import { expect, IJupyterLabPageFixture, test } from './fixtures';
import { notebook } from './notebookFile';

const PANEL = '#jp-near-duplicates-panel';
const TAB = '.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]';
const LARGEST = Array.from({ length: 7 }, (_, i) => `cluster0_${i}`);

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
  const groups = panel
    .getByRole('listbox', { name: 'Duplicate groups' })
    .getByRole('option');
  await expect(groups.first()).toContainText('Group 1: 7 samples');
  return {
    panel,
    groups,
    status: panel.locator('.jp-NearDuplicates-sendStatus')
  };
}

async function output(
  page: IJupyterLabPageFixture,
  cell: number
): Promise<string> {
  await page.notebook.runCell(cell);
  return ((await page.notebook.getCellTextOutput(cell)) ?? []).join('');
}

test.describe('Panel to notebook', () => {
  test.setTimeout(180 * 1000);

  test('a group click filters the SampleGrid and sets nd.selection', async ({
    page,
    tmpPath
  }) => {
    await page.contents.uploadContent(
      GRID_NOTEBOOK,
      'text',
      `${tmpPath}/grid.ipynb`
    );
    await page.notebook.openByPath(`${tmpPath}/grid.ipynb`);
    await page.notebook.activate('grid.ipynb');
    await page.notebook.runCell(0);
    await page.notebook.runCell(1);
    const grid = page.locator('.jp-NearDuplicates-grid');
    await expect(grid.locator('.jp-NearDuplicates-gridCount')).toHaveText(
      '268 samples'
    );
    await expect(grid.locator('.jp-NearDuplicates-gridItem')).toHaveCount(30);
    await expect(grid.locator('.jp-NearDuplicates-gridPage')).toHaveText(
      'Page 1 of 9 (1–30)'
    );

    const { groups, status, panel } = await detectPlanted(page);
    await expect(status).toHaveText(
      'Click a group to send it to the active notebook (nd.selection)'
    );
    await groups.first().click();
    await expect(status).toHaveText('Sent 7 samples to grid.ipynb');

    // The grid shows exactly the group, with its thumbnails (paths under the Jupyter root).
    const items = grid.locator('.jp-NearDuplicates-gridItem');
    await expect(items).toHaveCount(7);
    await expect(grid.locator('.jp-NearDuplicates-gridId')).toHaveText(LARGEST);
    await expect(grid.locator('.jp-NearDuplicates-gridCount')).toHaveText(
      '7 of 268 samples'
    );
    await expect(grid.locator('.jp-NearDuplicates-gridFilter')).toHaveText(
      'Panel selection: group 1 of planted'
    );
    const images = grid.locator('img.jp-NearDuplicates-gridImage');
    await expect(images).toHaveCount(7);
    for (let i = 0; i < 7; i++) {
      await expect
        .poll(() =>
          images.nth(i).evaluate(img => (img as HTMLImageElement).naturalWidth)
        )
        .toBeGreaterThan(0);
    }
    expect(await grid.screenshot()).toMatchSnapshot('sample-grid-filtered.png');

    // The next cell reads the group.
    expect(await output(page, 2)).toContain(
      `[${LARGEST.map(id => `'${id}'`).join(', ')}]`
    );

    // Clicking thumbnails selects samples; Show all clears the filter.
    await items.nth(1).click();
    await items.nth(4).click();
    await expect(items.nth(1)).toHaveAttribute('aria-pressed', 'true');
    await grid.getByRole('button', { name: 'Show all' }).click();
    await expect(grid.locator('.jp-NearDuplicates-gridCount')).toHaveText(
      '268 samples'
    );
    expect(await output(page, 3)).toContain(
      "['cluster0_1', 'cluster0_4'] None"
    );

    // Send all groups: nd.groups() holds the scan's groups, largest first.
    await panel.getByRole('button', { name: 'Send all groups' }).click();
    await expect(status).toHaveText('Sent 8 groups (28 samples) to grid.ipynb');
    expect(await output(page, 4)).toContain('8 [7, 5, 4, 3, 3, 2, 2, 2]');
  });

  test('a notebook without the import is told to import the package', async ({
    page
  }) => {
    const { groups, status } = await detectPlanted(page);
    await groups.first().click();
    await expect(status).toHaveText('Open a notebook to send this group');

    await page.notebook.createNew('plain.ipynb');
    await page.notebook.setCell(0, 'code', '1 + 1');
    await page.notebook.runCell(0); // the kernel is up
    await groups.first().click();
    await expect(status).toHaveText(
      'Run import jupyterlab_near_duplicates in plain.ipynb'
    );
    await expect(status.locator('code')).toHaveText(
      'import jupyterlab_near_duplicates'
    );

    // After the import, clicking the same group again sends it.
    await page.notebook.setCell(
      0,
      'code',
      'import jupyterlab_near_duplicates as nd'
    );
    await page.notebook.runCell(0);
    await groups.first().click();
    await expect(status).toHaveText('Sent 7 samples to plain.ipynb');
  });
});

// "Send all groups" over the 10 MiB that Jupyter's websocket takes in one message: 5,000
// groups whose sample ids are long paths (~1,100 characters, as deep dataset folders give),
// about 11 MB of JSON from 10,000 points, so the collection builds and scans in seconds.
// The kernel checks it got every pair, and that what it got is indeed over the limit.
const PAIRS = 5_000;
const BIG_NOTEBOOK = notebook([
  [
    'import numpy as np',
    'import jupyterlab_near_duplicates as nd',
    'from qdrant_client import models',
    'client = nd.client()',
    'if client.collection_exists("longids"):',
    '    client.delete_collection("longids")',
    'client.create_collection("longids", vectors_config=models.VectorParams(size=16, distance=models.Distance.COSINE))',
    'deep = "/".join(f"level{k:02d}-of-a-deeply-nested-dataset-folder" for k in range(28))',
    'def sample_id(i): return f"{deep}/photo_{i // 2:06d}_{\'ab\'[i % 2]}.jpg"',
    'rng = np.random.default_rng(5)',
    `for start in range(0, ${PAIRS}, 1000):`,
    '    vectors = rng.normal(size=(1000, 16)).astype(np.float32)',
    '    ids = [2 * (start + i) + k for i in range(1000) for k in (0, 1)]',
    '    client.upsert("longids", models.Batch(',
    '        ids=ids, vectors=np.repeat(vectors, 2, axis=0).tolist(),',
    '        payloads=[{"sample_id": sample_id(i)} for i in ids],',
    '    ), wait=True)',
    'print("points:", client.count("longids").count, "id length:", len(sample_id(0)))'
  ].join('\n'),
  [
    'import json',
    'pairs = {tuple(sorted(g["sample_ids"])) for g in nd.groups()}',
    `expected = {(sample_id(2 * i), sample_id(2 * i + 1)) for i in range(${PAIRS})}`,
    'over = len(json.dumps(nd.groups())) > 10 * 1024 * 1024',
    'print("groups:", len(nd.groups()), "every pair:", pairs == expected, "over 10 MiB:", over)'
  ].join('\n')
]);

test.describe('Send all groups of a large scan', () => {
  test('groups over the websocket limit reach the kernel whole', async ({
    page,
    tmpPath
  }) => {
    await page.contents.uploadContent(
      BIG_NOTEBOOK,
      'text',
      `${tmpPath}/big.ipynb`
    );
    await page.notebook.openByPath(`${tmpPath}/big.ipynb`);
    await page.notebook.activate('big.ipynb');
    await page.notebook.runCell(0);
    expect(((await page.notebook.getCellTextOutput(0)) ?? []).join('')).toMatch(
      /points: 10000 id length: 1\d{3}\b/
    );

    const panel = await openPanel(page);
    await panel
      .getByRole('button', { name: 'Refresh the backend and its collections' })
      .click();
    const picker = panel.getByLabel('Collection', { exact: true });
    await expect(picker).toContainText('longids', { timeout: 60000 });
    await picker.selectOption('longids');
    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^5,000 duplicate groups \(10,000 samples\)/,
      { timeout: 120000 }
    );
    await page.notebook.activate('big.ipynb');
    await panel.getByRole('button', { name: 'Send all groups' }).click();
    await expect(panel.locator('.jp-NearDuplicates-sendStatus')).toHaveText(
      'Sent 5,000 groups (10,000 samples) to big.ipynb',
      { timeout: 120000 }
    );
    expect(await output(page, 1)).toContain(
      'groups: 5000 every pair: True over 10 MiB: True'
    );
  });
});

// The test server checks XSRF as a user's does (jupyter_server_test_config.py), so it
// refuses a /files/ GET without Jupyter's own Referer: the grid's path images must still load.

/** A 24x16 PNG (a blue square), so a loaded image has a natural width of 24. */
const PNG_24x16 =
  'iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGPQCLhDFcQwatCoQaMGjRpEGQIAqqb+EJEfVmoAAAAASUVORK5CYII=';

/** Every kind of image value, the kernel running in <tmp>/nb and the PNG at <tmp>/thumbs. */
function kindsNotebook(tmpPath: string, selfUrl: string): string {
  return notebook([
    [
      'import pathlib',
      'import numpy as np',
      'from PIL import Image',
      'import jupyterlab_near_duplicates as nd',
      'here = pathlib.Path("../thumbs/blue.png")',
      'grid = nd.SampleGrid([',
      `    {"id": "root-path", "image": ${JSON.stringify(`${tmpPath}/thumbs/blue.png`)}},  # not found by the kernel: /files/`,
      '    {"id": "kernel-path", "image": "../thumbs/blue.png"},',
      '    {"id": "absolute-path", "image": str(here.resolve())},',
      '    {"id": "pathlib", "image": here},',
      '    {"id": "bytes", "image": here.read_bytes()},',
      '    {"id": "pil", "image": Image.new("RGB", (30, 20), "orange")},',
      '    {"id": "numpy", "image": np.full((12, 18, 3), 200, dtype=np.uint8)},',
      '    {"id": "data-uri", "image": "data:image/png;base64," + __import__("base64").b64encode(here.read_bytes()).decode()},',
      '    {"id": "proc", "image": "/proc/self/maps"},',
      `    {"id": "jupyter-itself", "image": ${JSON.stringify(selfUrl)}},`,
      '])',
      'grid'
    ].join('\n')
  ]);
}

test('SampleGrid: every kind of image Python accepts loads, and the tile says why when one cannot', async ({
  page,
  tmpPath,
  baseURL
}) => {
  expect(
    await page.contents.uploadContent(
      PNG_24x16,
      'base64',
      `${tmpPath}/thumbs/blue.png`
    )
  ).toBe(true);
  const own = await page.request.get(`/files/${tmpPath}/thumbs/blue.png`, {
    headers: { Referer: '' }
  });
  expect(own.status()).toBe(403); // the trap: Jupyter refuses /files/ with no Referer
  const selfUrl = `${baseURL}/files/${tmpPath}/thumbs/blue.png`;
  expect(
    await page.contents.uploadContent(
      kindsNotebook(tmpPath, selfUrl),
      'text',
      `${tmpPath}/nb/kinds.ipynb`
    )
  ).toBe(true);
  await page.notebook.openByPath(`${tmpPath}/nb/kinds.ipynb`);
  await page.notebook.activate('kinds.ipynb');
  await page.notebook.runCell(0);

  const grid = page.locator('.jp-NearDuplicates-grid');
  await expect(grid.locator('.jp-NearDuplicates-gridCount')).toHaveText(
    '10 samples',
    {
      timeout: 120000
    }
  );
  const loaded = [
    'root-path',
    'kernel-path',
    'absolute-path',
    'pathlib',
    'bytes',
    'pil',
    'numpy',
    'data-uri'
  ];
  for (const id of loaded) {
    const img = grid.locator(
      `[data-id="${id}"] img.jp-NearDuplicates-gridImage`
    );
    await expect(img, id).toHaveCount(1);
    await expect
      .poll(() => img.evaluate(i => (i as HTMLImageElement).naturalWidth), {
        message: id
      })
      .toBeGreaterThan(0);
  }
  await expect(
    grid.locator('[data-id="proc"] .jp-NearDuplicates-gridThumb')
  ).toHaveText('not a PNG, JPEG, GIF, WebP or BMP image');
  await expect(
    grid.locator('[data-id="jupyter-itself"] .jp-NearDuplicates-gridThumb')
  ).toHaveText(
    'not loaded: it points at the Jupyter server itself, which would receive your Jupyter cookie'
  );
});
