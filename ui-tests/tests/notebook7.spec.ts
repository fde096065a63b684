// The extension in Notebook 7 (not JupyterLab): its plugins load and the panel opens from
// the command palette in the notebook view. Plain Playwright: Galata drives JupyterLab only.
import { expect, test } from '@playwright/test';

const port = String(Number(process.env.ND_UI_TEST_PORT || '8890') + 2);

test('Notebook 7 loads the extension and opens the panel', async ({
  page,
  request
}) => {
  const created = await request.put(
    `http://localhost:${port}/api/contents/nb7.ipynb`,
    {
      data: {
        type: 'notebook',
        content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }
      }
    }
  );
  expect(created.ok()).toBe(true);
  await page.goto(`http://localhost:${port}/notebooks/nb7.ipynb`);
  await page.waitForFunction(
    () => (window as any).jupyterapp?.started !== undefined
  );
  await page.waitForFunction(() =>
    (window as any).jupyterapp.hasPlugin('jupyterlab-near-duplicates:panel')
  );
  const plugins = await page.evaluate(() =>
    (window as any).jupyterapp.listPlugins()
  );
  expect(plugins).toEqual(
    expect.arrayContaining([
      'jupyterlab-near-duplicates:panel',
      'jupyterlab-near-duplicates:widget'
    ])
  );
  await page.waitForFunction(
    () =>
      (window as any).jupyterapp.commands.hasCommand(
        'near-duplicates:open-panel'
      ),
    undefined,
    { timeout: 60000 }
  );
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('near-duplicates:open-panel')
  );
  const panel = page.locator('#jp-near-duplicates-panel');
  await expect(panel).toBeVisible({ timeout: 30000 });
  await expect(panel.getByText(/Embedded Qdrant/)).toBeVisible({
    timeout: 60000
  });
});
