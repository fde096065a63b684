"""The embedded backend against the official @qdrant/js-client-rest (what the scan worker uses)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JS_CLIENT = os.path.join(ROOT, "node_modules", "@qdrant", "js-client-rest")

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not os.path.exists(os.path.join(JS_CLIENT, "package.json")),
    reason="needs node and node_modules/@qdrant/js-client-rest",
)

SCRIPT = r"""
const { QdrantClient } = require(process.env.JS_CLIENT);
const warnings = [];
console.warn = (...a) => warnings.push(a.join(' '));
(async () => {
  const out = {};
  const client = new QdrantClient({ url: process.env.URL, apiKey: process.env.KEY });
  const c = 'js';
  await client.createCollection(c, { vectors: { size: 4, distance: 'Cosine' } });
  out.exists = (await client.collectionExists(c)).exists;
  const points = [];
  for (let i = 0; i < 25; i++) points.push({ id: i, vector: [1, i % 5, (i * 7) % 3, 1 + (i % 2)], payload: { sample_id: 's' + i } });
  points.push({ id: '0F3A9C1E-1111-4222-8333-944455556666', vector: [1, 0, 0, 1], payload: { sample_id: 'u' } });
  out.upsert = (await client.upsert(c, { wait: true, points })).status;
  const info = await client.getCollection(c);
  out.info = { status: info.status, points_count: info.points_count, vectors: info.config.params.vectors };
  let offset = undefined, ids = [], pages = 0;
  do {
    const page = await client.scroll(c, { limit: 10, offset, with_payload: ['sample_id'], with_vector: false });
    ids.push(...page.points.map((p) => p.id));
    offset = page.next_page_offset;
    pages++;
  } while (offset !== null && offset !== undefined);
  out.scroll = { ids, pages };
  out.query = (await client.query(c, { query: 3, limit: 5, score_threshold: 0.5 })).points.map((p) => [p.id, p.score]);
  out.batch = (await client.queryBatch(c, { searches: [
    { query: 3, limit: 3 },
    { query: '0f3a9c1e-1111-4222-8333-944455556666', limit: 3, with_payload: true },
  ] }))
    .map((r) => r.points.map((p) => [p.id, p.payload ?? null]));
  out.count = (await client.count(c, { exact: true })).count;
  try { await client.getCollection('missing'); } catch (e) { out.missing = { status: e.status, data: e.data ?? null }; }
  const bad = new QdrantClient({ url: process.env.URL, apiKey: 'wrong', checkCompatibility: false });
  try { await bad.getCollections(); } catch (e) { out.unauthorized = e.status; }
  out.deleted = await client.deleteCollection(c);
  out.warnings = warnings.filter((w) => !/unsecure connection/.test(w));
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def test_js_client_against_the_embedded_backend(backend, tmp_path):
    script = tmp_path / "smoke.cjs"
    script.write_text(SCRIPT)
    env = dict(os.environ, URL=backend.url, KEY=backend.api_key, JS_CLIENT=JS_CLIENT)
    proc = subprocess.run(["node", str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["exists"] is True
    assert out["upsert"] == "completed"
    assert out["info"]["points_count"] == 26 and out["info"]["vectors"] == {"size": 4, "distance": "Cosine"}
    assert out["scroll"]["pages"] == 3 and len(out["scroll"]["ids"]) == 26
    assert "0f3a9c1e-1111-4222-8333-944455556666" in out["scroll"]["ids"]
    q = out["query"]
    assert q and 3 not in [i for i, _ in q] and all(s > 0.5 for _, s in q)
    assert len(out["batch"]) == 2 and all(3 != i for i, _ in out["batch"][0])
    assert all(p == {"sample_id": p["sample_id"]} for _, p in out["batch"][1])
    assert out["count"] == 26
    assert out["missing"]["status"] == 404
    assert out["unauthorized"] == 401
    assert out["deleted"] is True
    assert out["warnings"] == []  # in particular, no version-compatibility warning
