// The threshold (similarity or maximum distance), Detect and Cancel, and the regroup hints.
import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';
import {
  DetectControls,
  IDetectControlsProps
} from '../../components/DetectControls';

function setup(overrides: Partial<IDetectControlsProps> = {}) {
  const props: IDetectControlsProps = {
    distance: 'Cosine',
    threshold: 0.95,
    onThresholdChange: jest.fn(),
    collection: 'photos',
    canDetect: true,
    scanning: false,
    onDetect: jest.fn(),
    onCancel: jest.fn(),
    lastScanThreshold: null,
    ...overrides
  };
  const view = render(<DetectControls {...props} />);
  return { props, ...view };
}

const detect = () =>
  screen.getByRole('button', {
    name: 'Detect Duplicates'
  }) as HTMLButtonElement;

describe('DetectControls, idle', () => {
  it('shows the threshold on a slider and in a number field, bound together', () => {
    const { props, rerender } = setup();
    const slider = screen.getByRole('slider', {
      name: 'Similarity threshold (Cosine)'
    }) as HTMLInputElement;
    const field = screen.getByRole('spinbutton', {
      name: 'Similarity threshold value'
    }) as HTMLInputElement;
    expect(slider.min).toBe('0.8');
    expect(slider.max).toBe('0.99');
    expect(slider.step).toBe('0.01');
    expect(slider.value).toBe('0.95');
    expect(field.value).toBe('0.95');

    fireEvent.change(slider, { target: { value: '0.9' } });
    expect(props.onThresholdChange).toHaveBeenLastCalledWith(0.9);
    rerender(<DetectControls {...props} threshold={0.9} />);
    expect(field.value).toBe('0.90');
    expect(slider.value).toBe('0.9');

    fireEvent.change(field, { target: { value: '0.97' } });
    expect(props.onThresholdChange).toHaveBeenLastCalledWith(0.97);
    rerender(<DetectControls {...props} threshold={0.97} />);
    expect(slider.value).toBe('0.97');
  });

  it('waits for a typed value to be in range, and snaps it on leaving the field', () => {
    const { props } = setup();
    const field = screen.getByRole('spinbutton', {
      name: 'Similarity threshold value'
    }) as HTMLInputElement;
    fireEvent.change(field, { target: { value: '0.5' } });
    expect(props.onThresholdChange).not.toHaveBeenCalled();
    expect(field.getAttribute('aria-invalid')).toBe('true');
    fireEvent.blur(field);
    expect(props.onThresholdChange).toHaveBeenLastCalledWith(0.8);
    expect(field.value).toBe('0.95');
  });

  it('ignores an empty field', () => {
    const { props } = setup();
    const field = screen.getByRole('spinbutton', {
      name: 'Similarity threshold value'
    });
    fireEvent.change(field, { target: { value: '' } });
    fireEvent.blur(field);
    expect(props.onThresholdChange).not.toHaveBeenCalled();
  });

  it('says what the threshold means', () => {
    setup();
    expect(
      screen.getByText(/cosine similarity above 0.95 count as near-duplicates/)
    ).toBeTruthy();
  });

  it('detects on click', () => {
    const { props } = setup();
    expect(detect().disabled).toBe(false);
    fireEvent.click(detect());
    expect(props.onDetect).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('button', { name: /cancel/i })).toBeNull();
  });

  it('cannot detect with no collection, and says to choose one', () => {
    setup({ collection: null, canDetect: false });
    expect(detect().disabled).toBe(true);
    expect(detect().title).toBe('Choose a collection first');
  });

  it('follows the detect command: off when it is off, whatever the collection', () => {
    setup({ canDetect: false });
    expect(detect().disabled).toBe(true);
  });

  it('gives every control an accessible name', () => {
    setup({ lastScanThreshold: 0.97 });
    for (const role of ['button', 'slider', 'spinbutton']) {
      expect(screen.getAllByRole(role, { name: /\S/ })).toHaveLength(
        screen.getAllByRole(role).length
      );
    }
  });
});

