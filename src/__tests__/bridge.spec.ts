// The bridge from panel to notebook: what the panel is told for each kernel a user may
// have (none, one without the import, a busy one, a restarted one), played by FakeKernel.
import { ISendStatus, NotebookBridge } from '../bridge';
import { groupsMessage, planMessage, selectMessage } from '../comm/messages';
import { PART_CHARS } from '../comm/protocol';
import { computePlan, DEFAULT_PLAN, groupId } from '../plan';
import { regroup } from '../scan/groups';
import { PairStore } from '../scan/pairs';
import type { IScanResult } from '../scan/types';
import { outcomeOf, PAIRS, scanResult } from './commFixtures';
import { FakeKernel, FakeNotebook, FakeTracker } from './fakeKernel';

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

describe('NotebookBridge', () => {
  const result = scanResult(PAIRS);
  const outcome = outcomeOf(result);
  const [big, small] = result.groups;
  let tracker: FakeTracker;
  let bridge: NotebookBridge;
  let shown: (ISendStatus | null)[];

  beforeEach(() => {
    tracker = new FakeTracker();
    bridge = new NotebookBridge(tracker, { busyNoticeMs: 20 });
    shown = [];
    bridge.statusChanged.connect((_, status) => shown.push(status));
  });

  afterEach(() => bridge.dispose());

  function openNotebook(
    name: string,
    kernel: FakeKernel | null = new FakeKernel()
  ) {
    tracker.currentWidget = new FakeNotebook(name, kernel);
    return kernel;
  }

  it('asks for a notebook when none is open', async () => {
    const status = await bridge.sendGroup(outcome, big);
    expect(status).toMatchObject({
      state: 'no-notebook',
      text: 'Open a notebook to send this group'
    });
    expect(bridge.status).toBe(status);
    expect((await bridge.sendAllGroups(outcome)).text).toBe(
      'Open a notebook to send the groups'
    );
  });

  it('asks for a kernel when the notebook has none', async () => {
    openNotebook('Untitled.ipynb', null);
    const status = await bridge.sendGroup(outcome, big);
    expect(status.state).toBe('no-kernel');
    expect(status.text).toBe(
      'Start a kernel in Untitled.ipynb, then run `import jupyterlab_near_duplicates`'
    );
  });

  it('sends the clicked group to the kernel and says so', async () => {
    const kernel = openNotebook('Analysis.ipynb')!;
    const status = await bridge.sendGroup(outcome, small);
    expect(status).toMatchObject({
      state: 'sent',
      text: 'Sent 2 samples to Analysis.ipynb'
    });
    expect(shown.map(s => s?.state)).toEqual(['sending', 'sent']);
    expect(kernel.comms).toHaveLength(1);
    expect(kernel.comms[0].opened).toEqual({ type: 'hello', protocol: 2 });
    expect(kernel.received).toEqual([
      { ...selectMessage(result, small, 1, 0.9, outcome.scanId), seq: 1 }
    ]);
  });

  it('reuses one comm per kernel, and opens another for another notebook’s kernel', async () => {
    const first = openNotebook('a.ipynb')!;
    await bridge.sendGroup(outcome, big);
    await bridge.sendGroup(outcome, small);
    expect(first.comms).toHaveLength(1);
    expect(first.received.map(m => m.type)).toEqual(['select', 'select']);
    const second = openNotebook('b.ipynb')!;
    expect((await bridge.sendGroup(outcome, big)).text).toBe(
      'Sent 4 samples to b.ipynb'
    );
    expect(second.comms).toHaveLength(1);
    expect(first.comms).toHaveLength(1);
  });

  it('sends all groups at the current threshold', async () => {
    const kernel = openNotebook('a.ipynb')!;
    const status = await bridge.sendAllGroups(outcome);
    expect(status.text).toBe('Sent 2 groups (6 samples) to a.ipynb');
    const message = kernel.received[0];
    expect(message.type).toBe('groups');
    expect(
      message.type === 'groups' && message.groups.map(g => g.size)
    ).toEqual([4, 2]);
  });

  it('sends the keep-one plan after all groups, in the groups’ words, and alone when it changes (fake kernel)', async () => {
    const kernel = openNotebook('a.ipynb')!;
    const plan = { ...DEFAULT_PLAN, notDuplicates: [groupId(small.pointIds)] };
    const planned = computePlan(
      { groups: outcome.groups, points: result.points },
      plan
    );
    expect(bridge.sentGroupsOf(outcome.scanId)).toBe(false);
    const status = await bridge.sendAllGroups(outcome, {
      plan,
      planned,
      splitField: 'split'
    });
    expect(status.text).toBe('Sent 2 groups (6 samples) to a.ipynb');
    expect(kernel.received.map(m => m.type)).toEqual(['groups', 'plan']);
    expect(kernel.received[1]).toEqual({
      ...planMessage(result, outcome.groups, plan, planned, 'split', 'scan-1'),
      seq: 2
    });
    expect(bridge.sentGroupsOf(outcome.scanId)).toBe(true);
    expect(
      (await bridge.sendPlan(outcome, { plan, planned, splitField: 'split' }))
        .text
    ).toBe(
      'Sent the keep-one plan (keep 1, drop 3 samples (37.5%)) to a.ipynb'
    );
  });

  it('asks for the import when the kernel has no comm target, then works once imported', async () => {
    const kernel = openNotebook('plain.ipynb', new FakeKernel(false))!;
    const status = await bridge.sendGroup(outcome, big);
    expect(status).toMatchObject({
      state: 'not-imported',
      text: 'Run `import jupyterlab_near_duplicates` in plain.ipynb',
      notebook: 'plain.ipynb'
    });
    expect(kernel.received).toEqual([]);

    kernel.imported = true; // the user ran the import
    expect((await bridge.sendGroup(outcome, big)).state).toBe('sent');
    expect(kernel.comms).toHaveLength(2);
    expect(kernel.received).toHaveLength(1);
  });

  it('says a busy kernel gets the group when its cell finishes, then that it was sent', async () => {
    const kernel = openNotebook('slow.ipynb')!;
    kernel.runCell();
    const sending = bridge.sendGroup(outcome, big);
    await new Promise(resolve => setTimeout(resolve, 40));
    expect(bridge.status).toMatchObject({
      state: 'waiting',
      text: 'slow.ipynb is busy: its kernel gets 4 samples when the running cell finishes'
    });
    kernel.finishCell();
    expect(await sending).toMatchObject({
      state: 'sent',
      text: 'Sent 4 samples to slow.ipynb'
    });
    expect(bridge.status?.state).toBe('sent');
  });

  it('keeps the order of clicks made while the kernel is busy', async () => {
    const kernel = openNotebook('slow.ipynb')!;
    kernel.runCell();
    const first = bridge.sendGroup(outcome, big);
    const second = bridge.sendGroup(outcome, small);
    await flush();
    kernel.finishCell();
    await Promise.all([first, second]);
    expect(kernel.comms).toHaveLength(1);
    expect(
      kernel.received.map(m => m.type === 'select' && m.group.size)
    ).toEqual([4, 2]);
    expect(bridge.status?.text).toBe('Sent 2 samples to slow.ipynb');
  });

  it('opens a new comm after a restart', async () => {
    const kernel = openNotebook('a.ipynb')!;
    await bridge.sendGroup(outcome, big);
    kernel.restart();
    kernel.imported = true; // the notebook is run again from the top
    expect((await bridge.sendGroup(outcome, big)).state).toBe('sent');
    expect(kernel.comms).toHaveLength(2);

    kernel.restart(); // and this time the import is not run again
    expect((await bridge.sendGroup(outcome, big)).state).toBe('not-imported');
  });

  it('tells a send caught by a restart to send again', async () => {
    const kernel = openNotebook('a.ipynb')!;
    kernel.runCell();
    const sending = bridge.sendGroup(outcome, big);
    await flush();
    kernel.restart();
    const status = await sending;
    expect(status.state).toBe('restarted');
    expect(status.text).toBe(
      'The kernel of a.ipynb restarted before this group arrived: run `import jupyterlab_near_duplicates` and send again'
    );
  });

  it('reports on_select callbacks that raised', async () => {
    const kernel = openNotebook('a.ipynb')!;
    kernel.callbackErrors = [
      'nd.on_select callback show: ZeroDivisionError: division by zero'
    ];
    const status = await bridge.sendGroup(outcome, big);
    expect(status.state).toBe('sent');
    expect(status.text).toBe(
      'Sent 4 samples to a.ipynb · 1 on_select callback raised an error (the traceback is in the log console)'
    );
    expect(status.callbackErrors).toEqual(kernel.callbackErrors);
  });

  it('turns a kernel connection that cannot open comms into a status, never a throw', async () => {
    const kernel = openNotebook('a.ipynb')!;
    kernel.failOnCreate = true;
    const status = await bridge.sendGroup(outcome, big);
    expect(status).toMatchObject({
      state: 'failed',
      text: 'Could not reach the kernel of a.ipynb: Comms are disabled on this kernel connection'
    });
  });

  it('reports a message the kernel could not read', async () => {
    const kernel = openNotebook('a.ipynb')!;
    kernel.handleMsg = (comm, data) =>
      comm.reply({
        type: 'error',
        seq: data.seq,
        message: 'ValueError: a group needs a list of sample_ids'
      });
    const status = await bridge.sendGroup(outcome, big);
    expect(status.state).toBe('failed');
    expect(status.text).toContain('the kernel could not read it');
  });

  it('never lets an older send overwrite a newer status', async () => {
    const slow = openNotebook('slow.ipynb')!;
    slow.runCell();
    const old = bridge.sendGroup(outcome, big);
    openNotebook('fast.ipynb');
    await bridge.sendGroup(outcome, small);
    expect(bridge.status?.text).toBe('Sent 2 samples to fast.ipynb');
    slow.finishCell();
    expect((await old).text).toBe('Sent 4 samples to slow.ipynb');
    expect(bridge.status?.text).toBe('Sent 2 samples to fast.ipynb');
  });

  it('keeps the panel safe from a group that is not in the outcome', async () => {
    openNotebook('a.ipynb');
    const broken = { ...big, members: [999] };
    const status = await bridge.sendGroup(outcome, broken);
    expect(['sent', 'failed']).toContain(status.state);
  });
});

