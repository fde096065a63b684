// A scan in a real JupyterLab against the real embedded backend (seeded by seed.py with
// planted clusters of 7, 5, 4, 3, 3, 2, 2, 2 among 240 lone points).
import { expect, IJupyterLabPageFixture, test } from './fixtures';
import { cutOff, PANEL_TEXTS } from './layout';

const PANEL = '#jp-near-duplicates-panel';
const TAB = '.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]';

async function openPanel(page: IJupyterLabPageFixture) {
  await page.locator(TAB).click();
  const panel = page.locator(PANEL);
  await expect(panel.getByLabel('Collection', { exact: true })).toBeVisible({
    timeout: 60000
  });
  return panel;
}

test.describe('Detect duplicates on the embedded backend', () => {
  test('finds the planted groups with thumbnails, and regroups stricter without a request', async ({
    page
  }) => {
    const panel = await openPanel(page);
    await expect(panel.getByText(/Embedded Qdrant/)).toBeVisible();
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted');
    await expect(panel.getByLabel('Collection', { exact: true })).toContainText(
      'planted (268 points)'
    );

    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
    const summary = panel.locator('.jp-NearDuplicates-summary');
    await expect(summary).toHaveText(
      /^8 duplicate groups \(28 samples\) at 0\.95/
    );

    const groups = panel
      .getByRole('listbox', { name: 'Duplicate groups' })
      .getByRole('option');
    await expect(groups.first()).toContainText('Group 1: 7 samples');
    await expect(groups.nth(1)).toContainText('Group 2: 5 samples');
    // As many of the 7 as the default sidebar's width fits, and a "+n" for the rest.
    const thumbnails = groups.first().locator('img');
    await expect(thumbnails).toHaveCount(4);
    await expect(groups.first().locator('.jp-NearDuplicates-more')).toHaveText(
      '+3'
    );
    await expect
      .poll(() =>
        thumbnails
          .first()
          .evaluate(img => (img as HTMLImageElement).naturalWidth)
      )
      .toBeGreaterThan(0);

    // Every scan says how complete it is: an exact check of a random sample (all but 68 of
    // the 268 points), which on this small collection finds every pair.
    await expect(panel.locator('.jp-NearDuplicates-recallEstimate')).toHaveText(
      /^Estimated pair recall 100% \(95% interval \d+(\.\d+)? to 100%\), from an exact check of 200 points\.$/
    );
    await expect(panel.locator('.jp-NearDuplicates-recallWarning')).toHaveCount(
      0
    );

    // Reference screenshots, light and dark (the scan's time and the sampled interval are masked).
    const mask = [
      panel.locator('.jp-NearDuplicates-scanInfo'),
      panel.locator('.jp-NearDuplicates-recallEstimate')
    ];
    // Masking hides the text but not its length: a time after 10 PM or a wider interval
    // wraps the line and moves everything below. Pinned to texts of the reference's length.
    await panel.locator('.jp-NearDuplicates-scanInfo').evaluate(el => {
      el.textContent = 'Scan of planted, 11/30/2026, 8:26:00 PM';
    });
    await panel.locator('.jp-NearDuplicates-recallEstimate').evaluate(el => {
      el.textContent =
        'Estimated pair recall 100% (95% interval 90.1 to 100%), from an exact check of 200 points.';
    });
    await expect(panel).toHaveScreenshot('panel-groups-light.png', { mask });
    await page.theme.setDarkTheme();
    await expect
      .poll(() =>
        thumbnails.first().evaluate(img => (img as HTMLImageElement).complete)
      )
      .toBe(true);
    await expect(panel).toHaveScreenshot('panel-groups-dark.png', { mask });
    await page.theme.setLightTheme();

    // A stricter threshold regroups from the kept pairs: no request reaches Qdrant.
    const qdrantRequests: string[] = [];
    page.on('request', request => {
      if (request.url().includes('/near-duplicates/qdrant')) {
        qdrantRequests.push(request.url());
      }
    });
    const field = panel.getByLabel('Similarity threshold value');
    await field.fill('0.99');
    await field.press('Enter');
    await expect(summary).toHaveText(
      /^5 duplicate groups \(22 samples\) at 0\.99/
    );
    await expect(panel.getByText(/no new scan/i)).toBeVisible();
    expect(qdrantRequests).toEqual([]);
  });

  test('keeps a finished scan across a page reload with nothing touched', async ({
    page
  }) => {
    const panel = await openPanel(page);
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted');
    // The scan's result reaching the workspace is what a reload restores.
    const saved = page.waitForRequest(
      request =>
        request.url().includes('/api/workspaces') &&
        request.method() === 'PUT' &&
        /last-scan":\{/.test(request.postData() ?? '')
    );
    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
    const summary = panel.locator('.jp-NearDuplicates-summary');
    await expect(summary).toHaveText(
      /^8 duplicate groups \(28 samples\) at 0\.95/
    );
    const rows = panel
      .getByRole('listbox', { name: 'Duplicate groups' })
      .getByRole('option');
    const shown = async (where: typeof panel) => ({
      summary: await where.locator('.jp-NearDuplicates-summary').innerText(),
      recall: await where
        .locator('.jp-NearDuplicates-recallEstimate')
        .innerText(),
      rows: await where
        .getByRole('listbox', { name: 'Duplicate groups' })
        .getByRole('option')
        .evaluateAll(all =>
          all.slice(0, 4).map(row => (row as HTMLElement).innerText)
        )
    });
    await expect(rows.first()).toContainText('Group 1: 7 samples');
    const before = await shown(panel);
    await saved;

    await page.reload({ waitUntil: 'networkidle' });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    const again = page.locator(PANEL);
    await expect(again.locator('.jp-NearDuplicates-summary')).toHaveText(
      before.summary
    );
    await expect(again.getByText(/^Scan of planted, /)).toBeVisible();
    expect(await shown(again)).toEqual(before);
  });

  test('keeps a regroup at a stricter threshold across a page reload', async ({
    page
  }) => {
    const panel = await openPanel(page);
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted');
    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
    const summary = panel.locator('.jp-NearDuplicates-summary');
    await expect(summary).toHaveText(
      /^8 duplicate groups \(28 samples\) at 0\.95/
    );
    // The scan's own save comes first; this waits for the one of the regroup.
    const saved = page.waitForRequest(
      request =>
        request.url().includes('/api/workspaces') &&
        request.method() === 'PUT' &&
        /"shownThreshold":0\.99\b/.test(request.postData() ?? '')
    );
    const field = panel.getByLabel('Similarity threshold value');
    await field.fill('0.99');
    await field.press('Enter');
    await expect(summary).toHaveText(
      /^5 duplicate groups \(22 samples\) at 0\.99/
    );
    await saved;

    await page.reload({ waitUntil: 'networkidle' });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    const again = page.locator(PANEL);
    await expect(again.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^5 duplicate groups \(22 samples\) at 0\.99/
    );
    await expect(again.getByText(/^Scan of planted, /)).toBeVisible();
    await expect(again.getByLabel('Collection', { exact: true })).toHaveValue(
      'planted'
    );
  });

  test('shows live progress, and Cancel stops the scan', async ({ page }) => {
    const panel = await openPanel(page);
    await panel.getByLabel('Collection', { exact: true }).selectOption('large');
    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();

    const bar = panel.getByRole('progressbar');
    await expect(bar).toBeVisible();
    await expect(panel.getByText(/Scanning [\d,]+\/40,000 points/)).toBeVisible(
      {
        timeout: 60000
      }
    );
    const first = Number(await bar.getAttribute('aria-valuenow'));
    await expect
      .poll(async () => Number(await bar.getAttribute('aria-valuenow')), {
        timeout: 30000
      })
      .toBeGreaterThan(first);
    await expect(
      panel.getByRole('button', { name: 'Detect Duplicates' })
    ).toBeDisabled();

    const requests: string[] = [];
    await panel.getByRole('button', { name: 'Cancel the scan' }).click();
    await expect(panel.getByText(/cancelled/i).first()).toBeVisible();
    await expect(bar).toBeHidden();
    await expect(
      panel.getByRole('button', { name: 'Detect Duplicates' })
    ).toBeEnabled();
    page.on('request', request => {
      if (request.url().includes('/near-duplicates/qdrant')) {
        requests.push(request.url());
      }
    });
    await page.waitForTimeout(1500);
    expect(requests).toEqual([]);
  });

  test('shows payload strings as text, never as markup', async ({ page }) => {
    const panel = await openPanel(page);
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('hostile');
    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
    await expect(
      panel
        .getByRole('listbox', { name: 'Duplicate groups' })
        .getByRole('option')
    ).toHaveCount(1);
    const row = panel
      .getByRole('listbox', { name: 'Duplicate groups' })
      .getByRole('option')
      .first();
    await expect(row).toContainText('<img src=x onerror="window.__ndXss=1">');
    expect(await page.evaluate(() => (window as any).__ndXss)).toBeUndefined();
    await expect(row.locator('img')).toHaveCount(0);
  });
});

