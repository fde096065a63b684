// A kernel, a notebook and the notebook tracker as the bridge sees them through JupyterLab:
// FakeKernel plays an ipykernel with or without `import jupyterlab_near_duplicates`.
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import type { IBridgeNotebook, IBridgeTracker } from '../bridge';
import type { IBridgeComm, IBridgeKernel } from '../comm/channel';
import { COMM_PROTOCOL, COMM_TARGET, NotebookMessage } from '../comm/protocol';

type Task = () => void;

export class FakeComm implements IBridgeComm {
  constructor(
    readonly kernel: FakeKernel,
    readonly targetName: string
  ) {}
  isDisposed = false;
  opened: unknown = undefined;
  onMsg: (msg: KernelMessage.ICommMsgMsg) => void = () => undefined;
  onClose: (msg: KernelMessage.ICommCloseMsg) => void = () => undefined;

  open(data?: unknown): void {
    this.opened = data;
    this.kernel.receive(() => this.kernel.handleOpen(this));
  }

  send(data: any): void {
    this.kernel.wire.push(data);
    if (this.isDisposed) {
      throw new Error('Cannot send');
    }
    this.kernel.receive(() => this.kernel.handleMsg(this, data));
  }

  reply(data: unknown): void {
    if (!this.isDisposed) {
      this.onMsg({
        content: { comm_id: 'c', data }
      } as unknown as KernelMessage.ICommMsgMsg);
    }
  }

  closeFromKernel(): void {
    this.onClose({
      content: { comm_id: 'c', data: {} }
    } as unknown as KernelMessage.ICommCloseMsg);
    this.isDisposed = true;
  }
}

/**
 * Plays ipykernel: a busy kernel queues messages until `finishCell()`; a restart forgets the
 * import; parts are joined at their commit as selection.py does. `received` holds the
 * messages applied, `wire` every message as sent.
 */
export class FakeKernel implements IBridgeKernel {
  constructor(public imported = true) {}
  isDisposed = false;
  status: Kernel.Status = 'idle';
  readonly statusChanged = new Signal<this, Kernel.Status>(this);
  readonly disposed = new Signal<this, void>(this);
  comms: FakeComm[] = [];
  received: NotebookMessage[] = [];
  wire: any[] = [];
  callbackErrors: string[] = [];
  protocol = COMM_PROTOCOL;
  private parts: string[] = [];
  failOnCreate = false;
  private queue: Task[] = [];

  createComm(targetName: string): FakeComm {
    if (this.failOnCreate) {
      throw new Error('Comms are disabled on this kernel connection');
    }
    const comm = new FakeComm(this, targetName);
    this.comms.push(comm);
    return comm;
  }

  receive(task: Task): void {
    this.queue.push(task);
    if (this.status !== 'busy') {
      void Promise.resolve().then(() => this.drain());
    }
  }

  runCell(): void {
    this.setStatus('busy');
  }

  finishCell(): void {
    this.setStatus('idle');
    this.drain();
  }

  restart(): void {
    this.setStatus('restarting');
    for (const comm of this.comms) {
      comm.isDisposed = true; // JupyterLab disposes every comm on a restart
    }
    this.queue = [];
    this.imported = false;
    this.setStatus('idle');
  }

  handleOpen(comm: FakeComm): void {
    if (comm.targetName === COMM_TARGET && this.imported) {
      comm.reply({ type: 'ready', protocol: this.protocol, version: '0.1.0' });
    } else {
      comm.closeFromKernel(); // "No such comm target registered"
    }
  }

  handleMsg(comm: FakeComm, data: any): void {
    if (data.type === 'part') {
      this.parts[data.part] = data.text;
      comm.reply({
        type: 'ack',
        seq: data.seq,
        of: 'part',
        grids: 0,
        callback_errors: []
      });
      return;
    }
    const message =
      data.type === 'commit' ? JSON.parse(this.parts.join('')) : data;
    this.parts = [];
    this.received.push(message);
    comm.reply({
      type: 'ack',
      seq: data.seq,
      of: message.type,
      grids: 1,
      callback_errors: this.callbackErrors
    });
  }

  private drain(): void {
    while (this.status !== 'busy' && this.queue.length) {
      this.queue.shift()!();
    }
  }

  private setStatus(status: Kernel.Status): void {
    this.status = status;
    this.statusChanged.emit(status);
  }
}

export class FakeNotebook implements IBridgeNotebook {
  constructor(name: string, kernel: FakeKernel | null) {
    this.title = { label: name };
    this.sessionContext = { session: kernel ? { kernel } : null };
  }
  readonly title: { label: string };
  sessionContext: { session: { kernel: FakeKernel | null } | null };
}

export class FakeTracker implements IBridgeTracker {
  currentWidget: FakeNotebook | null = null;
}
