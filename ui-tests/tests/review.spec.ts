// A later scan shows what an earlier one's plan tagged (issue 14, section 3): a notebook cell
// tags the groups the panel sent (plan.tag() on the embedded backend), Detect runs again, and
// the groups and their members carry a "reviewed" mark that says which scan tagged them, at
// which threshold, and whether each was kept.
import { expect, test } from './fixtures';
import {
  CLEAR_TAGS,
  detectReviewed,
  openNotebook,
  output,
  sendAllGroups
} from './reviewed';

test('members tagged by plan.tag() in a notebook show as reviewed in the next scan', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(240 * 1000);
  await openNotebook(page, tmpPath, 'tag.ipynb', [
    CLEAR_TAGS,
    'plan = nd.plan()\nprint(plan.tag())',
    'print(nd.groups()[0]["scan_id"], sorted(plan.keep.sample_ids))'
  ]);
  const panel = await detectReviewed(page);
  const rows = panel
    .getByRole('listbox', { name: 'Duplicate groups' })
    .getByRole('option');
  await expect(rows.first()).toContainText('Group 1: 7 samples');
  await expect(panel.locator('.jp-NearDuplicates-reviewedBadge')).toHaveCount(
    0
  );

  await sendAllGroups(panel, 'tag.ipynb');
  expect(await output(page, 1)).toContain(
    "Wrote 'near_duplicate' on 28 points of 'reviewed' (8 keep, 20 drop"
  );
  const [firstScan, ...kept] = (await output(page, 2)).trim().split(/\s+/);
  expect(firstScan).toMatch(/^scan-/);

  // The next scan reads the tags: every group reviewed, every member marked.
  await panel.getByRole('button', { name: 'Detect Duplicates' }).click();
  await expect(panel.locator('.jp-NearDuplicates-scanInfo')).toBeVisible();
  const badge = rows.first().locator('.jp-NearDuplicates-reviewedBadge');
  await expect(badge).toHaveText('reviewed');
  await expect(badge).toHaveAttribute(
    'title',
    'Reviewed: 7 of 7 members carry a tag from an earlier scan (1 kept, 6 dropped). ' +
      `Tagged by scan ${firstScan} at threshold 0.95.`
  );
  // The keeper of the first group (the plan's default rule: the first point id).
  const keeper = rows
    .first()
    .getByRole('img', { name: /: tagged by .* kept$/ });
  await expect(keeper).toHaveCount(1);
  await expect(keeper).toHaveAttribute(
    'aria-label',
    `cluster0_0: tagged by scan ${firstScan} at threshold 0.95: kept`
  );
  expect(kept.join(' ')).toContain("'cluster0_0'");
  await expect(
    rows.first().getByRole('img', { name: /: tagged by .* dropped$/ })
  ).not.toHaveCount(0);
});
