// One group up close (issue 15): its members' thumbnails, their pairwise scores as a heat map
// with the weakest link outlined, its diameter, and Split, which replaces the group by the
// parts a cut at its weakest links leaves. Pure React: the panel passes the numbers in.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount, formatQuantity, formatScore } from '../format';
import type { IDiameter } from '../scan/chain';
import {
  neighboursOf,
  pairsWithin,
  SPANNING_ORDER_MAX,
  spanningOrder
} from '../scan/linkage';
import { higherIsBetter, passes } from '../scan/metric';
import type { IScanOutcome } from '../modelTypes';
import type { IGroupDecision } from '../plan';
import type { IDuplicateGroup, IScanResult } from '../scan/types';
import type { IThumbnailPolicy } from '../thumbnails';
import { describeDiameter, memberName } from './chainWords';
import { ReviewMark } from './ReviewBadge';
import { untranslated } from '../translation';
import { Thumbnail } from './Thumbnail';

/** Members shown in the thumbnails and the heat map; a larger group shows these first. */
export const DETAIL_MAX_MEMBERS = 24;
/** Colour steps of the heat map, from just past the threshold to identical. */
const HEAT_STEPS = 5;

export interface IGroupDetailProps {
  group: IDuplicateGroup;
  /** The group's position in the list, from 0. */
  index: number;
  /** The scan: points, kept pairs, distance and floor (its threshold). */
  result: IScanResult;
  /** The threshold the groups on show were formed at. */
  threshold: number;
  diameter: IDiameter | null;
  /** The chained mark's text, or null when the group is not chained. */
  chained: string | null;
  /** The parts a Split would leave (groups of two members or more). */
  parts: number[][];
  thumbnails: IThumbnailPolicy;
  onSplit: () => void;
  onClose: () => void;
  /**
   * The keep-one plan's decision on this group (issue 14): a click on a member's thumbnail
   * pins it as the keeper (again: unpins), and the group can be marked "not duplicates".
   * Absent: no plan controls.
   */
  decision?: IGroupDecision | null;
  onPin?: (member: number | null) => void;
  onNotDuplicates?: (marked: boolean) => void;
  trans?: TranslationBundle;
}

/**
 * A score short enough for a heat-map cell (the cell's label has it in full): two decimals
 * without the leading zero for similarities (".97", and "1" from 0.995), two significant
 * digits for distances ("0.31").
 */
export function cellScore(score: number, similarity: boolean): string {
  if (!Number.isFinite(score)) {
    return '?';
  }
  if (!similarity) {
    return String(Number(score.toPrecision(2)));
  }
  const two = score.toFixed(2);
  return two === '1.00' ? '1' : two.replace(/^(-?)0\./, '$1.');
}

/** How far past the threshold a passing score is, in heat steps 1 to HEAT_STEPS. */
function heatStep(
  score: number,
  threshold: number,
  similarity: boolean
): number {
  const span = similarity ? 1 - threshold : threshold;
  const past = similarity ? score - threshold : threshold - score;
  const step = span > 0 ? Math.ceil((past / span) * HEAT_STEPS) : HEAT_STEPS;
  return Math.max(1, Math.min(HEAT_STEPS, step));
}

