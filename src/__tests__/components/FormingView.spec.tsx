// The group list's line about groups the scan worker is forming, or could not.
import { render, screen } from '@testing-library/react';
import * as React from 'react';
import { FormingView } from '../../components/FormingView';

describe('FormingView', () => {
  it('says the groups are being formed, at which threshold, as a status', () => {
    render(
      <FormingView
        forming={{ linkage: 'complete', threshold: 0.95 }}
        error={null}
        distance="Cosine"
      />
    );
    expect(screen.getByRole('status').textContent).toBe(
      'Forming the groups by complete linkage at 0.95…'
    );
  });

  it('says a regroup of single-linkage groups is under way, without naming a linkage', () => {
    render(
      <FormingView
        forming={{ linkage: 'single', threshold: 0.97 }}
        error={null}
        distance="Cosine"
      />
    );
    expect(screen.getByRole('status').textContent).toBe(
      'Forming the groups at 0.97…'
    );
  });

  it('says why the worker could not, what the list shows and what to do, as an alert', () => {
    render(
      <FormingView
        forming={null}
        error="Array buffer allocation failed"
        distance="Cosine"
      />
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain(
      'The groups could not be formed in the scan worker'
    );
    expect(alert.textContent).toContain(
      'The list shows the groups as they were. Reload the page to start the scan worker again.'
    );
    expect(alert.textContent).toContain(
      'The scan worker said: Array buffer allocation failed'
    );
  });

  it('shows nothing otherwise', () => {
    const { container } = render(
      <FormingView forming={null} error={null} distance="Euclid" />
    );
    expect(container.textContent).toBe('');
  });
});
