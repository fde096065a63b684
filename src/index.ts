// Wiring only: registers the Near Duplicates panel, its commands, restorer and settings,
// the bridge that sends clicked groups to the active notebook, and the SampleGrid widget.
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IStateDB } from '@jupyterlab/statedb';
import { ReadonlyPartialJSONValue } from '@lumino/coreutils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { addScanCommands } from './commands';
import { nearDuplicatesIcon } from './icons';
import { ServerApi } from './api';
import { NotebookBridge } from './bridge';
import { ExportActions } from './export/exportActions';
import { notebookCells } from './export/notebookCells';
import { exportPlanOf } from './export/panelPlan';
import { addPlanCommands } from './planCommands';
import { NearDuplicatesModel } from './model';
import type { IScanOutcome } from './modelTypes';
import { NearDuplicatesPanel } from './panel';
import { createScanWorker } from './scanWorker';
import {
  CommandIDs,
  PANEL_PLUGIN_ID,
  readSettings,
  TRANSLATION_DOMAIN
} from './tokens';
import { widgetPlugin } from './widget/plugin';

const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: PANEL_PLUGIN_ID,
  description: 'The Near Duplicates side panel.',
  autoStart: true,
  requires: [ISettingRegistry],
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    IStateDB,
    INotebookTracker,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    state: IStateDB | null,
    notebooks: INotebookTracker | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const model = new NearDuplicatesModel({
      createWorker: createScanWorker,
      api: new ServerApi()
    });
    const bridge = notebooks ? new NotebookBridge(notebooks) : null;
    addScanCommands(app.commands, model, trans);
    const sendAll = bridge
      ? (outcome: IScanOutcome) => bridge.sendAllGroups(outcome)
      : null;
    const exporter = new ExportActions(notebooks, sendAll);
    addPlanCommands(app.commands, {
      model,
      exporter,
      planOf: outcome => exportPlanOf(model, outcome),
      sendAll,
      cells: notebooks ? notebookCells(notebooks) : null,
      trans
    });
    const panel = new NearDuplicatesPanel(model, bridge, {
      commands: app.commands,
      translator: translator ?? nullTranslator,
      exporter
    });
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, 'near-duplicates');
    model.start();
    window.addEventListener('pagehide', () => model.leavePage());
    if (state) {
      keepResults(model, state);
    }
    void model.refreshBackend();

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Near Duplicates: Open Panel'),
      caption: trans.__('Open the Near Duplicates panel'),
      icon: nearDuplicatesIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    const category = trans.__('Near Duplicates');
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.detect,
      CommandIDs.resume,
      CommandIDs.scanChanges,
      CommandIDs.cancel,
      CommandIDs.insertCode
    ]) {
      palette?.addItem({ command, category });
    }

    Promise.all([app.restored, settingRegistry.load(PANEL_PLUGIN_ID)])
      .then(([, settings]) => {
        const update = () => {
          model.settings = readSettings(settings.composite);
        };
        update();
        settings.changed.connect(update);
      })
      .catch(reason => {
        console.error(`${PANEL_PLUGIN_ID}: settings failed to load.`, reason);
      });
  }
};

/** How long the plan's decisions wait to be saved, so a burst of clicks saves once. */
const PLAN_SAVE_DELAY_MS = 300;

/** The last scan's results survive closing the panel and reloading the page. */
function keepResults(model: NearDuplicatesModel, state: IStateDB): void {
  const key = `${PANEL_PLUGIN_ID}:last-scan`;
  state
    .fetch(key)
    .then(saved => {
      if (saved) {
        model.restoreOutcome(saved);
      }
    })
    .catch(reason =>
      console.warn(
        `${PANEL_PLUGIN_ID}: could not restore the last scan.`,
        reason
      )
    )
    .then(() => {
      const save = () => {
        const saved = model.saveOutcome();
        void state.save(key, saved as unknown as ReadonlyPartialJSONValue);
      };
      model.outcomeChanged.connect(save);
      // The plan's pins, marks and rules are kept with the scan; a burst of clicks saves once.
      let timer: ReturnType<typeof setTimeout> | null = null;
      model.plan.changed.connect((_, change) => {
        if (change === 'decisions') {
          if (timer !== null) {
            clearTimeout(timer);
          }
          timer = setTimeout(() => {
            timer = null;
            save();
          }, PLAN_SAVE_DELAY_MS);
        }
      });
    });
}

export default [panelPlugin, widgetPlugin];
