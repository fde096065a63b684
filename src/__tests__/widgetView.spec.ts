// The SampleGrid view in jsdom, over a fake widget comm standing in for the kernel: what a
// user sees and what reaches Python when they click Show all, a thumbnail or the pager.
import { SampleGridModel } from '../widget/model';
import { labRemotePolicy } from '../widget/labPolicy';
import { SampleGridView } from '../widget/view';

/** Stands in for the kernel end of a widget comm: records what the front end sends. */
class FakeWidgetComm {
  comm_id = 'fake-comm';
  target_name = 'jupyter.widget';
  sent: any[] = [];
  private onMsg: ((msg: any) => void) | null = null;

  on_msg(fn: (msg: any) => void): void {
    this.onMsg = fn;
  }
  on_close(): void {
    /* never closes */
  }
  send(data: any, callbacks?: any): string {
    this.sent.push(data);
    // The kernel is idle again at once, so the model sends its next update without waiting.
    const status = callbacks?.iopub?.status;
    if (status) {
      queueMicrotask(() => status({ content: { execution_state: 'idle' } }));
    }
    return `msg-${this.sent.length}`;
  }
  close(): void {
    /* nothing to close */
  }
  /** A message from Python. */
  receive(data: any): Promise<void> {
    return this.onMsg?.({ content: { data }, buffers: [] }) as any;
  }
  updates(): any[] {
    return this.sent.filter(m => m.method === 'update').map(m => m.state);
  }
  custom(): any[] {
    return this.sent.filter(m => m.method === 'custom').map(m => m.content);
  }
}

const fakeManager = { callbacks: () => ({}) };

function makeGrid(attributes: Record<string, unknown>) {
  const comm = new FakeWidgetComm();
  const model = new SampleGridModel(attributes, {
    model_id: 'grid',
    widget_manager: fakeManager,
    comm
  });
  const view = new SampleGridView({ model, options: {} } as any);
  view.render();
  document.body.appendChild(view.el);
  return { comm, model, view, el: view.el };
}

const tick = () => new Promise(resolve => setTimeout(resolve, 0));
const ids = (el: HTMLElement) =>
  Array.from(
    el.querySelectorAll<HTMLElement>('.jp-NearDuplicates-gridItem')
  ).map(n => n.dataset.id);
const text = (el: HTMLElement, cls: string) =>
  el.querySelector<HTMLElement>(`.jp-NearDuplicates-${cls}`)!;

const SAMPLES = Array.from({ length: 120 }, (_, i) => ({
  id: `s${i}`,
  label: i % 2 ? 'test' : 'train',
  image: null,
  kernel_image: true
}));

afterEach(() => {
  document.body.innerHTML = '';
});