export function GroupDetail(props: IGroupDetailProps): JSX.Element {
  const {
    group,
    index,
    result,
    threshold,
    diameter,
    chained,
    parts,
    thumbnails,
    onSplit,
    onClose,
    decision,
    onPin,
    onNotDuplicates,
    trans = untranslated
  } = props;
  const { distance, points } = result;
  const similarity = higherIsBetter(distance);
  const name = memberName(points);
  const back = React.useRef<HTMLButtonElement>(null);
  const captionId = React.useId();
  React.useEffect(() => back.current?.focus(), [group.key]);

  // Every kept pair among the members, and the order that keeps tight parts together.
  const { shown, score } = React.useMemo(() => {
    // A very large group shows its first members, and only their pairs are read.
    const large = group.members.length > SPANNING_ORDER_MAX;
    const neighbours = neighboursOf(result);
    const all = large ? [] : pairsWithin(neighbours, group.members, distance);
    const order = large
      ? group.members.slice(0, DETAIL_MAX_MEMBERS)
      : spanningOrder(
          group.members,
          all.filter(l => passes(l.score, threshold, distance)),
          distance
        ).slice(0, DETAIL_MAX_MEMBERS);
    const links = large ? pairsWithin(neighbours, order, distance) : all;
    const scores = new Map<string, number>();
    for (const l of links) {
      scores.set(`${l.a} ${l.b}`, l.score);
      scores.set(`${l.b} ${l.a}`, l.score);
    }
    return { shown: order, score: scores };
  }, [result, group, threshold]);

  const size = group.members.length;
  const weak = group.weakestLink;
  const isWeakest = (a: number, b: number): boolean =>
    (a === weak.a && b === weak.b) || (a === weak.b && b === weak.a);
  const number = new Map(shown.map((m, i) => [m, i + 1]));
  const heading = `Group ${formatCount(index + 1)}: ${formatQuantity(size, 'sample')}`;
  const splitWords =
    parts.length === 0
      ? 'no two members hold together more tightly than the weakest link, so the group dissolves'
      : `into ${parts.map(p => formatCount(p.length)).join(' + ')} samples` +
        (parts.reduce((n, p) => n + p.length, 0) < size
          ? `, ${formatQuantity(size - parts.reduce((n, p) => n + p.length, 0), 'sample')} left alone`
          : '');

  return (
    <section
      className="jp-NearDuplicates-groupDetail"
      aria-label={`Details of group ${formatCount(index + 1)}`}
      onKeyDown={event => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          onClose();
        }
      }}
    >
      <button
        ref={back}
        type="button"
        className="jp-NearDuplicates-button jp-NearDuplicates-detailBack"
        onClick={onClose}
        aria-label="Back to the groups"
        title="Back to the groups (Escape)"
      >
        ‹ Groups
      </button>
      <div className="jp-NearDuplicates-detailHeader">
        <span className="jp-NearDuplicates-groupTitle">{heading}</span>
        {chained ? (
          <span
            className="jp-NearDuplicates-badge jp-NearDuplicates-chainedBadge"
            title={chained}
            aria-label={chained}
          >
            chained
          </span>
        ) : null}
      </div>
      <dl className="jp-NearDuplicates-detailFacts">
        <dt>Weakest link</dt>
        <dd>
          {`${formatScore(weak.score, distance)} (${name(weak.a)} and ${name(weak.b)})`}
        </dd>
        <dt>{similarity ? 'Least alike pair' : 'Farthest pair'}</dt>
        <dd>
          {diameter
            ? describeDiameter(diameter, result.threshold, distance, name)
            : '?'}
        </dd>
      </dl>
      <div className="jp-NearDuplicates-detailSplit">
        <button
          type="button"
          className="jp-NearDuplicates-button jp-NearDuplicates-splitButton"
          onClick={onSplit}
          disabled={size < 3}
          title={
            size < 3
              ? 'A pair has nothing to split'
              : `Cut the group at its weakest link (${formatScore(weak.score, distance)})`
          }
        >
          Split
        </button>
        <span className="jp-NearDuplicates-detailSplitText">
          {size < 3
            ? 'A pair has nothing to split.'
            : `At the weakest link: ${splitWords}.`}
        </span>
      </div>
      {shown.length < size ? (
        <p className="jp-NearDuplicates-hint">
          {size > SPANNING_ORDER_MAX
            ? `Showing the first ${formatCount(shown.length)} of ${formatQuantity(size, 'member')}.`
            : `Showing ${formatCount(shown.length)} of ${formatQuantity(size, 'member')}, the most alike together.`}
        </p>
      ) : null}
      <p id={captionId} className="jp-NearDuplicates-heatmapCaption">
        {similarity
          ? 'Pairwise similarity: darker is more alike, the weakest link is outlined, – is at or below the scan’s floor.'
          : 'Pairwise distance: darker is nearer, the weakest link is outlined, – is at or beyond the scan’s floor.'}
      </p>
      <div className="jp-NearDuplicates-heatmapScroll">
        <table
          className="jp-NearDuplicates-heatmap"
          aria-labelledby={captionId}
        >
          <thead>
            <tr>
              <td />
              {shown.map(m => (
                <th key={m} scope="col" title={name(m)} aria-label={name(m)}>
                  {number.get(m)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map(a => (
              <tr key={a}>
                <th scope="row" title={name(a)} aria-label={name(a)}>
                  {number.get(a)}
                </th>
                {shown.map(b => {
                  if (a === b) {
                    return (
                      <td
                        key={b}
                        className="jp-NearDuplicates-heatSelf"
                        aria-label={`${name(a)} itself`}
                      />
                    );
                  }
                  const s = score.get(`${a} ${b}`);
                  const pair = `${name(a)} and ${name(b)}`;
                  if (s === undefined) {
                    return (
                      <td
                        key={b}
                        className="jp-NearDuplicates-heatMissing"
                        title={`${pair}: at or ${similarity ? 'below' : 'beyond'} the scan’s floor`}
                        aria-label={`${pair}: at or ${similarity ? 'below' : 'beyond'} the scan’s floor`}
                      >
                        –
                      </td>
                    );
                  }
                  const weakest = isWeakest(a, b);
                  const pass = passes(s, threshold, distance);
                  const words =
                    `${pair}: ${formatScore(s, distance)}` +
                    (weakest ? ', the weakest link' : '') +
                    (pass ? '' : ', does not pass the threshold');
                  return (
                    <td
                      key={b}
                      className={
                        (pass
                          ? `jp-NearDuplicates-heat${heatStep(s, threshold, similarity)}`
                          : 'jp-NearDuplicates-heatFail') +
                        (weakest ? ' jp-NearDuplicates-heatWeakest' : '')
                      }
                      title={words}
                      aria-label={words}
                    >
                      {cellScore(s, similarity)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {decision && onNotDuplicates ? (
        <div className="jp-NearDuplicates-detailPlan">
          <button
            type="button"
            className={
              'jp-NearDuplicates-button jp-NearDuplicates-notDuplicatesButton' +
              (decision.notDuplicates ? ' jp-mod-active' : '')
            }
            aria-pressed={decision.notDuplicates}
            onClick={() => onNotDuplicates(!decision.notDuplicates)}
            title={
              decision.notDuplicates
                ? trans.__('Put this group back into the keep-one plan')
                : trans.__(
                    'A false group: keep all its members, leave it out of the keep-one plan'
                  )
            }
          >
            {trans.__('Not duplicates')}
          </button>
          <span className="jp-NearDuplicates-detailPlanText">
            {decision.notDuplicates
              ? trans.__(
                  'Marked not duplicates: the plan keeps all its members.'
                )
              : decision.pinned
                ? trans.__(
                    'Keeps %1 (pinned). Click its thumbnail to let the rules choose.',
                    name(decision.keeper!)
                  )
                : trans.__(
                    'Keeps %1 by the plan’s rules. Click a thumbnail to keep that one.',
                    name(decision.keeper!)
                  )}
          </span>
        </div>
      ) : null}
      <ol className="jp-NearDuplicates-detailMembers" aria-label="Members">
        {shown.map((m, i) => {
          const keeper = !!decision && decision.keeper === m;
          const preview = (
            <ReviewMark
              tag={points.reviews?.[m]}
              name={name(m)}
              distance={distance}
            >
              <Thumbnail
                value={points.thumbnails[m]}
                policy={thumbnails}
                label={name(m)}
              />
            </ReviewMark>
          );
          return (
            <li
              key={m}
              className={
                'jp-NearDuplicates-detailMember' +
                (keeper ? ' jp-NearDuplicates-keeper' : '')
              }
            >
              <span className="jp-NearDuplicates-detailNumber">{i + 1}</span>
              {decision && onPin && !decision.notDuplicates ? (
                <button
                  type="button"
                  className="jp-NearDuplicates-keepButton"
                  aria-pressed={keeper && decision.pinned}
                  aria-label={
                    keeper && decision.pinned
                      ? trans.__('%1, pinned keeper: unpin', name(m))
                      : keeper
                        ? trans.__('%1, kept by the rules: pin it', name(m))
                        : trans.__('Keep %1 (pin it as the keeper)', name(m))
                  }
                  title={
                    keeper && decision.pinned
                      ? trans.__('Pinned keeper: click to let the rules choose')
                      : trans.__('Keep this one: pin it as the group’s keeper')
                  }
                  onClick={() => onPin(keeper && decision.pinned ? null : m)}
                >
                  {preview}
                </button>
              ) : (
                preview
              )}
              {keeper ? (
                <span className="jp-NearDuplicates-keeperMark">
                  {decision!.pinned ? trans.__('pinned') : trans.__('keep')}
                </span>
              ) : null}
              <span className="jp-NearDuplicates-detailName" title={name(m)}>
                {name(m)}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** The line above the list that opens the selected group's details. */
export function SelectedGroupBar(props: {
  outcome: IScanOutcome;
  group: IDuplicateGroup | null;
  onOpen: (group: IDuplicateGroup) => void;
}): JSX.Element | null {
  const { outcome, group, onOpen } = props;
  const index = group ? outcome.groups.indexOf(group) : -1;
  if (!group || index < 0) {
    return null;
  }
  const what = `Group ${formatCount(index + 1)}: ${formatQuantity(group.members.length, 'sample')}`;
  return (
    <div className="jp-NearDuplicates-selectedBar">
      <span>{`Selected: ${what}`}</span>
      <button
        type="button"
        className="jp-NearDuplicates-button"
        onClick={() => onOpen(group)}
        title="Its members side by side, their pairwise scores, and Split"
      >
        Details
      </button>
    </div>
  );
}
