// The panel's line to the notebook: "Send all groups", and what became of the last send
// ("Sent 7 samples to Analysis.ipynb", "Run `import jupyterlab_near_duplicates` in ...").
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { ISendStatus, SendState } from '../bridge';
import { untranslated } from '../translation';

export interface INotebookSendBarProps {
  /** The last send's status, or null before any. */
  status: ISendStatus | null;
  /** Groups on show; Send all groups is off when there are none. */
  groupCount: number;
  onSendAll: () => void;
  trans?: TranslationBundle;
}

/** Send all groups, and the status line. */
export function NotebookSendBar(props: INotebookSendBarProps): JSX.Element {
  const { status, groupCount, onSendAll, trans = untranslated } = props;
  return (
    <div className="jp-NearDuplicates-send">
      <button
        type="button"
        className="jp-NearDuplicates-button jp-NearDuplicates-sendAll"
        disabled={groupCount === 0}
        title={trans.__(
          'Send every group on show to the active notebook, for nd.groups()'
        )}
        onClick={onSendAll}
      >
        {trans.__('Send all groups')}
      </button>
      <SendStatusView status={status} trans={trans} />
    </div>
  );
}

/** The status line; a live region, so a screen reader hears each outcome. */
export function SendStatusView(props: {
  status: ISendStatus | null;
  trans?: TranslationBundle;
}): JSX.Element {
  const { status, trans = untranslated } = props;
  const tone = status ? toneOf(status.state) : 'hint';
  const text =
    status?.text ??
    trans.__(
      'Click a group to send it to the active notebook (`nd.selection`)'
    );
  return (
    <div
      className={`jp-NearDuplicates-sendStatus jp-NearDuplicates-sendStatus-${tone}`}
      role="status"
      aria-live="polite"
      title={
        status?.callbackErrors?.length
          ? status.callbackErrors.join('\n')
          : undefined
      }
    >
      {withCode(text)}
    </div>
  );
}

export type SendTone = 'hint' | 'pending' | 'ok' | 'action' | 'error';

/** How a state reads: done, on its way, waiting on the user, or broken. */
export function toneOf(state: SendState): SendTone {
  switch (state) {
    case 'sent':
      return 'ok';
    case 'sending':
    case 'waiting':
      return 'pending';
    case 'failed':
      return 'error';
    default:
      return 'action';
  }
}

/** Text with `code` spans; React escapes every piece, so names stay text. */
export function withCode(text: string): React.ReactNode[] {
  return text
    .split('`')
    .map((part, i) =>
      i % 2 === 1 ? (
        <code key={i}>{part}</code>
      ) : (
        <React.Fragment key={i}>{part}</React.Fragment>
      )
    );
}