describe('NotebookBridge with a kernel that misbehaves (FakeKernel)', () => {
  const result = scanResult(PAIRS);
  const outcome = outcomeOf(result);
  const [big] = result.groups;
  let tracker: FakeTracker;

  beforeEach(() => {
    tracker = new FakeTracker();
  });

  function open(kernel = new FakeKernel()) {
    tracker.currentWidget = new FakeNotebook('a.ipynb', kernel);
    return kernel;
  }

  it('turns an ack with a string for callback_errors into a sentence, never a throw', async () => {
    const bridge = new NotebookBridge(tracker);
    const kernel = open();
    kernel.handleMsg = (comm, data) =>
      comm.reply({
        type: 'ack',
        seq: data.seq,
        of: 'select',
        grids: 0,
        callback_errors: 'boom'
      });
    const status = await bridge.sendGroup(outcome, big);
    expect(status).toMatchObject({
      state: 'failed',
      text:
        'Could not send this group to a.ipynb: the kernel sent a reply this panel cannot read ' +
        '(ack.callback_errors must be a list of strings): install the same ' +
        "jupyterlab-near-duplicates version in the kernel's environment and restart the kernel"
    });
    expect(status.callbackErrors).toBeUndefined();
    bridge.dispose();
  });

  it('says so when the kernel never answers, and follows an answer that comes late', async () => {
    const bridge = new NotebookBridge(tracker, {
      busyNoticeMs: 5,
      replyTimeoutMs: 40
    });
    const kernel = open();
    let late: () => void = () => undefined;
    kernel.handleMsg = (comm, data) => {
      // The handler died on this message (an overflow, before the fix): no reply, for now.
      late = () =>
        comm.reply({
          type: 'ack',
          seq: data.seq,
          of: 'select',
          grids: 0,
          callback_errors: []
        });
    };
    const status = await bridge.sendGroup(outcome, big);
    expect(status).toMatchObject({
      state: 'no-answer',
      text:
        'The kernel of a.ipynb did not answer in 0 s; is it busy? Wait for its running cell ' +
        'to finish (or interrupt it), then send this group again'
    });
    late();
    await flush();
    expect(bridge.status).toMatchObject({
      state: 'sent',
      text: 'Sent 4 samples to a.ipynb'
    });
    bridge.dispose();
  });

  it('says so when a busy kernel does not even open the comm in time, then delivers', async () => {
    const bridge = new NotebookBridge(tracker, {
      busyNoticeMs: 5,
      replyTimeoutMs: 40
    });
    const kernel = open();
    kernel.runCell();
    const status = await bridge.sendGroup(outcome, big);
    expect(status.state).toBe('no-answer');
    expect(kernel.received).toEqual([]);
    kernel.finishCell();
    await flush();
    await flush();
    expect(kernel.received).toHaveLength(1);
    expect(bridge.status?.state).toBe('sent');
    bridge.dispose();
  });

  it('asks for the import when a busy kernel without it finally closes the comm', async () => {
    const bridge = new NotebookBridge(tracker, {
      busyNoticeMs: 5,
      replyTimeoutMs: 40
    });
    const kernel = open(new FakeKernel(false));
    kernel.runCell();
    expect((await bridge.sendGroup(outcome, big)).state).toBe('no-answer');
    kernel.finishCell();
    await flush();
    expect(bridge.status).toMatchObject({
      state: 'not-imported',
      text: 'Run `import jupyterlab_near_duplicates` in a.ipynb'
    });
    bridge.dispose();
  });

  it('tells a kernel of another protocol to be updated', async () => {
    const bridge = new NotebookBridge(tracker);
    const kernel = open();
    kernel.protocol = 1;
    const status = await bridge.sendGroup(outcome, big);
    expect(status.state).toBe('failed');
    expect(status.text).toContain(
      'jupyterlab_near_duplicates 0.1.0 speaks protocol 1, this JupyterLab speaks 2'
    );
    expect(kernel.received).toEqual([]);
    bridge.dispose();
  });

  it('stops a transfer at the first part the kernel refuses', async () => {
    const bridge = new NotebookBridge(tracker, { partChars: 100 });
    const kernel = open();
    kernel.handleMsg = (comm, data) =>
      comm.reply({
        type: 'error',
        seq: data.seq,
        message: 'part must be between 0 and 1'
      });
    const status = await bridge.sendAllGroups(outcome);
    expect(status.text).toBe(
      'Could not send the groups to a.ipynb: the kernel could not read it (part must be between 0 and 1)'
    );
    expect(kernel.wire.map(m => m.type)).toEqual(['part']);
    bridge.dispose();
  });
});

