// What "readable at the sidebar's width" means in the UI tests: no text of the panel is
// cut off (wider than its box, ended by an ellipsis, or past its group row or the panel).
import type { Locator } from '@playwright/test';

/** The panel's texts that a narrow sidebar used to cut off, and the thumbnail strip. */
export const PANEL_TEXTS = [
  '.jp-NearDuplicates-backendName',
  '.jp-NearDuplicates-groupTitle',
  '.jp-NearDuplicates-badge',
  '.jp-NearDuplicates-groupScores > span',
  '.jp-NearDuplicates-thumbnails'
];

/** The texts among `selector` in `panel` that are cut off: wider than their box, or past the
 * right edge of their group row or of the panel. */
export async function cutOff(panel: Locator, selector: string) {
  return panel.locator(selector).evaluateAll(all =>
    all
      .filter(el => {
        const box = el.getBoundingClientRect();
        const frame = (el.closest('.jp-NearDuplicates-group') ??
          el.closest('#jp-near-duplicates-panel'))!.getBoundingClientRect();
        const ellipsis =
          getComputedStyle(el).textOverflow === 'ellipsis' &&
          el.scrollWidth > el.clientWidth;
        return (
          el.scrollWidth > el.clientWidth ||
          ellipsis ||
          box.right > frame.right + 0.5 ||
          box.bottom > frame.bottom + 0.5
        );
      })
      .map(el => el.textContent)
  );
}
