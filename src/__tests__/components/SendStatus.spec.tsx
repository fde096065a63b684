// The panel's send bar: Send all groups, and the status line after each send.
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';
import type { ISendStatus } from '../../bridge';
import {
  NotebookSendBar,
  SendStatusView,
  toneOf
} from '../../components/SendStatus';

describe('NotebookSendBar', () => {
  it('sends all groups on click, and is off with no groups', () => {
    const onSendAll = jest.fn();
    const { rerender } = render(
      <NotebookSendBar status={null} groupCount={3} onSendAll={onSendAll} />
    );
    fireEvent.click(screen.getByRole('button', { name: 'Send all groups' }));
    expect(onSendAll).toHaveBeenCalledTimes(1);
    rerender(
      <NotebookSendBar status={null} groupCount={0} onSendAll={onSendAll} />
    );
    expect(
      (
        screen.getByRole('button', {
          name: 'Send all groups'
        }) as HTMLButtonElement
      ).disabled
    ).toBe(true);
  });

  it('hints at clicking a group before any send', () => {
    render(<SendStatusView status={null} />);
    expect(screen.getByRole('status').textContent).toBe(
      'Click a group to send it to the active notebook (nd.selection)'
    );
  });
});

describe('SendStatusView', () => {
  it('shows the import to run as code', () => {
    const status: ISendStatus = {
      state: 'not-imported',
      text: 'Run `import jupyterlab_near_duplicates` in plain.ipynb',
      notebook: 'plain.ipynb'
    };
    render(<SendStatusView status={status} />);
    const line = screen.getByRole('status');
    expect(line.textContent).toBe(
      'Run import jupyterlab_near_duplicates in plain.ipynb'
    );
    expect(line.querySelector('code')?.textContent).toBe(
      'import jupyterlab_near_duplicates'
    );
    expect(line.classList.contains('jp-NearDuplicates-sendStatus-action')).toBe(
      true
    );
  });

  it('keeps a notebook name with markup as text', () => {
    render(
      <SendStatusView
        status={{
          state: 'sent',
          text: 'Sent 2 samples to <img src=x>.ipynb',
          notebook: '<img src=x>.ipynb'
        }}
      />
    );
    expect(screen.getByRole('status').textContent).toBe(
      'Sent 2 samples to <img src=x>.ipynb'
    );
    expect(screen.getByRole('status').querySelector('img')).toBeNull();
  });

  it('lists raising callbacks in the tooltip', () => {
    render(
      <SendStatusView
        status={{
          state: 'sent',
          text: 'Sent 2 samples to a.ipynb · 1 on_select callback raised an error',
          notebook: 'a.ipynb',
          callbackErrors: ['nd.on_select callback f: KeyError: 1']
        }}
      />
    );
    expect(screen.getByRole('status').getAttribute('title')).toBe(
      'nd.on_select callback f: KeyError: 1'
    );
  });

  it('gives each state a tone', () => {
    expect(toneOf('sent')).toBe('ok');
    expect(toneOf('waiting')).toBe('pending');
    expect(toneOf('no-notebook')).toBe('action');
    expect(toneOf('failed')).toBe('error');
  });
});
