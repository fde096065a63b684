// The keep-one plan of the scan on show: the user's rules, pins and "not duplicates" marks, the
// payload values its rules read (fetched by point id for the groups' members), and the plan
// they give (plan.ts). No React; the panel re-renders on `changed`.
import { ISignal, Signal } from '@lumino/signaling';
import type { IPointPayload } from './api';
import type { IScanOutcome } from './modelTypes';
import {
  computePlan,
  DEFAULT_PLAN,
  groupId,
  IKeepPlan,
  IPlanResult,
  KeepRule,
  unplanned
} from './plan';
import type { ICentralRanks } from './scan/central';
import { payloadField } from './scan/list';
import type { IDuplicateGroup, IScanResult, PointId } from './scan/types';
import { JobError } from './workerJobs';

/** Reads the named payload fields of points by id (the proxy's retrieve). */
export type PayloadReader = (
  collection: string,
  ids: PointId[],
  fields: string[]
) => Promise<IPointPayload[]>;

/**
 * Computes "most central" for groups of a result elsewhere (the scan worker); null when there
 * is nowhere else, and the plan computes it on the page.
 */
export type CentralRanker = (
  result: IScanResult,
  groups: IDuplicateGroup[]
) => Promise<ICentralRanks> | null;

/**
 * What changed: the user's decisions (kept with the scan, sent to the kernel), values read, or
 * only the plan the panel shows, now worked out (`shown`; nothing the kernel has changed).
 */
export type PlanChange = 'decisions' | 'values' | 'computed';

/**
 * Results of more groups than this have their plan worked out in a task of its own after the
 * render that asked for it (`PlanModel.shown`): at a million points (18,419 groups) the first
 * plan ran cold inside the result's first render and made it one task of 160 ms (issue 16).
 */
export const PLAN_IN_RENDER_GROUPS = 2000;

/** The plan on show, and whether its rules still wait for payload values. */
export interface IPlanView extends IPlanResult {
  /** Fields being read for the rules; the plan is computed once they are in. */
  reading: string[];
  /** The scan worker is finding the most central members; the plan follows once it has. */
  ranking: boolean;
  /** The plan is being worked out after this render (`PlanModel.shown`); it follows. */
  working?: boolean;
}

export class PlanModel {
  constructor(
    private readonly read: PayloadReader | null,
    private readonly rankCentral: CentralRanker | null = null,
    private readonly inRenderGroups = PLAN_IN_RENDER_GROUPS
  ) {}

  get changed(): ISignal<this, PlanChange> {
    return this._changed;
  }

  get plan(): IKeepPlan {
    return this._plan;
  }

  /** The rules the user edits ('first' is implied at the end; computePlan adds it). */
  get rules(): KeepRule[] {
    return this._plan.rules.filter(r => r.kind !== 'first');
  }

  setRules(rules: KeepRule[]): void {
    this.update({
      ...this._plan,
      rules: rules.filter(r => r.kind !== 'first')
    });
    this.readFields();
  }

  /** Keeps `member` in `group` whatever the rules say; null lets the rules choose again. */
  pin(
    outcome: IScanOutcome,
    group: IDuplicateGroup,
    member: number | null
  ): void {
    const id = groupId(group.pointIds);
    const pins = { ...this._plan.pins };
    if (member === null) {
      delete pins[id];
    } else {
      pins[id] = outcome.result.points.ids[member];
    }
    this.update({ ...this._plan, pins });
  }

  /** Marks `group` as not duplicates (a false group: it keeps every member), or clears it. */
  setNotDuplicates(group: IDuplicateGroup, marked: boolean): void {
    const id = groupId(group.pointIds);
    const rest = this._plan.notDuplicates.filter(g => g !== id);
    const pins = { ...this._plan.pins };
    if (marked) {
      delete pins[id]; // as the kernel's not_duplicates: a false group has no keeper
    }
    this.update({
      ...this._plan,
      pins,
      notDuplicates: marked ? [...rest, id] : rest
    });
  }

