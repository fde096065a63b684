// The comm protocol from the panel's side: the messages a scan's groups become, how the
// kernel's replies are read, and how a long message is cut into parts.
import { readFileSync } from 'fs';
import { join } from 'path';
import {
  groupMessage,
  groupsMessage,
  planMessage,
  selectMessage
} from '../comm/messages';
import {
  COMM_PROTOCOL,
  HELLO,
  readKernelReply,
  splitText
} from '../comm/protocol';
import { computePlan, groupId, IKeepPlan } from '../plan';
import { regroup } from '../scan/groups';
import { groupScan, recordSplit, splitParts } from '../scan/linkage';
import { PAIRS, scanResult } from './commFixtures';

/** The comm examples Python's tests read too (tests/fixtures/rules.json). */
const COMM: { name: string; from: 'panel' | 'kernel'; message: any }[] =
  JSON.parse(
    readFileSync(
      join(__dirname, '..', '..', 'tests', 'fixtures', 'rules.json'),
      'utf-8'
    )
  ).comm_protocol;
const example = (name: string) => COMM.find(e => e.name === name)!.message;

describe('the shared comm examples (tests/fixtures/rules.json)', () => {
  const result = scanResult(PAIRS);

  it('are what the panel sends: the open, a click, all groups', () => {
    expect(example('hello')).toEqual(HELLO);
    expect(example('hello').protocol).toBe(COMM_PROTOCOL);
    expect(example('select')).toEqual({
      ...selectMessage(result, result.groups[0], 0, 0.9, 'scan-1'),
      seq: 1
    });
    expect(example('groups')).toEqual({
      ...groupsMessage(result, result.groups, 0.9, 'scan-1'),
      seq: 2
    });
  });

  it('hold the keep-one plan the panel sends (a pin in one group, the other not duplicates)', () => {
    const [big, small] = result.groups;
    const plan: IKeepPlan = {
      rules: [{ kind: 'central' }],
      pins: { [groupId(big.pointIds)]: 102 },
      notDuplicates: [groupId(small.pointIds)]
    };
    const planned = computePlan(
      {
        groups: result.groups,
        points: result.points,
        pairs: {
          pairs: result.pairs,
          distance: result.distance,
          floor: result.threshold
        }
      },
      plan
    );
    expect(example('plan')).toEqual({
      ...planMessage(result, result.groups, plan, planned, 'split', 'scan-1'),
      seq: 6
    });
  });

  it('cut the groups message into parts the way the panel does', () => {
    const parts = COMM.filter(e => e.message.type === 'part').map(
      e => e.message
    );
    const text = JSON.stringify(
      groupsMessage(result, result.groups, 0.9, 'scan-1')
    );
    expect(parts.map(p => p.text)).toEqual(
      splitText(text, parts[0].text.length)
    );
    expect(example('commit')).toEqual({
      type: 'commit',
      seq: 3 + parts.length,
      transfer: parts[0].transfer,
      parts: parts.length
    });
  });

  it.each(COMM.filter(e => e.from === 'kernel').map(e => [e.name, e.message]))(
    'the panel reads the kernel’s %s as it is',
    (_, message) => {
      expect(readKernelReply(message)).toEqual(message);
    }
  );
});

/**
 * A path 0-1-2-3 with no link between its ends: complete linkage joins 2-3 first (0.995), then
 * 1 cannot join them (no 1-3 link) and pairs with 0: {2,3} and {0,1}.
 */
const SPLIT_PAIRS: [number, number, number][] = [
  [0, 1, 0.95],
  [1, 2, 0.99],
  [2, 3, 0.995]
];

