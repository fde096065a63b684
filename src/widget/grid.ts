// What a SampleGrid shows: which samples pass the filter, which page of them, and the words
// around them. DOM-free, so the rules are unit tested; the view only draws the result.
// Python's widgets.py mirrors `filterSamples` (SampleGrid.visible_ids).

/** One sample as synced in the `samples` trait. */
export interface IGridSample {
  id: string;
  /** Shown under the id (a class, a split...); '' for none. */
  label?: string | null;
  /** An http(s) URL or a data URI the browser loads directly. */
  image?: string | null;
  /** The image stays in the kernel; the view asks for it when the sample is on screen. */
  kernel_image?: boolean;
}

/** Sample positions by id: built once per `samples`, so a filter costs O(filter), not O(samples). */
export class SampleIndex {
  constructor(readonly samples: readonly IGridSample[]) {
    for (let i = 0; i < samples.length; i++) {
      const id = samples[i].id;
      const at = this._positions.get(id);
      if (at) {
        at.push(i);
      } else {
        this._positions.set(id, [i]);
      }
    }
  }

  has(id: string): boolean {
    return this._positions.has(id);
  }

  /** Every sample with this id (ids should be unique; duplicates are all shown). */
  positionsOf(id: string): readonly number[] {
    return this._positions.get(id) ?? [];
  }

  private readonly _positions = new Map<string, number[]>();
}

export interface IFiltered {
  /** The samples shown, in order: all of them, or the filter's ids in the filter's order. */
  samples: IGridSample[];
  /** Filter ids with no sample in this grid. */
  missing: string[];
  /** Whether a filter is on (even one that matches nothing). */
  filtered: boolean;
}

/** The samples a filter lets through: all when null, else the wanted ids present, in wanted order. */
export function filterSamples(
  index: SampleIndex,
  filterIds: readonly string[] | null
): IFiltered {
  if (filterIds === null) {
    return { samples: index.samples.slice(), missing: [], filtered: false };
  }
  const samples: IGridSample[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const id of filterIds) {
    if (seen.has(id)) {
      continue;
    }
    seen.add(id);
    const at = index.positionsOf(id);
    if (at.length === 0) {
      missing.push(id);
    }
    for (const i of at) {
      samples.push(index.samples[i]);
    }
  }
  return { samples, missing, filtered: true };
}

export interface IPage<T> {
  items: T[];
  /** The page shown, clamped into range, from 0. */
  page: number;
  /** At least 1, so an empty grid is "page 1 of 1". */
  pageCount: number;
  /** Index of the first item on the page in the whole list. */
  start: number;
  /** One past the last. */
  end: number;
  total: number;
}

/** One page of a list; a page out of range shows the nearest one. */
export function pageOf<T>(
  items: readonly T[],
  page: number,
  pageSize: number
): IPage<T> {
  const size = Math.max(1, Math.floor(pageSize) || 1);
  const pageCount = Math.max(1, Math.ceil(items.length / size));
  const shown = Math.min(Math.max(0, Math.floor(page) || 0), pageCount - 1);
  const start = Math.min(items.length, shown * size);
  const end = Math.min(items.length, start + size);
  return {
    items: items.slice(start, end),
    page: shown,
    pageCount,
    start,
    end,
    total: items.length
  };
}

/** `selected` with `id` added, or removed when it was there; order of first selection kept. */
export function toggleId(selected: readonly string[], id: string): string[] {
  return selected.includes(id)
    ? selected.filter(s => s !== id)
    : [...selected, id];
}

/** Kernel-side images the page needs and the view has neither received nor asked for. */
export function imagesToRequest(
  items: readonly IGridSample[],
  known: { has(id: string): boolean },
  pending: { has(id: string): boolean }
): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const s of items) {
    if (
      s.kernel_image &&
      !known.has(s.id) &&
      !pending.has(s.id) &&
      !seen.has(s.id)
    ) {
      seen.add(s.id);
      ids.push(s.id);
    }
  }
  return ids;
}

/** "268 samples", or "7 of 268 samples" under a filter. */
export function describeCount(filtered: IFiltered, total: number): string {
  const noun = (n: number) => `sample${n === 1 ? '' : 's'}`;
  if (!filtered.filtered) {
    return `${formatInt(total)} ${noun(total)}`;
  }
  return `${formatInt(filtered.samples.length)} of ${formatInt(total)} ${noun(total)}`;
}

/** "Page 2 of 6 (49–96)"; '' when everything fits on one page. */
export function describePage(page: IPage<unknown>): string {
  if (page.pageCount <= 1) {
    return '';
  }
  return `Page ${formatInt(page.page + 1)} of ${formatInt(page.pageCount)} (${formatInt(
    page.start + 1
  )}–${formatInt(page.end)})`;
}

/** "2 ids of the filter are not in this grid", or ''. */
export function describeMissing(missing: readonly string[]): string {
  if (missing.length === 0) {
    return '';
  }
  const n = missing.length;
  return `${formatInt(n)} ${n === 1 ? 'id' : 'ids'} of the filter ${n === 1 ? 'is' : 'are'} not in this grid`;
}

function formatInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** The synced `filter_ids` value as a list, or null ("show all") for anything else. */
export function readIds(value: unknown): string[] | null {
  return Array.isArray(value) ? value.map(v => String(v)) : null;
}

/** The synced `samples` value, keeping only well-formed entries. */
export function readSamples(value: unknown): IGridSample[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const out: IGridSample[] = [];
  for (const s of value) {
    if (
      s &&
      typeof s === 'object' &&
      (typeof s.id === 'string' || typeof s.id === 'number')
    ) {
      out.push({
        id: String(s.id),
        label:
          typeof s.label === 'string'
            ? s.label
            : s.label === null || s.label === undefined
              ? ''
              : String(s.label),
        image: typeof s.image === 'string' ? s.image : null,
        kernel_image: s.kernel_image === true
      });
    }
  }
  return out;
}
