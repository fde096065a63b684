// The server API from the browser's side: the connection the worker uses through the Jupyter
// proxy, and what the panel is told for the server extension's answers. A fake fetch plays
// the Jupyter server (no server in jsdom).
import { ServerConnection } from '@jupyterlab/services';
import { proxyConnection, ServerApi, ServerApiError } from '../api';
import { NearDuplicatesModel } from '../model';
import { PanelToWorker, WORKER_PROTOCOL } from '../scan/protocol';
import type { IScanWorker } from '../workerHost';

describe('proxyConnection', () => {
  it('spells out the port, puts the base path in the prefix and sends token and XSRF as headers', () => {
    const connection = proxyConnection(
      { baseUrl: 'http://localhost:8888/user/ana/', token: 'abc' },
      'theme=dark; _xsrf=2|xyz|0; other=1'
    );
    expect(connection).toEqual({
      url: 'http://localhost:8888',
      prefix: '/user/ana/near-duplicates/qdrant',
      headers: { Authorization: 'token abc', 'X-XSRFToken': '2|xyz|0' }
    });
  });

  it('uses the scheme’s port when the page has none, and sends no header it has no value for', () => {
    expect(
      proxyConnection({ baseUrl: 'https://hub.example.org/', token: '' }, '')
    ).toEqual({
      url: 'https://hub.example.org:443',
      prefix: '/near-duplicates/qdrant',
      headers: {}
    });
    expect(
      proxyConnection(
        { baseUrl: 'http://jupyter.local/', token: '' },
        'x_xsrf=no'
      ).url
    ).toBe('http://jupyter.local:80');
  });
});

type Answer = { status: number; body: unknown } | Error;

/** A Jupyter server answering by route ('backend', 'scans'); an Error is a network failure. */
function fakeServer(answers: Record<string, Answer>) {
  const fetch = async (input: RequestInfo | URL): Promise<Response> => {
    const url = new URL(
      typeof input === 'string' || input instanceof URL ? input : input.url
    );
    const route = url.pathname
      .split('/near-duplicates/api/')[1]
      .split(/[/?]/)[0];
    const answer = answers[route] ?? { status: 404, body: '' };
    if (answer instanceof Error) {
      throw answer;
    }
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  };
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/',
    token: 't',
    fetch
  });
}

const BACKEND = {
  kind: 'embedded',
  version: '1.18.3',
  collections: [
    {
      name: 'images',
      points_count: 3,
      vectors: { '': { size: 2, distance: 'Cosine' } },
      sparse_vectors: []
    }
  ]
};

/** The model over the real ServerApi; its worker only records what it is sent. */
function modelOver(settings: ServerConnection.ISettings) {
  const posted: PanelToWorker[] = [];
  const worker: IScanWorker = {
    postMessage: message => {
      posted.push(message);
      // A worker that loaded: it answers hello with its protocol and its Qdrant client.
      if (message.type === 'hello') {
        worker.onmessage?.({
          data: {
            type: 'ready',
            protocol: WORKER_PROTOCOL,
            qdrantClient: true
          }
        } as MessageEvent);
      }
    },
    terminate: () => undefined,
    onmessage: null,
    onerror: null
  };
  const model = new NearDuplicatesModel({
    createWorker: () => worker,
    api: new ServerApi(settings)
  });
  model.start();
  return { model, posted };
}

describe('ServerApi answers as the panel shows them (fake fetch)', () => {
  it('rejects with JupyterLab’s ResponseError carrying the server’s sentence', async () => {
    const api = new ServerApi(
      fakeServer({
        scans: {
          status: 409,
          body: {
            message: 'A scan of images is already running in another tab.'
          }
        }
      })
    );
    const error = await api.claimScan('images', 'scan-1').catch(e => e);
    expect(error).toBeInstanceOf(ServerConnection.ResponseError);
    expect(error).toBeInstanceOf(ServerApiError);
    expect(error.status).toBe(409);
    expect(error.message).toBe(
      'A scan of images is already running in another tab.'
    );
  });

  it('shows a claim held by another tab as busy, and starts no scan', async () => {
    const { model, posted } = modelOver(
      fakeServer({
        backend: { status: 200, body: BACKEND },
        scans: {
          status: 409,
          body: {
            message: 'A scan of images is already running in another tab.'
          }
        }
      })
    );
    await model.refreshBackend();
    await model.detect();
    expect(model.scanError).toEqual({
      kind: 'busy',
      status: 409,
      message: 'A scan of images is already running in another tab.'
    });
    expect(posted.filter(m => m.type === 'start')).toEqual([]);
  });

  it('shows a backend the server cannot offer as a backend choice, not as busy', async () => {
    const { model } = modelOver(
      fakeServer({
        backend: {
          status: 409,
          body: {
            message: 'No remote Qdrant is configured on this Jupyter server.'
          }
        }
      })
    );
    await model.refreshBackend();
    expect(model.backendError).toEqual({
      kind: 'backend-choice',
      status: 409,
      message: 'No remote Qdrant is configured on this Jupyter server.'
    });
  });

  it('says the Jupyter server did not answer when the request never got through', async () => {
    const { model } = modelOver(
      fakeServer({ backend: new TypeError('Failed to fetch') })
    );
    await model.refreshBackend();
    expect(model.backendError?.kind).toBe('unreachable');
    expect(model.backendError?.message).toContain(
      'The Jupyter server did not answer'
    );
    expect(model.backendError?.status ?? 0).toBe(0);
  });

  it('asks for the server extension to be enabled when its routes are missing', async () => {
    const { model } = modelOver(fakeServer({}));
    await model.refreshBackend();
    expect(model.backendError?.kind).toBe('not-found');
    expect(model.backendError?.message).toContain(
      'jupyter server extension enable jupyterlab_near_duplicates'
    );
  });
});
