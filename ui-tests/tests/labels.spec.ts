// Labelled pairs (issue 15), in a real JupyterLab against the real embedded backend: the
// "chained" collection (seed.py) scanned at a floor of 0.80 and shown at 0.95. Labelling two of
// the margin pairs changes what the calibration section says; its numbers must be what plain
// arithmetic on the scores the panel shows gives. The labels survive a reload, and the kernel
// reads them with nd.labels().
import type { Locator } from '@playwright/test';
import { detectChainedAtFloor } from './chained';
import { expect, IJupyterLabPageFixture, test } from './fixtures';
import { cutOff } from './layout';
import { notebook } from './notebookFile';

const PANEL = '#jp-near-duplicates-panel';

async function chainedAt095(page: IJupyterLabPageFixture) {
  const { panel, field } = await detectChainedAtFloor(page);
  await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
    /^\d+ duplicate groups? \(\d+ samples?\) at 0\.80/,
    { timeout: 60000 }
  );
  await field.fill('0.95');
  await field.press('Enter');
  await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
    /^2 duplicate groups \(12 samples\) at 0\.95/
  );
  const section = panel.locator('.jp-NearDuplicates-calibration');
  await section.getByText('Threshold calibration').click();
  return { panel, field, section };
}

/** "chain_a3 and chain_b0: 0.9613" -> its score. */
async function scoreOf(pair: Locator): Promise<number> {
  const label = (await pair.getAttribute('aria-label')) ?? '';
  const m = /: (\d\.\d{4})$/.exec(label);
  expect(m, label).not.toBeNull();
  return Number(m![1]);
}

/** The sentence the section must show at `t`, by plain arithmetic on the labelled scores. */
function expectedEstimate(t: number, dups: number[], nots: number[]): string {
  const kept = dups.filter(s => s > t).length;
  const grouped = nots.filter(s => s > t).length;
  const noun = (n: number, word: string) => (n === 1 ? word : `${word}s`);
  const parts = [];
  if (dups.length) {
    parts.push(
      `keeps ${kept} of ${dups.length} labelled ${noun(dups.length, 'duplicate')}`
    );
  }
  if (nots.length) {
    parts.push(
      `groups ${grouped} of ${nots.length} labelled ${noun(nots.length, 'non-duplicate')}`
    );
  }
  const shown =
    t.toFixed(2) === String(t) || t.toFixed(2) === `${t}0`
      ? t.toFixed(2)
      : String(t);
  return `At ${shown}: ${parts.join(', ')}.`;
}