test.describe('Detect and Cancel are JupyterLab commands', () => {
  async function runFromPalette(page: IJupyterLabPageFixture, label: string) {
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#command-palette');
    await palette.locator('.lm-CommandPalette-input').fill(label);
    await palette
      .locator('.lm-CommandPalette-item:not(.lm-mod-disabled)', {
        hasText: label
      })
      .first()
      .click();
  }

  test('Detect runs from the command palette, and Cancel from the palette stops it', async ({
    page
  }) => {
    const panel = await openPanel(page);
    await panel.getByLabel('Collection', { exact: true }).selectOption('large');
    await runFromPalette(page, 'Detect Duplicates');
    const bar = panel.getByRole('progressbar');
    await expect(panel.getByText(/Scanning [\d,]+\/40,000 points/)).toBeVisible(
      { timeout: 60000 }
    );
    // The panel's button follows the command: off while the scan runs.
    await expect(
      panel.getByRole('button', { name: 'Detect Duplicates' })
    ).toBeDisabled();

    await runFromPalette(page, 'Cancel the Scan');
    await expect(panel.getByText(/cancelled/i).first()).toBeVisible();
    await expect(bar).toBeHidden();
    await expect(
      panel.getByRole('button', { name: 'Detect Duplicates' })
    ).toBeEnabled();
    expect(
      await page.evaluate(() =>
        (window as any).jupyterapp.commands.isEnabled(
          'jupyterlab-near-duplicates:cancel'
        )
      )
    ).toBe(false);
  });

  test('Detect runs from its keyboard shortcut', async ({ page }) => {
    const panel = await openPanel(page);
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted');
    await panel.locator('.jp-NearDuplicates-title').click();
    await page.keyboard.press('Alt+Shift+D');
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^8 duplicate groups \(28 samples\) at 0\.95/
    );
  });
});

