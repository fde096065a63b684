// SampleGrid's DOM-free rules: which samples a filter shows and in what order, paging,
// selection toggles, which kernel thumbnails to ask for, and the words in the toolbar.
import * as fs from 'fs';
import * as path from 'path';
import {
  describeCount,
  describeMissing,
  describePage,
  filterSamples,
  IGridSample,
  imagesToRequest,
  pageOf,
  readIds,
  readSamples,
  SampleIndex,
  toggleId
} from '../widget/grid';
import { MODULE_NAME, MODULE_VERSION } from '../widget/version';

function samples(n: number): IGridSample[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    label: i % 2 ? 'test' : 'train'
  }));
}

describe('filterSamples', () => {
  const index = new SampleIndex(samples(10));

  it('shows every sample when the filter is null', () => {
    const shown = filterSamples(index, null);
    expect(shown.samples.map(s => s.id)).toEqual(samples(10).map(s => s.id));
    expect(shown).toMatchObject({ filtered: false, missing: [] });
  });

  it('shows exactly the filter’s samples, in the filter’s order, once each', () => {
    const shown = filterSamples(index, ['s7', 's2', 's7', 's5']);
    expect(shown.samples.map(s => s.id)).toEqual(['s7', 's2', 's5']);
    expect(shown.filtered).toBe(true);
  });

  it('lists filter ids that are not in the grid', () => {
    const shown = filterSamples(index, ['s1', 'elsewhere', 'gone']);
    expect(shown.samples.map(s => s.id)).toEqual(['s1']);
    expect(shown.missing).toEqual(['elsewhere', 'gone']);
  });

  it('treats an empty filter as a filter that shows nothing', () => {
    expect(filterSamples(index, [])).toEqual({
      samples: [],
      missing: [],
      filtered: true
    });
  });

  it('shows every sample sharing an id', () => {
    const twice = new SampleIndex([
      { id: 'a' },
      { id: 'b' },
      { id: 'a', label: 'again' }
    ]);
    expect(filterSamples(twice, ['a']).samples).toEqual([
      { id: 'a' },
      { id: 'a', label: 'again' }
    ]);
  });

  it('finds samples in a 10,000-sample index in the order the filter names them', () => {
    const big = new SampleIndex(samples(10000));
    expect(filterSamples(big, ['s9999', 's0']).samples.map(s => s.id)).toEqual([
      's9999',
      's0'
    ]);
  });
});

describe('pageOf', () => {
  const items = Array.from({ length: 10 }, (_, i) => i);

  it('cuts a list into pages', () => {
    expect(pageOf(items, 0, 4)).toEqual({
      items: [0, 1, 2, 3],
      page: 0,
      pageCount: 3,
      start: 0,
      end: 4,
      total: 10
    });
    expect(pageOf(items, 2, 4).items).toEqual([8, 9]);
  });

  it('shows the nearest page for a page out of range', () => {
    expect(pageOf(items, 7, 4).page).toBe(2);
    expect(pageOf(items, -3, 4).page).toBe(0);
    expect(pageOf(items, NaN, 4).page).toBe(0);
  });

  it('gives an empty list one empty page', () => {
    expect(pageOf([], 3, 48)).toMatchObject({
      items: [],
      page: 0,
      pageCount: 1,
      start: 0,
      end: 0
    });
  });

  it('survives a nonsense page size', () => {
    expect(pageOf(items, 0, 0).items).toEqual([0]);
    expect(pageOf(items, 0, 2.7).items).toEqual([0, 1]);
  });

  it('renders only one page of 10,000 samples', () => {
    const page = pageOf(samples(10000), 100, 48);
    expect(page.items).toHaveLength(48);
    expect(page.items[0].id).toBe('s4800');
    expect(page.pageCount).toBe(209);
  });
});

describe('selection and images', () => {
  it('toggles an id in and out of the selection', () => {
    expect(toggleId([], 'a')).toEqual(['a']);
    expect(toggleId(['a', 'b'], 'a')).toEqual(['b']);
    expect(toggleId(['b'], 'a')).toEqual(['b', 'a']);
  });

  it('asks the kernel only for the page’s images it has neither got nor asked for', () => {
    const page: IGridSample[] = [
      { id: 'a', kernel_image: true },
      { id: 'b', kernel_image: true },
      { id: 'c', image: 'https://example.org/c.png' },
      { id: 'd', kernel_image: true },
      { id: 'd', kernel_image: true }
    ];
    expect(
      imagesToRequest(page, new Map([['a', null]]), new Set(['b']))
    ).toEqual(['d']);
  });
});

describe('toolbar words', () => {
  const index = new SampleIndex(samples(268));

  it('counts samples, and the filtered ones out of all', () => {
    expect(describeCount(filterSamples(index, null), 268)).toBe('268 samples');
    expect(describeCount(filterSamples(index, ['s1', 's2']), 268)).toBe(
      '2 of 268 samples'
    );
    expect(
      describeCount(filterSamples(new SampleIndex([{ id: 'x' }]), null), 1)
    ).toBe('1 sample');
  });

  it('says which page is shown, only when there are several', () => {
    expect(describePage(pageOf(samples(268), 1, 48))).toBe(
      'Page 2 of 6 (49–96)'
    );
    expect(describePage(pageOf(samples(7), 0, 48))).toBe('');
  });

  it('says when filter ids are not in the grid', () => {
    expect(describeMissing([])).toBe('');
    expect(describeMissing(['x'])).toBe(
      '1 id of the filter is not in this grid'
    );
    expect(describeMissing(['x', 'y'])).toBe(
      '2 ids of the filter are not in this grid'
    );
  });
});

describe('reading synced traits', () => {
  it('reads filter_ids as strings, and anything but a list as show-all', () => {
    expect(readIds(['a', 3])).toEqual(['a', '3']);
    expect(readIds(null)).toBeNull();
    expect(readIds(undefined)).toBeNull();
  });

  it('keeps well-formed samples only, ids as strings', () => {
    expect(
      readSamples([
        { id: 1, label: null, image: 'https://x/1.png' },
        { id: 'b', label: 5, kernel_image: true },
        { label: 'no id' },
        null,
        'text'
      ])
    ).toEqual([
      { id: '1', label: '', image: 'https://x/1.png', kernel_image: false },
      { id: 'b', label: '5', image: null, kernel_image: true }
    ]);
    expect(readSamples('nonsense')).toEqual([]);
  });
});

describe('the widget module', () => {
  it('registers the version package.json declares (Python asks for ^version)', () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf-8')
    );
    expect(MODULE_NAME).toBe(pkg.name);
    expect(MODULE_VERSION).toBe(pkg.version);
  });

  it('follows a version bump in package.json, with nothing else to edit (mocked package.json)', () => {
    jest.isolateModules(() => {
      jest.doMock('../../package.json', () => ({
        name: 'jupyterlab-near-duplicates',
        version: '9.8.7'
      }));
      const bumped =
        require('../widget/version') as typeof import('../widget/version');
      expect(bumped.MODULE_VERSION).toBe('9.8.7');
    });
    jest.dontMock('../../package.json');
  });
});
