// The panel's Export (issue 14, section 4) on the "reviewed" collection (seed.py: clusters of
// 7, 5, 4, 3, 3, 2, 2, 2 among 40 lone points): the downloaded CSV has one row per member of
// the groups on show, in their order, each group keeping its lowest point id (nd.plan()'s
// default) and a manifest beside it; Parquet is offered only by a notebook kernel that has
// pyarrow, which writes it beside the notebook.
import * as fs from 'fs';
import { expect, IJupyterLabPageFixture, test } from './fixtures';
import {
  CLEAR_TAGS,
  COLLECTION,
  detectReviewed,
  openNotebook,
  output,
  PANEL
} from './reviewed';

/** A CSV as Python's csv module writes it, into rows of cells (no cell here holds a comma). */
function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split('\r\n');
  const columns = header.split(',');
  return lines.map(line => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
  });
}

/** Clicks Export in the groups section's title bar; its menu lists the formats. */
async function openExportMenu(page: IJupyterLabPageFixture) {
  await page.locator(`${PANEL} .jp-NearDuplicates-exportButton`).click();
  const menu = page.locator('.jp-NearDuplicates-exportMenu');
  await expect(menu).toBeVisible();
  return menu;
}

test('Export downloads a CSV whose rows are the groups on show, and its manifest', async ({
  page
}) => {
  test.setTimeout(180 * 1000);
  const panel = await detectReviewed(page);
  const rows = panel
    .getByRole('listbox', { name: 'Duplicate groups' })
    .getByRole('option');
  // The list shows the planted clusters largest first (summary: 8 groups, 28 samples); it
  // renders the rows in view, which must match.
  const sizes = [7, 5, 4, 3, 3, 2, 2, 2];
  const shown = (
    await rows.evaluateAll(all => all.map(o => o.getAttribute('aria-label')))
  ).map(label => Number(/: (\d+) samples/.exec(label ?? '')![1]));
  expect(shown.length).toBeGreaterThan(0);
  expect(shown).toEqual(sizes.slice(0, shown.length));

  // No notebook is open: Parquet is not offered, and its menu item says why.
  const menu = await openExportMenu(page);
  const parquet = menu.getByRole('menuitem', { name: /^Parquet/ });
  await expect(parquet).toHaveText('Parquet (open a notebook)');
  await expect(parquet).toHaveAttribute('aria-disabled', 'true');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    menu.getByRole('menuitem', { name: 'CSV' }).click()
  ]);
  expect(download.suggestedFilename()).toBe(`${COLLECTION}-duplicates.csv`);
  const table = parseCsv(fs.readFileSync(await download.path(), 'utf-8'));
  expect(Object.keys(table[0])).toEqual([
    'group',
    'point_id',
    'sample_id',
    'split',
    'action',
    'best_score',
    'weakest_link'
  ]);
  expect(table).toHaveLength(28);
  // Group by group, in the list's order: its size, one planted cluster, one keeper (its lowest point id).
  sizes.forEach((size, g) => {
    const members = table.filter(r => r.group === String(g));
    expect(members).toHaveLength(size);
    const clusters = new Set(members.map(r => r.sample_id.split('_')[0]));
    expect(clusters.size).toBe(1);
    const lowest = Math.min(...members.map(r => Number(r.point_id)));
    expect(
      members.filter(r => r.action === 'keep').map(r => Number(r.point_id))
    ).toEqual([lowest]);
    for (const r of members) {
      expect(Number(r.best_score)).toBeGreaterThan(0.95);
      expect(Number(r.weakest_link)).toBeGreaterThan(0.95);
    }
  });
  expect(table.filter(r => r.group === '0').map(r => r.sample_id)).toEqual(
    Array.from({ length: 7 }, (_, i) => `cluster0_${i}`)
  );
  const toast = page
    .locator('.Toastify__toast')
    .filter({ hasText: `Downloaded ${COLLECTION}-duplicates.csv` });
  await expect(toast).toContainText(
    `Downloaded ${COLLECTION}-duplicates.csv: 28 rows (keep 8, drop 20).`
  );

  const [second] = await Promise.all([
    page.waitForEvent('download'),
    toast.getByRole('button', { name: /^Download its manifest/ }).click()
  ]);
  expect(second.suggestedFilename()).toBe(
    `${COLLECTION}-duplicates.manifest.json`
  );
  const manifest = JSON.parse(fs.readFileSync(await second.path(), 'utf-8'));
  expect(manifest).toMatchObject({
    file: `${COLLECTION}-duplicates.csv`,
    format: 'csv',
    rows: 28,
    collection: COLLECTION,
    distance: 'Cosine',
    threshold: 0.95,
    points_scanned: 68,
    groups: 8,
    plan: {
      rules: [['first']],
      rules_text: ['first point id'],
      keep: 8,
      drop: 20
    }
  });
  expect(manifest.scan_id).toMatch(/^scan-/);
});

test('Parquet is written by the notebook’s kernel, beside the notebook, and downloaded', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(240 * 1000);
  await openNotebook(page, tmpPath, 'export.ipynb', [
    CLEAR_TAGS,
    [
      'import pyarrow.parquet as pq',
      `t = pq.read_table("${COLLECTION}-duplicates.parquet").to_pylist()`,
      'print(len(t), sum(r["action"] == "keep" for r in t), sorted({r["group"] for r in t}))'
    ].join('\n')
  ]);
  await detectReviewed(page);
  const menu = await openExportMenu(page);
  const parquet = menu.getByRole('menuitem', { name: /^Parquet/ });
  await expect(parquet).toHaveText('Parquet (written by the kernel)');
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 120000 }),
    parquet.click()
  ]);
  expect(download.suggestedFilename()).toBe(`${COLLECTION}-duplicates.parquet`);
  // A Parquet file starts and ends with its magic bytes.
  const bytes = fs.readFileSync(await download.path());
  expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
  await expect(
    page
      .locator('.Toastify__toast')
      .filter({ hasText: 'Written beside export.ipynb and downloaded' })
  ).toBeVisible();
  expect(await output(page, 1)).toContain('28 8 [0, 1, 2, 3, 4, 5, 6, 7]');
});