describe('DetectControls before the distance is known', () => {
  it('offers a plain similarity threshold', () => {
    setup({ distance: null, collection: null });
    expect(
      screen.getByRole('slider', { name: 'Similarity threshold' })
    ).toBeTruthy();
    expect(screen.getByText(/Pairs with similarity above 0.95/)).toBeTruthy();
  });
});

describe('DetectControls, scanning', () => {
  it('disables Detect and the threshold, and offers Cancel', () => {
    const { props } = setup({ scanning: true, lastScanThreshold: 0.97 });
    expect(detect().disabled).toBe(true);
    expect((screen.getByRole('slider') as HTMLInputElement).disabled).toBe(
      true
    );
    expect((screen.getByRole('spinbutton') as HTMLInputElement).disabled).toBe(
      true
    );
    fireEvent.click(screen.getByRole('button', { name: 'Cancel the scan' }));
    expect(props.onCancel).toHaveBeenCalledTimes(1);
    expect(screen.queryByText(/last scan/)).toBeNull();
  });
});

describe('DetectControls, after a scan', () => {
  it('says a stricter threshold regroups without a new scan', () => {
    setup({ threshold: 0.97, lastScanThreshold: 0.95 });
    expect(
      screen.getByText(
        'Regrouped from the last scan at 0.95 — no new scan needed'
      )
    ).toBeTruthy();
    expect(screen.queryByRole('button', { name: /rescan/i })).toBeNull();
  });

  it('offers a rescan for a looser threshold', () => {
    const { props } = setup({ threshold: 0.9, lastScanThreshold: 0.95 });
    expect(
      screen.getByText(
        'Looser than the last scan (0.95): Detect again to include more pairs'
      )
    ).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Rescan at 0.90' }));
    expect(props.onDetect).toHaveBeenCalledTimes(1);
  });

  it('says nothing at the scan threshold itself', () => {
    setup({ threshold: 0.95, lastScanThreshold: 0.95 });
    expect(screen.queryByText(/last scan/)).toBeNull();
  });
});

describe('DetectControls for distances', () => {
  it('asks for a maximum distance in a free number field', () => {
    const { props } = setup({ distance: 'Euclid', threshold: 0.5 });
    expect(screen.queryByRole('slider')).toBeNull();
    const field = screen.getByRole('spinbutton', {
      name: 'Maximum distance (Euclid)'
    }) as HTMLInputElement;
    expect(field.value).toBe('0.5');
    expect(
      screen.getByText(/closer than 0.5 \(Euclid distance\)/)
    ).toBeTruthy();
    fireEvent.change(field, { target: { value: '1.25' } });
    expect(props.onThresholdChange).toHaveBeenLastCalledWith(1.25);
    fireEvent.change(field, { target: { value: '-1' } });
    expect(props.onThresholdChange).toHaveBeenCalledTimes(1);
  });

  it('reads a smaller distance as stricter', () => {
    setup({ distance: 'Manhattan', threshold: 2, lastScanThreshold: 3 });
    expect(
      screen.getByText('Regrouped from the last scan at 3 — no new scan needed')
    ).toBeTruthy();
  });

  it('reads a larger distance as looser', () => {
    setup({ distance: 'Euclid', threshold: 4, lastScanThreshold: 3 });
    expect(screen.getByRole('button', { name: 'Rescan at 4' })).toBeTruthy();
  });
});

