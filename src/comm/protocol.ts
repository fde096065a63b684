// The messages on the comm between the panel and a kernel, defined here once, and the
// readers of the kernel's replies. Python's jupyterlab_near_duplicates/selection.py mirrors
// them; tests/fixtures/rules.json ("comm") holds examples both sides check.
import type { KernelRule } from '../plan';
import type { DistanceKind, PointId } from '../scan/types';

/** The comm target that `import jupyterlab_near_duplicates` registers in a kernel. */
export const COMM_TARGET = 'jupyterlab-near-duplicates';

/** Bumped when a message changes shape; the kernel answers `ready` with its own. */
export const COMM_PROTOCOL = 2;

/** The comm's open message; the kernel answers `ready` with its own protocol. */
export const HELLO = { type: 'hello', protocol: COMM_PROTOCOL } as const;

/** The import a user runs in a notebook to receive groups. */
export const IMPORT_HINT = 'import jupyterlab_near_duplicates';

/**
 * A message whose JSON text is longer than this travels in parts. Jupyter's server drops a
 * websocket message over tornado's `websocket_max_message_size` (10 MiB by default, and
 * jupyter_server keeps it), and "Send all groups" of 40,000 groups is about 13 MB. A UTF-16
 * unit takes at most 3 bytes in UTF-8, so a part stays under 1.5 MiB with its envelope.
 */
export const PART_CHARS = 512 * 1024;

// The messages (snake_case, as Python reads them).
//
// Front end -> kernel:
//   comm_open data {type: 'hello', protocol}
//   {type: 'select', seq, group: GroupMessage}
//   {type: 'groups', seq, scan_id, collection, threshold, distance, groups: GroupMessage[]}
//   {type: 'plan', seq, scan_id, collection, rules, split_field, problem, groups: [{id, keeper, pinned}]}
//   {type: 'labels', seq, collection, labels: LabelRow[]}  the collection's labelled pairs
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

export type SelectMessage = {
  type: 'select';
  seq?: number;
  group: GroupMessage;
};

export type GroupsMessage = {
  type: 'groups';
  seq?: number;
  scan_id: string;
  collection: string;
  threshold: number;
  distance: DistanceKind;
  groups: GroupMessage[];
  /** The scan's own estimate of its pair recall (IRecallEstimate); null without an audit. */
  recall: {
    estimate: number | null;
    low: number | null;
    high: number | null;
    sampled: number;
    route: string;
  } | null;
};

/**
 * The panel's keep-one plan (issue 14): what `nd.plan()` with no arguments returns. Sent after
 * "Send all groups" and again, debounced, when the plan changes. Groups are named by plan.ts
 * groupId (the kernel's planning.group_id), so a plan for other groups than the kernel holds
 * is told apart.
 */
export type PlanMessage = {
  type: 'plan';
  seq?: number;
  scan_id: string;
  collection: string;
  /** The rules in nd.plan's keep= form, 'first' last: "central", ["max", "width"], ["split", [...]]. */
  rules: KernelRule[];
  /** The payload field the scan read the split from (the panel's splitField), or null. */
  split_field: string | null;
  /** Why the panel has no plan (a rule's field of mixed types...), or null. */
  problem: string | null;
  /** One per group on show, in the panel's order: the point kept (null: marked not duplicates). */
  groups: { id: string; keeper: PointId | null; pinned: boolean }[];
};

/** One labelled pair (labels.ts), as `nd.labels()` holds it. */
export type LabelRow = {
  /** The pair's point ids, in the order of the panel's key; the pair has no other order. */
  point_ids: [PointId, PointId];
  sample_ids: [string, string];
  /** The pair's score when it was labelled (a similarity, or a distance). */
  score: number;
  label: 'duplicate' | 'not';
  /** The vector and distance the score was measured with. */
  using: string | null;
  distance: DistanceKind;
  /** When it was labelled, in ms since the epoch. */
  labelled_at: number;
};

/** Every labelled pair of one collection: sent when a label changes, and with all groups. */
export type LabelsMessage = {
  type: 'labels';
  seq?: number;
  collection: string;
  labels: LabelRow[];
};

export type NotebookMessage =
  SelectMessage | GroupsMessage | PlanMessage | LabelsMessage;

export type PartMessage = {
  type: 'part';
  seq: number;
  transfer: string;
  part: number;
  parts: number;
  text: string;
};

export type CommitMessage = {
  type: 'commit';
  seq: number;
  transfer: string;
  parts: number;
};

export type WireMessage =
  (NotebookMessage & { seq: number }) | PartMessage | CommitMessage;

export type ReadyReply = { type: 'ready'; protocol: number; version: string };
export type AckReply = {
  type: 'ack';
  seq: number;
  of: 'select' | 'groups' | 'plan' | 'labels' | 'part';
  grids: number;
  callback_errors: string[];
};
export type ErrorReply = { type: 'error'; seq: number | null; message: string };
export type KernelReply = ReadyReply | AckReply | ErrorReply;

/** A reply that is not one of the protocol's: why, and its seq when that much was readable. */
export type UnreadableReply = {
  type: 'unreadable';
  seq: number | null;
  problem: string;
};

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
      return unreadable(
        seq,
        `unknown reply type ${cut(JSON.stringify(data.type) ?? 'undefined', 60)}`
      );
  }
}

function readReady(
  data: Record<string, unknown>
): ReadyReply | UnreadableReply {
  if (!isSeq(data.protocol)) {
    return unreadable(
      null,
      `ready.protocol must be a whole number, not ${kindOf(data.protocol)}`
    );
  }
  const version =
    typeof data.version === 'string' ? cut(data.version, 60) : 'unknown';
  return { type: 'ready', protocol: data.protocol, version };
}

function readAck(
  data: Record<string, unknown>,
  seq: number | null
): AckReply | UnreadableReply {
  if (seq === null) {
    return unreadable(
      null,
      `ack.seq must be a whole number, not ${kindOf(data.seq)}`
    );
  }
  if (
    data.of !== 'select' &&
    data.of !== 'groups' &&
    data.of !== 'plan' &&
    data.of !== 'labels' &&
    data.of !== 'part'
  ) {
    return unreadable(
      seq,
      'ack.of must be "select", "groups", "plan", "labels" or "part"'
    );
  }
  if (!isSeq(data.grids)) {
    return unreadable(
      seq,
      `ack.grids must be a whole number, not ${kindOf(data.grids)}`
    );
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
    callback_errors: (errors as string[])
      .slice(0, MAX_SHOWN_ERRORS)
      .map(e => cut(e, MAX_TEXT))
  };
}

function readError(
  data: Record<string, unknown>,
  seq: number | null
): ErrorReply | UnreadableReply {
  if (typeof data.message !== 'string') {
    return unreadable(
      seq,
      `error.message must be a string, not ${kindOf(data.message)}`
    );
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
