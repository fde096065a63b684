// Where the scan worker keeps checkpoints: IndexedDB, opened from the worker itself. Not the
// panel's IStateDB: that is one JSON document per workspace, sent whole to the Jupyter server
// on every save, where a checkpoint is typed arrays of megabytes written every few seconds.
// IndexedDB stores typed arrays as they are (structured clone), per browser origin, and
// outlives a reload, a closed tab and a restarted Jupyter server.
import type { ICheckpointStore, IScanCheckpoint } from './checkpoint';
import { MemoryCheckpointStore } from './checkpoint';

const DB_NAME = 'jupyterlab-near-duplicates';
const STORE = 'scan-checkpoints';

export class IndexedDbCheckpointStore implements ICheckpointStore {
  constructor(private readonly factory: IDBFactory) {}

  async load(key: string): Promise<IScanCheckpoint | null> {
    const value = await this.request<unknown>('readonly', store =>
      store.get(key)
    );
    return (value as IScanCheckpoint | undefined) ?? null;
  }

  async save(key: string, checkpoint: IScanCheckpoint): Promise<void> {
    await this.request('readwrite', store => store.put(checkpoint, key));
  }

  async remove(key: string): Promise<void> {
    await this.request('readwrite', store => store.delete(key));
  }

  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      this.db = new Promise((resolve, reject) => {
        const opening = this.factory.open(DB_NAME, 1);
        opening.onupgradeneeded = () => {
          if (!opening.result.objectStoreNames.contains(STORE)) {
            opening.result.createObjectStore(STORE);
          }
        };
        opening.onsuccess = () => resolve(opening.result);
        opening.onerror = () => reject(opening.error);
      });
      // A failed open is tried again next time rather than remembered.
      this.db.catch(() => {
        this.db = null;
      });
    }
    return this.db;
  }

  private async request<T>(
    mode: IDBTransactionMode,
    make: (store: IDBObjectStore) => IDBRequest
  ): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = make(tx.objectStore(STORE));
      let value: T;
      req.onsuccess = () => {
        value = req.result as T;
      };
      tx.oncomplete = () => resolve(value);
      tx.onerror = () => reject(tx.error ?? req.error);
      tx.onabort = () => reject(tx.error ?? new Error('aborted'));
    });
  }

  private db: Promise<IDBDatabase> | null = null;
}

/** The worker's store: IndexedDB where the browser offers it, else memory (lost with the page). */
export function workerCheckpointStore(): ICheckpointStore {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  return factory
    ? new IndexedDbCheckpointStore(factory)
    : new MemoryCheckpointStore();
}
