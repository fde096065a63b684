// The SampleGrid widget's view: a toolbar (count, filter with Show all, selection, pager) over
// a grid of thumbnail buttons for the current page only. Plain DOM with textContent: sample
// ids, labels and image values are data, never markup.
import { DOMWidgetView } from '@jupyter-widgets/base';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import {
  classifyThumbnail,
  IThumbnailPolicy,
  readRemoteRule,
  referrerPolicyFor,
  stricterRule
} from '../thumbnails';
import {
  describeCount,
  describeMissing,
  describePage,
  filterSamples,
  IGridSample,
  imagesToRequest,
  pageOf,
  readIds,
  toggleId
} from './grid';
import type { SampleGridModel } from './model';
import { labRemotePolicy } from './labPolicy';

const MIN_SIZE = 32;
const MAX_SIZE = 512;

export class SampleGridView extends DOMWidgetView {
  declare model: SampleGridModel;

  render(): void {
    this.el.classList.add('jp-NearDuplicates-grid');
    this._filesBaseUrl = URLExt.join(PageConfig.getBaseUrl(), 'files');
    this._jupyterUrls = [window.location.origin, PageConfig.getBaseUrl()];

    const toolbar = element('div', 'jp-NearDuplicates-gridToolbar');
    this._count = element('span', 'jp-NearDuplicates-gridCount');
    this._filter = element('span', 'jp-NearDuplicates-gridFilter');
    this._showAll = button('Show all', 'jp-NearDuplicates-gridShowAll', () =>
      this.showAll()
    );
    this._showAll.title = 'Clear the filter and show every sample';
    this._selectedCount = element('span', 'jp-NearDuplicates-gridSelected');
    this._clearSelection = button(
      'Clear selection',
      'jp-NearDuplicates-gridClearSelection',
      () => this.setSelected([])
    );
    const pager = element('span', 'jp-NearDuplicates-gridPager');
    this._prev = button('‹', 'jp-NearDuplicates-gridPrev', () =>
      this.goTo(this._shownPage - 1)
    );
    this._prev.setAttribute('aria-label', 'Previous page');
    this._pageText = element('span', 'jp-NearDuplicates-gridPage');
    this._next = button('›', 'jp-NearDuplicates-gridNext', () =>
      this.goTo(this._shownPage + 1)
    );
    this._next.setAttribute('aria-label', 'Next page');
    pager.append(this._prev, this._pageText, this._next);
    toolbar.append(
      this._count,
      this._filter,
      this._showAll,
      this._selectedCount,
      this._clearSelection,
      pager
    );
    this._note = element('div', 'jp-NearDuplicates-gridNote');
    this._items = element('div', 'jp-NearDuplicates-gridItems');
    this._items.setAttribute('role', 'group');
    this._items.setAttribute('aria-label', 'Samples');
    this._empty = element('div', 'jp-NearDuplicates-gridEmpty');
    this.el.append(toolbar, this._note, this._items, this._empty);

    // One group click changes filter_ids, filter_label and page together: draw once.
    this.listenTo(
      this.model,
      'change:samples change:filter_ids change:filter_label change:page change:page_size',
      this.scheduleDraw
    );
    this.listenTo(this.model, 'change:selected_ids', this.drawSelection);
    this.listenTo(this.model, 'change:thumbnail_size', this.drawSize);
    this.listenTo(this.model, 'images', this.drawImages);
    this.listenTo(
      this.model,
      'change:remote_thumbnails change:thumbnail_hosts',
      this.scheduleDraw
    );
    this._stopPolicy = labRemotePolicy.listen(() => this.scheduleDraw());
    this.drawSize();
    this.draw();
  }

  private scheduleDraw(): void {
    if (this._drawPending) {
      return;
    }
    this._drawPending = true;
    queueMicrotask(() => {
      this._drawPending = false;
      this.draw();
    });
  }

