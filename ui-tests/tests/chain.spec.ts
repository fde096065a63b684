// Chaining, seen and stopped (issue 15), in a real JupyterLab against the real embedded backend:
// the "chained" collection (seed.py) holds a group of 8 made of two planted parts of 4 joined
// by one link, a tight group of 4, and 60 lone points. Scanned at a floor of 0.80, shown at 0.95.
import { detectChainedAtFloor, PANEL } from './chained';
import { expect, IJupyterLabPageFixture, test } from './fixtures';
import { notebook } from './notebookFile';

const SETTINGS_PLUGIN = '@jupyterlab/apputils-extension:settings';
const PANEL_SETTINGS = 'jupyterlab-near-duplicates:panel';

async function scanChained(page: IJupyterLabPageFixture) {
  const { panel, field } = await detectChainedAtFloor(page);
  const summary = panel.locator('.jp-NearDuplicates-summary');
  await expect(summary).toHaveText(
    /^2 duplicate groups \(12 samples\) at 0\.80/,
    { timeout: 60000 }
  );
  await field.fill('0.95');
  await field.press('Enter');
  await expect(summary).toHaveText(
    /^2 duplicate groups \(12 samples\) at 0\.95/
  );
  return panel;
}

/** The sample ids each group row previews, in list order (the rows hold every member here). */
async function rowsShown(panel: ReturnType<IJupyterLabPageFixture['locator']>) {
  return panel
    .getByRole('listbox', { name: 'Duplicate groups' })
    .getByRole('option')
    .evaluateAll(rows =>
      rows.map(row =>
        [...row.querySelectorAll('.jp-NearDuplicates-thumbnail')]
          .map(t => t.getAttribute('title') ?? '')
          .sort()
          .join(' ')
      )
    );
}

async function setLinkage(page: IJupyterLabPageFixture, linkage: string) {
  await page.evaluate(
    async ({ plugin, id, value }) => {
      const registry = (await (window as any).galata.getPlugin(plugin)) as any;
      await registry.set(id, 'linkage', value);
    },
    { plugin: SETTINGS_PLUGIN, id: PANEL_SETTINGS, value: linkage }
  );
}

