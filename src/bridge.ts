// Hands duplicate groups to the active notebook's kernel over a comm, and says how it went
// in words the panel shows. The messages on the comm are defined here, once; Python's
// jupyterlab_near_duplicates/selection.py mirrors them.
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import type { IScanOutcome } from './model';
import { passes } from './scan/groups';
import type { DistanceKind, DuplicateGroup, PointId, ScanResult } from './scan/types';

/** The comm target that `import jupyterlab_near_duplicates` registers in a kernel. */
export const COMM_TARGET = 'jupyterlab-near-duplicates';

/** Bumped when a message changes shape; the kernel answers `ready` with its own. */
export const PROTOCOL = 1;

/** The import a user runs in a notebook to receive groups. */
export const IMPORT_HINT = 'import jupyterlab_near_duplicates';

// The messages (snake_case, as Python reads them).
//
// Front end -> kernel:
//   comm_open data {type: 'hello', protocol}
//   {type: 'select', seq, group: GroupMessage}
//   {type: 'groups', seq, scan_id, collection, threshold, distance, groups: GroupMessage[]}
// Kernel -> front end:
//   {type: 'ready', protocol, version}               in answer to the open
//   {type: 'ack', seq, of, grids, callback_errors}   after applying a message
//   {type: 'error', seq, message}                    a message the kernel could not read
//
// A kernel that has not imported the package has no such target: it closes the comm at
// once. So the panel waits for `ready` before sending anything: `ready` means "imported",
// a close means "not imported", and neither means "busy" (the open waits in the kernel's
// queue). Waiting also keeps the order: JupyterLab may send later comm messages over a
// kernel subshell, where they could overtake an open still queued on the main shell.

/** One group, as the kernel's `nd.selection` and `nd.groups()` see it. */
export type GroupMessage = {
  sample_ids: string[];
  point_ids: PointId[];
  /** Per sample: its closest link inside the group (a similarity, or a distance). */
  scores: number[];
  /** The sample with the most links in the group, a natural one to keep. */
  representative: string | null;
  size: number;
  /** The group's position in the panel's list (largest first), from 0. */
  group_index: number;
  threshold: number;
  distance: DistanceKind;
  collection: string;
  scan_id: string;
};

export type SelectMessage = { type: 'select'; seq?: number; group: GroupMessage };

export type GroupsMessage = {
  type: 'groups';
  seq?: number;
  scan_id: string;
  collection: string;
  threshold: number;
  distance: DistanceKind;
  groups: GroupMessage[];
  /** The scan's own estimate of its pair recall (RecallEstimate); null without an audit. */
  recall: { estimate: number | null; low: number | null; high: number | null; sampled: number; route: string } | null;
};

export type NotebookMessage = SelectMessage | GroupsMessage;

export type KernelReply =
  | { type: 'ready'; protocol: number; version: string }
  | {
      type: 'ack';
      seq: number;
      of: 'select' | 'groups';
      grids: number;
      callback_errors: string[];
    }
  | { type: 'error'; seq: number | null; message: string };

/** An id for a finished scan, stable for its outcome: `collection@ISO time`. */
export function scanIdOf(outcome: Pick<IScanOutcome, 'result' | 'finishedAt'>): string {
  return `${outcome.result.collection}@${new Date(outcome.finishedAt).toISOString()}`;
}

/** The `select` message for one group: what `nd.selection` will hold. */
export function selectMessage(
  result: ScanResult,
  group: DuplicateGroup,
  index: number,
  threshold: number,
  scanId: string
): SelectMessage {
  return { type: 'select', group: groupMessage(result, group, index, threshold, scanId) };
}

/** One group in the protocol's shape (snake_case); scores are rounded to 6 decimals. */
export function groupMessage(
  result: ScanResult,
  group: DuplicateGroup,
  index: number,
  threshold: number,
  scanId: string
): GroupMessage {
  const best = closestLinks(result, threshold);
  const name = (m: number): string =>
    result.points.sampleIds[m] ?? String(result.points.ids[m]);
  return {
    sample_ids: group.members.map(name),
    point_ids: group.members.map(m => result.points.ids[m]),
    scores: group.members.map(m => roundScore(best[m])),
    representative: group.representative >= 0 ? name(group.representative) : null,
    size: group.members.length,
    group_index: index,
    threshold,
    distance: result.distance,
    collection: result.collection,
    scan_id: scanId
  };
}

/** The `groups` message: every group at the threshold, in the panel's order. */
export function groupsMessage(
  result: ScanResult,
  groups: DuplicateGroup[],
  threshold: number,
  scanId: string
): GroupsMessage {
  return {
    type: 'groups',
    scan_id: scanId,
    collection: result.collection,
    threshold,
    distance: result.distance,
    groups: groups.map((g, i) => groupMessage(result, g, i, threshold, scanId)),
    recall: result.audit
      ? {
          estimate: result.audit.recall,
          low: result.audit.low,
          high: result.audit.high,
          sampled: result.audit.sampled,
          route: result.audit.route
        }
      : null
  };
}

