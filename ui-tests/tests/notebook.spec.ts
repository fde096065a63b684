// From panel to notebook in a real JupyterLab and kernel: a click on a group filters every
// nd.SampleGrid to it and sets nd.selection; Send all groups fills nd.groups(); a notebook
// that has not imported the package is told to. The "planted" collection (seed.py) holds
// clusters of 7, 5, 4, 3, 3, 2, 2, 2 among 240 lone points; the largest is cluster0_0..6.
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

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

// "Send all groups" of a scan with 40,000 groups: about 13 MB of JSON, over the 10 MiB that
// Jupyter's websocket takes in one message. The notebook builds the collection (every
// sample stored twice) through nd.client(), the panel scans it, and the kernel gets it all.
const PAIRS = 40_000;
const BIG_NOTEBOOK = notebook([
  [
    'import numpy as np',
    'import jupyterlab_near_duplicates as nd',
    'from qdrant_client import models',
    'client = nd.client()',
    'if client.collection_exists("pairs40k"):',
    '    client.delete_collection("pairs40k")',
    'client.create_collection("pairs40k", vectors_config=models.VectorParams(size=32, distance=models.Distance.COSINE))',
    'rng = np.random.default_rng(5)',
    `for start in range(0, ${PAIRS}, 2500):`,
    '    vectors = rng.normal(size=(2500, 32)).astype(np.float32)',
    '    ids = [2 * (start + i) + k for i in range(2500) for k in (0, 1)]',
    '    client.upsert("pairs40k", models.Batch(',
    '        ids=ids,',
    '        vectors=np.repeat(vectors, 2, axis=0).tolist(),',
    '        payloads=[{"sample_id": f"images/train/photo_{i // 2:06d}_{\'ab\'[i % 2]}.jpg"} for i in ids],',
    '    ), wait=True)',
    'print("points:", client.count("pairs40k").count)'
  ].join('\n'),
  [
    'pairs = {tuple(sorted(g["sample_ids"])) for g in nd.groups()}',
    `expected = {(f"images/train/photo_{i:06d}_a.jpg", f"images/train/photo_{i:06d}_b.jpg") for i in range(${PAIRS})}`,
    'print("groups:", len(nd.groups()), "every pair:", pairs == expected)'
  ].join('\n')
]);

test.describe('Send all groups of a large scan', () => {
  // Upsert and scan of 80,000 points: 5 minutes on a loaded 2-core machine, sometimes more.
  test.setTimeout(900 * 1000);

  test('40,000 groups reach the kernel whole, over the websocket limit', async ({ page, tmpPath }) => {
    await page.contents.uploadContent(BIG_NOTEBOOK, 'text', `${tmpPath}/big.ipynb`);
    await page.notebook.openByPath(`${tmpPath}/big.ipynb`);
    await page.notebook.activate('big.ipynb');
    await page.notebook.runCell(0);
    expect(((await page.notebook.getCellTextOutput(0)) ?? []).join('')).toContain('points: 80000');

    const panel = await openPanel(page);
    await panel.getByRole('button', { name: 'Refresh the backend and its collections' }).click();
    const picker = panel.getByLabel('Collection', { exact: true });
    await expect(picker).toContainText('pairs40k', { timeout: 60000 });
    await picker.selectOption('pairs40k');
    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^40,000 duplicate groups \(80,000 samples\)/,
      { timeout: 600000 }
    );
    await page.notebook.activate('big.ipynb');
    await panel.getByRole('button', { name: 'Send all groups' }).click();
    await expect(panel.locator('.jp-NearDuplicates-sendStatus')).toHaveText(
      'Sent 40,000 groups (80,000 samples) to big.ipynb',
      { timeout: 120000 }
    );
    expect(await output(page, 1)).toContain('groups: 40000 every pair: True');
  });
});

// Galata's server turns Jupyter's XSRF check off (configure_jupyter_server), and with it the
// check that refuses a cookie-authenticated /files/ request with no Referer. A user's server
// has it on: this one does, logged in by token and then by cookie, as a browser is.

/** A 24x16 PNG (a blue square), so a loaded image has a natural width of 24. */
const PNG_24x16 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABgAAAAQCAIAAACDRijCAAAAGklEQVR4nGPQCLhDFcQwatCoQaMGjRpEGQIAqqb+EJEfVmoAAAAASUVORK5CYII=',
  'base64'
);
const TOKEN = 'nd-grid-test-token';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, process: ChildProcess): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (process.exitCode !== null) {
      throw new Error(`jupyter lab exited with ${process.exitCode}`);
    }
    try {
      const response = await fetch(`${url}/api/status`, {
        headers: { Authorization: `token ${TOKEN}` }
      });
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  throw new Error('jupyter lab did not start in 2 minutes');
}