test.describe('Chained groups', () => {
  // Tall enough to show the whole detail view below the scan controls; the width, and so the
  // sidebar's default width, is Galata's.
  test.use({ viewport: { width: 1024, height: 1280 } });

  test.afterEach(async ({ page }) => {
    await setLinkage(page, 'single');
  });

  test('marks the chained group, shows its details, and Split gives its planted parts with no request', async ({
    page
  }) => {
    const panel = await scanChained(page);
    const rows = panel
      .getByRole('listbox', { name: 'Duplicate groups' })
      .getByRole('option');
    await expect(rows.first()).toContainText('Group 1: 8 samples');
    // The row previews as many members as the sidebar's width fits: all from the chain.
    const [chainRow, tightRow] = await rowsShown(panel);
    expect(chainRow.split(' ').every(id => id.startsWith('chain_'))).toBe(true);
    expect(tightRow).toBe('tight_0 tight_1 tight_2 tight_3');
    // The mark, with its reason for screen readers; the tight group has none.
    const badge = rows.first().locator('.jp-NearDuplicates-chainedBadge');
    await expect(badge).toHaveText('chained');
    await expect(badge).toHaveAttribute('title', /^Chained: its least alike/);
    await expect(rows.first()).toHaveAttribute('aria-label', /Chained: /);
    await expect(
      rows.nth(1).locator('.jp-NearDuplicates-chainedBadge')
    ).toHaveCount(0);

    // The detail view: every member, the heat map, the weakest link a3-b0 outlined. The
    // scan controls are folded away, as a user looking at results would.
    const scanSection = panel.getByRole('heading', { name: 'Scan Section' });
    await scanSection.click();
    await rows.first().click();
    await panel.getByRole('button', { name: 'Details' }).click();
    const detail = panel.getByRole('region', { name: 'Details of group 1' });
    // Every member, the two planted parts side by side.
    await expect(detail.locator('.jp-NearDuplicates-detailName')).toHaveText([
      'chain_a0',
      'chain_a1',
      'chain_a2',
      'chain_a3',
      'chain_b0',
      'chain_b1',
      'chain_b2',
      'chain_b3'
    ]);
    await expect(detail).toContainText(
      'Weakest link0.9613 (chain_a3 and chain_b0)'
    );
    const weakest = detail.locator('td.jp-NearDuplicates-heatWeakest');
    await expect(weakest).toHaveCount(2);
    await expect(weakest.first()).toHaveText('.96');
    await expect(weakest.first()).toHaveAttribute(
      'aria-label',
      /^chain_(a3|b0) and chain_(b0|a3): 0\.9613, the weakest link$/
    );
    await expect(detail).toContainText(
      'At the weakest link: into 4 + 4 samples.'
    );

    // Reference pictures at the default sidebar width, light and dark.
    const images = detail.locator('img');
    await expect
      .poll(() =>
        images.evaluateAll(all =>
          all.every(img => (img as HTMLImageElement).naturalWidth > 0)
        )
      )
      .toBe(true);
    await expect(panel).toHaveScreenshot('group-detail-light.png', {
      mask: [
        panel.locator('.jp-NearDuplicates-scanInfo'),
        panel.locator('.jp-NearDuplicates-recallEstimate')
      ]
    });
    await page.theme.setDarkTheme();
    await expect(panel).toHaveScreenshot('group-detail-dark.png', {
      mask: [
        panel.locator('.jp-NearDuplicates-scanInfo'),
        panel.locator('.jp-NearDuplicates-recallEstimate')
      ]
    });
    await page.theme.setLightTheme();
    await scanSection.click();

    // Split: the planted parts replace the group in the list, and no request reaches Qdrant.
    const qdrantRequests: string[] = [];
    page.on('request', request => {
      if (request.url().includes('/near-duplicates/qdrant')) {
        qdrantRequests.push(request.url());
      }
    });
    // The split is kept with the scan: its save is what a reload restores.
    const saved = page.waitForRequest(
      request =>
        request.url().includes('/api/workspaces') &&
        request.method() === 'PUT' &&
        /"splits":\[\{/.test(request.postData() ?? '')
    );
    await detail.getByRole('button', { name: 'Split' }).click();
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^3 duplicate groups \(12 samples\) at 0\.95/
    );
    expect(await rowsShown(panel)).toEqual([
      'tight_0 tight_1 tight_2 tight_3',
      'chain_a0 chain_a1 chain_a2 chain_a3',
      'chain_b0 chain_b1 chain_b2 chain_b3'
    ]);
    await expect(panel.locator('.jp-NearDuplicates-chainedBadge')).toHaveCount(
      0
    );
    expect(qdrantRequests).toEqual([]);

    await saved;
    await page.reload({ waitUntil: 'networkidle' });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    const again = page.locator(PANEL);
    await expect(again.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^3 duplicate groups \(12 samples\) at 0\.95/
    );
    expect(await rowsShown(again)).toEqual([
      'tight_0 tight_1 tight_2 tight_3',
      'chain_a0 chain_a1 chain_a2 chain_a3',
      'chain_b0 chain_b1 chain_b2 chain_b3'
    ]);
  });

  test('the kernel gets the groups on show: nd.groups() after a Split', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180 * 1000);
    const cells = [
      'import jupyterlab_near_duplicates as nd',
      'print([" ".join(sorted(g["sample_ids"])) for g in nd.groups()])'
    ];
    await page.contents.uploadContent(
      notebook(cells),
      'text',
      `${tmpPath}/groups.ipynb`
    );
    await page.notebook.openByPath(`${tmpPath}/groups.ipynb`);
    await page.notebook.activate('groups.ipynb');
    await page.notebook.runCell(0);

    const panel = await scanChained(page);
    const rows = panel
      .getByRole('listbox', { name: 'Duplicate groups' })
      .getByRole('option');
    await rows.first().click();
    await panel.getByRole('button', { name: 'Details' }).click();
    await panel.getByRole('button', { name: 'Split' }).click();
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^3 duplicate groups \(12 samples\) at 0\.95/
    );
    await panel.getByRole('button', { name: 'Send all groups' }).click();
    await expect(panel.locator('.jp-NearDuplicates-sendStatus')).toHaveText(
      'Sent 3 groups (12 samples) to groups.ipynb'
    );
    await page.notebook.runCell(1);
    const printed = ((await page.notebook.getCellTextOutput(1)) ?? []).join('');
    expect(printed).toContain(
      "['tight_0 tight_1 tight_2 tight_3', 'chain_a0 chain_a1 chain_a2 chain_a3', 'chain_b0 chain_b1 chain_b2 chain_b3']"
    );
  });

  test('complete linkage (a setting) gives the planted parts and no chained group, with no request', async ({
    page
  }) => {
    const panel = await scanChained(page);
    await expect(panel.locator('.jp-NearDuplicates-chainedBadge')).toHaveCount(
      1
    );
    const qdrantRequests: string[] = [];
    page.on('request', request => {
      if (request.url().includes('/near-duplicates/qdrant')) {
        qdrantRequests.push(request.url());
      }
    });
    await setLinkage(page, 'complete');
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^3 duplicate groups \(12 samples\) at 0\.95/
    );
    expect(await rowsShown(panel)).toEqual([
      'tight_0 tight_1 tight_2 tight_3',
      'chain_a0 chain_a1 chain_a2 chain_a3',
      'chain_b0 chain_b1 chain_b2 chain_b3'
    ]);
    await expect(panel.locator('.jp-NearDuplicates-chainedBadge')).toHaveCount(
      0
    );
    // Formed by the scan worker: its status line is gone, and no error took its place.
    await expect(panel.locator('.jp-NearDuplicates-forming')).toHaveCount(0);
    await expect(panel.getByRole('alert')).toHaveCount(0);

    // Switched back and forth quickly: the last setting's groups are the ones on show.
    await page.evaluate(
      async ({ plugin, id }) => {
        const registry = (await (window as any).galata.getPlugin(
          plugin
        )) as any;
        for (const value of ['single', 'complete', 'single']) {
          await registry.set(id, 'linkage', value);
        }
      },
      { plugin: SETTINGS_PLUGIN, id: PANEL_SETTINGS }
    );
    const summary = panel.locator('.jp-NearDuplicates-summary');
    await expect(summary).toHaveText(
      /^2 duplicate groups \(12 samples\) at 0\.95/
    );
    await page.waitForTimeout(500);
    await expect(summary).toHaveText(
      /^2 duplicate groups \(12 samples\) at 0\.95/
    );

    // After a reload the kept scan's pairs go to the new page's worker: complete linkage again.
    await setLinkage(page, 'complete');
    await expect(summary).toHaveText(
      /^3 duplicate groups \(12 samples\) at 0\.95/
    );
    expect(qdrantRequests).toEqual([]);
    await page.reload({ waitUntil: 'networkidle', waitForIsReady: false });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    const again = page.locator(PANEL);
    await expect(again.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^3 duplicate groups \(12 samples\) at 0\.95/,
      { timeout: 60000 }
    );
    expect(await rowsShown(again)).toEqual([
      'tight_0 tight_1 tight_2 tight_3',
      'chain_a0 chain_a1 chain_a2 chain_a3',
      'chain_b0 chain_b1 chain_b2 chain_b3'
    ]);
    await expect(again.locator('.jp-NearDuplicates-forming')).toHaveCount(0);
  });

  test('when the scan worker stops, the panel says so, and complete linkage is formed on the page', async ({
    page
  }) => {
    const panel = await scanChained(page);
    // The worker's chunk: lib_scan_scan_worker_js.<hash>.js
    const worker = page.workers().find(w => /scan_worker/.test(w.url()));
    expect(worker).toBeDefined();
    // An error nothing catches stops the worker as a crash would.
    await worker!.evaluate(() => {
      setTimeout(() => {
        throw new Error('stopped on purpose by the test');
      });
    });
    const alert = panel.getByRole('alert');
    await expect(alert).toContainText('The scan worker stopped');
    await expect(alert).toContainText('stopped on purpose by the test');
    await expect(
      panel.getByRole('button', { name: 'Detect Duplicates' })
    ).toBeDisabled();
    // Nothing on show is lost, and complete linkage still gives the planted parts.
    await setLinkage(page, 'complete');
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^3 duplicate groups \(12 samples\) at 0\.95/
    );
    expect(await rowsShown(panel)).toEqual([
      'tight_0 tight_1 tight_2 tight_3',
      'chain_a0 chain_a1 chain_a2 chain_a3',
      'chain_b0 chain_b1 chain_b2 chain_b3'
    ]);
    await expect(panel.locator('.jp-NearDuplicates-forming')).toHaveCount(0);
  });
});
