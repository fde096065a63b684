// The panel's actions as JupyterLab commands: Detect and Cancel run from the palette, the
// keyboard (schema/panel.json's shortcuts) and the panel's own buttons, by one path.
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { NearDuplicatesModel } from './model';
import type { IScanRequest } from './scan/types';
import { CommandIDs } from './tokens';
import { percentDone } from './format';

/** What the detect command's arguments may ask for: the cures a scan's audit offers. */
export function detectOptions(
  args: ReadonlyPartialJSONObject
): Pick<IScanRequest, 'cure' | 'exact'> {
  const options: Pick<IScanRequest, 'cure' | 'exact'> = {};
  if (args.cure === 'always') {
    options.cure = 'always';
  }
  if (args.exact === true) {
    options.exact = true;
  }
  return options;
}

/** Adds Detect and Cancel, for the life of the app. */
export function addScanCommands(
  commands: CommandRegistry,
  model: NearDuplicatesModel,
  trans: TranslationBundle
): void {
  commands.addCommand(CommandIDs.detect, {
    label: trans.__('Detect Duplicates'),
    caption: trans.__(
      'Scan the chosen collection for near-duplicate samples at the current threshold'
    ),
    describedBy: {
      args: {
        type: 'object',
        properties: {
          cure: {
            type: 'string',
            enum: ['always'],
            description: trans.__(
              "'always': search exactly for every point the index cannot reach, so the scan finds every pair"
            )
          },
          exact: {
            type: 'boolean',
            description: trans.__(
              'Search exactly (no HNSW index) for this scan'
            )
          }
        }
      }
    },
    isEnabled: () => model.canDetect,
    execute: args => model.detect(detectOptions(args))
  });
  commands.addCommand(CommandIDs.resume, {
    label: () => {
      const kept = model.checkpoint;
      return kept
        ? trans.__(
            'Resume the Interrupted Scan (%1% done)',
            percentDone(kept.done, kept.points)
          )
        : trans.__('Resume the Interrupted Scan');
    },
    caption: trans.__(
      "Take up the chosen collection's interrupted scan where it stopped, at its own threshold"
    ),
    describedBy: { args: { type: 'object', properties: {} } },
    isEnabled: () => model.canResume,
    execute: () => model.resume()
  });
  commands.addCommand(CommandIDs.scanChanges, {
    label: trans.__('Scan Changes'),
    caption: trans.__(
      'Scan only the points added to the chosen collection since its last scan, drop the deleted ones, and regroup'
    ),
    describedBy: { args: { type: 'object', properties: {} } },
    isEnabled: () => model.canScanChanges,
    execute: () => model.scanChanges()
  });
  commands.addCommand(CommandIDs.cancel, {
    label: trans.__('Cancel the Scan'),
    caption: trans.__('Stop the running near-duplicate scan'),
    describedBy: { args: { type: 'object', properties: {} } },
    isEnabled: () => model.running !== null,
    execute: () => model.cancel()
  });

  // Menus, the palette and the panel's buttons follow the model; told only when a state flips
  // (progress updates come several times a second).
  let detectEnabled = model.canDetect;
  let cancelEnabled = model.running !== null;
  let resumeState = '';
  const follow = (): void => {
    const resume = `${model.canResume}|${model.checkpoint?.done ?? ''}|${model.canScanChanges}`;
    if (resume !== resumeState) {
      resumeState = resume;
      commands.notifyCommandChanged(CommandIDs.resume);
      commands.notifyCommandChanged(CommandIDs.scanChanges);
    }
    if (model.canDetect !== detectEnabled) {
      detectEnabled = model.canDetect;
      commands.notifyCommandChanged(CommandIDs.detect);
    }
    if ((model.running !== null) !== cancelEnabled) {
      cancelEnabled = model.running !== null;
      commands.notifyCommandChanged(CommandIDs.cancel);
    }
  };
  model.stateChanged.connect(follow);
}
