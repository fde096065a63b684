// The backend line and the collection and vector pickers, in each state a user meets.
import { fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';
import type { IBackendInfo } from '../../api';
import {
  ConnectionView,
  IConnectionViewProps
} from '../../components/ConnectionView';
import { scanVector } from '../../scan/collection';

const backend: IBackendInfo = {
  kind: 'embedded',
  version: '1.13.2',
  collections: [
    {
      name: 'photos',
      points_count: 12345,
      vectors: { '': { size: 512, distance: 'Cosine' } },
      sparse_vectors: []
    },
    {
      name: 'products',
      points_count: 1,
      vectors: {
        image: { size: 768, distance: 'Cosine' },
        text: { size: 384, distance: 'Dot' },
        colbert: { size: 128, distance: 'Cosine', multivector: true }
      },
      sparse_vectors: []
    },
    {
      name: 'keywords',
      points_count: null,
      vectors: {},
      sparse_vectors: ['bm25']
    }
  ]
};

function setup(overrides: Partial<IConnectionViewProps> = {}) {
  const props: IConnectionViewProps = {
    backend,
    loading: false,
    error: null,
    collection: null,
    vector: null,
    onCollectionChange: jest.fn(),
    onVectorChange: jest.fn(),
    onRefresh: jest.fn(),
    ...overrides
  };
  const { rerender } = render(<ConnectionView {...props} />);
  return Object.assign(props, {
    rerender: (next: Partial<IConnectionViewProps>) =>
      rerender(<ConnectionView {...props} {...next} />)
  });
}

describe('ConnectionView', () => {
  it('says it is connecting while the first answer is on its way', () => {
    setup({ backend: null, loading: true });
    expect(screen.getByText('Connecting to the Qdrant backend…')).toBeTruthy();
    const refresh = screen.getByRole('button', {
      name: /refresh/i
    }) as HTMLButtonElement;
    expect(refresh.disabled).toBe(true);
    expect(screen.queryByRole('combobox')).toBeNull();
  });

  it('names the embedded backend and its version', () => {
    setup();
    expect(screen.getByText('Embedded Qdrant 1.13.2')).toBeTruthy();
  });

  it('names a remote backend by its URL', () => {
    setup({
      backend: {
        ...backend,
        kind: 'remote',
        url: 'https://qdrant.example.org:6333'
      }
    });
    expect(
      screen.getByText(
        'Remote Qdrant at https://qdrant.example.org:6333, 1.13.2'
      )
    ).toBeTruthy();
  });

  it('lists collections with their point counts and reports a choice', () => {
    const props = setup();
    const picker = screen.getByRole('combobox', { name: 'Collection' });
    const options = within(picker)
      .getAllByRole('option')
      .map(o => o.textContent);
    expect(options).toEqual([
      'Choose a collection…',
      'photos (12,345 points)',
      'products (1 point)',
      'keywords (points unknown)'
    ]);
    fireEvent.change(picker, { target: { value: 'photos' } });
    expect(props.onCollectionChange).toHaveBeenCalledWith('photos');
  });

  it('shows no vector picker for a collection with one dense vector', () => {
    setup({ collection: 'photos' });
    expect(screen.queryByRole('combobox', { name: 'Vector' })).toBeNull();
    expect(screen.getByText('512-d vectors, Cosine distance')).toBeTruthy();
  });

  it('offers the dense vectors of a collection that has several', () => {
    const props = setup({ collection: 'products' });
    const picker = screen.getByRole('combobox', { name: 'Vector' });
    const options = within(picker).getAllByRole(
      'option'
    ) as HTMLOptionElement[];
    expect(options.map(o => o.textContent)).toEqual([
      'Choose a vector…',
      'image (768-d, Cosine)',
      'text (384-d, Dot)',
      'colbert (multivector, cannot be scanned)'
    ]);
    expect(options[3].disabled).toBe(true);
    expect(
      screen.getByText('Several dense vectors: choose one to compare by.')
    ).toBeTruthy();
    fireEvent.change(picker, { target: { value: 'text' } });
    expect(props.onVectorChange).toHaveBeenCalledWith('text');
  });

  it('shows the chosen vector', () => {
    setup({ collection: 'products', vector: 'text' });
    const picker = screen.getByRole('combobox', {
      name: 'Vector'
    }) as HTMLSelectElement;
    expect(picker.value).toBe('text');
    expect(screen.getByText('384-d vectors, Dot distance')).toBeTruthy();
  });

  it('says when a collection has no dense vector', () => {
    setup({ collection: 'keywords' });
    expect(
      screen.getByText(
        'No dense vector: this collection cannot be scanned for near-duplicates.'
      )
    ).toBeTruthy();
  });

  it('tells what to do when there are no collections', () => {
    setup({ backend: { ...backend, collections: [] } });
    expect(screen.getByText(/No collections on this backend yet/)).toBeTruthy();
  });

  it('shows an unreachable backend with what to do, and retries', () => {
    const props = setup({
      backend: null,
      error: { kind: 'unreachable', message: 'Failed to fetch' }
    });
    const alert = screen.getByRole('alert');
    expect(
      within(alert).getByText('Cannot reach the Qdrant backend')
    ).toBeTruthy();
    expect(within(alert).getByText(/QDRANT_URL/)).toBeTruthy();
    expect(within(alert).getByText('Failed to fetch')).toBeTruthy();
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(props.onRefresh).toHaveBeenCalledTimes(1);
  });

  it('shows a refused API key', () => {
    setup({
      backend: null,
      error: { kind: 'auth', status: 401, message: 'Unauthorized' }
    });
    expect(
      screen.getByText('Qdrant needs an API key (401 Unauthorized)')
    ).toBeTruthy();
  });

  it('refreshes on request and freezes the pickers during a scan', () => {
    const props = setup({ collection: 'products', disabled: true });
    expect(
      (
        screen.getByRole('combobox', {
          name: 'Collection'
        }) as HTMLSelectElement
      ).disabled
    ).toBe(true);
    expect(
      (screen.getByRole('combobox', { name: 'Vector' }) as HTMLSelectElement)
        .disabled
    ).toBe(true);
    props.rerender({ disabled: false });
    fireEvent.click(screen.getByRole('button', { name: /refresh/i }));
    expect(props.onRefresh).toHaveBeenCalled();
  });

  it('lists a collection the server could not read as unavailable, with its reason, and the others as usual', () => {
    const withBroken: IBackendInfo = {
      ...backend,
      collections: [
        {
          name: 'odd',
          points_count: null,
          vectors: {},
          sparse_vectors: [],
          error: 'Qdrant answered 500: bad config'
        },
        ...backend.collections
      ]
    };
    const props = setup({ backend: withBroken, collection: 'photos' });
    const options = within(screen.getByLabelText('Collection')).getAllByRole(
      'option'
    ) as HTMLOptionElement[];
    const odd = options.find(o => o.value === 'odd')!;
    expect(odd.textContent).toBe(
      'odd (unavailable: Qdrant answered 500: bad config)'
    );
    expect(odd.disabled).toBe(true);
    expect(options.filter(o => !o.disabled).map(o => o.value)).toEqual([
      'photos',
      'products',
      'keywords'
    ]);
    props.rerender({ collection: 'odd' });
    expect(screen.getByRole('alert').textContent).toContain(
      'This collection cannot be read'
    );
    expect(screen.getByRole('alert').textContent).toContain('bad config');
  });

  it('says what to do when the chosen backend is not available', () => {
    setup({
      backend: null,
      error: {
        kind: 'backend-choice',
        status: 409,
        message: 'No remote Qdrant is configured on this Jupyter server.'
      }
    });
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain(
      'The backend chosen in the settings is not available'
    );
    expect(alert.textContent).toContain('Settings > Near Duplicates');
    expect(alert.textContent).toContain('No remote Qdrant is configured');
    expect(alert.textContent).not.toContain('already running');
  });

  it('gives every control an accessible name', () => {
    setup({ collection: 'products' });
    for (const role of ['button', 'combobox']) {
      expect(screen.getAllByRole(role, { name: /\S/ })).toHaveLength(
        screen.getAllByRole(role).length
      );
    }
  });
});

describe('scanVector over the backend route’s collections', () => {
  it('picks the only dense vector, or the chosen one, or none', () => {
    expect(scanVector(backend.collections[0], null)).toBe('');
    expect(scanVector(backend.collections[1], null)).toBeNull();
    expect(scanVector(backend.collections[1], 'colbert')).toBeNull();
    expect(scanVector(backend.collections[1], 'image')).toBe('image');
    expect(scanVector(backend.collections[2], null)).toBeNull();
  });
});
