// The Qdrant backend the Backend setting chooses, as the server extension describes it, and
// the collection and vector a scan will read from it. The panel's model owns one and
// re-emits its changes; no React here.
import { ISignal, Signal } from '@lumino/signaling';
import type { IBackendInfo, ICollectionInfo, INearDuplicatesApi } from './api';
import { scanVector } from './scan/collection';
import { httpErrorInfo, IScanErrorInfo } from './scan/errors';
import type { DistanceKind } from './scan/types';
import type { BackendChoice } from './tokens';

export class BackendModel {
  constructor(api: Pick<INearDuplicatesApi, 'getBackend'>) {
    this._api = api;
  }

  /** Emits when a request to the backend route starts or ends. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last answer of the backend route, for the kind asked for; null before one. */
  get info(): IBackendInfo | null {
    return this._info;
  }

  get error(): IScanErrorInfo | null {
    return this._error;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** The collections a scan can read (those whose info the server could read). */
  get readableCollections(): ICollectionInfo[] {
    return (this._info?.collections ?? []).filter(c => !c.error);
  }

  /** The chosen collection's name, listed or not (a restored scan's, before the list comes). */
  get collectionName(): string | null {
    return this._collection;
  }

  get collection(): ICollectionInfo | null {
    return (
      this._info?.collections.find(c => c.name === this._collection) ?? null
    );
  }

  /** The vector a scan compares by ('' for the unnamed one), or null while none can be told. */
  get vectorName(): string | null {
    const collection = this.collection;
    return collection ? scanVector(collection, this._vectorName) : null;
  }

  get distance(): DistanceKind | null {
    const name = this.vectorName;
    return name === null
      ? null
      : (this.collection?.vectors?.[name]?.distance ?? null);
  }

  /** Asks the server for the backend of `kind`; a later call wins over an earlier one. */
  async refresh(kind: BackendChoice): Promise<void> {
    const request = ++this._request;
    this._loading = true;
    this._changed.emit();
    try {
      const info = await this._api.getBackend(kind);
      if (request !== this._request) {
        return;
      }
      this._info = info;
      this._infoFor = kind;
      this._error = null;
      const names = this.readableCollections.map(c => c.name);
      if (this._collection === null || !names.includes(this._collection)) {
        this._collection = names.length > 0 ? names[0] : null;
      }
    } catch (error) {
      if (request !== this._request) {
        return;
      }
      this._error = httpErrorInfo(error, 'backend-choice');
      if (this._infoFor !== kind || this._error.kind === 'backend-choice') {
        // What is listed is not the backend the settings now ask for.
        this._info = null;
      }
    } finally {
      if (request === this._request) {
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  /** Chooses a collection (and lets the scan pick its vector again); false when unchanged. */
  selectCollection(name: string): boolean {
    if (name === this._collection) {
      return false;
    }
    this._collection = name;
    this._vectorName = null;
    return true;
  }

  selectVector(name: string | null): void {
    this._vectorName = name;
  }

  private readonly _api: Pick<INearDuplicatesApi, 'getBackend'>;
  private readonly _changed = new Signal<this, void>(this);
  private _info: IBackendInfo | null = null;
  /** The Backend setting `_info` was fetched for. */
  private _infoFor: BackendChoice | null = null;
  private _error: IScanErrorInfo | null = null;
  private _loading = false;
  private _request = 0;
  private _collection: string | null = null;
  private _vectorName: string | null = null;
}