test.describe('The panel at the sidebar width', () => {
  test('reads in full at the default width, and shows more thumbnails per row when widened', async ({
    page
  }) => {
    const panel = await openPanel(page);
    // JupyterLab's default left sidebar.
    const width = (await panel.boundingBox())!.width;
    expect(width).toBeGreaterThan(230);
    expect(width).toBeLessThan(270);
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted');
    await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^8 duplicate groups \(28 samples\) at 0\.95/
    );
    const rows = panel
      .getByRole('listbox', { name: 'Duplicate groups' })
      .getByRole('option');
    await expect(rows.first()).toContainText('Group 1: 7 samples');

    const texts = PANEL_TEXTS;
    await expect(
      panel.getByText(/^Embedded Qdrant \d+\.\d+\.\d+$/)
    ).toBeVisible();
    await expect(
      rows.first().getByText(/^Weakest link 0\.\d{4}$/)
    ).toBeVisible();
    for (const selector of texts) {
      expect(await panel.locator(selector).count()).toBeGreaterThan(0);
      expect(await cutOff(panel, selector)).toEqual([]);
    }
    // The first row: 7 samples, as many previews as fit and a "+n" for the rest.
    const previews = rows.first().locator('.jp-NearDuplicates-thumbnail');
    const narrow = await previews.count();
    expect(narrow).toBeLessThan(7);
    await expect(rows.first().locator('.jp-NearDuplicates-more')).toHaveText(
      `+${7 - narrow}`
    );

    await page.sidebar.setWidth(560);
    await expect
      .poll(() => panel.boundingBox().then(box => box!.width))
      .toBeGreaterThan(500);
    await expect(previews).toHaveCount(7);
    await expect(rows.first().locator('.jp-NearDuplicates-more')).toHaveCount(
      0
    );
    for (const selector of texts) {
      expect(await cutOff(panel, selector)).toEqual([]);
    }
    await page.sidebar.setWidth(251);
  });
});
