// The panel when Qdrant cannot be reached: a clear message naming the URL and what to do,
// never a blank panel. This server (see playwright.config.js) points at a remote Qdrant
// on a port where nothing listens.
import { expect, test } from './fixtures';

const downPort = String(Number(process.env.ND_UI_TEST_PORT || '8890') + 1);
test.use({ baseURL: `http://localhost:${downPort}` });

test('says which backend is unreachable and how to configure it', async ({ page }) => {
  await page.locator('.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]').click();
  const panel = page.locator('#jp-near-duplicates-panel');
  const alert = panel.getByRole('alert');
  await expect(alert).toContainText('Cannot reach the Qdrant backend');
  await expect(alert).toContainText('http://127.0.0.1:9');
  await expect(alert).toContainText('QDRANT_URL');
  await expect(alert).not.toContainText('not-a-real-key');
  await expect(panel.getByRole('button', { name: 'Detect Duplicates' })).toBeDisabled();
  expect(await panel.screenshot()).toMatchSnapshot('panel-backend-down.png');
});
