// The "chained" collection (seed.py: two planted parts of 4 joined by one link, a tight group
// of 4, 60 lone points), as the chaining and calibration specs start: scanned at a floor of 0.80.
import { expect, IJupyterLabPageFixture } from './fixtures';

export const PANEL = '#jp-near-duplicates-panel';
const TAB = '.jp-SideBar.jp-mod-left [data-id="jp-near-duplicates-panel"]';

/** Opens the panel, picks "chained", sets 0.80 and clicks Detect; the caller awaits the result. */
export async function detectChainedAtFloor(page: IJupyterLabPageFixture) {
  await page.locator(TAB).click();
  const panel = page.locator(PANEL);
  const picker = panel.getByLabel('Collection', { exact: true });
  await expect(picker).toBeVisible({ timeout: 60000 });
  await picker.selectOption('chained');
  const field = panel.getByLabel('Similarity threshold value');
  await field.fill('0.8');
  await field.press('Enter');
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  return { panel, field };
}