const KINDS_NOTEBOOK = notebook([
  [
    'import os, pathlib',
    'import numpy as np',
    'from PIL import Image',
    'import jupyterlab_near_duplicates as nd',
    'here = pathlib.Path("../thumbs/blue.png")  # the kernel runs in nb/',
    'grid = nd.SampleGrid([',
    '    {"id": "root-path", "image": "thumbs/blue.png"},  # not found by the kernel: /files/',
    '    {"id": "kernel-path", "image": "../thumbs/blue.png"},',
    '    {"id": "absolute-path", "image": str(here.resolve())},',
    '    {"id": "pathlib", "image": here},',
    '    {"id": "bytes", "image": here.read_bytes()},',
    '    {"id": "pil", "image": Image.new("RGB", (30, 20), "orange")},',
    '    {"id": "numpy", "image": np.full((12, 18, 3), 200, dtype=np.uint8)},',
    '    {"id": "data-uri", "image": "data:image/png;base64," + __import__("base64").b64encode(here.read_bytes()).decode()},',
    '    {"id": "proc", "image": "/proc/self/maps"},',
    '    {"id": "jupyter-itself", "image": os.environ["ND_GRID_SELF_URL"]},',
    '])',
    'grid'
  ].join('\n')
]);

test.describe('SampleGrid images in a Jupyter that checks XSRF', () => {
  test.setTimeout(240 * 1000);
  let server: ChildProcess | null = null;
  let url = '';
  let root = '';
  let data = '';

  test.beforeAll(async () => {
    test.setTimeout(180 * 1000);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nd-grid-root-'));
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'nd-grid-qdrant-'));
    fs.mkdirSync(path.join(root, 'thumbs'));
    fs.mkdirSync(path.join(root, 'nb'));
    fs.writeFileSync(path.join(root, 'thumbs', 'blue.png'), PNG_24x16);
    fs.writeFileSync(path.join(root, 'nb', 'kinds.ipynb'), KINDS_NOTEBOOK);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawn(
      'jupyter',
      [
        'lab',
        '--no-browser',
        '--allow-root',
        `--port=${port}`,
        '--ip=127.0.0.1',
        `--ServerApp.root_dir=${root}`,
        `--IdentityProvider.token=${TOKEN}`,
        '--LabApp.expose_app_in_browser=True',
        `--NearDuplicates.embedded_data_dir=${data}`
      ],
      {
        stdio: 'ignore',
        env: { ...process.env, ND_GRID_SELF_URL: `${url}/files/thumbs/blue.png` }
      }
    );
    await waitForServer(url, server);
  });

  test.afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise(resolve => server!.once('exit', resolve));
      server.kill('SIGTERM'); // Jupyter shuts its kernels down on SIGTERM
      await exited;
    }
    for (const dir of [root, data]) {
      if (dir) {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  test('every kind of image Python accepts loads, and the tile says why when one cannot', async ({
    browser
  }) => {
    const context = await browser.newContext();
    const page: Page = await context.newPage();
    // The token in the URL logs in; from then on the browser authenticates by cookie.
    await page.goto(`${url}/lab/tree/nb/kinds.ipynb?token=${TOKEN}`);
    await page.waitForFunction(() => (window as any).jupyterapp?.shell?.currentWidget?.content);
    const own = await context.request.get(`${url}/files/thumbs/blue.png`, {
      headers: { Referer: '' }
    });
    expect(own.status()).toBe(403); // Jupyter refuses a cookie with no Referer: the trap

    await expect(page.locator('.jp-Notebook .jp-Cell')).toHaveCount(1);
    await page.evaluate(async () => {
      const app = (window as any).jupyterapp;
      await app.shell.currentWidget.sessionContext.ready;
      await app.commands.execute('notebook:run-all-cells');
    });
    const grid = page.locator('.jp-NearDuplicates-grid');
    await expect(grid.locator('.jp-NearDuplicates-gridCount')).toHaveText('10 samples', {
      timeout: 120000
    });
    const loaded = ['root-path', 'kernel-path', 'absolute-path', 'pathlib', 'bytes', 'pil', 'numpy', 'data-uri'];
    for (const id of loaded) {
      const img = grid.locator(`[data-id="${id}"] img.jp-NearDuplicates-gridImage`);
      await expect(img, id).toHaveCount(1);
      await expect
        .poll(() => img.evaluate(i => (i as HTMLImageElement).naturalWidth), { message: id })
        .toBeGreaterThan(0);
    }
    await expect(grid.locator('[data-id="proc"] .jp-NearDuplicates-gridThumb')).toHaveText(
      'not a PNG, JPEG, GIF, WebP or BMP image'
    );
    await expect(grid.locator('[data-id="jupyter-itself"] .jp-NearDuplicates-gridThumb')).toHaveText(
      'not loaded: the URL points at this Jupyter server'
    );
    await context.close();
  });
});