  /** Rebuilds the toolbar and the current page's items. */
  private draw(): void {
    const index = this.model.sampleIndex;
    const filtered = filterSamples(
      index,
      readIds(this.model.get('filter_ids'))
    );
    const page = pageOf(
      filtered.samples,
      this.model.get('page'),
      this.model.get('page_size')
    );
    this._shownPage = page.page;
    this._pageCount = page.pageCount;

    this._count.textContent = describeCount(filtered, index.samples.length);
    const label = String(this.model.get('filter_label') ?? '');
    this._filter.textContent = filtered.filtered ? label || 'Filtered' : '';
    this._filter.hidden = !filtered.filtered;
    this._showAll.hidden = !filtered.filtered;
    this._pageText.textContent = describePage(page);
    this._prev.hidden = this._next.hidden = page.pageCount <= 1;
    this._prev.disabled = page.page <= 0;
    this._next.disabled = page.page >= page.pageCount - 1;
    this._note.textContent = describeMissing(filtered.missing);
    this._note.hidden = filtered.missing.length === 0;

    this._itemsById.clear();
    const nodes = page.items.map(sample => this.item(sample));
    this._items.replaceChildren(...nodes);
    this._empty.hidden = page.items.length > 0;
    this._empty.textContent =
      index.samples.length === 0
        ? 'No samples'
        : 'None of the filtered samples are in this grid';
    this.drawSelection();
    this.model.requestImages(
      imagesToRequest(
        page.items,
        this.model.kernelImages,
        this.model.pendingImages
      )
    );
  }

  private item(sample: IGridSample): HTMLElement {
    const node = element(
      'button',
      'jp-NearDuplicates-gridItem'
    ) as HTMLButtonElement;
    node.type = 'button';
    node.dataset.id = sample.id;
    node.title = sample.label ? `${sample.id} (${sample.label})` : sample.id;
    const thumb = element('div', 'jp-NearDuplicates-gridThumb');
    const id = element('div', 'jp-NearDuplicates-gridId');
    id.textContent = sample.id;
    node.append(thumb, id);
    if (sample.label) {
      const label = element('div', 'jp-NearDuplicates-gridLabel');
      label.textContent = sample.label;
      node.append(label);
    }
    node.addEventListener('click', () => {
      this.setSelected(
        toggleId(readIds(this.model.get('selected_ids')) ?? [], sample.id)
      );
    });
    this.fillThumb(thumb, sample);
    const same = this._itemsById.get(sample.id);
    if (same) {
      same.push(node);
    } else {
      this._itemsById.set(sample.id, [node]);
    }
    return node;
  }

  /** An <img> for a safe source, else a text placeholder (loading, no preview, or the value). */
  private fillThumb(thumb: HTMLElement, sample: IGridSample): void {
    let value: string | null | undefined = sample.image;
    if (sample.kernel_image) {
      value = this.model.kernelImages.get(sample.id);
      if (value === undefined) {
        thumb.replaceChildren(
          placeholder('…', 'jp-NearDuplicates-gridLoading')
        );
        return;
      }
    }
    if (!value) {
      const problem = sample.kernel_image
        ? this.model.imageProblems.get(sample.id)
        : undefined;
      thumb.replaceChildren(noImage(problem ?? 'no image'));
      return;
    }
    const source = classifyThumbnail(value, this.policy());
    if (source.src === undefined) {
      thumb.replaceChildren(
        source.refused
          ? noImage(`not loaded: ${source.refused}`, source.text)
          : noImage(source.text)
      );
      return;
    }
    const img = document.createElement('img');
    img.className = 'jp-NearDuplicates-gridImage';
    img.alt = sample.id;
    img.loading = 'lazy';
    img.decoding = 'async';
    img.draggable = false;
    // /files/ needs Jupyter's own Referer; a remote host learns nothing of the page.
    img.referrerPolicy = referrerPolicyFor(source);
    img.addEventListener('error', () => {
      thumb.replaceChildren(noImage('image did not load'));
    });
    img.src = source.src;
    thumb.replaceChildren(img);
  }