test.describe('Labelled pairs', () => {
  test.use({ viewport: { width: 1024, height: 1280 } });

  test('labelling two pairs changes the estimate and the suggested threshold; Use moves the slider; the labels survive a reload', async ({
    page
  }) => {
    test.setTimeout(180000);
    const { panel, field, section } = await chainedAt095(page);
    const labels = section.getByRole('region', { name: 'Labelled pairs' });
    const estimate = labels.locator('.jp-NearDuplicates-labelsEstimate');
    const suggestion = labels.locator('.jp-NearDuplicates-suggestionText');
    await expect(labels).toContainText('Mark pairs below as Duplicate');
    await expect(estimate).toHaveCount(0);
    await expect(suggestion).toHaveCount(0);

    const above = section
      .getByRole('list', { name: 'Just above 0.95: grouped' })
      .getByRole('listitem');
    // The chain's one link, nearest the threshold: not a duplicate (two planted parts).
    const link = above.first();
    await expect(link).toHaveAttribute(
      'aria-label',
      'chain_a3 and chain_b0: 0.9613'
    );
    const linkScore = await scoreOf(link);
    // A click on the button...
    await link.getByRole('button', { name: 'Not a duplicate' }).click();
    await expect(
      link.getByRole('button', { name: 'Not a duplicate' })
    ).toHaveAttribute('aria-pressed', 'true');
    await expect(estimate).toHaveText(expectedEstimate(0.95, [], [linkScore]));
    await expect(labels).toContainText(
      'Label at least one pair of each kind for a suggested threshold.'
    );

    // ...and a key on a focused pair: the next pair inside a planted part is a duplicate.
    const inside = above.nth(1);
    const insideScore = await scoreOf(inside);
    await inside.focus();
    await page.keyboard.press('d');
    await expect(
      inside.getByRole('button', { name: 'Duplicate', exact: true })
    ).toHaveAttribute('aria-pressed', 'true');
    await expect(estimate).toHaveText(
      expectedEstimate(0.95, [insideScore], [linkScore])
    );
    expect(await estimate.textContent()).toBe(
      'At 0.95: keeps 1 of 1 labelled duplicate, groups 1 of 1 labelled non-duplicate.'
    );

    // The suggestion: between the two scores (a pair passes above it), near the middle.
    const text = (await suggestion.textContent()) ?? '';
    const m =
      /^Suggested threshold (\d\.\d+): it separates every labelled pair\.$/.exec(
        text
      );
    expect(m, text).not.toBeNull();
    const suggested = Number(m![1]);
    expect(suggested).toBeGreaterThanOrEqual(linkScore);
    expect(suggested).toBeLessThan(insideScore);
    expect(
      Math.abs(suggested - (linkScore + insideScore) / 2)
    ).toBeLessThanOrEqual((insideScore - linkScore) / 4);

    // Use it: the slider moves there, the groups regroup, and the estimate follows. The
    // workspace then keeps the labels (their own key) and the scan at that threshold.
    const saved = page.waitForRequest(
      request =>
        request.url().includes('/api/workspaces') &&
        request.method() === 'PUT' &&
        (request.postData() ?? '').includes('labels:chained') &&
        (request.postData() ?? '').includes(`"shownThreshold":${suggested}`)
    );
    await labels.getByRole('button', { name: `Use ${m![1]}` }).click();
    await expect(field).toHaveValue(m![1]);
    await expect(panel.locator('.jp-NearDuplicates-summary')).toHaveText(
      new RegExp(` at ${m![1].replace('.', '\\.')}`)
    );
    await expect(estimate).toHaveText(
      expectedEstimate(suggested, [insideScore], [linkScore])
    );
    await expect(estimate).toContainText('groups 0 of 1');
    await expect(
      labels.getByRole('button', { name: `Use ${m![1]}` })
    ).toBeDisabled();

    // Readable at the default sidebar width, with the scan controls folded away as a user
    // looking at results would.
    await panel.getByRole('heading', { name: 'Scan Section' }).click();
    await section.locator('.jp-NearDuplicates-margin').scrollIntoViewIfNeeded();
    // The labels on the chart: a tick under the axis at each labelled score.
    await expect(
      section.locator('.jp-NearDuplicates-chartLabels line')
    ).toHaveCount(2);
    for (const selector of [
      '.jp-NearDuplicates-calibrationLegend li',
      '.jp-NearDuplicates-labelsEstimate',
      '.jp-NearDuplicates-suggestionText',
      '.jp-NearDuplicates-labelButton'
    ]) {
      expect(await cutOff(panel, selector), selector).toEqual([]);
    }

    // Reference pictures at the default sidebar width, light and dark.
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
    await expect(section).toHaveScreenshot('labelled-pairs-light.png');
    await page.theme.setDarkTheme();
    await expect(section).toHaveScreenshot('labelled-pairs-dark.png');
    await page.theme.setLightTheme();

    // Kept per collection: a reload shows them again, on the pairs and in the estimate.
    await saved;
    await page.reload({ waitUntil: 'networkidle' });
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    const again = page.locator(PANEL);
    const calibration = again.locator('.jp-NearDuplicates-calibration');
    await calibration.getByText('Threshold calibration').click();
    await expect(again.locator('.jp-NearDuplicates-labelsEstimate')).toHaveText(
      expectedEstimate(suggested, [insideScore], [linkScore])
    );
    const pressed = again.locator(
      '.jp-NearDuplicates-labelButton[aria-pressed="true"]'
    );
    await expect(pressed).toHaveCount(2);

    // Taking a label back (its key again) leaves the other.
    const back = again.locator('.jp-NearDuplicates-marginPair').filter({
      has: page.getByRole('button', {
        name: 'Duplicate',
        exact: true,
        pressed: true
      })
    });
    await back.focus();
    await page.keyboard.press('d');
    await expect(pressed).toHaveCount(1);
    await expect(again.locator('.jp-NearDuplicates-labelsEstimate')).toHaveText(
      expectedEstimate(suggested, [], [linkScore])
    );
  });

  test('nd.labels() in a notebook returns the labelled pairs', async ({
    page,
    tmpPath
  }) => {
    test.setTimeout(180 * 1000);
    const cells = [
      'import jupyterlab_near_duplicates as nd',
      'print(sorted((" ".join(l["sample_ids"]), l["label"], round(l["score"], 4)) for l in nd.labels()))'
    ];
    await page.contents.uploadContent(
      notebook(cells),
      'text',
      `${tmpPath}/labels.ipynb`
    );
    await page.notebook.openByPath(`${tmpPath}/labels.ipynb`);
    await page.notebook.activate('labels.ipynb');
    await page.notebook.runCell(0);

    const { section } = await chainedAt095(page);
    const above = section
      .getByRole('list', { name: 'Just above 0.95: grouped' })
      .getByRole('listitem');
    await above
      .first()
      .getByRole('button', { name: 'Not a duplicate' })
      .click();
    await above
      .nth(1)
      .getByRole('button', { name: 'Duplicate', exact: true })
      .click();
    const names = async (pair: Locator) =>
      /^(\S+) and (\S+): (\S+)$/.exec(
        (await pair.getAttribute('aria-label')) ?? ''
      )!;
    const [, a0, b0, s0] = await names(above.first());
    const [, a1, b1, s1] = await names(above.nth(1));
    // The pair's ids in the kernel are in key order, not the panel's: compare as sets.
    const expected = [
      [[a0, b0], 'not', s0],
      [[a1, b1], 'duplicate', s1]
    ];

    // Sent as they change: the next run of the cell prints them.
    await expect
      .poll(
        async () => {
          await page.notebook.runCell(1);
          return ((await page.notebook.getCellTextOutput(1)) ?? []).join('');
        },
        { timeout: 30000 }
      )
      .toContain("'duplicate'");
    const printed = ((await page.notebook.getCellTextOutput(1)) ?? []).join('');
    for (const [pair, label, score] of expected) {
      const names = pair as string[];
      const one = `('${names[0]} ${names[1]}', '${label}', ${Number(score)})`;
      const other = `('${names[1]} ${names[0]}', '${label}', ${Number(score)})`;
      expect(
        printed.includes(one) || printed.includes(other),
        `${one} in ${printed}`
      ).toBe(true);
    }
    expect(printed.match(/'(duplicate|not)'/g)).toHaveLength(2);
  });
});
