// The foundation in a real JupyterLab: the extension loads, the panel opens from the
// command palette and from its sidebar icon, and the scan worker answers inside it.
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

  test('opens from the command palette and shows the worker reply', async ({
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
    await expect(panel.locator('.jp-NearDuplicates-workerStatus')).toHaveText(
      /^Scan worker ready \(protocol \d+, Qdrant client loaded\)$/
    );
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
    await expect(
      panel.locator('.jp-NearDuplicates-workerStatus')
    ).toContainText('Scan worker ready');
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
