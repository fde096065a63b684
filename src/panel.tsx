// The Near Duplicates side panel: a Lumino SidePanel whose sections are React views of
// the model (backend and collection, detection and progress, the duplicate groups).
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import {
  CommandToolbarButton,
  downloadIcon,
  addBelowIcon,
  ReactWidget,
  SidePanel,
  Toolbar,
  ToolbarButton,
  UseSignal
} from '@jupyterlab/ui-components';
import { AccordionPanel, Menu, SplitPanel } from '@lumino/widgets';
import * as React from 'react';
import type { IPlanToSend, NotebookBridge } from './bridge';
import { CalibrationView } from './components/CalibrationView';
import { chainedNote } from './components/chainWords';
import { ConnectionView } from './components/ConnectionView';
import { GroupDetail, SelectedGroupBar } from './components/GroupDetail';
import { DetectControls } from './components/DetectControls';
import { formatCount } from './format';
import { ScanErrorView } from './components/ErrorView';
import { FormingView } from './components/FormingView';
import { GroupList } from './components/GroupList';
import { LeakageView, useLeakageFilter } from './components/LeakageView';
import { PlanView } from './components/PlanView';
import { ScanProgressView } from './components/ScanProgressView';
import { RecallView } from './components/RecallView';
import { NotebookSendBar } from './components/SendStatus';
import { WorkerStatusView } from './components/WorkerStatusView';
import type { ExportActions } from './export/exportActions';
import { nearDuplicatesIcon } from './icons';
import { splitNamesOf } from './leakage';
import { IScanOutcome, NearDuplicatesModel } from './model';
import type { IPlanView } from './planModel';
import type { IDuplicateGroup } from './scan/types';
import type { IThumbnailPolicy } from './thumbnails';
import {
  CommandIDs,
  INearDuplicatesSettings,
  PANEL_ID,
  TRANSLATION_DOMAIN
} from './tokens';

export interface INearDuplicatesPanelOptions {
  /** Where Detect and Cancel live: the panel's buttons run the same commands as the palette. */
  commands: CommandRegistry;
  translator?: ITranslator;
  /** Export and Insert code, in the groups section's toolbar (planCommands.ts runs them). */
  exporter?: ExportActions | null;
}

export class NearDuplicatesPanel extends SidePanel {
  /** With a bridge, a click on a group sends it to the active notebook. */
  constructor(
    readonly model: NearDuplicatesModel,
    readonly bridge: NotebookBridge | null,
    options: INearDuplicatesPanelOptions
  ) {
    const translator = options.translator ?? nullTranslator;
    super({ translator });
    const commands = options.commands;
    const trans = translator.load(TRANSLATION_DOMAIN);
    this.id = PANEL_ID;
    this.addClass('jp-NearDuplicates-panel');
    this.title.icon = nearDuplicatesIcon;
    this.title.caption = trans.__('Near Duplicates');

    this.header.addWidget(
      ReactWidget.create(
        <h2 className="jp-NearDuplicates-title">
          {trans.__('Near Duplicates')}
        </h2>
      )
    );

    // The scan section is as tall as its controls (measured as they change: progress and
    // errors come and go), and the group list gets the rest of the sidebar. With equal
    // stretch the controls took half the sidebar, mostly empty, and the list one group.
    const fitScan = (height: number) => {
      const style = getComputedStyle(scan.node);
      const padding =
        parseFloat(style.paddingTop || '0') +
        parseFloat(style.paddingBottom || '0');
      const wanted = Math.ceil(height + padding);
      const minHeight = `${wanted}px`;
      if (scan.node.style.minHeight !== minHeight) {
        scan.node.style.minHeight = minHeight;
        this.content.fit();
      }
      // A section keeps the size it had, so the scan's is set again when its controls shrink
      // (a scan's progress goes): its height, and the rest to the groups.
      const content = this.content as AccordionPanel;
      const titles = content.titles.reduce(
        (sum, title) => sum + title.getBoundingClientRect().height,
        0
      );
      const room = content.node.clientHeight - titles;
      if (
        room > wanted &&
        !scan.isHidden &&
        !groups.isHidden &&
        Math.abs(scan.node.getBoundingClientRect().height - wanted) > 1
      ) {
        content.setRelativeSizes([wanted, room - wanted]);
      }
    };
    const scan = ReactWidget.create(
      <UseSignal signal={model.stateChanged}>
        {() => (
          <ScanSection
            model={model}
            commands={commands}
            trans={trans}
            onHeight={fitScan}
          />
        )}
      </UseSignal>
    );
    scan.addClass('jp-NearDuplicates-section');
    scan.title.label = trans.__('Scan');
    this.addWidget(scan);

    const groups = new SectionWithToolbar(
      <UseSignal signal={model.stateChanged}>
        {() => (
          <GroupsSection
            model={model}
            bridge={bridge}
            commands={commands}
            trans={trans}
          />
        )}
      </UseSignal>
    );
    groups.addClass('jp-NearDuplicates-section');
    groups.addClass('jp-NearDuplicates-groupsSection');
    groups.title.label = trans.__('Duplicate groups');
    if (options.exporter) {
      addPlanButtons(groups.toolbar, commands, options.exporter, trans);
    }
    this.addWidget(groups);
    SplitPanel.setStretch(scan, 0);
    SplitPanel.setStretch(groups, 1);

    // A changed plan reaches the kernel that holds its groups (after "Send all groups"),
    // once the changes settle: nd.plan() stays the panel's plan.
    if (bridge) {
      let timer: ReturnType<typeof setTimeout> | null = null;
      model.plan.changed.connect((_, change) => {
        if (change === 'computed') {
          return; // only the panel's own showing of the plan: nothing new for the kernel
        }
        if (timer !== null) {
          clearTimeout(timer);
        }
        timer = setTimeout(() => {
          timer = null;
          const outcome = model.outcome;
          if (!outcome || !bridge.sentGroupsOf(outcome.scanId)) {
            return;
          }
          const plan = planToSend(model, outcome);
          if (plan.planned.reading.length === 0 && !plan.planned.ranking) {
            void bridge.sendPlan(outcome, plan);
          }
        }, PLAN_RESEND_MS);
      });
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    this.bridge?.dispose();
    super.dispose();
  }
}

/** How long plan changes settle before the plan is sent to the kernel again. */
export const PLAN_RESEND_MS = 500;

/** The panel's plan of the groups on show, as the bridge sends it. */
function planToSend(
  model: NearDuplicatesModel,
  outcome: IScanOutcome
): IPlanToSend & { planned: IPlanView } {
  return {
    plan: model.plan.plan,
    planned: model.plan.view(outcome),
    splitField: model.settings.splitField || null
  };
}

/** A section whose toolbar sits in its title (the side panel's AccordionToolbar), taking no height. */
class SectionWithToolbar extends ReactWidget {
  constructor(private readonly element: JSX.Element) {
    super();
  }

