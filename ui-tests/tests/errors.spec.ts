// The panel when Qdrant cannot be reached: a clear message naming the URL and what to do,
// never a blank panel. This server (see playwright.config.js) points at a remote Qdrant
// on a port where nothing listens.
import { galata } from '@jupyterlab/galata';
import { expect, test } from './fixtures';

const downPort = String(Number(process.env.ND_UI_TEST_PORT || '8890') + 1);
test.use({ baseURL: `http://localhost:${downPort}` });

test('says which backend is unreachable and how to configure it', async ({
  page
}) => {
  await page
    .locator('.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]')
    .click();
  const panel = page.locator('#jp-near-duplicates-panel');
  const alert = panel.getByRole('alert');
  await expect(alert).toContainText('Cannot reach the Qdrant backend');
  await expect(alert).toContainText('http://127.0.0.1:9');
  await expect(alert).toContainText('QDRANT_URL');
  await expect(alert).not.toContainText('not-a-real-key');
  await expect(
    panel.getByRole('button', { name: 'Detect Duplicates' })
  ).toBeDisabled();
  expect(await panel.screenshot()).toMatchSnapshot('panel-backend-down.png');
});

// The Backend setting. Needs the server's side of it (GET .../backend?kind=, 409 when the kind
// cannot be had, the proxy choosing by X-Near-Duplicates-Backend).
const panelSettings = (backend: string) => ({
  ...galata.DEFAULT_SETTINGS,
  'jupyterlab-near-duplicates:panel': { backend }
});

test.describe('Backend "embedded" on a server whose remote Qdrant is down', () => {
  test.use({ mockSettings: panelSettings('embedded') });

  test('scans the embedded backend, as the setting asks', async ({ page }) => {
    await page
      .locator('.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]')
      .click();
    const panel = page.locator('#jp-near-duplicates-panel');
    await expect(panel.getByText(/^Embedded Qdrant/)).toBeVisible({
      timeout: 60000
    });
    await expect(panel.getByRole('alert')).toHaveCount(0);
    await expect(panel).not.toContainText('127.0.0.1:9');
  });
});

test.describe('Backend "remote" on a server with no remote Qdrant', () => {
  test.use({
    baseURL: `http://localhost:${process.env.ND_UI_TEST_PORT || '8890'}`,
    mockSettings: panelSettings('remote')
  });

  test('says the choice cannot be met and what to do, and lists no embedded collection', async ({
    page
  }) => {
    await page
      .locator('.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]')
      .click();
    const panel = page.locator('#jp-near-duplicates-panel');
    const alert = panel.getByRole('alert');
    await expect(alert).toContainText(
      'The backend chosen in the settings is not available',
      {
        timeout: 60000
      }
    );
    await expect(alert).toContainText('Settings > Near Duplicates');
    await expect(panel.getByLabel('Collection', { exact: true })).toHaveCount(
      0
    );
    await expect(
      panel.getByRole('button', { name: 'Detect Duplicates' })
    ).toBeDisabled();
  });
});
