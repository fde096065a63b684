// Lists every point of the collection 'bench' with the official @qdrant/js-client-rest (what the
// scan's worker uses), ids and three payload fields, at each page size of PAGES, twice each;
// prints one JSON line per listing: wall seconds and Node's CPU seconds. Run by listing_pages.py.
const { QdrantClient } = require('@qdrant/js-client-rest');

(async () => {
  const u = new URL(process.env.ND_LIST_URL);
  const client = new QdrantClient({
    host: u.hostname,
    port: Number(u.port),
    https: false,
    apiKey: process.env.ND_BENCH_API_KEY,
    checkCompatibility: false
  });
  for (const page of process.env.ND_LIST_PAGES.split(',').map(Number)) {
    for (let rep = 0; rep < 2; rep++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let offset;
      let got = 0;
      for (;;) {
        const r = await client.scroll('bench', {
          limit: page,
          offset,
          with_payload: ['sample_id', 'thumbnail', 'split'],
          with_vector: false
        });
        got += r.points.length;
        offset = r.next_page_offset;
        if (offset === null || offset === undefined) {
          break;
        }
      }
      const c = process.cpuUsage(c0);
      console.log(
        JSON.stringify({
          page,
          got,
          wall_s: (performance.now() - t0) / 1000,
          node_cpu_s: (c.user + c.system) / 1e6
        })
      );
    }
  }
})();