  /** Whether the user has marked `group` as not duplicates. */
  isNotDuplicates(group: IDuplicateGroup): boolean {
    return this._plan.notDuplicates.includes(groupId(group.pointIds));
  }

  /**
   * Another scan is on show: its own pins and marks (a restored scan's), or none for a new
   * one; the rules stay, as the user's way of choosing.
   */
  attach(outcome: IScanOutcome | null, saved?: IKeepPlan | null): void {
    this._outcome = outcome;
    this._values = new Map();
    this._failed = new Map();
    this._reading = new Set();
    this._central = null;
    this._wanted = null;
    this._plan = saved
      ? { ...saved }
      : { rules: this._plan.rules, pins: {}, notDuplicates: [] };
    this._cache = null;
    this._changed.emit('decisions');
    this.readFields();
  }

  /** The plan of the groups on show (memoised while groups, decisions and values stand). */
  view(outcome: IScanOutcome): IPlanView {
    const known = this.known(outcome);
    if (known) {
      return known;
    }
    const fields = this.fieldNames();
    const reading = fields.filter(f => this._reading.has(f));
    const failed = fields.find(f => this._failed.has(f));
    const { result } = outcome;
    const central = this._plan.rules.some(r => r.kind === 'central')
      ? this.centralOf(outcome)
      : null;
    const ranking = central !== null && central.state === 'asking';
    // While the worker ranks, or when it could not, the plan waits (as for a field being read).
    const waiting = ranking
      ? 'The most central members are being found.'
      : (central?.error ?? null);
    const planned: IPlanResult =
      waiting !== null
        ? unplannedOf(outcome, waiting)
        : computePlan(
            {
              groups: outcome.groups,
              points: result.points,
              pairs: {
                pairs: result.pairs,
                distance: result.distance,
                floor: result.threshold
              },
              central: central?.ranks,
              fields: this._values,
              population: result.population
            },
            this._plan
          );
    const view: IPlanView = {
      ...(failed !== undefined
        ? { ...planned, problem: this._failed.get(failed)! }
        : planned),
      reading,
      ranking
    };
    this._cache = {
      groups: outcome.groups,
      plan: this._plan,
      version: this._version,
      view
    };
    return view;
  }

  /**
   * The plan for the panel's render. As `view` when it is known or the groups are few; for more
   * groups, a plan that says it is being worked out, and the plan itself in a task of its own
   * after this render, announced by a 'computed' change. The kernel and exports take `view`.
   */
  shown(outcome: IScanOutcome): IPlanView {
    const known = this.known(outcome);
    if (known || outcome.groups.length <= this.inRenderGroups) {
      return known ?? this.view(outcome);
    }
    const first = this._wanted === null;
    this._wanted = outcome;
    if (first) {
      setTimeout(() => {
        const wanted = this._wanted;
        this._wanted = null;
        if (wanted && !this.known(wanted)) {
          this.view(wanted);
          this._changed.emit('computed');
        }
      }, 0);
    }
    return {
      ...unplannedOf(outcome, 'The plan is being worked out.'),
      reading: [],
      ranking: false,
      working: true
    };
  }

  /** The memoised view, while the groups, decisions and values it was made of stand. */
  private known(outcome: IScanOutcome): IPlanView | null {
    const cache = this._cache;
    return cache &&
      cache.groups === outcome.groups &&
      cache.plan === this._plan &&
      cache.version === this._version
      ? cache.view
      : null;
  }

  /**
   * "Most central" for the groups on show: asked of the scan worker once per groups list (a
   * million points took 1.4 s on the page's thread, issue 16); computed by the plan itself
   * (state 'page') when there is no worker or it went away.
   */
  private centralOf(outcome: IScanOutcome): ICentral {
    const known = this._central;
    if (known && known.groups === outcome.groups) {
      return known;
    }
    const asked = this.rankCentral?.(outcome.result, outcome.groups) ?? null;
    const central: ICentral = {
      groups: outcome.groups,
      state: asked ? 'asking' : 'page'
    };
    this._central = central;
    asked
      ?.then(
        ranks => {
          central.state = 'done';
          central.ranks = ranks;
        },
        (error: unknown) => {
          if (error instanceof JobError && error.workerGone) {
            central.state = 'page';
          } else {
            central.state = 'done';
            central.error =
              'The scan worker could not find the most central members: ' +
              `${error instanceof Error ? error.message : String(error)}. ` +
              'Your rules, pins and marks are kept: reload the page to start the worker again, or remove the rule.';
          }
        }
      )
      .then(() => {
        if (this._central === central) {
          this.bump();
        }
      });
    return central;
  }

