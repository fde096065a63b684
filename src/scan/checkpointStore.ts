// Where the scan worker keeps checkpoints: IndexedDB, opened from the worker itself. Not the
// panel's IStateDB: that is one JSON document per workspace, sent whole to the Jupyter server
// on every save, where a checkpoint is typed arrays of megabytes written every few seconds.
// IndexedDB stores typed arrays as they are (structured clone), per browser origin, and
// outlives a reload, a closed tab and a restarted Jupyter server.
//
// A checkpoint is kept as records of its own: the head (everything but the ids and pairs,
// rewritten each time: the done bitset is n / 8 bytes), the ids (written once per scan) and
// the pairs in parts, each checkpoint adding only the pairs found since the last (issue 16: a
// whole copy of six million pairs every five seconds was 80 MB each time). One transaction per
// checkpoint, so a kill never leaves a head without its parts.
import type { ICheckpointStore, IScanCheckpoint } from './checkpoint';
import { joinPairParts, MemoryCheckpointStore } from './checkpoint';
import type { IPairList } from './types';

/** The head record: a checkpoint without its ids and pairs, and how many parts it has. */
type Head = Omit<IScanCheckpoint, 'ids' | 'pairs'> & { parts: number };

/** Keys of a checkpoint's other records: after `key`, before any other key's. */
const idsKey = (key: string) => `${key}\u0000ids`;
const partKey = (key: string, i: number) =>
  `${key}\u0000part\u0000${String(i).padStart(9, '0')}`;
const partsOf = (key: string) =>
  IDBKeyRange.bound(`${key}\u0000part\u0000`, `${key}\u0000part\u0001`);
const recordsOf = (key: string) =>
  IDBKeyRange.bound(`${key}\u0000`, `${key}\u0001`);

const DB_NAME = 'jupyterlab-near-duplicates';
const STORE = 'scan-checkpoints';

export class IndexedDbCheckpointStore implements ICheckpointStore {
  constructor(private readonly factory: IDBFactory) {}

  async load(key: string): Promise<IScanCheckpoint | null> {
    const got = await this.transact<{
      head: unknown;
      ids: unknown;
      parts: unknown[];
    }>('readonly', (store, done) => {
      const out = {
        head: undefined as unknown,
        ids: undefined as unknown,
        parts: [] as unknown[]
      };
      store.get(key).onsuccess = e => {
        out.head = (e.target as IDBRequest).result;
      };
      store.get(idsKey(key)).onsuccess = e => {
        out.ids = (e.target as IDBRequest).result;
      };
      store.getAll(partsOf(key)).onsuccess = e => {
        out.parts = (e.target as IDBRequest).result;
      };
      done(() => out);
    });
    const head = got.head as Head | IScanCheckpoint | undefined;
    if (!head || typeof head !== 'object') {
      return null;
    }
    if ('pairs' in head) {
      // Kept whole, as checkpoints were before they were kept in parts.
      return head;
    }
    const { parts: count, ...rest } = head;
    if (got.parts.length !== count || !got.ids) {
      return null;
    }
    return {
      ...rest,
      ids: got.ids as IScanCheckpoint['ids'],
      pairs: joinPairParts(got.parts as IPairList[], rest.distance)
    };
  }

  async save(
    key: string,
    checkpoint: IScanCheckpoint,
    append = false
  ): Promise<void> {
    const { ids, pairs, ...rest } = checkpoint;
    await this.transact<void>('readwrite', (store, done, fail) => {
      if (!append) {
        store.delete(recordsOf(key));
        store.put({ ...rest, parts: 1 } as Head, key);
        store.put(ids, idsKey(key));
        store.put(pairs, partKey(key, 0));
        done(() => undefined);
        return;
      }
      store.get(key).onsuccess = e => {
        const kept = (e.target as IDBRequest).result as Head | undefined;
        if (!kept || typeof kept.parts !== 'number') {
          fail(new Error(`No checkpoint is kept under ${key} to add to.`));
          return;
        }
        store.put(pairs, partKey(key, kept.parts));
        store.put({ ...rest, parts: kept.parts + 1 } as Head, key);
      };
      done(() => undefined);
    });
  }

  async remove(key: string): Promise<void> {
    await this.transact<void>('readwrite', (store, done) => {
      store.delete(key);
      store.delete(recordsOf(key));
      done(() => undefined);
    });
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

  /**
   * One transaction: `run` makes its requests and says what to resolve with once it is
   * committed (`done`), or aborts it (`fail`): then nothing of it is kept.
   */
  private async transact<T>(
    mode: IDBTransactionMode,
    run: (
      store: IDBObjectStore,
      done: (value: () => T) => void,
      fail: (error: Error) => void
    ) => void
  ): Promise<T> {
    const db = await this.open();
    return new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let value: () => T = () => undefined as T;
      let failure: Error | null = null;
      tx.oncomplete = () => resolve(value());
      tx.onerror = () => reject(failure ?? tx.error);
      tx.onabort = () => reject(failure ?? tx.error ?? new Error('aborted'));
      run(
        tx.objectStore(STORE),
        v => {
          value = v;
        },
        error => {
          failure = error;
          tx.abort();
        }
      );
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
