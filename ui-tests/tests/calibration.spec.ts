// Calibration from one scan (issue 15), in a real JupyterLab against the real embedded backend:
// the "chained" collection (seed.py: two planted parts of 4 joined by one 0.961 link, a tight
// group of 4, 60 lone points), whose pair scores spread from 0.80 to 1, scanned once at a floor
// of 0.80; the chart's numbers at stricter thresholds must be what the group list shows after
// moving the slider there, with no request to Qdrant.
import { detectChainedAtFloor } from './chained';
import { expect, IJupyterLabPageFixture, test } from './fixtures';
import { cutOff } from './layout';

async function scanAtFloor(page: IJupyterLabPageFixture) {
  const { panel, field } = await detectChainedAtFloor(page);
  await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
    /^\d+ duplicate groups? \(\d+ samples?\) at 0\.80/,
    { timeout: 60000 }
  );
  return { panel, field };
}

/** "8 duplicate groups (28 samples)" -> [8, 28]. */
function counts(text: string | null): [number, number] {
  const m = /([\d,]+) duplicate groups? \(([\d,]+) samples?\)/.exec(text ?? '');
  expect(m, `counts in "${text}"`).not.toBeNull();
  return [Number(m![1].replace(/,/g, '')), Number(m![2].replace(/,/g, ''))];
}

test.describe('Threshold calibration', () => {
  // Tall enough for the chart and the margin pairs below the scan controls; the width, and so
  // the sidebar's default width, is Galata's.
  test.use({ viewport: { width: 1024, height: 1280 } });

  test('the chart gives the group list’s counts at three thresholds, its marker follows the slider, with no request', async ({
    page
  }) => {
    test.setTimeout(180000);
    const { panel, field } = await scanAtFloor(page);
    const section = panel.locator('.jp-NearDuplicates-calibration');
    await section.getByText('Threshold calibration').click();
    const now = section.locator('.jp-NearDuplicates-calibrationNow');
    await expect(now).toHaveText(/^At 0\.80: /);
    const chart = section.locator('svg.jp-NearDuplicates-calibrationChart');
    const marker = section.locator('.jp-NearDuplicates-chartMarker');

    const qdrantRequests: string[] = [];
    page.on('request', request => {
      if (request.url().includes('/near-duplicates/qdrant')) {
        qdrantRequests.push(request.url());
      }
    });

    const seen: [number, number][] = [];
    let lastX = Number(await marker.getAttribute('x1'));
    for (const t of ['0.85', '0.97', '0.99']) {
      await field.fill(t);
      await field.press('Enter');
      const summary = panel.locator('.jp-NearDuplicates-summary');
      await expect(summary).toHaveText(
        new RegExp(` at ${t.replace('.', '\\.')}`)
      );
      await expect(now).toHaveText(
        new RegExp(`^At ${t.replace('.', '\\.')}: `)
      );
      const [groups, samples] = counts(await summary.textContent());
      const text = await now.textContent();
      // The text alternative, read as a screen reader would: the chart is labelled by it.
      await expect(chart).toHaveAccessibleName(text!);
      expect(counts(text)).toEqual([groups, samples]);
      expect(text).toContain(
        `, ${samples - groups} dropped when one is kept per group.`
      );
      const x = Number(await marker.getAttribute('x1'));
      expect(x).toBeGreaterThan(lastX);
      lastX = x;
      seen.push([groups, samples]);
    }
    // What the planted data groups there: the chain holds at 0.85 and breaks by 0.97.
    expect(seen).toEqual([
      [2, 12],
      [3, 12],
      [3, 12]
    ]);
    expect(qdrantRequests).toEqual([]);

    // A visit to a group's details and back leaves the section unfolded.
    await panel
      .getByRole('listbox', { name: 'Duplicate groups' })
      .getByRole('option')
      .first()
      .click();
    await panel.getByRole('button', { name: 'Details' }).click();
    await expect(now).toHaveCount(0);
    await panel.getByRole('button', { name: 'Back to the groups' }).click();
    await expect(now).toHaveText(/^At 0\.99: /);
  });

  test('pairs at the margin: thumbnails and scores either side of the threshold; pictures in light and dark', async ({
    page
  }) => {
    test.setTimeout(180000);
    const { panel, field } = await scanAtFloor(page);
    await field.fill('0.95');
    await field.press('Enter');
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      /^2 duplicate groups \(12 samples\) at 0\.95/
    );
    const section = panel.locator('.jp-NearDuplicates-calibration');
    await section.getByText('Threshold calibration').click();
    await expect(
      section.locator('.jp-NearDuplicates-calibrationNow')
    ).toHaveText(
      'At 0.95: 2 duplicate groups (12 samples), 10 dropped when one is kept per group.'
    );
    const above = section.getByRole('list', {
      name: 'Just above 0.95: grouped'
    });
    const below = section.getByRole('list', {
      name: 'Just below 0.95: not grouped'
    });
    for (const [list, passes] of [
      [above, true],
      [below, false]
    ] as const) {
      const pairs = list.getByRole('listitem');
      await expect(pairs).toHaveCount(3);
      for (const label of await pairs.evaluateAll(all =>
        all.map(li => li.getAttribute('aria-label') ?? '')
      )) {
        const m = /^(\S+) and (\S+): (\d\.\d{4})$/.exec(label);
        expect(m, label).not.toBeNull();
        expect(Number(m![3]) > 0.95, label).toBe(passes);
      }
      await expect(
        pairs.first().locator('.jp-NearDuplicates-thumbnail')
      ).toHaveCount(2);
    }
    // Nearest the threshold first: the chain's one link (a3-b0, 16 degrees) passes it.
    await expect(above.getByRole('listitem').first()).toHaveAttribute(
      'aria-label',
      'chain_a3 and chain_b0: 0.9613'
    );
    const images = section.locator('.jp-NearDuplicates-margin img');
    await expect
      .poll(() =>
        images.evaluateAll(
          all =>
            all.length > 0 &&
            all.every(img => (img as HTMLImageElement).naturalWidth > 0)
        )
      )
      .toBe(true);
    // Readable at the default sidebar width: no text of the section cut off. The scan
    // controls are folded away, as a user looking at results would.
    await panel.getByRole('heading', { name: 'Scan Section' }).click();
    await section.locator('.jp-NearDuplicates-margin').scrollIntoViewIfNeeded();
    for (const selector of [
      '.jp-NearDuplicates-calibrationNow',
      '.jp-NearDuplicates-calibrationLegend li',
      '.jp-NearDuplicates-marginSideTitle',
      '.jp-NearDuplicates-marginNames',
      '.jp-NearDuplicates-marginScore'
    ]) {
      expect(await cutOff(panel, selector), selector).toEqual([]);
    }

    const chart = section.locator('.jp-NearDuplicates-calibrationFigure');
    const margin = section.locator('.jp-NearDuplicates-margin');
    await expect(chart).toHaveScreenshot('calibration-chart-light.png');
    await expect(margin).toHaveScreenshot('margin-pairs-light.png');
    await page.theme.setDarkTheme();
    await expect(chart).toHaveScreenshot('calibration-chart-dark.png');
    await expect(margin).toHaveScreenshot('margin-pairs-dark.png');
    await page.theme.setLightTheme();
  });
});
