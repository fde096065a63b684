// One comm to one kernel: opened with `hello`, usable once the kernel answers `ready`,
// each message answered by an ack (big ones in acknowledged parts). It knows when the
// kernel restarts or goes away, and turns every way a send can end into a `Delivery`.
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { ISignal } from '@lumino/signaling';
import {
  AckReply,
  COMM_PROTOCOL,
  COMM_TARGET,
  HELLO,
  NotebookMessage,
  readKernelReply,
  splitText,
  WireMessage
} from './protocol';

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

export type Delivery =
  | { kind: 'ack'; reply: AckReply }
  | { kind: 'not-imported' }
  | { kind: 'restarted' }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

/** What a send came to; after a time-out, `late` is the answer should it still come. */
export interface ISent {
  delivery: Delivery;
  late?: Promise<Delivery>;
}

export interface IDeliverOptions {
  timeoutMs: number;
  partChars: number;
  /** Called as each part is acknowledged, for a big message. */
  onPart?: (part: number, parts: number) => void;
}

/** A comm to one kernel: opened with `hello`, usable once the kernel answers `ready`. */
export class KernelChannel {
  /** Throws when the kernel connection cannot open comms (disposed, or comms disabled). */
  constructor(kernel: IBridgeKernel) {
    this._kernel = kernel;
    this._comm = kernel.createComm(COMM_TARGET);
    this._comm.onMsg = msg => this.onMsg(msg);
    this._comm.onClose = () => this.end({ kind: 'not-imported' });
    this._comm.open({ ...HELLO });
    kernel.statusChanged.connect(this.onKernelStatus, this);
    kernel.disposed.connect(this.onKernelDisposed, this);
  }

  /** Open or opening, on a comm JupyterLab has not disposed (it does so on a restart). */
  get usable(): boolean {
    return (
      this._state !== 'closed' &&
      !this._comm.isDisposed &&
      !this._kernel.isDisposed
    );
  }

  /**
   * Sends once the kernel is ready: whole, or in acknowledged parts and a commit when its
   * JSON is long. Resolves with the kernel's answer, or why none will come.
   */
  async deliver(
    message: NotebookMessage,
    options: IDeliverOptions
  ): Promise<ISent> {
    const text = JSON.stringify(message);
    const ready = await withTimeout(this._ready.promise, options.timeoutMs);
    if (ready === TIMED_OUT) {
      // The open waits behind a running cell. A message sent whole would have waited there
      // too and been applied when the cell ends, so it still goes then; a big one is left
      // for the user to send again.
      const late =
        text.length <= options.partChars
          ? this._ready.promise.then(
              async why =>
                why ??
                (await this.sendReady(message, text, options, false)).delivery
            )
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
      return this.request(
        { ...message, seq: this.nextSeq() },
        message.type,
        timeoutMs
      );
    }
    const transfer = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const texts = splitText(text, options.partChars);
    for (let part = 0; part < texts.length; part++) {
      const sent = await this.request(
        {
          type: 'part',
          seq: this.nextSeq(),
          transfer,
          part,
          parts: texts.length,
          text: texts[part]
        },
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
    const delivery =
      timeoutMs === null ? await answer : await withTimeout(answer, timeoutMs);
    return delivery === TIMED_OUT
      ? { delivery: { kind: 'timeout' }, late: answer }
      : { delivery };
  }

  private nextSeq(): number {
    return ++this._seq;
  }

  private onMsg(msg: KernelMessage.ICommMsgMsg): void {
    const reply = readKernelReply(msg?.content?.data);
    switch (reply.type) {
      case 'ready':
        if (reply.protocol !== COMM_PROTOCOL) {
          this.end({
            kind: 'error',
            message:
              `its jupyterlab_near_duplicates ${reply.version} speaks protocol ${reply.protocol}, ` +
              `this JupyterLab speaks ${COMM_PROTOCOL}: ${UPGRADE_HINT}`
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
    if (
      status === 'restarting' ||
      status === 'autorestarting' ||
      status === 'dead'
    ) {
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
      why.kind === 'not-imported' && this._state === 'ready'
        ? { kind: 'restarted' }
        : why;
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
function withTimeout<T>(
  promise: Promise<T>,
  ms: number
): Promise<T | typeof TIMED_OUT> {
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

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
