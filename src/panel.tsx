// The Near Duplicates side panel: a Lumino SidePanel whose sections are React views
// of the model.
import { ReactWidget, SidePanel, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { WorkerStatusView } from './components/WorkerStatusView';
import { nearDuplicatesIcon } from './icons';
import { NearDuplicatesModel } from './model';
import { PANEL_ID } from './tokens';

export class NearDuplicatesPanel extends SidePanel {
  constructor(readonly model: NearDuplicatesModel) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-NearDuplicates-panel');
    this.title.icon = nearDuplicatesIcon;
    this.title.caption = 'Near Duplicates';

    this.header.addWidget(
      ReactWidget.create(<h2 className="jp-NearDuplicates-title">Near Duplicates</h2>)
    );

    const scan = ReactWidget.create(
      <UseSignal signal={model.stateChanged}>
        {() => <WorkerStatusView status={model.workerStatus} />}
      </UseSignal>
    );
    scan.addClass('jp-NearDuplicates-section');
    scan.title.label = 'Scan';
    this.addWidget(scan);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }
}
