// Insert code's cell, put below the active cell of the current notebook, and nothing run.
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import type { ICellInserter } from '../planCommands';

export function notebookCells(tracker: INotebookTracker): ICellInserter {
  return {
    notebookName: () => tracker.currentWidget?.title.label ?? null,
    insertBelow: source => {
      const notebook = tracker.currentWidget?.content;
      if (!notebook) {
        return false;
      }
      NotebookActions.insertBelow(notebook);
      if (notebook.activeCell?.model.type !== 'code') {
        NotebookActions.changeCellType(notebook, 'code');
      }
      const cell = notebook.activeCell;
      if (!cell) {
        return false;
      }
      cell.model.sharedModel.setSource(source);
      return true;
    }
  };
}
