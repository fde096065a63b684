// After the groups, as JupyterLab commands (issue 14): Export the groups on show and their
// plan (CSV, JSON Lines, Parquet), and Insert code, which adds to the active notebook a cell
// that rebuilds the plan and tags the collection. The panel's section toolbar runs them; what
// came of each is a notification (with the manifest's download as its action).
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import type { ISendStatus } from './bridge';
import type { ExportActions, IExportDone } from './export/exportActions';
import type { ExportFormat } from './export/files';
import type { IExportPlan } from './export/keepPlan';
import { planCell } from './export/planCell';
import type { NearDuplicatesModel } from './model';
import type { IScanOutcome } from './modelTypes';
import { formatCount } from './format';
import { CommandIDs } from './tokens';

/** Where Insert code puts its cell: below the active cell of the current notebook. */
export interface ICellInserter {
  /** The notebook's name, or null when no notebook is open. */
  notebookName(): string | null;
  /** Inserts a code cell with `source` below the active cell; false when there is no notebook. */
  insertBelow(source: string): boolean;
}

export interface IPlanCommandsOptions {
  model: NearDuplicatesModel;
  exporter: ExportActions;
  /** The plan the export and the code carry (the panel's; the kernel's default until one is chosen). */
  planOf: (outcome: IScanOutcome) => IExportPlan;
  /** Sends the groups on show to the active notebook's kernel (Send all groups). */
  sendAll: ((outcome: IScanOutcome) => Promise<ISendStatus>) | null;
  cells: ICellInserter | null;
  trans: TranslationBundle;
}

const FORMAT_LABELS: Record<ExportFormat, string> = {
  csv: 'CSV',
  jsonl: 'JSON Lines',
  parquet: 'Parquet'
};

function formatOf(value: unknown): ExportFormat {
  return value === 'jsonl' || value === 'parquet' ? value : 'csv';
}

/** What an export wrote, in a sentence. */
export function exportDoneText(
  done: IExportDone,
  trans: TranslationBundle
): string {
  const what = trans.__(
    '%1: %2 rows (keep %3, drop %4)',
    done.file,
    formatCount(done.rows),
    formatCount(done.keep),
    formatCount(done.drop)
  );
  return done.notebook
    ? trans.__('Written beside %1 and downloaded: %2.', done.notebook, what)
    : trans.__('Downloaded %1.', what);
}

export function addPlanCommands(
  commands: CommandRegistry,
  options: IPlanCommandsOptions
): void {
  const { model, exporter, planOf, sendAll, cells, trans } = options;
  const canAct = () =>
    model.outcome !== null &&
    model.outcome.groups.length > 0 &&
    model.running === null;

  commands.addCommand(CommandIDs.exportGroups, {
    label: args => {
      const format = formatOf(args.format);
      if (format !== 'parquet') {
        return trans.__(FORMAT_LABELS[format]);
      }
      const support = exporter.parquet;
      // The label says why Parquet cannot be chosen; its caption says what to do.
      return support
        ? trans.__('Parquet (%1)', trans.__(support.short))
        : trans.__('Parquet (written by the notebook’s kernel)');
    },
    caption: args =>
      formatOf(args.format) === 'parquet'
        ? (exporter.parquet?.why ??
          trans.__('Written by the active notebook’s kernel, with pyarrow.'))
        : trans.__(
            'Download the groups on show, one row per member with keep or drop, as %1',
            FORMAT_LABELS[formatOf(args.format)]
          ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          format: {
            type: 'string',
            enum: ['csv', 'jsonl', 'parquet'],
            description: trans.__('The file format (default csv)')
          }
        }
      }
    },
    isEnabled: args =>
      canAct() &&
      (formatOf(args.format) !== 'parquet' || !!exporter.parquet?.available),
    execute: async args => {
      const outcome = model.outcome;
      if (!outcome) {
        return;
      }
      const format = formatOf(args.format);
      // Parquet waits for the kernel: say so meanwhile. (A new notification at the end, not an
      // update: a toast updated at once can miss the update.)
      const pending =
        format === 'parquet'
          ? Notification.emit(
              trans.__('Writing Parquet in the notebook’s kernel…'),
              'in-progress',
              { autoClose: false }
            )
          : null;
      try {
        const done = await exporter.exportAs(outcome, planOf(outcome), format);
        Notification.success(exportDoneText(done, trans), {
          autoClose: false,
          actions: [
            {
              label: trans.__('Download its manifest (%1)', done.manifest),
              caption: trans.__(
                'Where the rows came from: collection, vector, threshold, scan, time, version and the plan'
              ),
              callback: event => {
                event.preventDefault(); // the notification stays, with the rows' name
                done.downloadManifest();
              }
            }
          ]
        });
      } catch (error) {
        Notification.error((error as Error).message, { autoClose: false });
      } finally {
        if (pending) {
          Notification.dismiss(pending);
        }
      }
    }
  });

  commands.addCommand(CommandIDs.insertCode, {
    label: trans.__('Insert Code to Tag the Plan'),
    caption: trans.__(
      'Insert below the active notebook cell the code that rebuilds this plan from the scan and tags the collection with it (nothing runs until you run the cell)'
    ),
    describedBy: { args: { type: 'object', properties: {} } },
    isEnabled: () => canAct() && cells !== null,
    execute: async () => {
      const outcome = model.outcome;
      const name = cells?.notebookName() ?? null;
      if (!outcome || !cells || name === null) {
        Notification.warning(
          trans.__('Open a notebook to insert the code that tags the plan.'),
          { autoClose: 5000 }
        );
        return;
      }
      let source: string;
      try {
        source = planCell(outcome, planOf(outcome));
      } catch (error) {
        Notification.error((error as Error).message, { autoClose: false });
        return;
      }
      // The cell works on nd.groups(): the kernel gets this scan's groups first.
      const sent = sendAll ? await sendAll(outcome) : null;
      if (!cells.insertBelow(source)) {
        Notification.warning(
          trans.__('Open a notebook to insert the code that tags the plan.'),
          { autoClose: 5000 }
        );
        return;
      }
      if (sent && sent.state !== 'sent') {
        Notification.warning(
          trans.__(
            'Inserted the code in %1, but its kernel does not hold the groups yet: %2',
            name,
            sent.text.replace(/`/g, '')
          ),
          { autoClose: false }
        );
      } else {
        Notification.info(
          trans.__(
            'Inserted the code in %1: run the cell to tag the plan in the collection.',
            name
          ),
          { autoClose: 5000 }
        );
      }
    }
  });

  // Menus and the toolbar follow the model: told only when the answer may have changed.
  let enabled = canAct();
  model.stateChanged.connect(() => {
    if (canAct() !== enabled) {
      enabled = canAct();
      commands.notifyCommandChanged(CommandIDs.exportGroups);
      commands.notifyCommandChanged(CommandIDs.insertCode);
    }
  });
}
