// The groups of a scan, largest first, in a windowed list: rows share one height and only
// the rows in view (plus a few either side) are in the DOM, so 10,000 groups scroll smoothly.
// The shared height is measured from the rows on show (a narrow sidebar wraps their text),
// and the thumbnail strip holds as many previews as the list's width fits.
// The list is a listbox: arrows, Page keys, Home and End move between groups; Enter or a
// click selects one.
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import {
  crossedSplits,
  formatCount,
  formatScore,
  formatThreshold
} from '../format';
import { higherIsBetter } from '../scan/metric';
import type { DistanceKind, IDuplicateGroup, IScanPoints } from '../scan/types';
import { ReviewBadge, ReviewMark } from './ReviewBadge';
import { Thumbnail } from './Thumbnail';
import type { IThumbnailPolicy } from '../thumbnails';
import { untranslated } from '../translation';

/** A row's height in pixels until the rows on show have been measured (and in tests). */
export const GROUP_ROW_HEIGHT = 96;
/** Rows rendered beyond each edge of the view, so a fast scroll does not show blanks. */
export const GROUP_OVERSCAN = 4;
/** Thumbnails shown per group until the list's width is known (and in tests). */
export const THUMBNAILS_PER_GROUP = 6;
/** A thumbnail's side and the gap between thumbnails (style/panel.css), in pixels. */
const THUMBNAIL_SIZE = 40;
const THUMBNAIL_GAP = 4;
/** A row's horizontal padding (style/panel.css), in pixels. */
const ROW_PADDING_X = 16;
/** Previews never exceed this, however wide the sidebar. */
const MAX_THUMBNAILS = 24;
/** A generous width of one character of the "+n" (--jp-ui-font-size0), in pixels. */
const MORE_CHAR_WIDTH = 8;
/** Used until the scroll container has been measured (and in tests, where nothing has a size). */
const FALLBACK_VIEWPORT_HEIGHT = 480;

export interface IGroupListProps {
  /** The groups, in the order to show them (largest first). */
  groups: IDuplicateGroup[];
  /** The scan's points: sample ids, thumbnails and splits by member index. */
  points: IScanPoints;
  distance: DistanceKind;
  /** The threshold these groups were formed at. */
  threshold: number;
  /** Where thumbnails may load from (Jupyter's `/files/` for paths, the remote-URL rules). */
  thumbnails: IThumbnailPolicy;
  /** The selected group's key, or null. */
  selectedKey: number | null;
  onSelect: (group: IDuplicateGroup) => void;
  /** The chained mark's text alternative for a group, or null when it is not chained. */
  chainedTitle?: (group: IDuplicateGroup) => string | null;
  /** Whether the user marked a group "not duplicates" (left out of the keep-one plan). */
  notDuplicates?: (group: IDuplicateGroup) => boolean;
  /** A fixed height for the scroll container in pixels; by default CSS sizes it and it is measured. */
  viewportHeight?: number;
  trans?: TranslationBundle;
}

/** The window of rows to render: [start, end) with overscan, for a scroll offset and a view height. */
export function visibleRows(
  count: number,
  scrollTop: number,
  viewHeight: number,
  rowHeight = GROUP_ROW_HEIGHT,
  overscan = GROUP_OVERSCAN
): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const inView = Math.ceil(Math.max(viewHeight, rowHeight) / rowHeight) + 1;
  return {
    start: Math.max(0, Math.min(first, count) - overscan),
    end: Math.min(count, first + inView + overscan)
  };
}

/**
 * How many thumbnails a group of `size` shows in a row `width` pixels wide: all when they
 * fit, else as many as leave room for the "+n" that counts the rest. THUMBNAILS_PER_GROUP
 * (and a "+n") while the width is unknown.
 */
export function thumbnailsShown(size: number, width: number): number {
  if (!(width > 0)) {
    return Math.min(size, THUMBNAILS_PER_GROUP);
  }
  const room = width - ROW_PADDING_X;
  const strip = (k: number): number =>
    k * (THUMBNAIL_SIZE + THUMBNAIL_GAP) - THUMBNAIL_GAP;
  if (size <= MAX_THUMBNAILS && strip(size) <= room) {
    return size;
  }
  for (let k = Math.min(size, MAX_THUMBNAILS) - 1; k > 1; k--) {
    const more = `+${formatCount(size - k)}`;
    if (strip(k) + THUMBNAIL_GAP + more.length * MORE_CHAR_WIDTH <= room) {
      return k;
    }
  }
  return 1;
}

