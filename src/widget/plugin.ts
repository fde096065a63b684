// Registers the SampleGrid widget (Python's nd.SampleGrid) with the notebook's widget manager.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { SampleGridModel } from './model';
import { MODULE_NAME, MODULE_VERSION } from './version';
import { SampleGridView } from './view';

export const WIDGET_PLUGIN_ID = 'jupyterlab-near-duplicates:widget';

export const widgetPlugin: JupyterFrontEndPlugin<void> = {
  id: WIDGET_PLUGIN_ID,
  description: 'The SampleGrid notebook widget (nd.SampleGrid): a paged grid of sample thumbnails.',
  autoStart: true,
  requires: [IJupyterWidgetRegistry],
  activate: (_app: JupyterFrontEnd, registry: IJupyterWidgetRegistry) => {
    registry.registerWidget({
      name: MODULE_NAME,
      version: MODULE_VERSION,
      exports: { SampleGridModel, SampleGridView }
    });
  }
};
