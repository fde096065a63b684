// Registers the SampleGrid widget (Python's nd.SampleGrid) with the notebook's widget manager,
// and keeps every grid on the panel's remote-thumbnail settings.
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { PANEL_PLUGIN_ID } from '../tokens';
import { SampleGridModel } from './model';
import { labRemotePolicy } from './labPolicy';
import { MODULE_NAME, MODULE_VERSION } from './version';
import { SampleGridView } from './view';

export const WIDGET_PLUGIN_ID = 'jupyterlab-near-duplicates:widget';

export const widgetPlugin: JupyterFrontEndPlugin<void> = {
  id: WIDGET_PLUGIN_ID,
  description:
    'The SampleGrid notebook widget (nd.SampleGrid): a paged grid of sample thumbnails.',
  autoStart: true,
  requires: [IJupyterWidgetRegistry],
  optional: [ISettingRegistry],
  activate: (
    _app: JupyterFrontEnd,
    registry: IJupyterWidgetRegistry,
    settingRegistry: ISettingRegistry | null
  ) => {
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { SampleGridModel, SampleGridView }
    });
    if (!settingRegistry) {
      return;
    }
    // The panel's settings: a user who turned remote thumbnails off means in grids too.
    void settingRegistry
      .load(PANEL_PLUGIN_ID)
      .then(settings => {
        const update = () =>
          labRemotePolicy.update(
            settings.composite.remoteThumbnails,
            settings.composite.thumbnailHosts
          );
        update();
        settings.changed.connect(update);
      })
      .catch(reason =>
        console.warn('SampleGrid: could not read the panel settings', reason)
      );
  }
};
