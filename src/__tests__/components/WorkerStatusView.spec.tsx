// The scan worker is silent when it works, and says what to do when it cannot scan.
import { render, screen } from '@testing-library/react';
import * as React from 'react';
import { WorkerStatusView } from '../../components/WorkerStatusView';

describe('WorkerStatusView', () => {
  it('says nothing while the worker starts or once it is ready', () => {
    const starting = render(
      <WorkerStatusView status={{ state: 'starting' }} />
    );
    expect(starting.container.textContent).toBe('');
    starting.unmount();
    const ready = render(
      <WorkerStatusView
        status={{ state: 'ready', protocol: 3, qdrantClient: true }}
      />
    );
    expect(ready.container.textContent).toBe('');
  });

  it('says what to do when the worker failed, with its reason as text', () => {
    const reason = 'The scan worker failed: <b>SyntaxError</b> in bundle';
    render(<WorkerStatusView status={{ state: 'failed', message: reason }} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Scanning is not available');
    expect(alert.textContent).toContain('Reload the page');
    expect(screen.getByText(reason)).toBeTruthy();
    expect(alert.querySelector('b')).toBeNull();
  });

  it('says a worker that stopped after it started stopped, and that the results on show stay', () => {
    render(
      <WorkerStatusView
        status={{
          state: 'failed',
          message: 'The scan worker failed: out of memory',
          stopped: true
        }}
      />
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('The scan worker stopped');
    expect(alert.textContent).not.toContain('did not load');
    expect(alert.textContent).toContain(
      'Reload the page to start it again. Until then the results on show stay'
    );
    expect(
      screen.getByText('The scan worker failed: out of memory')
    ).toBeTruthy();
  });

  it('counts a worker without its Qdrant client as one that cannot scan', () => {
    render(
      <WorkerStatusView
        status={{ state: 'ready', protocol: 3, qdrantClient: false }}
      />
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Reload the page');
    expect(alert.textContent).toContain('the Qdrant client did not load');
  });
});