describe('Send all groups of a large scan (FakeKernel)', () => {
  it('goes in parts under the websocket limit and arrives whole at the commit', async () => {
    // 40,000 pairs, as in a collection where every image was stored twice.
    const n = 80_000;
    const store = new PairStore(true, 4);
    for (let i = 0; i < n; i += 2) {
      store.add(i, i + 1, 1);
    }
    const result: IScanResult = {
      collection: 'photos',
      using: null,
      distance: 'Cosine',
      threshold: 0.95,
      points: {
        ids: Array.from({ length: n }, (_, i) => i),
        sampleIds: Array.from(
          { length: n },
          (_, i) => `images/train/photo_${String(i).padStart(6, '0')}.jpg`
        ),
        thumbnails: Array.from({ length: n }, () => null),
        splits: Array.from({ length: n }, () => null)
      },
      pairs: store.toList(),
      groups: [],
      stats: { seconds: 0, queries: 0, requests: 0, retries: 0 }
    };
    result.groups = regroup(result, 0.95);
    expect(result.groups).toHaveLength(40_000);
    const outcome = outcomeOf(result);
    const whole = groupsMessage(result, result.groups, 0.95, outcome.scanId);
    const TORNADO_MAX = 10 * 1024 * 1024;
    expect(Buffer.byteLength(JSON.stringify(whole))).toBeGreaterThan(
      TORNADO_MAX
    );

    const tracker = new FakeTracker();
    const kernel = new FakeKernel();
    tracker.currentWidget = new FakeNotebook('a.ipynb', kernel);
    const bridge = new NotebookBridge(tracker);
    const progress: string[] = [];
    bridge.statusChanged.connect((_, s) => progress.push(s?.text ?? ''));
    const status = await bridge.sendAllGroups(outcome);

    expect(status.text).toBe('Sent 40,000 groups (80,000 samples) to a.ipynb');
    const sizes = kernel.wire.map(m => Buffer.byteLength(JSON.stringify(m)));
    expect(kernel.wire.length).toBeGreaterThan(2);
    expect(Math.max(...sizes)).toBeLessThan(2 * 1024 * 1024);
    expect(kernel.wire.map(m => m.type)).toEqual([
      ...kernel.wire.slice(0, -1).map(() => 'part'),
      'commit'
    ]);
    expect(kernel.received).toEqual([whole]);
    expect(progress).toContain(
      `Sending 40,000 groups (80,000 samples) to a.ipynb… (part 2 of ${kernel.wire.length - 1})`
    );
    expect(PART_CHARS * 3).toBeLessThan(TORNADO_MAX);
    bridge.dispose();
  });
});
