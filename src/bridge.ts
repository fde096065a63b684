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
export const PROTOCOL = 2;

/** The import a user runs in a notebook to receive groups. */
export const IMPORT_HINT = 'import jupyterlab_near_duplicates';

/**
 * A message whose JSON text is longer than this travels in parts. Jupyter's server drops a
 * websocket message over tornado's `websocket_max_message_size` (10 MiB by default, and
 * jupyter_server keeps it), and "Send all groups" of 40,000 groups is about 13 MB. A UTF-16
 * unit takes at most 3 bytes in UTF-8, so a part stays under 1.5 MiB with its envelope.
 */
export const PART_CHARS = 512 * 1024;

/** How long the panel waits for the kernel's answer to one message before saying so (ms). */
export const REPLY_TIMEOUT_MS = 30_000;

// The messages (snake_case, as Python reads them).
//
// Front end -> kernel:
//   comm_open data {type: 'hello', protocol}
//   {type: 'select', seq, group: GroupMessage}
//   {type: 'groups', seq, scan_id, collection, threshold, distance, groups: GroupMessage[]}
//   {type: 'part', seq, transfer, part, parts, text}   a slice of a select/groups message's JSON
//   {type: 'commit', seq, transfer, parts}             join the parts and apply the message
// Kernel -> front end:
//   {type: 'ready', protocol, version}                  in answer to the open
//   {type: 'ack', seq, of, grids, callback_errors}      after applying a message (or storing a part)
//   {type: 'error', seq, message}                       a message the kernel could not read
//
// A kernel that has not imported the package has no such target: it closes the comm at
// once. So the panel waits for `ready` before sending anything: `ready` means "imported",
// a close means "not imported", and neither means "busy" (the open waits in the kernel's
// queue). Waiting also keeps the order: JupyterLab may send later comm messages over a
// kernel subshell, where they could overtake an open still queued on the main shell; for
// the same reason each part waits for the previous one's ack.
//
// The kernel answers every message (Python's selection.py). Every reply is read by a
// validator here too: a kernel of another version, or anything else on the comm, gets a
// sentence in the panel, never an exception in a render.

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

export type PartMessage = {
  type: 'part';
  seq: number;
  transfer: string;
  part: number;
  parts: number;
  text: string;
};

export type CommitMessage = { type: 'commit'; seq: number; transfer: string; parts: number };

type WireMessage = (NotebookMessage & { seq: number }) | PartMessage | CommitMessage;

export type ReadyReply = { type: 'ready'; protocol: number; version: string };
export type AckReply = {
  type: 'ack';
  seq: number;
  of: 'select' | 'groups' | 'part';
  grids: number;
  callback_errors: string[];
};
export type ErrorReply = { type: 'error'; seq: number | null; message: string };
export type KernelReply = ReadyReply | AckReply | ErrorReply;

/** A reply that is not one of the protocol's: why, and its seq when that much was readable. */
export type UnreadableReply = { type: 'unreadable'; seq: number | null; problem: string };

/** Callback errors shown per send; the kernel caps them too, this guards against another kernel. */
const MAX_SHOWN_ERRORS = 21;
const MAX_TEXT = 500;

/**
 * Reads a message from the kernel: one validator per reply type, unknown fields ignored.
 * Anything else becomes `unreadable`, with the field at fault named.
 */
export function readKernelReply(data: unknown): KernelReply | UnreadableReply {
  if (!isObject(data)) {
    return unreadable(null, `a reply must be an object, not ${kindOf(data)}`);
  }
  const seq = isSeq(data.seq) ? data.seq : null;
  switch (data.type) {
    case 'ready':
      return readReady(data);
    case 'ack':
      return readAck(data, seq);
    case 'error':
      return readError(data, seq);
    default:
      return unreadable(seq, `unknown reply type ${cut(JSON.stringify(data.type) ?? 'undefined', 60)}`);
  }
}