describe('the message a group click sends', () => {
  const result = scanResult(PAIRS);
  const [big, small] = result.groups;

  it('carries the group in snake_case, each score the sample’s closest link', () => {
    expect(selectMessage(result, big, 0, 0.9, 'scan-1')).toEqual({
      type: 'select',
      group: {
        sample_ids: ['s0', 's1', 's2', 's3'],
        point_ids: [100, 101, 102, 'uuid-3'],
        scores: [0.99, 0.99, 0.97, 0.92],
        representative: 's2',
        size: 4,
        group_index: 0,
        threshold: 0.9,
        distance: 'Cosine',
        collection: 'images',
        scan_id: 'scan-1'
      }
    });
  });

  it('rounds float32 scores to six decimals', () => {
    const message = groupMessage(result, small, 1, 0.9, 'scan-1');
    expect(message.scores).toEqual([0.93, 0.93]);
    expect(message.group_index).toBe(1);
  });

  it('counts only links that pass a stricter threshold', () => {
    const stricter = regroup(result, 0.96);
    expect(stricter[0].members).toEqual([0, 1, 2]);
    expect(groupMessage(result, stricter[0], 0, 0.96, 'x').scores).toEqual([
      0.99, 0.99, 0.97
    ]);
  });

  it('takes the smallest distance for Euclid collections', () => {
    const euclid = scanResult(
      [
        [0, 1, 0.1],
        [1, 2, 0.3]
      ],
      4,
      'Euclid',
      0.5
    );
    expect(groupMessage(euclid, euclid.groups[0], 0, 0.5, 'e').scores).toEqual([
      0.1, 0.1, 0.3
    ]);
    expect(groupMessage(euclid, euclid.groups[0], 0, 0.5, 'e').distance).toBe(
      'Euclid'
    );
  });

  it('after a Split, each score is the closest link inside the sample’s own group', () => {
    // {0,1,2,3} at 0.90 splits at its weakest link (2-3, 0.92): {0,1,2}, and 3 alone.
    const [chain] = result.groups;
    const shaped = groupScan(result, 0.9, {
      splits: [recordSplit(chain, splitParts(result, chain))]
    });
    expect(shaped.map(g => g.members)).toEqual([
      [0, 1, 2],
      [5, 6]
    ]);
    const path = scanResult(SPLIT_PAIRS);
    const complete = groupScan(path, 0.9, { linkage: 'complete' });
    expect(complete.map(g => g.members)).toEqual([
      [2, 3],
      [0, 1]
    ]);
    // Point 1's closest link (0.99, to 2) crosses groups: its closest inside is 0.95.
    const all = groupsMessage(path, complete, 0.9, 's');
    expect(all.groups.map(g => g.scores)).toEqual([
      [0.995, 0.995],
      [0.95, 0.95]
    ]);
    expect(selectMessage(path, complete[1], 1, 0.9, 's').group.scores).toEqual([
      0.95, 0.95
    ]);
  });

  it('sends all groups as the same dicts as single clicks', () => {
    const all = groupsMessage(result, result.groups, 0.9, 'scan-1');
    expect(all.type).toBe('groups');
    expect(all.collection).toBe('images');
    expect(all.groups).toEqual([
      groupMessage(result, big, 0, 0.9, 'scan-1'),
      groupMessage(result, small, 1, 0.9, 'scan-1')
    ]);
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
  });
});

describe('reading what the kernel sends', () => {
  it.each([
    [
      { type: 'ack', seq: 1, of: 'select', grids: 0, callback_errors: 'boom' },
      'ack.callback_errors must be a list of strings'
    ],
    [
      { type: 'ack', seq: 1, of: 'select', grids: 0, callback_errors: [1] },
      'ack.callback_errors must be a list of strings'
    ],
    [
      { type: 'ack', seq: 1, of: 'select', grids: '2', callback_errors: [] },
      'ack.grids must be a whole number, not a string'
    ],
    [
      { type: 'ack', seq: 1, of: 'rename', grids: 0, callback_errors: [] },
      'ack.of must be'
    ],
    [
      { type: 'ack', seq: 1e400, of: 'select', grids: 0 },
      'ack.seq must be a whole number'
    ],
    [
      { type: 'ack', seq: -1, of: 'select', grids: 0 },
      'ack.seq must be a whole number'
    ],
    [
      { type: 'error', seq: 1, message: { text: 'x' } },
      'error.message must be a string, not a object'
    ],
    [{ type: 'ready', protocol: '2' }, 'ready.protocol must be a whole number'],
    [{ type: 'hello' }, 'unknown reply type "hello"'],
    ['ack', 'a reply must be an object, not a string'],
    [[1, 2], 'a reply must be an object, not a list'],
    [null, 'a reply must be an object, not null']
  ])('names the field at fault in %j', (data, problem) => {
    const reply = readKernelReply(data);
    expect(reply.type).toBe('unreadable');
    expect(reply.type === 'unreadable' && reply.problem).toContain(problem);
  });

  it('ignores fields it does not know and keeps the ones it does', () => {
    expect(
      readKernelReply({
        type: 'ack',
        seq: 3,
        of: 'groups',
        grids: 0,
        callback_errors: [],
        extra: [1]
      })
    ).toEqual({
      type: 'ack',
      seq: 3,
      of: 'groups',
      grids: 0,
      callback_errors: []
    });
  });

  it('cuts what it shows of a flood of callback errors', () => {
    const reply = readKernelReply({
      type: 'ack',
      seq: 3,
      of: 'select',
      grids: 0,
      callback_errors: Array.from({ length: 1000 }, () => 'x'.repeat(10_000))
    });
    expect(reply.type === 'ack' && reply.callback_errors.length).toBe(21);
    expect(reply.type === 'ack' && reply.callback_errors[0].length).toBe(500);
  });
});

describe('splitting a long message', () => {
  it('never cuts a surrogate pair, and the parts join back into the text', () => {
    const text = 'ab😀cd😀😀e'.repeat(50);
    for (const size of [2, 3, 4, 7]) {
      const parts = splitText(text, size);
      expect(parts.join('')).toBe(text);
      for (const part of parts) {
        expect(part.length).toBeLessThanOrEqual(size);
        expect(/[\ud800-\udbff]$/.test(part)).toBe(false);
      }
    }
  });
});
