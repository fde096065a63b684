// The SampleGrid widget's model: the traits Python syncs (snake_case, as in widgets.py) and
// the thumbnails the kernel sent for samples whose images stay in the kernel.
import { DOMWidgetModel, IBackboneModelOptions } from '@jupyter-widgets/base';
import type { ObjectHash } from 'backbone';
import { readSamples, SampleIndex } from './grid';
import { MODULE_NAME, MODULE_VERSION } from './version';

/**
 * A reply to an image request: id -> data URI, path under the Jupyter root, or null; and for
 * a null, what the tile says instead (a file too big, unreadable, not an image).
 */
interface IImagesMessage {
  type: 'images';
  images: { [id: string]: unknown };
  problems?: { [id: string]: unknown };
  epoch: number;
}

/** What a tile shows the text of when an image has no preview. */
const MAX_PROBLEM = 200;

export class SampleGridModel extends DOMWidgetModel {
  static model_name = 'SampleGridModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'SampleGridView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;

  defaults(): ObjectHash {
    return {
      ...super.defaults(),
      _model_name: SampleGridModel.model_name,
      _model_module: SampleGridModel.model_module,
      _model_module_version: SampleGridModel.model_module_version,
      _view_name: SampleGridModel.view_name,
      _view_module: SampleGridModel.view_module,
      _view_module_version: SampleGridModel.view_module_version,
      samples: [],
      filter_ids: null,
      filter_label: '',
      selected_ids: [],
      page: 0,
      page_size: 48,
      thumbnail_size: 96,
      remote_thumbnails: 'allowed',
      thumbnail_hosts: []
    };
  }

  initialize(attributes: ObjectHash, options: IBackboneModelOptions): void {
    super.initialize(attributes, options);
    this.on('change:samples', this.onSamplesChanged, this);
    this.on('msg:custom', this.onCustomMessage, this);
  }

  /** The samples with an index by id; rebuilt only when `samples` changes. */
  get sampleIndex(): SampleIndex {
    const raw = this.get('samples');
    if (!this._sampleIndex || this._indexedFrom !== raw) {
      this._sampleIndex = new SampleIndex(readSamples(raw));
      this._indexedFrom = raw;
    }
    return this._sampleIndex;
  }

  /** Thumbnails received from the kernel: id -> source (null: the kernel has no preview). */
  get kernelImages(): ReadonlyMap<string, string | null> {
    return this._thumbs;
  }

  /** Why the kernel has no preview for an id, when it said. */
  get imageProblems(): ReadonlyMap<string, string> {
    return this._problems;
  }

  /** Ids asked for and not answered yet. */
  get pendingImages(): ReadonlySet<string> {
    return this._thumbsPending;
  }

  /** Asks the kernel for these samples' thumbnails; views hear `images` when they arrive. */
  requestImages(ids: string[]): void {
    const wanted = ids.filter(
      id => !this._thumbs.has(id) && !this._thumbsPending.has(id)
    );
    if (wanted.length === 0 || !this.comm_live) {
      return;
    }
    for (const id of wanted) {
      this._thumbsPending.add(id);
    }
    this.send({ type: 'images', ids: wanted, epoch: this._thumbsEpoch });
  }

  private onSamplesChanged(): void {
    // New samples may reuse ids with other images: forget what came for the old ones.
    this._thumbsEpoch++;
    this._thumbs.clear();
    this._problems.clear();
    this._thumbsPending.clear();
  }

  private onCustomMessage(content: unknown): void {
    const message = content as IImagesMessage;
    if (
      !message ||
      message.type !== 'images' ||
      typeof message.images !== 'object' ||
      message.images === null
    ) {
      return;
    }
    if (message.epoch !== this._thumbsEpoch) {
      return; // an answer about samples since replaced
    }
    const ids = Object.keys(message.images);
    const problems =
      typeof message.problems === 'object' && message.problems !== null
        ? message.problems
        : {};
    for (const id of ids) {
      const src = message.images[id];
      this._thumbs.set(id, typeof src === 'string' ? src : null);
      const problem = problems[id];
      if (typeof problem === 'string' && problem) {
        this._problems.set(id, problem.slice(0, MAX_PROBLEM));
      } else {
        this._problems.delete(id);
      }
      this._thumbsPending.delete(id);
    }
    this.trigger('images', ids);
  }

  private _sampleIndex: SampleIndex | null = null;
  private _indexedFrom: unknown = undefined;
  private _thumbs = new Map<string, string | null>();
  private _problems = new Map<string, string>();
  private _thumbsPending = new Set<string>();
  private _thumbsEpoch = 0;
}