function readReady(data: Record<string, unknown>): ReadyReply | UnreadableReply {
  if (!isSeq(data.protocol)) {
    return unreadable(null, `ready.protocol must be a whole number, not ${kindOf(data.protocol)}`);
  }
  const version = typeof data.version === 'string' ? cut(data.version, 60) : 'unknown';
  return { type: 'ready', protocol: data.protocol, version };
}

function readAck(data: Record<string, unknown>, seq: number | null): AckReply | UnreadableReply {
  if (seq === null) {
    return unreadable(null, `ack.seq must be a whole number, not ${kindOf(data.seq)}`);
  }
  if (data.of !== 'select' && data.of !== 'groups' && data.of !== 'part') {
    return unreadable(seq, 'ack.of must be "select", "groups" or "part"');
  }
  if (!isSeq(data.grids)) {
    return unreadable(seq, `ack.grids must be a whole number, not ${kindOf(data.grids)}`);
  }
  const errors = data.callback_errors ?? [];
  if (!Array.isArray(errors) || !errors.every(e => typeof e === 'string')) {
    return unreadable(seq, 'ack.callback_errors must be a list of strings');
  }
  return {
    type: 'ack',
    seq,
    of: data.of,
    grids: data.grids,
    callback_errors: (errors as string[]).slice(0, MAX_SHOWN_ERRORS).map(e => cut(e, MAX_TEXT))
  };
}

function readError(data: Record<string, unknown>, seq: number | null): ErrorReply | UnreadableReply {
  if (typeof data.message !== 'string') {
    return unreadable(seq, `error.message must be a string, not ${kindOf(data.message)}`);
  }
  return { type: 'error', seq, message: cut(data.message, MAX_TEXT) };
}

function unreadable(seq: number | null, problem: string): UnreadableReply {
  return { type: 'unreadable', seq, problem };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function kindOf(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  return value === undefined ? 'missing' : `a ${typeof value}`;
}

function cut(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/**
 * The slices of a message's JSON text, each at most `size` UTF-16 units, never splitting a
 * surrogate pair (Python would join the halves into two lone surrogates, not one character).
 */
export function splitText(text: string, size: number): string[] {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + Math.max(2, size));
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) {
      end -= 1;
    }
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}

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
  | 'no-answer'
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
  /** After this long without a reply to one message the send stops and says so (ms). */
  replyTimeoutMs?: number;
  /** Messages with a longer JSON text go in parts of this many UTF-16 units. */
  partChars?: number;
}

/** Sends groups to the active notebook's kernel; never throws, every outcome is a status. */
export class NotebookBridge implements IDisposable {
  constructor(tracker: IBridgeTracker, options: INotebookBridgeOptions = {}) {
    this._tracker = tracker;
    this._busyNoticeMs = options.busyNoticeMs ?? 1000;
    this._replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    this._partChars = options.partChars ?? PART_CHARS;
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
    const sending = (progress: string): void =>
      this.setStatus(seq, {
        state: 'sending',
        text: `Sending ${words.sending} to ${name}…${progress}`,
        notebook: name
      });
    sending('');
    const busyTimer = setTimeout(() => {
      this.setStatus(seq, {
        state: 'waiting',
        text: `${name} is busy: its kernel gets ${words.sending} when the running cell finishes`,
        notebook: name
      });
    }, this._busyNoticeMs);
    let outcome: ISent;
    try {
      outcome = await channel.deliver(message, {
        timeoutMs: this._replyTimeoutMs,
        partChars: this._partChars,
        onPart: (part, parts) => {
          // Parts are flowing, so the kernel is not busy: show how far the send is.
          clearTimeout(busyTimer);
          sending(` (part ${part + 1} of ${parts})`);
        }
      });
    } finally {
      clearTimeout(busyTimer);
    }
    const statusOf = (delivery: Delivery): ISendStatus =>
      this.statusOf(delivery, words, name, this._replyTimeoutMs);
    // What happens after the time-out still tells the truth (sent, not imported, restarted):
    // the status follows it, unless a newer send owns the line by then.
    void outcome.late?.then(late => {
      if (late.kind !== 'timeout') {
        this.setStatus(seq, statusOf(late));
      }
    });
    return this.finish(seq, statusOf(outcome.delivery));
  }

