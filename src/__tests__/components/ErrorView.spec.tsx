// Errors say what went wrong and what to do, and offer Retry when asked to.
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';
import {
  describeError,
  ErrorView,
  ScanErrorView
} from '../../components/ErrorView';
import type { ScanErrorKind } from '../../scan/errors';

describe('ErrorView', () => {
  it('shows a title, what to do, and a Retry that calls back', () => {
    const onRetry = jest.fn();
    render(
      <ErrorView
        title="Something broke"
        action="Do this."
        detail="HTTP 500"
        onRetry={onRetry}
      />
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Something broke');
    expect(alert.textContent).toContain('Do this.');
    expect(alert.textContent).toContain('HTTP 500');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('has no Retry unless asked', () => {
    render(<ErrorView title="t" action="a" />);
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('shows server messages as text, never markup', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const { container } = render(
      <ScanErrorView error={{ kind: 'server-error', message: hostile }} />
    );
    expect(screen.getByText(hostile)).toBeTruthy();
    expect(container.querySelector('img')).toBeNull();
  });
});

describe('describeError', () => {
  it('has advice for every kind of failure', () => {
    const kinds: ScanErrorKind[] = [
      'no-dense-vector',
      'multivector',
      'choose-vector',
      'not-found',
      'auth',
      'unreachable',
      'server-error',
      'cancelled',
      'bad-request'
    ];
    for (const kind of kinds) {
      const { title, action } = describeError({ kind, message: '' });
      expect(title).not.toBe('Something went wrong');
      expect(action.length).toBeGreaterThan(10);
    }
  });

  it('tells 401 from 403', () => {
    expect(
      describeError({ kind: 'auth', status: 401, message: '' }).title
    ).toMatch(/401/);
    expect(
      describeError({ kind: 'auth', status: 403, message: '' }).title
    ).toMatch(/403/);
  });

  it('names missing collections and collections with no dense vector', () => {
    expect(describeError({ kind: 'not-found', message: '' }).title).toBe(
      'Collection not found'
    );
    expect(
      describeError({ kind: 'no-dense-vector', message: '' }).action
    ).toMatch(/Pick a collection with a dense vector/);
  });

  it('lists the vectors to choose from', () => {
    expect(
      describeError({
        kind: 'choose-vector',
        message: '',
        vectors: ['image', 'text']
      }).action
    ).toContain('image, text');
  });

  it('explains a refused second scan (409)', () => {
    expect(
      describeError({ kind: 'bad-request', status: 409, message: '' }).title
    ).toBe('A scan of this collection is already running');
  });

  it('tells a refused claim from a lost one', () => {
    expect(
      describeError({ kind: 'busy', status: 409, message: '' }).title
    ).toBe('A scan of this collection is already running');
    expect(describeError({ kind: 'busy', message: '' }).title).toBe(
      'The scan lost its hold on this collection'
    );
  });
});
