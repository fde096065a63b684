// Wiring only: registers the Near Duplicates panel, its command, restorer and settings.
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { nearDuplicatesIcon } from './icons';
import { ServerApi } from './api';
import { NearDuplicatesModel } from './model';
import { NearDuplicatesPanel } from './panel';
import { createScanWorker } from './scanWorker';
import { CommandIDs, PANEL_PLUGIN_ID, readSettings } from './tokens';

const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: PANEL_PLUGIN_ID,
  description: 'The Near Duplicates side panel.',
  autoStart: true,
  requires: [ISettingRegistry],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const model = new NearDuplicatesModel({
      createWorker: createScanWorker,
      api: new ServerApi()
    });
    const panel = new NearDuplicatesPanel(model);
    app.shell.add(panel, 'left', { rank: 850 });
    restorer?.add(panel, 'near-duplicates');
    model.start();
    void model.refreshBackend();

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Near Duplicates: Open Panel',
      caption: 'Open the Near Duplicates panel',
      icon: nearDuplicatesIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: CommandIDs.openPanel, category: 'Near Duplicates' });

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

export default [panelPlugin];