function roundScore(score: number): number {
  return Number.isFinite(score) ? Math.round(score * 1e6) / 1e6 : score;
}

// Per point, the closest passing link: one pass over the pairs per (scan, threshold), so
// sending all groups costs O(points + pairs), not O(groups x pairs).
const closestCache = new WeakMap<Float32Array, { threshold: number; best: Float64Array }>();

function closestLinks(result: ScanResult, threshold: number): Float64Array {
  const { a, b, score } = result.pairs;
  const hit = closestCache.get(score);
  if (hit && hit.threshold === threshold) {
    return hit.best;
  }
  const higher = result.distance === 'Cosine' || result.distance === 'Dot';
  const best = new Float64Array(result.points.ids.length).fill(NaN);
  const better = (s: number, than: number): boolean =>
    Number.isNaN(than) || (higher ? s > than : s < than);
  for (let k = 0; k < score.length; k++) {
    const s = score[k];
    if (!passes(s, threshold, result.distance)) {
      continue;
    }
    if (better(s, best[a[k]])) {
      best[a[k]] = s;
    }
    if (better(s, best[b[k]])) {
      best[b[k]] = s;
    }
  }
  closestCache.set(score, { threshold, best });
  return best;
}

// What the bridge needs from JupyterLab: structural subsets of INotebookTracker, the
// notebook panel and its kernel connection, so tests can hand it fakes.

/** The subset of `Kernel.IComm` the bridge uses. */
export interface IBridgeComm {
  readonly isDisposed: boolean;
  open(data?: any): unknown;
  send(data: any): unknown;
  onMsg: (msg: KernelMessage.ICommMsgMsg) => void | PromiseLike<void>;
  onClose: (msg: KernelMessage.ICommCloseMsg) => void | PromiseLike<void>;
}

/** The subset of `Kernel.IKernelConnection` the bridge uses. */
export interface IBridgeKernel {
  readonly isDisposed: boolean;
  readonly status: Kernel.Status;
  readonly statusChanged: ISignal<any, Kernel.Status>;
  readonly disposed: ISignal<any, void>;
  createComm(targetName: string): IBridgeComm;
}

/** The subset of a notebook panel the bridge uses. */
export interface IBridgeNotebook {
  readonly title: { readonly label: string };
  readonly sessionContext: {
    readonly session: { readonly kernel: IBridgeKernel | null } | null;
  };
}

/** The subset of `INotebookTracker` the bridge uses: its current (last focused) notebook. */
export interface IBridgeTracker {
  readonly currentWidget: IBridgeNotebook | null;
}

/** What became of a send, for the panel to show. */
export type SendState =
  | 'sending'
  | 'waiting'
  | 'sent'
  | 'no-notebook'
  | 'no-kernel'
  | 'not-imported'
  | 'restarted'
  | 'failed';

export interface ISendStatus {
  state: SendState;
  /** The sentence to show; text inside backticks is code. */
  text: string;
  /** The notebook's name, when there was one. */
  notebook: string | null;
  /** For 'sent': the kernel's on_select callbacks that raised, one line each. */
  callbackErrors?: string[];
}

export interface INotebookBridgeOptions {
  /** After this long without a reply the status says the kernel is busy (ms). */
  busyNoticeMs?: number;
}

/** Sends groups to the active notebook's kernel; never throws, every outcome is a status. */
export class NotebookBridge implements IDisposable {
  constructor(tracker: IBridgeTracker, options: INotebookBridgeOptions = {}) {
    this._tracker = tracker;
    this._busyNoticeMs = options.busyNoticeMs ?? 1000;
  }

  /** The latest send's status (a later send replaces an earlier one's), or null. */
  get status(): ISendStatus | null {
    return this._status;
  }