  /** The panel's rule for thumbnails, with the grid's own remote rule or the panel's, whichever is stricter. */
  private policy(): IThumbnailPolicy {
    const own = readRemoteRule(
      this.model.get('remote_thumbnails'),
      this.model.get('thumbnail_hosts')
    );
    const { remote, hosts } = stricterRule(own, labRemotePolicy.rule);
    return {
      filesBaseUrl: this._filesBaseUrl,
      remote,
      hosts,
      jupyterUrls: this._jupyterUrls
    };
  }

  remove(): void {
    this._stopPolicy?.();
    super.remove();
  }

  private drawImages(ids: string[]): void {
    const samples = this.model.sampleIndex.samples;
    for (const id of ids) {
      for (const node of this._itemsById.get(id) ?? []) {
        const thumb = node.querySelector<HTMLElement>(
          '.jp-NearDuplicates-gridThumb'
        );
        const at = this.model.sampleIndex.positionsOf(id)[0];
        if (thumb && at !== undefined) {
          this.fillThumb(thumb, samples[at]);
        }
      }
    }
  }

  private drawSelection(): void {
    const selected = new Set(readIds(this.model.get('selected_ids')) ?? []);
    for (const [id, nodes] of this._itemsById) {
      for (const node of nodes) {
        node.setAttribute('aria-pressed', selected.has(id) ? 'true' : 'false');
        node.classList.toggle('jp-mod-selected', selected.has(id));
      }
    }
    this._selectedCount.textContent = selected.size
      ? `${selected.size.toLocaleString('en-US')} selected`
      : '';
    this._selectedCount.hidden = selected.size === 0;
    this._clearSelection.hidden = selected.size === 0;
  }

  private drawSize(): void {
    const size = Number(this.model.get('thumbnail_size'));
    const px = Number.isFinite(size)
      ? Math.min(MAX_SIZE, Math.max(MIN_SIZE, size))
      : 96;
    this.el.style.setProperty('--jp-near-duplicates-grid-size', `${px}px`);
  }

  private showAll(): void {
    this.model.set({ filter_ids: null, filter_label: '', page: 0 });
    this.touch();
  }

  private goTo(page: number): void {
    const next = Math.min(Math.max(0, page), this._pageCount - 1);
    if (next !== this._shownPage) {
      this.model.set('page', next);
      this.touch();
    }
  }

  private setSelected(ids: string[]): void {
    this.model.set('selected_ids', ids);
    this.touch();
  }

  private _filesBaseUrl = '';
  private _jupyterUrls: string[] = [];
  private _stopPolicy: (() => void) | null = null;
  private _drawPending = false;
  private _shownPage = 0;
  private _pageCount = 1;
  private _itemsById = new Map<string, HTMLElement[]>();
  private _count!: HTMLElement;
  private _filter!: HTMLElement;
  private _showAll!: HTMLButtonElement;
  private _selectedCount!: HTMLElement;
  private _clearSelection!: HTMLButtonElement;
  private _prev!: HTMLButtonElement;
  private _next!: HTMLButtonElement;
  private _pageText!: HTMLElement;
  private _note!: HTMLElement;
  private _items!: HTMLElement;
  private _empty!: HTMLElement;
}

function element(tag: string, className: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  return node;
}

function button(
  text: string,
  className: string,
  onClick: () => void
): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = `jp-NearDuplicates-button jp-NearDuplicates-gridButton ${className}`;
  node.textContent = text;
  node.addEventListener('click', onClick);
  return node;
}

/** A tile's text instead of a picture; the tooltip gives the whole value when it differs. */
function noImage(text: string, title?: string): HTMLElement {
  const node = placeholder(text, 'jp-NearDuplicates-gridNoImage');
  node.title = title ?? text;
  return node;
}

function placeholder(text: string, className: string): HTMLElement {
  const node = element(
    'span',
    `jp-NearDuplicates-gridPlaceholder ${className}`
  );
  node.textContent = text;
  return node;
}
