// The groups on show as the user shapes them: the linkage setting and the Splits made on the
// scan on show. Apart from the model, so its rules are tested without a worker; every group
// list the panel shows (and sends to the kernel) comes from `groupsAt`.
import { diametersOf, IDiameter, isChained } from './scan/chain';
import {
  cutTest,
  groupScan,
  Linkage,
  recordSplit,
  splitParts,
  SplitRecord
} from './scan/linkage';
import type { IDuplicateGroup, IScanResult } from './scan/types';

export class GroupShaping {
  /** How groups are formed; the panel's `linkage` setting. */
  linkage: Linkage = 'single';

  /** Splits made on the scan on show, oldest first. */
  get splits(): readonly SplitRecord[] {
    return this._splits;
  }

  /** Forgets the splits: another scan is on show; or takes the ones kept with a restored scan. */
  reset(splits: readonly SplitRecord[] = []): void {
    this._splits = [...splits];
    this._parts = new WeakMap();
  }

  /**
   * Whether the groups at `threshold` are the scan's own: its threshold, single linkage and no
   * split. Then nothing is formed (nor sent to the worker to form).
   */
  asScanned(result: IScanResult, threshold: number): boolean {
    return (
      threshold === result.threshold &&
      this.linkage === 'single' &&
      this._splits.length === 0
    );
  }

  /** The groups of `result` at `threshold` by the linkage, with the splits made so far. */
  groupsAt(result: IScanResult, threshold: number): IDuplicateGroup[] {
    if (this.asScanned(result, threshold)) {
      return result.groups;
    }
    return groupScan(result, threshold, {
      linkage: this.linkage,
      splits: this._splits
    });
  }

  /**
   * The parts a Split of `group` would give (the links earlier splits cut stay cut); kept per
   * group object, as the panel asks on every render while the detail view is open.
   */
  partsOf(result: IScanResult, group: IDuplicateGroup): number[][] {
    let parts = this._parts.get(group);
    if (!parts) {
      parts = splitParts(result, group, cutTest(this._splits));
      this._parts.set(group, parts);
    }
    return parts;
  }

  /** Records a Split of `group`; regroup with `groupsAt` to see it. */
  split(result: IScanResult, group: IDuplicateGroup): void {
    this._splits = [
      ...this._splits,
      recordSplit(group, this.partsOf(result, group))
    ];
    this._parts = new WeakMap();
  }

  /** The group's diameter, computed for all of `groups` at once on first ask. */
  diameterOf(
    result: IScanResult,
    groups: IDuplicateGroup[],
    group: IDuplicateGroup
  ): IDiameter | null {
    let known = this._diameters.get(groups);
    if (!known) {
      const values = diametersOf(result, groups);
      known = new Map(groups.map((g, i) => [g, values[i]]));
      this._diameters.set(groups, known);
    }
    return known.get(group) ?? null;
  }

  /** Whether the group, one of `groups` at `threshold`, is chained (chain.ts). */
  chained(
    result: IScanResult,
    groups: IDuplicateGroup[],
    threshold: number,
    group: IDuplicateGroup
  ): boolean {
    const diameter = this.diameterOf(result, groups, group);
    return (
      diameter !== null &&
      isChained(diameter, threshold, result.threshold, result.distance)
    );
  }

  private _splits: SplitRecord[] = [];
  private _parts = new WeakMap<IDuplicateGroup, number[][]>();
  private _diameters = new WeakMap<
    IDuplicateGroup[],
    Map<IDuplicateGroup, IDiameter>
  >();
}