  readonly toolbar = new Toolbar();

  protected render(): JSX.Element {
    return this.element;
  }
}

/**
 * Export (a menu of the formats; Parquet asks the notebook's kernel first whether it can) and
 * Insert code, in the groups section's title bar: the list below keeps all its room.
 */
function addPlanButtons(
  toolbar: Toolbar,
  commands: CommandRegistry,
  exporter: ExportActions,
  trans: TranslationBundle
): void {
  const menu = new Menu({ commands });
  menu.addClass('jp-NearDuplicates-exportMenu');
  for (const format of ['csv', 'jsonl', 'parquet']) {
    menu.addItem({ command: CommandIDs.exportGroups, args: { format } });
  }
  const button: ToolbarButton = new ToolbarButton({
    icon: downloadIcon,
    className: 'jp-NearDuplicates-exportButton',
    tooltip: trans.__(
      'Export the groups on show: one row per member, keep or drop (CSV, JSON Lines, Parquet)'
    ),
    onClick: () => {
      const box = button.node.getBoundingClientRect();
      void exporter
        .refreshParquet()
        .catch(() => null)
        .then(() => {
          commands.notifyCommandChanged(CommandIDs.exportGroups);
          menu.open(box.left, box.bottom);
        });
    }
  });
  // Enabled as the export command is (a scan on show, none running).
  const follow = (): void => {
    button.enabled = commands.isEnabled(CommandIDs.exportGroups, {
      format: 'csv'
    });
  };
  follow();
  commands.commandChanged.connect((_, change) => {
    if (
      change.id === CommandIDs.exportGroups ||
      change.type === 'many-changed'
    ) {
      follow();
    }
  }, button);
  toolbar.addItem('export', button);
  toolbar.addItem(
    'insert-code',
    new CommandToolbarButton({
      commands,
      id: CommandIDs.insertCode,
      icon: addBelowIcon,
      label: ''
    })
  );
}

function ScanSection(props: {
  model: NearDuplicatesModel;
  commands: CommandRegistry;
  trans: TranslationBundle;
  /** The controls' height, each time it changes. */
  onHeight?: (height: number) => void;
}): JSX.Element {
  const { model, commands, trans, onHeight } = props;
  const running = model.running;
  const detect = () => void commands.execute(CommandIDs.detect);
  const ref = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    const node = ref.current;
    if (!node || !onHeight || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(() =>
      onHeight(node.getBoundingClientRect().height)
    );
    observer.observe(node);
    return () => observer.disconnect();
  }, [onHeight]);
  return (
    <div className="jp-NearDuplicates-scan" ref={ref}>
      <WorkerStatusView status={model.workerStatus} trans={trans} />
      <ConnectionView
        backend={model.backend}
        loading={model.backendLoading}
        error={model.backendError}
        collection={model.collection?.name ?? null}
        vector={model.vectorName}
        disabled={running !== null}
        onCollectionChange={name => model.selectCollection(name)}
        onVectorChange={name => model.selectVector(name)}
        onRefresh={() => void model.refreshBackend()}
        trans={trans}
      />
      <DetectControls
        distance={model.distance}
        threshold={model.threshold}
        onThresholdChange={value => model.setThreshold(value)}
        collection={model.collection?.name ?? null}
        canDetect={commands.isEnabled(CommandIDs.detect)}
        scanning={running !== null}
        onDetect={detect}
        onCancel={() => void commands.execute(CommandIDs.cancel)}
        lastScanThreshold={model.lastScanThreshold}
        checkpoint={model.checkpoint}
        pointsNow={model.collection?.points_count ?? null}
        vector={model.vectorName}
        onResume={() => void commands.execute(CommandIDs.resume)}
        onDiscard={() => model.discardCheckpoint()}
        lastScanKept={model.changedSinceLastScan}
        onScanChanges={() => void commands.execute(CommandIDs.scanChanges)}
        lastScanToShow={model.lastScanToShow}
        onShowLastScan={() => void commands.execute(CommandIDs.scanChanges)}
        trans={trans}
      />
      {running?.progress ? (
        <ScanProgressView progress={running.progress} trans={trans} />
      ) : null}
      {model.scanError && !running ? (
        <ScanErrorView
          error={model.scanError}
          onRetry={detect}
          retryLabel={trans.__('Detect again')}
          trans={trans}
        />
      ) : null}
    </div>
  );
}

