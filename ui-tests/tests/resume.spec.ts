// Resume (issue 16) in a real JupyterLab on the real embedded backend: a scan of "large"
// (40,000 points, 40 planted pairs of exact copies; seed.py) is interrupted by a page reload;
// the panel then offers "Resume (n% done)", and the resumed scan ends with the groups of a
// full scan.
import { expect, IJupyterLabPageFixture, test } from './fixtures';
import { notebook } from './notebookFile';

const PANEL = '#jp-near-duplicates-panel';
const TAB = '.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]';

/** The progress bar's share done, in percent. */
async function percentOf(bar: ReturnType<IJupyterLabPageFixture['locator']>) {
  const now = Number(await bar.getAttribute('aria-valuenow'));
  const max = Number(await bar.getAttribute('aria-valuemax'));
  return max > 0 ? (100 * now) / max : 0;
}

async function openPanel(page: IJupyterLabPageFixture) {
  if (!(await page.locator(PANEL).isVisible())) {
    await page.locator(TAB).click();
  }
  const panel = page.locator(PANEL);
  await expect(panel.getByLabel('Collection', { exact: true })).toBeVisible({
    timeout: 60000
  });
  return panel;
}

test("a scan interrupted by a reload is offered for Resume with its percentage, and ends with the full scan's groups", async ({
  page
}) => {
  test.setTimeout(600_000);
  let panel = await openPanel(page);
  await panel.getByLabel('Collection', { exact: true }).selectOption('large');
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  const bar = panel.getByRole('progressbar');
  await expect(panel.getByText(/Scanning [\d,]+\/40,000 points/)).toBeVisible({
    timeout: 120000
  });
  // Far enough into the main pass for a checkpoint (one every 5 s), not yet done.
  await expect
    .poll(() => percentOf(bar), { timeout: 180000 })
    .toBeGreaterThanOrEqual(15);
  await page.waitForTimeout(5500);
  const before = await percentOf(bar);
  expect(before).toBeLessThan(95);

  await page.reload();
  panel = await openPanel(page);
  await panel.getByLabel('Collection', { exact: true }).selectOption('large');
  const resume = panel.getByRole('button', { name: /^Resume \(\d+% done\)$/ });
  await expect(resume).toBeVisible({ timeout: 30000 });
  const percent = Number(/\((\d+)% done\)/.exec(await resume.innerText())![1]);
  expect(percent).toBeGreaterThanOrEqual(10);
  expect(percent).toBeLessThanOrEqual(before);
  await expect(panel.locator('.jp-NearDuplicates-resume')).toContainText(
    /An interrupted scan of this collection was kept: [\d,]+ of 40,000 points asked/
  );

  await resume.click();
  // The progress starts where the checkpoint left off, not at zero.
  await expect
    .poll(() => percentOf(bar), { timeout: 60000 })
    .toBeGreaterThanOrEqual(percent);
  const summary = panel.locator('.jp-NearDuplicates-summary');
  await expect(summary).toHaveText(
    /^40 duplicate groups \(80 samples\) at 0\.95/,
    {
      timeout: 300000
    }
  );
  const resumed = await summary.innerText();
  await expect(resume).toBeHidden();

  // A full scan, uninterrupted: the same groups.
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  await expect(bar).toBeVisible();
  await expect(bar).toBeHidden({ timeout: 300000 });
  await expect(summary).toHaveText(resumed);
});

// "grown": a copy of "planted" (clusters of 7, 5, 4, 3, 3, 2, 2, 2 among 240 lone points);
// then exact copies of three lone points are added (three new pairs with old points) and one
// member of cluster5 (a pair) is deleted.
const GROWN_NOTEBOOK = notebook([
  [
    'import jupyterlab_near_duplicates as nd',
    'from qdrant_client import models',
    'c = nd.client()',
    'pts, _ = c.scroll("planted", limit=300, with_payload=True, with_vectors=True)',
    'c.collection_exists("grown") and c.delete_collection("grown")',
    'c.create_collection("grown", vectors_config=models.VectorParams(size=32, distance=models.Distance.COSINE))',
    'c.upsert("grown", [models.PointStruct(id=p.id, vector=p.vector, payload=p.payload) for p in pts], wait=True)',
    'print(c.count("grown").count)'
  ].join('\n'),
  [
    'lone = [p for p in pts if p.payload["sample_id"].startswith("lone_")][:3]',
    'c.upsert("grown", [models.PointStruct(id=1000 + k, vector=p.vector, payload={"sample_id": "copy_" + p.payload["sample_id"]}) for k, p in enumerate(lone)], wait=True)',
    'gone = [p.id for p in pts if p.payload["sample_id"] == "cluster5_1"]',
    'c.delete("grown", points_selector=models.PointIdsList(points=gone), wait=True)',
    'print(c.count("grown").count)'
  ].join('\n'),
  'print(c.delete_collection("grown"))'
]);

