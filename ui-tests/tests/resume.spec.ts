// Resume (issue 16) in a real JupyterLab on the real embedded backend: a scan of "large"
// (40,000 points, 40 planted pairs of exact copies; seed.py) is interrupted by a page reload;
// the panel then offers "Resume (n% done)", and the resumed scan ends with the groups of a
// full scan.
import { expect, IJupyterLabPageFixture, test } from './fixtures';

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