  private fieldNames(): string[] {
    const names = new Set<string>();
    for (const r of this._plan.rules) {
      if (r.kind === 'max' || r.kind === 'min') {
        names.add(r.field);
      }
    }
    return [...names];
  }

  /** Reads the fields the rules name and no read holds yet, for the scan's grouped points. */
  private readFields(): void {
    const outcome = this._outcome;
    if (!outcome || !this.read) {
      return;
    }
    const wanted = this.fieldNames().filter(
      f => !this._values.has(f) && !this._reading.has(f) && !this._failed.has(f)
    );
    if (wanted.length === 0) {
      return;
    }
    // The scan's own groups hold every member a stricter regroup or a Split can show.
    const members = outcome.result.groups.flatMap(g => g.members);
    const ids = outcome.result.points.ids;
    const indexOf = new Map(members.map(m => [idKey(ids[m]), m]));
    for (const f of wanted) {
      this._reading.add(f);
    }
    this.bump();
    this.read(
      outcome.result.collection,
      members.map(m => ids[m]),
      wanted
    ).then(
      records => {
        if (this._outcome !== outcome) {
          return;
        }
        for (const f of wanted) {
          const values = new Map<number, unknown>();
          for (const record of records) {
            const m = indexOf.get(idKey(record.id));
            if (m !== undefined) {
              values.set(m, payloadField(record.payload, f));
            }
          }
          this._values.set(f, values);
          this._reading.delete(f);
        }
        this.bump();
      },
      (error: unknown) => {
        if (this._outcome !== outcome) {
          return;
        }
        for (const f of wanted) {
          this._reading.delete(f);
          this._failed.set(
            f,
            `Could not read the payload field “${f}”: ${
              error instanceof Error ? error.message : String(error)
            } Remove the rule, or check the backend and change a rule to read it again.`
          );
        }
        this.bump();
      }
    );
  }

  private update(plan: IKeepPlan): void {
    this._plan = plan;
    // A rule removed and added again reads its field again (after a failure).
    this._failed = new Map(
      [...this._failed].filter(([f]) => this.fieldNames().includes(f))
    );
    this._changed.emit('decisions');
  }

  private bump(): void {
    this._version++;
    this._changed.emit('values');
  }

  private _plan: IKeepPlan = DEFAULT_PLAN;
  private _outcome: IScanOutcome | null = null;
  private _values = new Map<string, Map<number, unknown>>();
  private _reading = new Set<string>();
  private _failed = new Map<string, string>();
  private _version = 0;
  private _central: ICentral | null = null;
  /** The groups `shown` last asked for, while their plan waits for its task. */
  private _wanted: IScanOutcome | null = null;
  private _cache: {
    groups: IDuplicateGroup[];
    plan: IKeepPlan;
    version: number;
    view: IPlanView;
  } | null = null;
  private readonly _changed = new Signal<this, PlanChange>(this);
}

/** A plan of `outcome` that decides nothing, and why. */
function unplannedOf(outcome: IScanOutcome, problem: string): IPlanResult {
  const { result } = outcome;
  return unplanned(
    problem,
    result.population?.points ?? result.points.ids.length
  );
}

/** "Most central" for one groups list: asked of the worker, computed on the page, or answered. */
interface ICentral {
  groups: IDuplicateGroup[];
  state: 'asking' | 'page' | 'done';
  ranks?: ICentralRanks;
  error?: string;
}

/** A point id as a map key: Qdrant answers with the ids it listed (numbers, lower-case UUIDs). */
function idKey(id: PointId): string {
  return String(id).toLowerCase();
}