describe('DetectControls, an interrupted scan kept (issue 16)', () => {
  const kept = {
    key: 'embedded||photos',
    collection: 'photos',
    using: '',
    distance: 'Cosine' as const,
    threshold: 0.95,
    exact: false,
    points: 40000,
    done: 24900,
    phase: 'scanning' as const,
    pairs: 12,
    savedAt: 0
  };

  it('offers Resume with the share done, and Discard', () => {
    const onResume = jest.fn();
    const onDiscard = jest.fn();
    setup({
      checkpoint: kept,
      pointsNow: 40000,
      vector: '',
      onResume,
      onDiscard
    });
    fireEvent.click(screen.getByRole('button', { name: 'Resume (62% done)' }));
    expect(onResume).toHaveBeenCalled();
    expect(
      screen.getByText(
        'An interrupted scan of this collection was kept: 24,900 of 40,000 points asked, 12 pairs found.'
      )
    ).toBeTruthy();
    fireEvent.click(
      screen.getByRole('button', { name: 'Discard the interrupted scan' })
    );
    expect(onDiscard).toHaveBeenCalled();
    // Detect still starts afresh; Resume is the first choice.
    expect(detect().className).not.toContain('jp-NearDuplicates-primary');
  });

  it("names the scan's own threshold and vector when they are not the ones set now", () => {
    setup({
      checkpoint: { ...kept, threshold: 0.9, using: 'img' },
      threshold: 0.95,
      pointsNow: 40000,
      vector: 'text'
    });
    expect(
      screen.getByRole('button', { name: 'Resume at 0.90 (62% done)' })
    ).toBeTruthy();
    expect(screen.getByRole('status').textContent).toContain(
      'It scanned at 0.90, not at the threshold set now; Resume finishes it at 0.90. It compared the vector img; Resume compares that one.'
    );
  });

  it('says when the collection seems to have changed since', () => {
    setup({ checkpoint: kept, pointsNow: 40050, vector: '' });
    expect(screen.getByRole('status').textContent).toContain(
      'The collection seems to have changed since (40,000 points then, 40,050 now): Resume lists its points again and resumes only if they are the same.'
    );
  });

  it('offers Scan changes after a finished scan when the point count changed, not before', () => {
    const onScanChanges = jest.fn();
    const finished = { ...kept, phase: 'complete' as const, done: 40000 };
    const { rerender, props } = setup({
      lastScanKept: finished,
      pointsNow: 40000,
      onScanChanges
    });
    expect(screen.queryByRole('button', { name: 'Scan changes' })).toBeNull();
    rerender(<DetectControls {...props} pointsNow={40066} />);
    expect(screen.getByRole('status').textContent).toBe(
      'The collection has 40,066 points now, 40,000 at its last scan (at 0.95): Scan changes asks only about the points added and drops the deleted ones.Scan changes'
    );
    fireEvent.click(screen.getByRole('button', { name: 'Scan changes' }));
    expect(onScanChanges).toHaveBeenCalled();
  });

  it('offers Show last scan for a kept finished scan with nothing on show, and runs it on click', () => {
    const onShowLastScan = jest.fn();
    const finished = {
      ...kept,
      phase: 'complete' as const,
      done: 40000,
      pairs: 6_512_345,
      savedAt: Date.UTC(2026, 11, 2, 9, 47)
    };
    const { rerender, props } = setup({ lastScanToShow: null, onShowLastScan });
    expect(screen.queryByRole('button', { name: 'Show last scan' })).toBeNull();
    rerender(<DetectControls {...props} lastScanToShow={finished} />);
    const text = screen.getByRole('status').textContent ?? '';
    expect(text).toContain(
      'The last scan of this collection is kept: 40,000 points at 0.95, finished '
    );
    expect(text).toContain(
      new Date(Date.UTC(2026, 11, 2, 9, 47)).toLocaleString()
    );
    expect(text).toContain(
      'with 6,512,345 pairs. Show last scan brings its groups back without scanning again: it lists the collection, reads the details of the points in groups and checks a sample of points exactly.'
    );
    fireEvent.click(screen.getByRole('button', { name: 'Show last scan' }));
    expect(onShowLastScan).toHaveBeenCalledTimes(1);
    // Not while a scan runs.
    rerender(
      <DetectControls {...props} lastScanToShow={finished} scanning={true} />
    );
    expect(screen.queryByRole('button', { name: 'Show last scan' })).toBeNull();
  });

  it('is not shown while a scan runs', () => {
    setup({ checkpoint: kept, scanning: true });
    expect(screen.queryByRole('button', { name: /^Resume/ })).toBeNull();
  });
});