test('Scan changes after points are added and deleted ends with the groups of a full rescan', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(300_000);
  await page.contents.uploadContent(
    GROWN_NOTEBOOK,
    'text',
    `${tmpPath}/grown.ipynb`
  );
  await page.notebook.openByPath(`${tmpPath}/grown.ipynb`);
  await page.notebook.activate('grown.ipynb');
  await page.notebook.runCell(0);
  expect(((await page.notebook.getCellTextOutput(0)) ?? []).join('')).toContain(
    '268'
  );

  const panel = await openPanel(page);
  const refresh = panel.getByRole('button', {
    name: 'Refresh the backend and its collections'
  });
  const picker = panel.getByLabel('Collection', { exact: true });
  await refresh.click();
  await expect(picker).toContainText('grown (268 points)');
  await picker.selectOption('grown');
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  const summary = panel.locator('.jp-NearDuplicates-summary');
  await expect(summary).toHaveText(
    /^8 duplicate groups \(28 samples\) at 0\.95/
  );
  // Nothing changed yet: no offer.
  await expect(panel.getByRole('button', { name: 'Scan changes' })).toHaveCount(
    0
  );

  await page.notebook.runCell(1);
  expect(((await page.notebook.getCellTextOutput(1)) ?? []).join('')).toContain(
    '270'
  );
  await refresh.click();
  await expect(picker).toContainText('grown (270 points)');
  await expect(
    panel.getByText(
      'The collection has 270 points now, 268 at its last scan (at 0.95): Scan changes asks only about the points added and drops the deleted ones.'
    )
  ).toBeVisible();
  await panel.getByRole('button', { name: 'Scan changes' }).click();
  await expect(summary).toHaveText(
    /^10 duplicate groups \(32 samples\) at 0\.95/,
    { timeout: 60000 }
  );
  await expect(panel.locator('.jp-NearDuplicates-scanInfo')).toContainText(
    /\(changes since the scan of .+: 3 points added, 1 deleted\)$/
  );
  const changed = await summary.innerText();
  await expect(panel.getByRole('button', { name: 'Scan changes' })).toHaveCount(
    0
  );

  // A full rescan: the same groups.
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  await expect(panel.locator('.jp-NearDuplicates-scanInfo')).not.toContainText(
    '(changes',
    { timeout: 60000 }
  );
  await expect(summary).toHaveText(changed);

  // The other specs see the seeded collections only.
  await page.notebook.activate('grown.ipynb');
  await page.notebook.runCell(2);
  expect(((await page.notebook.getCellTextOutput(2)) ?? []).join('')).toContain(
    'True'
  );
});

// A finished scan the workspace did not keep (more than 200,000 pairs, as at a million points,
// or made in another workspace of this browser) comes back from the worker's kept record:
// the panel offers "Show last scan", which brings the same groups back without scanning again.
test.describe('Show last scan', () => {
  // The workspaces on the server (Galata's temporary dir), so a second workspace starts empty.
  test.use({ mockState: false });

  test('a finished scan opened in a fresh workspace is offered and shown again with the same groups', async ({
    page
  }) => {
    test.setTimeout(300_000);
    const tag = Date.now().toString(36);
    await page.goto(`workspaces/nd-scan-${tag}`);
    let panel = await openPanel(page);
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted');
    await expect(
      panel.getByRole('button', { name: 'Show last scan' })
    ).toHaveCount(0);
    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
    const summary = panel.locator('.jp-NearDuplicates-summary');
    await expect(summary).toHaveText(
      /^8 duplicate groups \(28 samples\) at 0\.95/,
      { timeout: 120000 }
    );
    const scanned = await summary.innerText();
    const rows = () =>
      panel
        .locator('.jp-NearDuplicates-groupViewport')
        .getByRole('option')
        .allInnerTexts();
    const groups = await rows();
    expect(groups.length).toBeGreaterThan(0);
    // Its groups are on show: nothing to offer.
    await expect(
      panel.getByRole('button', { name: 'Show last scan' })
    ).toHaveCount(0);

    await page.goto(`workspaces/nd-fresh-${tag}`);
    panel = await openPanel(page);
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted');
    await expect(summary).toHaveCount(0);
    const offer = panel.locator('.jp-NearDuplicates-resume');
    await expect(offer).toContainText(
      /^The last scan of this collection is kept: 268 points at 0\.95, finished .+, with \d+ pairs\. Show last scan brings its groups back without scanning again/
    );
    const finished = /finished (.+), with \d+ pairs/.exec(
      await offer.innerText()
    )![1];
    await panel.getByRole('button', { name: 'Show last scan' }).click();
    await expect(summary).toHaveText(scanned, { timeout: 120000 });
    // The time shown is the kept scan's, not the moment it was shown again.
    await expect(panel.locator('.jp-NearDuplicates-scanInfo')).toHaveText(
      `Scan of planted, ${finished} (the kept scan: no points added or deleted since)`
    );
    expect(await rows()).toEqual(groups);
    await expect(
      panel.getByRole('button', { name: 'Show last scan' })
    ).toHaveCount(0);
  });
});