/** The thumbnail rules from the settings, and the addresses of this Jupyter server. */
export function thumbnailPolicy(
  settings: INearDuplicatesSettings
): IThumbnailPolicy {
  const baseUrl = PageConfig.getBaseUrl();
  return {
    filesBaseUrl: URLExt.join(baseUrl, 'files'),
    remote: settings.remoteThumbnails,
    hosts: settings.thumbnailHosts,
    jupyterUrls: [window.location.origin, baseUrl]
  };
}

function GroupsSection(props: {
  model: NearDuplicatesModel;
  bridge: NotebookBridge | null;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { model, bridge, commands, trans } = props;
  const { remoteThumbnails, thumbnailHosts } = model.settings;
  // One object while the settings stand, so the thumbnails' memoised rules hold.
  const thumbnails = React.useMemo(
    () => thumbnailPolicy(model.settings),
    [remoteThumbnails, thumbnailHosts]
  );
  // Kept here, so the calibration section stays unfolded across a visit to a group's details.
  const [calibrationOpen, setCalibrationOpen] = React.useState(false);
  const [leakageOpen, setLeakageOpen] = React.useState(false);
  const [planOpen, setPlanOpen] = React.useState(false);
  const outcome = model.outcome;
  const leak = useLeakageFilter(
    outcome?.groups,
    outcome?.result.points.splits,
    outcome?.finishedAt,
    outcome?.result.population?.splits
  );
  if (!outcome) {
    return (
      <p className="jp-NearDuplicates-hint">
        {trans.__(
          'Pick a collection and click Detect Duplicates to find near-duplicate samples.'
        )}
      </p>
    );
  }
  const changes = outcome.result.stats.changes;
  // Shown again unchanged (Show last scan): the time is the kept scan's, not this showing's.
  const unchangedSince =
    changes && changes.added === 0 && changes.deleted === 0
      ? changes.since
      : undefined;
  const when = new Date(unchangedSince ?? outcome.finishedAt).toLocaleString();
  const detail = model.detail;
  const plan = model.plan;
  // Worked out after this render for many groups (the result's first render stays short).
  const planView = plan.shown(outcome);
  const decisionOf = (group: IDuplicateGroup) =>
    planView.decisions[outcome.groups.indexOf(group)] ?? null;
  return (
    <div className="jp-NearDuplicates-results">
      <div className="jp-NearDuplicates-scanInfo">
        {trans.__('Scan of %1, %2', outcome.result.collection, when)}
        {changes ? ' ' + changesNote(changes, trans) : null}
      </div>
      <RecallView
        audit={outcome.result.audit}
        disabled={model.running !== null}
        trans={trans}
        onCure={route =>
          void commands.execute(
            CommandIDs.detect,
            route === 'sure' ? { cure: 'always' } : { exact: true }
          )
        }
      />
      {bridge ? (
        <UseSignal signal={bridge.statusChanged} initialArgs={bridge.status}>
          {(_, status) => (
            <NotebookSendBar
              status={status ?? null}
              groupCount={outcome.groups.length}
              onSendAll={() => {
                const collection = model.labelsCollection;
                void bridge.sendAllGroups(
                  outcome,
                  planToSend(model, outcome),
                  collection === outcome.result.collection
                    ? { collection, labels: model.labels }
                    : undefined
                );
              }}
              trans={trans}
            />
          )}
        </UseSignal>
      ) : null}
      {detail ? (
        <GroupDetail
          group={detail}
          index={outcome.groups.indexOf(detail)}
          result={outcome.result}
          threshold={outcome.threshold}
          diameter={model.shaping.diameterOf(
            outcome.result,
            outcome.groups,
            detail
          )}
          chained={chainedNote(outcome, model.shaping, detail, trans)}
          parts={model.shaping.partsOf(outcome.result, detail)}
          thumbnails={thumbnails}
          onSplit={() => model.split(detail)}
          onClose={() => model.openDetail(null)}
          decision={decisionOf(detail)}
          onPin={member => plan.pin(outcome, detail, member)}
          onNotDuplicates={marked => plan.setNotDuplicates(detail, marked)}
          trans={trans}
        />
      ) : (
        <>
          <CalibrationView
            result={outcome.result}
            threshold={outcome.threshold}
            thumbnails={thumbnails}
            note={calibrationNote(model, trans)}
            calibration={
              calibrationOpen ? model.calibrationOf(outcome.result) : null
            }
            open={calibrationOpen}
            onToggle={setCalibrationOpen}
            labels={model.labels}
            onLabel={(a, b, score, verdict) =>
              model.setLabel(a, b, score, verdict)
            }
            onUseThreshold={
              model.running ? undefined : value => model.setThreshold(value)
            }
            trans={trans}
          />
          {leak.leakage ? (
            <LeakageView
              leakage={leak.leakage}
              cell={leak.cell}
              shown={leak.shown.length}
              onFilter={leak.setCell}
              open={leakageOpen}
              onToggle={setLeakageOpen}
              trans={trans}
            />
          ) : null}
          <PlanView
            view={planView}
            rules={plan.rules}
            onRulesChange={rules => plan.setRules(rules)}
            splits={splitNamesOf(outcome.result.points.splits)}
            pinned={planView.decisions.filter(d => d.pinned).length}
            open={planOpen}
            onToggle={setPlanOpen}
            trans={trans}
          />
          <FormingView
            forming={model.forming}
            error={model.groupingError}
            distance={outcome.result.distance}
            trans={trans}
          />
          <SelectedGroupBar
            outcome={outcome}
            group={model.selected}
            onOpen={group => model.openDetail(group)}
            trans={trans}
          />
          <GroupList
            key={`${outcome.finishedAt}:${JSON.stringify(leak.cell)}`}
            groups={leak.shown}
            points={outcome.result.points}
            distance={outcome.result.distance}
            threshold={outcome.threshold}
            thumbnails={thumbnails}
            trans={trans}
            selectedKey={model.selected?.key ?? null}
            chainedTitle={group =>
              chainedNote(outcome, model.shaping, group, trans)
            }
            notDuplicates={group => plan.isNotDuplicates(group)}
            onSelect={group => {
              model.select(group);
              // Sent on every click, not on selectionChanged: clicking the selected group again
              // resends it (after running the import the status asked for, say).
              void bridge?.sendGroup(outcome, group);
            }}
          />
        </>
      )}
    </div>
  );
}

/** Why the group list may count otherwise than the calibration chart, or null when it does not. */
function calibrationNote(
  model: NearDuplicatesModel,
  trans: TranslationBundle
): string | null {
  const { linkage, splits } = model.shaping;
  if (linkage === 'complete') {
    return trans.__(
      'The chart counts groups joined by any pair (single linkage); the list uses complete linkage, so it can count more groups.'
    );
  }
  if (splits.length > 0) {
    return trans.__(
      'The chart counts groups joined by any pair; the list also keeps the Splits you made.'
    );
  }
  return null;
}

/** What a scan of changes changed, after "Scan of <collection>, <when>". */
function changesNote(
  changes: { added: number; deleted: number; since?: number },
  trans: TranslationBundle
): string {
  if (changes.added === 0 && changes.deleted === 0) {
    return trans.__('(the kept scan: no points added or deleted since)');
  }
  // `since` is absent from a result kept before it was recorded.
  return changes.since === undefined
    ? trans.__(
        '(changes: %1 points added, %2 deleted)',
        formatCount(changes.added),
        formatCount(changes.deleted)
      )
    : trans.__(
        '(changes since the scan of %1: %2 points added, %3 deleted)',
        new Date(changes.since).toLocaleString(),
        formatCount(changes.added),
        formatCount(changes.deleted)
      );
}
