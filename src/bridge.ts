// Hands duplicate groups to the active notebook's kernel over a comm (comm/), and says
// how it went in words the panel shows. One comm per kernel, made anew after a restart.
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import {
  Delivery,
  errorText,
  IBridgeKernel,
  ISent,
  KernelChannel
} from './comm/channel';
import { groupsMessage, planMessage, selectMessage } from './comm/messages';
import { IMPORT_HINT, NotebookMessage, PART_CHARS } from './comm/protocol';
import type { IScanOutcome } from './model';
import { IKeepPlan, IPlanResult, planHeadline } from './plan';
import type { IDuplicateGroup } from './scan/types';

/** How long the panel waits for the kernel's answer to one message before saying so (ms). */
export const REPLY_TIMEOUT_MS = 30_000;

// What the bridge needs from JupyterLab: structural subsets of INotebookTracker and the
// notebook panel (comm/channel.ts has the kernel's), so tests can hand it fakes.

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
  sendGroup(
    outcome: IScanOutcome,
    group: IDuplicateGroup
  ): Promise<ISendStatus> {
    return this.guard(() => {
      const index = outcome.groups.indexOf(group);
      const message = selectMessage(
        outcome.result,
        group,
        index >= 0 ? index : outcome.groups.findIndex(g => g.key === group.key),
        outcome.threshold,
        outcome.scanId
      );
      const n = message.group.size;
      return this.send(message, {
        what: 'this group',
        sending: `${plural(n, 'sample')}`,
        sent: `Sent ${plural(n, 'sample')}`
      });
    });
  }

  /**
   * Sends every group at the current threshold: `nd.groups()` in the kernel; then, when
   * given, the panel's keep-one plan of them: `nd.plan()` with no arguments.
   */
  async sendAllGroups(
    outcome: IScanOutcome,
    plan?: IPlanToSend
  ): Promise<ISendStatus> {
    const status = await this.sendGroupsOnly(outcome);
    if (status.state !== 'sent') {
      return status;
    }
    this._groupsSent = outcome.scanId;
    // The plan goes in the groups' words: the user clicked "Send all groups".
    return plan ? this.sendPlan(outcome, plan, this._groupWords) : status;
  }

  /**
   * Whether this bridge last sent the groups of scan `scanId` (so a changed plan is worth
   * sending again: the kernel holds the groups it names).
   */
  sentGroupsOf(scanId: string): boolean {
    return this._groupsSent === scanId;
  }

  /** Sends the panel's keep-one plan of the groups on show: `nd.plan()` in the kernel. */
  sendPlan(
    outcome: IScanOutcome,
    plan: IPlanToSend,
    groupWords: ISendWords | null = null
  ): Promise<ISendStatus> {
    return this.guard(() => {
      const message = planMessage(
        outcome.result,
        outcome.groups,
        plan.plan,
        plan.planned,
        plan.splitField,
        outcome.scanId
      );
      const what = plan.planned.problem
        ? 'the keep-one plan (none: see the panel)'
        : `the keep-one plan (${planHeadline(plan.planned)})`;
      return this.send(message, {
        what: 'the keep-one plan',
        sending: groupWords?.sending ?? what,
        sent: groupWords?.sent ?? `Sent ${what}`
      });
    });
  }

  private sendGroupsOnly(outcome: IScanOutcome): Promise<ISendStatus> {
    return this.guard(() => {
      const message = groupsMessage(
        outcome.result,
        outcome.groups,
        outcome.threshold,
        outcome.scanId
      );
      const samples = message.groups.reduce((sum, g) => sum + g.size, 0);
      const what = `${plural(message.groups.length, 'group')} (${plural(samples, 'sample')})`;
      this._groupWords = {
        what: 'the groups',
        sending: what,
        sent: `Sent ${what}`
      };
      return this.send(message, this._groupWords);
    });
  }

  /**
   * Sends a message to the active notebook's kernel. Resolves when the kernel acknowledged
   * it, or as soon as it is known that it cannot: no notebook, no kernel, no import, a
   * restart on the way.
   */
  async send(
    message: NotebookMessage,
    words: ISendWords
  ): Promise<ISendStatus> {
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
  private _groupsSent: string | null = null;
  private _groupWords: ISendWords | null = null;
  private _shownSeq = 0;
  private _status: ISendStatus | null = null;
  private _isDisposed = false;
  private readonly _statusChanged = new Signal<this, ISendStatus | null>(this);
}

/** The panel's plan as the bridge sends it (comm/messages.ts planMessage). */
export interface IPlanToSend {
  plan: IKeepPlan;
  /** computePlan's answer for the groups on show. */
  planned: IPlanResult;
  /** The payload field the scan read splits from, or null. */
  splitField: string | null;
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

function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}
