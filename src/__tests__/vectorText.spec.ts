// The sure route's vectors as text: what is sent must be the JSON the official client would
// send, and what is read must be the vectors the backend holds.
import { classify } from '../scan/errors';
import {
  encodeBody,
  parseTextPage,
  textVectorCalls,
  VectorText
} from '../scan/vectorText';

describe('encodeBody', () => {
  it('writes a text vector as the array it came as, and BigInt ids as digits', () => {
    const body = {
      searches: [
        { query: new VectorText('0.1,-2.5e-7,3'), limit: 9, using: 'img' },
        {
          query: 7,
          limit: 8,
          filter: { must: [{ has_id: [BigInt('18446744073709551615'), 3] }] }
        }
      ]
    };
    const json = encodeBody(body);
    expect(json).toBe(
      '{"searches":[{"query":[0.1,-2.5e-7,3],"limit":9,"using":"img"},' +
        '{"query":7,"limit":8,"filter":{"must":[{"has_id":[18446744073709551615,3]}]}}]}'
    );
    expect(JSON.parse(json).searches[0].query).toEqual([0.1, -2.5e-7, 3]);
  });

  it('leaves strings that only look like its tokens in other places alone', () => {
    const json = encodeBody({
      query: '9b2f0c1e-0000-4000-8000-000000000001',
      v: new VectorText('1')
    });
    expect(JSON.parse(json)).toEqual({
      query: '9b2f0c1e-0000-4000-8000-000000000001',
      v: [1]
    });
  });
});

describe('parseTextPage', () => {
  // As Qdrant 1.18 writes a has_id scroll with payload left out.
  const server =
    '{"result":{"points":[{"id":5,"vector":[0.12345679,-1.0E-5,0.5]},' +
    '{"id":"c3a1e7a2-3f0b-4a8e-9c1d-2b5e6f7a8b9c","vector":[1,2,3]}],"next_page_offset":null},' +
    '"status":"ok","time":0.0012}';

  it('cuts each unnamed vector out as text and reads the ids', () => {
    const page = parseTextPage(server, null);
    expect(page.points.map(p => p.id)).toEqual([
      5,
      'c3a1e7a2-3f0b-4a8e-9c1d-2b5e6f7a8b9c'
    ]);
    expect(page.points[0].vector!.values()).toEqual([0.12345679, -1e-5, 0.5]);
    expect(page.points[1].vector!.text).toBe('1,2,3');
  });

  it('takes the named vector asked for, with spaces as Python writes them', () => {
    const embedded =
      '{"result": {"points": [{"id": 1, "payload": null, "vector": {"img": [0.25, -0.5], "other": [9.0, 8.0]}}]}, "status": "ok"}';
    const page = parseTextPage(embedded, 'img');
    expect(page.points[0].vector!.values()).toEqual([0.25, -0.5]);
    expect(parseTextPage(embedded, 'other').points[0].vector!.values()).toEqual(
      [9, 8]
    );
  });

  it('gives no vector where the point has none of that name or not a flat one', () => {
    const text =
      '{"result":{"points":[{"id":1,"vector":{}},{"id":2,"vector":{"img":{"indices":[1,4],"values":[0.5,0.5]}}},' +
      '{"id":3,"vector":{"img":[[1,2],[3,4]]}}]}}';
    expect(parseTextPage(text, 'img').points.map(p => p.vector)).toEqual([
      null,
      null,
      null
    ]);
  });

  it('says what is wrong when the answer has no points list', () => {
    expect(() => parseTextPage('{"result":{}}', null)).toThrow(
      /no points list/
    );
  });
});

describe('textVectorCalls (with a fake fetch)', () => {
  it('posts to the URL, prefix and headers the official client uses, api-key included', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const calls = textVectorCalls(
      {
        url: 'http://host:8888/',
        prefix: 'nd/qdrant',
        headers: { Authorization: 'token t' },
        apiKey: 'k'
      },
      async (url, init) => {
        seen.push({ url, init });
        return new Response(
          '{"result":[{"points":[{"id":1,"score":0.99}]}],"status":"ok"}',
          {
            status: 200
          }
        );
      }
    );
    const answers = await calls.queryBatch('my col', {
      searches: [{ query: new VectorText('1,0'), limit: 2 }]
    });
    expect(answers).toEqual([{ points: [{ id: 1, score: 0.99 }] }]);
    expect(seen[0].url).toBe(
      'http://host:8888/nd/qdrant/collections/my%20col/points/query/batch'
    );
    expect(seen[0].init.headers).toMatchObject({
      Authorization: 'token t',
      'api-key': 'k',
      'Content-Type': 'application/json'
    });
    expect(JSON.parse(seen[0].init.body as string)).toEqual({
      searches: [{ query: [1, 0], limit: 2 }]
    });
  });

  it('fails as the client does: a refusal with its status and reason, for the scan to tell the user', async () => {
    const calls = textVectorCalls(
      { url: 'http://h:1' },
      async () =>
        new Response(
          '{"status":{"error":"Not found: Collection `c` doesn\'t exist!"}}',
          { status: 404 }
        )
    );
    const error = await calls.scroll('c', { limit: 1 }, null).catch(e => e);
    expect(error.status).toBe(404);
    const verdict = classify(error, 'c');
    expect(verdict.transient).toBe(false);
    expect(verdict.error.message).toMatch(/c/);
    expect(verdict.error.kind).toBe(
      classify({ status: 404, message: 'x' }, 'c').error.kind
    );
  });

  it('a 429 with Retry-After is retried after the time it asks', async () => {
    const calls = textVectorCalls(
      { url: 'http://h:1' },
      async () =>
        new Response('{}', { status: 429, headers: { 'Retry-After': '2' } })
    );
    const error = await calls.queryBatch('c', { searches: [] }).catch(e => e);
    const verdict = classify(error, 'c');
    expect(verdict.transient).toBe(true);
    expect(verdict.retryAfterMs).toBe(2000);
  });

  it('a request past its timeout fails as a timeout, which the scan retries', async () => {
    const calls = textVectorCalls(
      { url: 'http://h:1', timeoutMs: 10 },
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal!.addEventListener('abort', () => {
            const e = new Error('aborted');
            e.name = 'AbortError';
            reject(e);
          });
        })
    );
    const error = await calls.queryBatch('c', { searches: [] }).catch(e => e);
    expect(error.name).toBe('QdrantClientTimeoutError');
    expect(classify(error, 'c').transient).toBe(true);
  });
});