  get statusChanged(): ISignal<this, ISendStatus | null> {
    return this._statusChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Sends the group clicked in the panel: `nd.selection` in the kernel. */
  sendGroup(outcome: IScanOutcome, group: DuplicateGroup): Promise<ISendStatus> {
    return this.guard(() => {
      const index = outcome.groups.indexOf(group);
      const message = selectMessage(
        outcome.result,
        group,
        index >= 0 ? index : outcome.groups.findIndex(g => g.key === group.key),
        outcome.threshold,
        scanIdOf(outcome)
      );
      const n = message.group.size;
      return this.send(message, {
        what: 'this group',
        sending: `${plural(n, 'sample')}`,
        sent: `Sent ${plural(n, 'sample')}`
      });
    });
  }

  /** Sends every group at the current threshold: `nd.groups()` in the kernel. */
  sendAllGroups(outcome: IScanOutcome): Promise<ISendStatus> {
    return this.guard(() => {
      const message = groupsMessage(
        outcome.result,
        outcome.groups,
        outcome.threshold,
        scanIdOf(outcome)
      );
      const samples = message.groups.reduce((sum, g) => sum + g.size, 0);
      const what = `${plural(message.groups.length, 'group')} (${plural(samples, 'sample')})`;
      return this.send(message, {
        what: 'the groups',
        sending: what,
        sent: `Sent ${what}`
      });
    });
  }

  /**
   * Sends a message to the active notebook's kernel. Resolves when the kernel acknowledged
   * it, or as soon as it is known that it cannot: no notebook, no kernel, no import, a
   * restart on the way.
   */
  async send(message: NotebookMessage, words: ISendWords): Promise<ISendStatus> {
    const seq = ++this._seq;
    const notebook = this._tracker.currentWidget;
    if (!notebook) {
      return this.finish(seq, {
        state: 'no-notebook',
        text: `Open a notebook to send ${words.what}`,
        notebook: null
      });
    }
    const name = notebook.title.label || 'the notebook';
    const kernel = notebook.sessionContext.session?.kernel ?? null;
    if (!kernel || kernel.isDisposed || kernel.status === 'dead') {
      return this.finish(seq, {
        state: 'no-kernel',
        text: `Start a kernel in ${name}, then run \`${IMPORT_HINT}\``,
        notebook: name
      });
    }
    let channel: KernelChannel;
    try {
      channel = this.channelFor(kernel);
    } catch (error) {
      return this.finish(seq, {
        state: 'failed',
        text: `Could not reach the kernel of ${name}: ${errorText(error)}`,
        notebook: name
      });
    }
    this.setStatus(seq, {
      state: 'sending',
      text: `Sending ${words.sending} to ${name}…`,
      notebook: name
    });
    const busyTimer = setTimeout(() => {
      this.setStatus(seq, {
        state: 'waiting',
        text: `${name} is busy: its kernel gets ${words.sending} when the running cell finishes`,
        notebook: name
      });
    }, this._busyNoticeMs);
    let outcome: Delivery;
    try {
      outcome = await channel.deliver({ ...message, seq });
    } finally {
      clearTimeout(busyTimer);
    }
    switch (outcome.kind) {
      case 'ack': {
        const errors = outcome.reply.callback_errors ?? [];
        const failed =
          errors.length === 0
            ? ''
            : ` · ${plural(errors.length, 'on_select callback')} raised an error ` +
              '(the traceback is in the log console)';
        return this.finish(seq, {
          state: 'sent',
          text: `${words.sent} to ${name}${failed}`,
          notebook: name,
          callbackErrors: errors
        });
      }
      case 'not-imported':
        return this.finish(seq, {
          state: 'not-imported',
          text: `Run \`${IMPORT_HINT}\` in ${name}`,
          notebook: name
        });
      case 'restarted':
        return this.finish(seq, {
          state: 'restarted',
          text: `The kernel of ${name} restarted before ${words.what} arrived: run \`${IMPORT_HINT}\` and send again`,
          notebook: name
        });
      case 'error':
        return this.finish(seq, {
          state: 'failed',
          text: `Could not send ${words.what} to ${name}: ${outcome.message}`,
          notebook: name
        });
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  /** One comm per kernel connection, reused while open; a restart or a close makes a new one. */
  private channelFor(kernel: IBridgeKernel): KernelChannel {
    const open = this._channels.get(kernel);
    if (open && open.usable) {
      return open;
    }
    const channel = new KernelChannel(kernel);
    this._channels.set(kernel, channel);
    return channel;
  }

  /** Runs a send; anything thrown becomes a 'failed' status, so nothing reaches the panel. */
  private async guard(run: () => Promise<ISendStatus>): Promise<ISendStatus> {
    try {
      return await run();
    } catch (error) {
      const status: ISendStatus = {
        state: 'failed',
        text: `Could not send to the notebook: ${errorText(error)}`,
        notebook: null
      };
      return this.finish(++this._seq, status);
    }
  }

  private finish(seq: number, status: ISendStatus): ISendStatus {
    this.setStatus(seq, status);
    return status;
  }

  private setStatus(seq: number, status: ISendStatus): void {
    // A newer send owns the status line; an older one finishing late must not overwrite it.
    if (seq < this._shownSeq || this._isDisposed) {
      return;
    }
    this._shownSeq = seq;
    this._status = status;
    this._statusChanged.emit(status);
  }

  private readonly _tracker: IBridgeTracker;
  private readonly _busyNoticeMs: number;
  private readonly _channels = new WeakMap<IBridgeKernel, KernelChannel>();
  private _seq = 0;
  private _shownSeq = 0;
  private _status: ISendStatus | null = null;
  private _isDisposed = false;
  private readonly _statusChanged = new Signal<this, ISendStatus | null>(this);
}

/** How a message is described in the statuses. */
export interface ISendWords {
  /** "this group", "the groups": after "Open a notebook to send". */
  what: string;
  /** "7 samples": what is on its way. */
  sending: string;
  /** "Sent 7 samples": before "to {notebook}". */
  sent: string;
}

type Delivery =
  | { kind: 'ack'; reply: Extract<KernelReply, { type: 'ack' }> }
  | { kind: 'not-imported' }
  | { kind: 'restarted' }
  | { kind: 'error'; message: string };

/** A comm to one kernel: opened with `hello`, usable once the kernel answers `ready`. */
class KernelChannel {
  /** Throws when the kernel connection cannot open comms (disposed, or comms disabled). */
  constructor(kernel: IBridgeKernel) {
    this._kernel = kernel;
    this._comm = kernel.createComm(COMM_TARGET);
    this._comm.onMsg = msg => this.onMsg(msg);
    this._comm.onClose = () => this.end({ kind: 'not-imported' });
    this._comm.open({ type: 'hello', protocol: PROTOCOL });
    kernel.statusChanged.connect(this.onKernelStatus, this);
    kernel.disposed.connect(this.onKernelDisposed, this);
  }

  /** Open or opening, on a comm JupyterLab has not disposed (it does so on a restart). */
  get usable(): boolean {
    return this._state !== 'closed' && !this._comm.isDisposed && !this._kernel.isDisposed;
  }

  /** Sends once the kernel is ready; resolves with its ack, or why it will never come. */
  async deliver(message: NotebookMessage & { seq: number }): Promise<Delivery> {
    const ready = await this._ready.promise;
    if (ready !== null) {
      return ready;
    }
    if (!this.usable) {
      return this._ending ?? { kind: 'restarted' };
    }
    return new Promise<Delivery>(resolve => {
      this._waiting.set(message.seq, resolve);
      try {
        this._comm.send(message);
      } catch (error) {
        this._waiting.delete(message.seq);
        resolve({ kind: 'error', message: errorText(error) });
      }
    });
  }

  private onMsg(msg: KernelMessage.ICommMsgMsg): void {
    const reply = msg.content.data as unknown as KernelReply;
    if (!reply || typeof reply !== 'object') {
      return;
    }
    switch (reply.type) {
      case 'ready':
        this._state = 'ready';
        this._ready.resolve(null);
        break;
      case 'ack': {
        const resolve = this._waiting.get(reply.seq);
        this._waiting.delete(reply.seq);
        resolve?.({ kind: 'ack', reply });
        break;
      }
      case 'error': {
        const resolve = reply.seq !== null ? this._waiting.get(reply.seq) : undefined;
        if (resolve && reply.seq !== null) {
          this._waiting.delete(reply.seq);
          resolve({ kind: 'error', message: `the kernel could not read it (${reply.message})` });
        }
        break;
      }
    }
  }

  private onKernelStatus(_: unknown, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
      this.end({ kind: 'restarted' });
    }
  }

  private onKernelDisposed(): void {
    this.end({ kind: 'restarted' });
  }

  /** The comm is gone: everything still waiting learns why, and the next send opens anew. */
  private end(why: Delivery): void {
    if (this._state === 'closed') {
      return;
    }
    // A close before `ready` means no target; after it, the kernel went away.
    const reason: Delivery =
      why.kind === 'not-imported' && this._state === 'ready' ? { kind: 'restarted' } : why;
    this._state = 'closed';
    this._ending = reason;
    this._kernel.statusChanged.disconnect(this.onKernelStatus, this);
    this._kernel.disposed.disconnect(this.onKernelDisposed, this);
    this._ready.resolve(reason);
    for (const resolve of this._waiting.values()) {
      resolve(reason);
    }
    this._waiting.clear();
  }

  private readonly _kernel: IBridgeKernel;
  private readonly _comm: IBridgeComm;
  private _state: 'opening' | 'ready' | 'closed' = 'opening';
  private _ending: Delivery | null = null;
  /** Resolves null when ready, or with the reason the comm will never be. */
  private readonly _ready = new Resolvable<Delivery | null>();
  private readonly _waiting = new Map<number, (delivery: Delivery) => void>();
}

/** A promise with its resolve at hand; resolving twice keeps the first value. */
class Resolvable<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  constructor() {
    this.promise = new Promise<T>(resolve => {
      let done = false;
      this.resolve = value => {
        if (!done) {
          done = true;
          resolve(value);
        }
      };
    });
  }
}

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
