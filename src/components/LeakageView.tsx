// Split leakage in the panel (issue 14): the headline and the split x split table of the groups
// on show; a click on a cell filters the group list to the groups it counts, until removed.
// The counting is leakage.ts's, the same as the kernel's nd.leakage().
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { formatCount } from '../format';
import {
  groupsInCell,
  ILeakCell,
  ISplitLeakage,
  leakageOf,
  leakHeadline,
  NO_SPLIT,
  splitNamesOf
} from '../leakage';
import type { IDuplicateGroup } from '../scan/types';
import { untranslated } from '../translation';
import { useFold } from './useFold';

const NO_GROUPS: IDuplicateGroup[] = [];
const NO_SPLITS: (string | null)[] = [];

export interface ILeakageFilter {
  /** The table, or null when the collection has fewer than two split values (nothing to show). */
  leakage: ISplitLeakage | null;
  /** The cell the list is filtered by, or null. */
  cell: ILeakCell | null;
  setCell: (cell: ILeakCell | null) => void;
  /** The groups to list: those of the cell, or all. */
  shown: IDuplicateGroup[];
}

/**
 * The table of the groups on show and the list's filter. The filter belongs to one scan
 * (`scanKey`): a new scan shows every group again.
 */
export function useLeakageFilter(
  groups: IDuplicateGroup[] | undefined,
  splits: (string | null)[] | undefined,
  scanKey: unknown,
  /** The scan's points per split (its population); counted on `splits` when absent. */
  sizes?: Record<string, number>
): ILeakageFilter {
  const all = groups ?? NO_GROUPS;
  const pointSplits = splits ?? NO_SPLITS;
  const [chosen, setChosen] = React.useState<{
    scanKey: unknown;
    cell: ILeakCell;
  } | null>(null);
  const leakage = React.useMemo(
    () =>
      (sizes ? Object.keys(sizes) : splitNamesOf(pointSplits)).length > 1 &&
      all.length > 0
        ? leakageOf(all, pointSplits, sizes)
        : null,
    [all, pointSplits, sizes]
  );
  const cell =
    leakage && chosen && chosen.scanKey === scanKey ? chosen.cell : null;
  const shown = React.useMemo(
    () => (cell ? groupsInCell(all, pointSplits, cell) : all),
    [all, pointSplits, cell?.a, cell?.b]
  );
  const setCell = React.useCallback(
    (next: ILeakCell | null) =>
      setChosen(next ? { scanKey, cell: next } : null),
    [scanKey]
  );
  return { leakage, cell, setCell, shown };
}

export interface ILeakageViewProps {
  leakage: ISplitLeakage;
  cell: ILeakCell | null;
  /** Groups the list shows under the filter. */
  shown: number;
  onFilter: (cell: ILeakCell | null) => void;
  /**
   * Whether the table is unfolded (the headline always shows): folded by default, so the group
   * list keeps its room at a short window; kept by the caller across re-renders.
   */
  open?: boolean;
  onToggle?: (open: boolean) => void;
  trans?: TranslationBundle;
}

/** What a cell counts, in words: "test and train", or "two or more test samples". */
function cellWords(cell: ILeakCell, trans: TranslationBundle): string {
  return cell.a === cell.b
    ? trans.__('two or more %1 samples', cell.a)
    : trans.__('%1 and %2', cell.a, cell.b);
}

export function LeakageView(props: ILeakageViewProps): JSX.Element {
  const { leakage, cell, shown, onFilter, trans = untranslated } = props;
  const { splits } = leakage;
  const fold = useFold(props.open, props.onToggle);
  const open = fold.open;
  return (
    <section
      className="jp-NearDuplicates-leakage"
      aria-label={trans.__('Split leakage')}
    >
      <details open={open} onToggle={fold.onToggle}>
        <summary
          className="jp-NearDuplicates-leakHeadline"
          title={trans.__('Show or hide the split x split table')}
        >
          {leakHeadline(leakage, trans)}
        </summary>
        <div className="jp-NearDuplicates-leakTableScroll">
          <table className="jp-NearDuplicates-leakTable">
            <thead>
              <tr>
                <th scope="col">{trans.__('Split')}</th>
                {splits.map(b => (
                  <th scope="col" key={b}>
                    {trans.__('with %1', b)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {splits.map((a, i) => (
                <tr key={a}>
                  <th scope="row">{a}</th>
                  {splits.map((b, j) => {
                    const groups = leakage.groups[i][j];
                    const samples = leakage.samples[i][j];
                    const here = cell !== null && cell.a === a && cell.b === b;
                    const label =
                      a === b
                        ? trans._n(
                            '%2 group holds two or more %3 samples (%4 %3 samples in all)',
                            '%2 groups hold two or more %3 samples (%4 %3 samples in all)',
                            groups,
                            formatCount(groups),
                            a,
                            formatCount(samples)
                          )
                        : trans._n(
                            '%2 group holds %3 and %4 (%5 %3 samples in it)',
                            '%2 groups hold %3 and %4 (%5 %3 samples in them)',
                            groups,
                            formatCount(groups),
                            a,
                            b,
                            formatCount(samples)
                          );
                    return (
                      <td key={b}>
                        <button
                          type="button"
                          className={
                            'jp-NearDuplicates-leakCell' +
                            (a !== b && groups > 0
                              ? ' jp-NearDuplicates-leakCell-cross'
                              : '') +
                            (here ? ' jp-mod-selected' : '')
                          }
                          aria-pressed={here}
                          aria-label={label}
                          title={
                            groups
                              ? trans.__(
                                  '%1. Click to list these groups.',
                                  label
                                )
                              : label
                          }
                          disabled={groups === 0}
                          onClick={() => onFilter(here ? null : { a, b })}
                        >
                          <span className="jp-NearDuplicates-leakGroups">
                            {trans._n(
                              '%2 group',
                              '%2 groups',
                              groups,
                              formatCount(groups)
                            )}
                          </span>
                          <span className="jp-NearDuplicates-leakSamples">
                            {trans._n(
                              '%2 sample',
                              '%2 samples',
                              samples,
                              formatCount(samples)
                            )}
                          </span>
                        </button>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {leakage.missing ? (
          <p className="jp-NearDuplicates-leakNote">
            {trans.__(
              '%1 of %2 samples in the groups have no split: counted under %3.',
              formatCount(leakage.missing),
              formatCount(leakage.members),
              NO_SPLIT
            )}
          </p>
        ) : null}
      </details>
      {cell ? (
        <div className="jp-NearDuplicates-leakFilter" role="status">
          <span>
            {trans._n(
              'Showing %2 group with %3',
              'Showing %2 groups with %3',
              shown,
              formatCount(shown),
              cellWords(cell, trans)
            )}
          </span>
          <button
            type="button"
            className="jp-NearDuplicates-leakFilterRemove"
            aria-label={trans.__('Remove the split filter: show all groups')}
            title={trans.__('Show all groups')}
            onClick={() => onFilter(null)}
          >
            ×
          </button>
        </div>
      ) : null}
    </section>
  );
}