describe('SampleGridView', () => {
  it('renders only the current page of a large grid, and asks the kernel for its images', () => {
    const { el, comm } = makeGrid({ samples: SAMPLES, page_size: 48 });
    expect(ids(el)).toHaveLength(48);
    expect(text(el, 'gridCount').textContent).toBe('120 samples');
    expect(text(el, 'gridPage').textContent).toBe('Page 1 of 3 (1–48)');
    const [request] = comm.custom();
    expect(request).toMatchObject({ type: 'images', epoch: 0 });
    expect(request.ids).toEqual(SAMPLES.slice(0, 48).map(s => s.id));
  });

  it('shows exactly the filter’s samples, and Show all clears the filter in Python', async () => {
    const { el, comm, model } = makeGrid({ samples: SAMPLES });
    await comm.receive({
      method: 'update',
      state: {
        filter_ids: ['s5', 's9', 's7'],
        filter_label: 'Panel selection: group 1 of planted',
        page: 0
      }
    });
    await tick();
    expect(ids(el)).toEqual(['s5', 's9', 's7']);
    expect(text(el, 'gridCount').textContent).toBe('3 of 120 samples');
    expect(text(el, 'gridFilter').textContent).toBe(
      'Panel selection: group 1 of planted'
    );
    const showAll = text(el, 'gridShowAll') as HTMLButtonElement;
    expect(showAll.hidden).toBe(false);

    showAll.click();
    await tick();
    expect(model.get('filter_ids')).toBeNull();
    expect(comm.updates().pop()).toMatchObject({
      filter_ids: null,
      filter_label: ''
    });
    expect(ids(el)).toHaveLength(48);
    expect(showAll.hidden).toBe(true);
  });

  it('toggles selected_ids when thumbnails are clicked', async () => {
    const { el, comm } = makeGrid({ samples: SAMPLES.slice(0, 5) });
    const items = el.querySelectorAll<HTMLButtonElement>(
      '.jp-NearDuplicates-gridItem'
    );
    items[1].click();
    await tick();
    items[3].click();
    await tick();
    expect(comm.updates().pop()).toEqual({ selected_ids: ['s1', 's3'] });
    expect(items[1].getAttribute('aria-pressed')).toBe('true');
    expect(text(el, 'gridSelected').textContent).toBe('2 selected');
    items[1].click();
    await tick();
    expect(comm.updates().pop()).toEqual({ selected_ids: ['s3'] });
    expect(items[1].getAttribute('aria-pressed')).toBe('false');
  });

  it('pages forward and back through Python’s page trait', async () => {
    const { el, comm } = makeGrid({ samples: SAMPLES, page_size: 50 });
    (text(el, 'gridNext') as HTMLButtonElement).click();
    await tick();
    expect(comm.updates().pop()).toEqual({ page: 1 });
    expect(ids(el)[0]).toBe('s50');
    (text(el, 'gridNext') as HTMLButtonElement).click();
    await tick();
    expect((text(el, 'gridNext') as HTMLButtonElement).disabled).toBe(true);
    expect(ids(el)).toHaveLength(20);
  });

  it('shows the kernel’s thumbnails when they arrive, and text for anything unsafe', async () => {
    const { el, comm } = makeGrid({ samples: SAMPLES.slice(0, 4) });
    expect(el.querySelectorAll('.jp-NearDuplicates-gridLoading')).toHaveLength(
      4
    );
    await comm.receive({
      method: 'custom',
      content: {
        type: 'images',
        epoch: 0,
        images: {
          s0: 'data:image/png;base64,iVBORw0KGgo=',
          s1: 'thumbs/s1.png',
          s2: '<img src=x onerror="window.__ndGridXss=1">',
          s3: null
        }
      }
    });
    const thumbs = el.querySelectorAll('.jp-NearDuplicates-gridThumb');
    expect(thumbs[0].querySelector('img')!.getAttribute('src')).toBe(
      'data:image/png;base64,iVBORw0KGgo='
    );
    expect(thumbs[1].querySelector('img')!.getAttribute('src')).toMatch(
      /\/files\/thumbs\/s1\.png$/
    );
    expect(thumbs[2].querySelector('img')).toBeNull();
    expect(thumbs[2].textContent).toBe(
      '<img src=x onerror="window.__ndGridXss=1">'
    );
    expect(thumbs[3].textContent).toBe('no image');
    expect((window as any).__ndGridXss).toBeUndefined();
  });

  it('drops thumbnails that answer for samples since replaced', async () => {
    const { el, comm, model } = makeGrid({ samples: SAMPLES.slice(0, 2) });
    model.set(
      'samples',
      SAMPLES.slice(0, 2).map(s => ({ ...s, label: 'new' }))
    );
    await tick();
    await comm.receive({
      method: 'custom',
      content: {
        type: 'images',
        epoch: 0,
        images: { s0: 'data:image/png;base64,AAAA' }
      }
    });
    expect(el.querySelector('img')).toBeNull();
    expect(comm.custom().pop()).toMatchObject({
      type: 'images',
      epoch: 1,
      ids: ['s0', 's1']
    });
  });

  it('shows sample ids and labels as text, never markup', () => {
    const { el } = makeGrid({
      samples: [
        {
          id: '<b>bold</b>',
          label: '<i>x</i>',
          image: 'javascript:alert(1)',
          kernel_image: false
        }
      ]
    });
    expect(el.querySelector('b')).toBeNull();
    expect(el.querySelector('i')).toBeNull();
    expect(text(el, 'gridId').textContent).toBe('<b>bold</b>');
    expect(el.querySelector('img')).toBeNull();
  });

  it('says when the filter names samples the grid does not have', async () => {
    const { el, comm } = makeGrid({ samples: SAMPLES.slice(0, 3) });
    await comm.receive({
      method: 'update',
      state: { filter_ids: ['s1', 'other'] }
    });
    await tick();
    expect(ids(el)).toEqual(['s1']);
    expect(text(el, 'gridNote').textContent).toBe(
      '1 id of the filter is not in this grid'
    );
  });

  it('says on the tile why the kernel has no preview', async () => {
    const { el, comm } = makeGrid({ samples: SAMPLES.slice(0, 2) });
    await comm.receive({
      method: 'custom',
      content: {
        type: 'images',
        epoch: 0,
        images: { s0: null, s1: null },
        problems: {
          s0: 'file over the 64 MB limit: give a smaller thumbnail',
          s1: 42
        }
      }
    });
    const thumbs = el.querySelectorAll('.jp-NearDuplicates-gridThumb');
    expect(thumbs[0].textContent).toBe(
      'file over the 64 MB limit: give a smaller thumbnail'
    );
    expect(thumbs[1].textContent).toBe('no image');
  });

  it('tells a remote host nothing of the page', () => {
    const { el } = makeGrid({
      samples: [
        {
          id: 'remote',
          image: 'https://images.example.org/a.png',
          kernel_image: false
        }
      ]
    });
    expect(el.querySelector('img')!.referrerPolicy).toBe('no-referrer');
  });

  it('loads a path under the Jupyter root with a same-origin Referer', async () => {
    const { el, comm } = makeGrid({ samples: SAMPLES.slice(0, 1) });
    await comm.receive({
      method: 'custom',
      content: { type: 'images', epoch: 0, images: { s0: 'thumbs/s0.png' } }
    });
    const img = el.querySelector('img')!;
    expect(img.getAttribute('src')).toMatch(/\/files\/thumbs\/s0\.png$/);
    expect(img.referrerPolicy).toBe('same-origin');
  });

  it('never loads a URL that points at the Jupyter server itself', () => {
    const own = new URL('/api/contents/secret.png', window.location.href).href;
    const loopback = `http://127.0.0.1${window.location.port ? `:${window.location.port}` : ''}/files/x.png`;
    const { el } = makeGrid({
      samples: [
        { id: 'own', image: own, kernel_image: false },
        { id: 'loopback', image: loopback, kernel_image: false },
        { id: 'other', image: 'http://127.0.0.1:9/x.png', kernel_image: false }
      ]
    });
    const thumbs = el.querySelectorAll('.jp-NearDuplicates-gridThumb');
    expect(thumbs[0].querySelector('img')).toBeNull();
    const refused =
      'not loaded: it points at the Jupyter server itself, which would receive your Jupyter cookie';
    expect(thumbs[0].textContent).toBe(refused);
    expect(thumbs[1].textContent).toBe(refused);
    expect(thumbs[2].querySelector('img')).not.toBeNull();
  });

  it('follows remote_thumbnails and thumbnail_hosts, and the panel’s setting when stricter', async () => {
    const samples = [
      {
        id: 'listed',
        image: 'https://images.example.org/a.png',
        kernel_image: false
      },
      {
        id: 'tracker',
        image: 'https://pixel.example.com/t.gif',
        kernel_image: false
      }
    ];
    const loaded = (el: HTMLElement) =>
      Array.from(el.querySelectorAll('.jp-NearDuplicates-gridThumb')).map(
        t => !!t.querySelector('img')
      );
    const { el, comm } = makeGrid({ samples });
    expect(loaded(el)).toEqual([true, true]);

    await comm.receive({
      method: 'update',
      state: {
        remote_thumbnails: 'listed',
        thumbnail_hosts: ['Images.Example.org']
      }
    });
    await tick();
    expect(loaded(el)).toEqual([true, false]);
    expect(
      el.querySelectorAll('.jp-NearDuplicates-gridThumb')[1].textContent
    ).toBe(
      'not loaded: pixel.example.com is not in the setting "Thumbnail hosts"'
    );

    labRemotePolicy.update('off', []);
    try {
      await tick();
      expect(loaded(el)).toEqual([false, false]);
      expect(
        el.querySelector('.jp-NearDuplicates-gridThumb')!.textContent
      ).toBe(
        'not loaded: remote thumbnails are off (setting "Remote thumbnails")'
      );
    } finally {
      labRemotePolicy.update('allowed', []);
    }
  });
});
