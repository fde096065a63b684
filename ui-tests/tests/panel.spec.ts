// The foundation in a real JupyterLab: the extension loads, the panel opens from the
// command palette and from its sidebar icon, and the scan worker is heard of only when it
// cannot scan.
import { expect, test } from './fixtures';

const PANEL = '#jp-near-duplicates-panel';
const TAB = '.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]';

test.describe('Near Duplicates panel', () => {
  test('JupyterLab loads the extension', async ({ page }) => {
    const plugins = await page.evaluate(() =>
      (window as any).jupyterapp.listPlugins()
    );
    expect(plugins).toContain('jupyterlab-near-duplicates:panel');
    await expect(page.locator(TAB)).toBeVisible();
  });

  test('opens from the command palette, and says nothing of the worker when all is well', async ({
    page
  }) => {
    await expect(page.locator(PANEL)).toBeHidden();
    await page.keyboard.press('Control+Shift+C');
    const palette = page.locator('#command-palette');
    await palette
      .locator('.lm-CommandPalette-input')
      .fill('Near Duplicates: Open Panel');
    await palette
      .locator('.lm-CommandPalette-item', {
        hasText: 'Near Duplicates: Open Panel'
      })
      .click();
    const panel = page.locator(PANEL);
    await expect(panel).toBeVisible();
    // A working worker shows as an enabled Detect once a collection is picked, not as a line.
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted', { timeout: 60000 });
    await expect(
      panel.getByRole('button', { name: 'Detect Duplicates' })
    ).toBeEnabled();
    await expect(panel.locator('.jp-NearDuplicates-workerStatus')).toHaveCount(
      0
    );
    await expect(panel.getByText(/protocol|worker/i)).toHaveCount(0);
  });

  test('says what to do when the scan worker does not load', async ({
    page
  }, testInfo) => {
    await page.route(/lib_scan_scan_worker_js\.[^/]*\.js$/, route =>
      route.fulfill({ status: 404, body: 'not found' })
    );
    await page.reload({ waitUntil: 'networkidle' });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    await page.locator(TAB).click();
    const panel = page.locator(PANEL);
    const alert = panel.locator('.jp-NearDuplicates-workerStatus');
    await expect(alert).toContainText(
      'Scanning is not available: the scan worker did not load'
    );
    await expect(alert).toContainText('Reload the page');
    const picture = testInfo.outputPath('panel-worker-failed.png');
    await panel.screenshot({ path: picture });
    await testInfo.attach('panel-worker-failed.png', {
      path: picture,
      contentType: 'image/png'
    });
    await panel
      .getByLabel('Collection', { exact: true })
      .selectOption('planted', { timeout: 60000 });
    await expect(
      panel.getByRole('button', { name: 'Detect Duplicates' })
    ).toBeDisabled();
  });

  test('opens from its sidebar icon, and the layout restores it after a reload', async ({
    page
  }) => {
    // The workspace save that has the panel (restorer name "near-duplicates") current in the
    // left area: JupyterLab may save the workspace before the click too, and reloading after
    // that one restores no panel.
    const layoutSaved = page.waitForRequest(
      request =>
        request.url().includes('/api/workspaces') &&
        request.method() === 'PUT' &&
        /"left":\{[^}]*"current":"near-duplicates"/.test(
          request.postData() ?? ''
        )
    );
    await page.locator(TAB).click();
    const panel = page.locator(PANEL);
    await expect(panel).toBeVisible();
    // Other tests add collections to the same server: pin the one on show.
    const picker = panel.getByLabel('Collection', { exact: true });
    await picker.selectOption('planted', { timeout: 60000 });
    expect(await panel.screenshot()).toMatchSnapshot('panel-foundation.png');

    await layoutSaved;
    await page.reload({ waitUntil: 'networkidle' });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    await expect(page.locator(PANEL)).toBeVisible();
  });
});