  private statusOf(
    delivery: Delivery,
    words: ISendWords,
    name: string,
    timeoutMs: number
  ): ISendStatus {
    switch (delivery.kind) {
      case 'ack': {
        const errors = delivery.reply.callback_errors;
        const failed =
          errors.length === 0
            ? ''
            : ` · ${plural(errors.length, 'on_select callback')} raised an error ` +
              '(the traceback is in the log console)';
        return {
          state: 'sent',
          text: `${words.sent} to ${name}${failed}`,
          notebook: name,
          callbackErrors: errors
        };
      }
      case 'not-imported':
        return {
          state: 'not-imported',
          text: `Run \`${IMPORT_HINT}\` in ${name}`,
          notebook: name
        };
      case 'restarted':
        return {
          state: 'restarted',
          text: `The kernel of ${name} restarted before ${words.what} arrived: run \`${IMPORT_HINT}\` and send again`,
          notebook: name
        };
      case 'timeout':
        return {
          state: 'no-answer',
          text:
            `The kernel of ${name} did not answer in ${Math.round(timeoutMs / 1000)} s; is it busy? ` +
            `Wait for its running cell to finish (or interrupt it), then send ${words.what} again`,
          notebook: name
        };
      case 'error':
        return {
          state: 'failed',
          text: `Could not send ${words.what} to ${name}: ${delivery.message}`,
          notebook: name
        };
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
  private readonly _replyTimeoutMs: number;
  private readonly _partChars: number;
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
  | { kind: 'ack'; reply: AckReply }
  | { kind: 'not-imported' }
  | { kind: 'restarted' }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

/** What a send came to; after a time-out, `late` is the answer should it still come. */
interface ISent {
  delivery: Delivery;
  late?: Promise<Delivery>;
}

interface IDeliverOptions {
  timeoutMs: number;
  partChars: number;
  /** Called as each part is acknowledged, for a big message. */
  onPart?: (part: number, parts: number) => void;
}

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

  /**
   * Sends once the kernel is ready: whole, or in acknowledged parts and a commit when its
   * JSON is long. Resolves with the kernel's answer, or why none will come.
   */
  async deliver(message: NotebookMessage, options: IDeliverOptions): Promise<ISent> {
    const text = JSON.stringify(message);
    const ready = await withTimeout(this._ready.promise, options.timeoutMs);
    if (ready === TIMED_OUT) {
      // The open waits behind a running cell. A message sent whole would have waited there
      // too and been applied when the cell ends, so it still goes then; a big one is left
      // for the user to send again.
      const late =
        text.length <= options.partChars
          ? this._ready.promise.then(async why => why ?? (await this.sendReady(message, text, options, false)).delivery)
          : undefined;
      return { delivery: { kind: 'timeout' }, late };
    }
    if (ready !== null) {
      return { delivery: ready };
    }
    return this.sendReady(message, text, options, true);
  }

  private async sendReady(
    message: NotebookMessage,
    text: string,
    options: IDeliverOptions,
    timed: boolean
  ): Promise<ISent> {
    if (!this.usable) {
      return { delivery: this._ending ?? { kind: 'restarted' } };
    }
    const timeoutMs = timed ? options.timeoutMs : null;
    if (text.length <= options.partChars) {
      return this.request({ ...message, seq: this.nextSeq() }, message.type, timeoutMs);
    }
    const transfer = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const texts = splitText(text, options.partChars);
    for (let part = 0; part < texts.length; part++) {
      const sent = await this.request(
        { type: 'part', seq: this.nextSeq(), transfer, part, parts: texts.length, text: texts[part] },
        'part',
        timeoutMs
      );
      if (sent.delivery.kind !== 'ack') {
        return { delivery: sent.delivery }; // an abandoned transfer: the next one replaces it
      }
      options.onPart?.(part, texts.length);
    }
    return this.request(
      { type: 'commit', seq: this.nextSeq(), transfer, parts: texts.length },
      message.type,
      timeoutMs
    );
  }

  /** Sends one message and waits for its answer; after `timeoutMs` (if any) says so. */
  private async request(
    data: WireMessage,
    expect: AckReply['of'],
    timeoutMs: number | null
  ): Promise<ISent> {
    const answer = new Promise<Delivery>(resolve => {
      this._waiting.set(data.seq, delivery => {
        if (delivery.kind === 'ack' && delivery.reply.of !== expect) {
          resolve({
            kind: 'error',
            message: `the kernel acknowledged a ${delivery.reply.of} message for a ${expect} one: ${UPGRADE_HINT}`
          });
          return;
        }
        resolve(delivery);
      });
      try {
        this._comm.send(data);
      } catch (error) {
        this._waiting.delete(data.seq);
        resolve({ kind: 'error', message: errorText(error) });
      }
    });
    const delivery = timeoutMs === null ? await answer : await withTimeout(answer, timeoutMs);
    return delivery === TIMED_OUT ? { delivery: { kind: 'timeout' }, late: answer } : { delivery };
  }

  private nextSeq(): number {
    return ++this._seq;
  }

  private onMsg(msg: KernelMessage.ICommMsgMsg): void {
    const reply = readKernelReply(msg?.content?.data);
    switch (reply.type) {
      case 'ready':
        if (reply.protocol !== PROTOCOL) {
          this.end({
            kind: 'error',
            message:
              `its jupyterlab_near_duplicates ${reply.version} speaks protocol ${reply.protocol}, ` +
              `this JupyterLab speaks ${PROTOCOL}: ${UPGRADE_HINT}`
          });
          break;
        }
        this._state = 'ready';
        this._ready.resolve(null);
        break;
      case 'ack':
        this.answer(reply.seq, { kind: 'ack', reply });
        break;
      case 'error':
        this.answer(reply.seq, {
          kind: 'error',
          message: `the kernel could not read it (${reply.message})`
        });
        break;
      case 'unreadable': {
        const delivery: Delivery = {
          kind: 'error',
          message: `the kernel sent a reply this panel cannot read (${reply.problem}): ${UPGRADE_HINT}`
        };
        if (this._state === 'opening') {
          this.end(delivery); // no usable `ready`: this comm will never work
        } else {
          this.answer(reply.seq, delivery);
        }
        break;
      }
    }
  }

  /** Resolves the send waiting on `seq`; a reply naming no seq answers every waiting send. */
  private answer(seq: number | null, delivery: Delivery): void {
    if (seq === null) {
      for (const resolve of this._waiting.values()) {
        resolve(delivery);
      }
      this._waiting.clear();
      return;
    }
    const resolve = this._waiting.get(seq);
    this._waiting.delete(seq);
    resolve?.(delivery);
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
    this.answer(null, reason);
  }

  private readonly _kernel: IBridgeKernel;
  private readonly _comm: IBridgeComm;
  private _state: 'opening' | 'ready' | 'closed' = 'opening';
  private _ending: Delivery | null = null;
  private _seq = 0;
  /** Resolves null when ready, or with the reason the comm will never be. */
  private readonly _ready = new Resolvable<Delivery | null>();
  private readonly _waiting = new Map<number, (delivery: Delivery) => void>();
}

const UPGRADE_HINT =
  "install the same jupyterlab-near-duplicates version in the kernel's environment and restart the kernel";

const TIMED_OUT = Symbol('timed out');

/** The promise's value, or TIMED_OUT after `ms`; the timer never outlives the race. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>(resolve => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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