/** The group's members in preview order: the best-connected one first, then by index. */
function previewMembers(group: IDuplicateGroup): number[] {
  const rest = group.members.filter(m => m !== group.representative);
  return group.representative >= 0 ? [group.representative, ...rest] : rest;
}

export function GroupList(props: IGroupListProps): JSX.Element {
  const {
    groups,
    points,
    distance,
    threshold,
    thumbnails,
    selectedKey,
    onSelect,
    chainedTitle,
    notDuplicates,
    viewportHeight,
    trans = untranslated
  } = props;
  const count = groups.length;
  const listId = React.useId();
  const viewport = React.useRef<HTMLDivElement>(null);
  const scrollTop = React.useRef(0);
  const [firstRow, setFirstRow] = React.useState(0);
  const [measured, setMeasured] = React.useState(0);
  const [width, setWidth] = React.useState(0);
  const [rowHeight, setRowHeight] = React.useState(GROUP_ROW_HEIGHT);
  // The tallest row content seen at the current width: rows share its height.
  const tallest = React.useRef({ width: 0, height: 0 });
  const [active, setActive] = React.useState(() =>
    Math.max(
      0,
      groups.findIndex(g => g.key === selectedKey)
    )
  );
  // Set by a key press, so focus follows the active row once it is rendered.
  const focusPending = React.useRef(false);

  const viewHeight =
    viewportHeight ?? (measured > 0 ? measured : FALLBACK_VIEWPORT_HEIGHT);
  const activeIndex = Math.min(active, Math.max(0, count - 1));
  const pageRows = Math.max(1, Math.floor(viewHeight / rowHeight) - 1);

  React.useLayoutEffect(() => {
    const node = viewport.current;
    if (!node) {
      return;
    }
    const measure = () => {
      if (viewportHeight === undefined) {
        setMeasured(node.clientHeight);
      }
      setWidth(node.clientWidth);
    };
    measure();
    if (typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, [viewportHeight, count > 0]);

  // Rows share the height of the tallest row content on show; a new width measures afresh
  // (text that wrapped in a narrow sidebar may not wrap in a wide one).
  React.useLayoutEffect(() => {
    const node = viewport.current;
    if (!node) {
      return;
    }
    const rows = node.querySelectorAll<HTMLElement>('.jp-NearDuplicates-group');
    if (rows.length === 0) {
      return;
    }
    // Below the last line of a row: its bottom padding and border.
    const style = getComputedStyle(rows[0]);
    const below =
      (parseFloat(style.paddingBottom) || 0) +
      (parseFloat(style.borderBottomWidth) || 0);
    let content = 0;
    rows.forEach(row => {
      const last = row.lastElementChild as HTMLElement | null;
      if (last) {
        content = Math.max(content, last.offsetTop + last.offsetHeight);
      }
    });
    if (content <= 0) {
      return; // no layout engine (tests)
    }
    content += below;
    const seen = tallest.current;
    tallest.current =
      seen.width === width
        ? { width, height: Math.max(seen.height, content) }
        : { width, height: content };
    const next = Math.ceil(tallest.current.height);
    if (next !== rowHeight) {
      setRowHeight(next);
      setFirstRow(Math.floor(scrollTop.current / next));
    }
  });

  const scrollTo = React.useCallback(
    (top: number) => {
      const node = viewport.current;
      scrollTop.current = Math.max(0, top);
      if (node) {
        node.scrollTop = scrollTop.current;
      }
      setFirstRow(Math.floor(scrollTop.current / rowHeight));
    },
    [rowHeight]
  );

  /** Scrolls just enough for row i to be wholly in view. */
  const reveal = React.useCallback(
    (i: number) => {
      // Read the height now: on mount it has not reached state yet.
      const height =
        viewportHeight ??
        (viewport.current?.clientHeight || FALLBACK_VIEWPORT_HEIGHT);
      const top = i * rowHeight;
      if (top < scrollTop.current) {
        scrollTo(top);
      } else if (top + rowHeight > scrollTop.current + height) {
        scrollTo(top + rowHeight - height);
      }
    },
    [scrollTo, viewportHeight, rowHeight]
  );

  // The selection restored with the panel starts in view.
  React.useLayoutEffect(() => {
    if (activeIndex > 0) {
      reveal(activeIndex);
    }
    // Only on mount: later moves reveal their own rows.
  }, []);

  React.useEffect(() => {
    if (!focusPending.current) {
      return;
    }
    focusPending.current = false;
    const row = viewport.current?.querySelector<HTMLElement>(
      `[data-index="${activeIndex}"]`
    );
    row?.focus({ preventScroll: true });
  });

  const moveTo = (i: number): void => {
    const next = Math.max(0, Math.min(count - 1, i));
    setActive(next);
    reveal(next);
    focusPending.current = true;
  };

  const onKeyDown = (event: React.KeyboardEvent): void => {
    if (count === 0) {
      return;
    }
    switch (event.key) {
      case 'ArrowDown':
        moveTo(activeIndex + 1);
        break;
      case 'ArrowUp':
        moveTo(activeIndex - 1);
        break;
      case 'PageDown':
        moveTo(activeIndex + pageRows);
        break;
      case 'PageUp':
        moveTo(activeIndex - pageRows);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(count - 1);
        break;
      case 'Enter':
      case ' ':
        onSelect(groups[activeIndex]);
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const samples = React.useMemo(
    () => groups.reduce((sum, g) => sum + g.members.length, 0),
    [groups]
  );
  const similarity = higherIsBetter(distance);
  const t = formatThreshold(threshold, distance);

  if (count === 0) {
    return (
      <div className="jp-NearDuplicates-groupList">
        <div className="jp-NearDuplicates-empty" role="status">
          {similarity
            ? trans.__(
                'No near-duplicates found at threshold %1. Try lowering the threshold.',
                t
              )
            : trans.__(
                'No near-duplicates found within distance %1. Try raising the maximum distance.',
                t
              )}
        </div>
      </div>
    );
  }

  const groupsText = trans._n(
    '%2 duplicate group',
    '%2 duplicate groups',
    count,
    formatCount(count)
  );
  const samplesText = trans._n(
    '%2 sample',
    '%2 samples',
    samples,
    formatCount(samples)
  );
  const { start, end } = visibleRows(
    count,
    firstRow * rowHeight,
    viewHeight,
    rowHeight
  );
  const indices: number[] = [];
  // The active row stays rendered when scrolled away, so keyboard focus is never lost.
  if (activeIndex < start) {
    indices.push(activeIndex);
  }
  for (let i = start; i < end; i++) {
    indices.push(i);
  }
  if (activeIndex >= end) {
    indices.push(activeIndex);
  }

  return (
    <div className="jp-NearDuplicates-groupList">
      <div className="jp-NearDuplicates-summary" role="status">
        {similarity
          ? trans.__('%1 (%2) at %3', groupsText, samplesText, t)
          : trans.__('%1 (%2) within distance %3', groupsText, samplesText, t)}
      </div>
      <div
        ref={viewport}
        className="jp-NearDuplicates-groupViewport"
        style={
          viewportHeight !== undefined ? { height: viewportHeight } : undefined
        }
        onScroll={event => {
          scrollTop.current = event.currentTarget.scrollTop;
          const row = Math.floor(scrollTop.current / rowHeight);
          if (row !== firstRow) {
            setFirstRow(row);
          }
        }}
      >
        <div
          className="jp-NearDuplicates-groupCanvas"
          role="listbox"
          aria-label={trans.__('Duplicate groups')}
          onKeyDown={onKeyDown}
          style={{ height: count * rowHeight }}
        >
          {indices.map(i => (
            <GroupRow
              key={groups[i].key}
              id={`${listId}-group-${i}`}
              index={i}
              count={count}
              group={groups[i]}
              points={points}
              distance={distance}
              thumbnails={thumbnails}
              rowHeight={rowHeight}
              width={width}
              trans={trans}
              selected={groups[i].key === selectedKey}
              active={i === activeIndex}
              onActivate={setActive}
              onSelect={onSelect}
              chained={chainedTitle?.(groups[i]) ?? null}
              notDuplicates={notDuplicates?.(groups[i]) ?? false}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

interface IGroupRowProps {
  id: string;
  index: number;
  count: number;
  group: IDuplicateGroup;
  points: IScanPoints;
  distance: DistanceKind;
  thumbnails: IThumbnailPolicy;
  rowHeight: number;
  /** The list's width in pixels (0 while unknown): how many thumbnails fit. */
  width: number;
  trans: TranslationBundle;
  selected: boolean;
  active: boolean;
  onActivate: (index: number) => void;
  onSelect: (group: IDuplicateGroup) => void;
  chained: string | null;
  notDuplicates: boolean;
}

/** One group; memoised, as scrolling re-renders the list but rarely changes a row. */
const GroupRow = React.memo((props: IGroupRowProps): JSX.Element => {
  const {
    id,
    index,
    count,
    group,
    points,
    distance,
    thumbnails,
    rowHeight,
    width,
    trans,
    selected,
    active,
    onActivate,
    onSelect,
    chained,
    notDuplicates
  } = props;
  const size = group.members.length;
  const title = trans._n(
    'Group %2: %3 sample',
    'Group %2: %3 samples',
    size,
    formatCount(index + 1),
    formatCount(size)
  );
  const best = formatScore(group.bestScore, distance);
  const worst = formatScore(group.worstScore, distance);
  const weakest = formatScore(group.weakestLink.score, distance);
  // Low to high, whichever end is best: similarities worst-best, distances best-worst.
  const range = higherIsBetter(distance)
    ? `${worst}–${best}`
    : `${best}–${worst}`;
  const scores =
    group.links <= 1
      ? trans.__('Score %1', best)
      : trans.__('Scores %1', range);
  const splits = crossedSplits(group.members.map(m => points.splits[m]));
  const shown = previewMembers(group).slice(0, thumbnailsShown(size, width));
  const more = size - shown.length;
  const name = (m: number): string =>
    points.sampleIds[m] ?? String(points.ids[m]);
  const weakestTitle =
    trans.__(
      'The weakest pair holding the group together: %1 and %2 (%3).',
      name(group.weakestLink.a),
      name(group.weakestLink.b),
      weakest
    ) +
    ' ' +
    (higherIsBetter(distance)
      ? trans.__('A threshold above it splits the group.')
      : trans.__('A maximum distance below it splits the group.'));

  return (
    <div
      id={id}
      data-index={index}
      className={
        'jp-NearDuplicates-group' +
        (selected ? ' jp-NearDuplicates-groupSelected' : '') +
        (active ? ' jp-NearDuplicates-groupActive' : '')
      }
      style={{ top: index * rowHeight, height: rowHeight }}
      role="option"
      aria-selected={selected}
      aria-setsize={count}
      aria-posinset={index + 1}
      aria-label={
        (group.links <= 1
          ? trans.__('%1, score %2', title, best)
          : trans.__(
              '%1, best score %2, worst %3, weakest link %4',
              title,
              best,
              worst,
              weakest
            )) +
        (splits.length
          ? trans.__(', crosses splits %1', splits.join(' + '))
          : '') +
        (chained ? `. ${chained}` : '') +
        (notDuplicates ? `. ${trans.__('Marked not duplicates')}` : '')
      }
      tabIndex={active ? 0 : -1}
      onFocus={() => onActivate(index)}
      onClick={() => {
        onActivate(index);
        onSelect(group);
      }}
    >
      <div className="jp-NearDuplicates-groupHeader">
        <span className="jp-NearDuplicates-groupTitle">{title}</span>
        {splits.length ? (
          <span
            className="jp-NearDuplicates-badge jp-NearDuplicates-splitBadge"
            title={trans.__('This group crosses splits: %1', splits.join(', '))}
          >
            {splits.join(' + ')}
          </span>
        ) : null}
        {chained ? (
          <span
            className="jp-NearDuplicates-badge jp-NearDuplicates-chainedBadge"
            title={chained}
          >
            {trans.__('chained')}
          </span>
        ) : null}
        {notDuplicates ? (
          <span
            className="jp-NearDuplicates-badge jp-NearDuplicates-notDuplicatesBadge"
            title={trans.__(
              'Marked not duplicates: left out of the keep-one plan'
            )}
          >
            {trans.__('not duplicates')}
          </span>
        ) : null}
        <ReviewBadge
          members={group.members}
          points={points}
          distance={distance}
          trans={trans}
        />
      </div>
      <div
        className="jp-NearDuplicates-groupScores"
        title={group.links > 1 ? weakestTitle : undefined}
      >
        <span>{scores}</span>
        {group.links > 1 ? (
          <span className="jp-NearDuplicates-weakestLink">
            {trans.__('Weakest link %1', weakest)}
          </span>
        ) : null}
      </div>
      <div className="jp-NearDuplicates-thumbnails">
        {shown.map(m => (
          <ReviewMark
            key={m}
            tag={points.reviews?.[m]}
            name={name(m)}
            distance={distance}
            trans={trans}
          >
            <Thumbnail
              value={points.thumbnails[m]}
              policy={thumbnails}
              label={name(m)}
            />
          </ReviewMark>
        ))}
        {more > 0 ? (
          <span className="jp-NearDuplicates-more">{`+${formatCount(more)}`}</span>
        ) : null}
      </div>
    </div>
  );
});
