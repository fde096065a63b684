// Bundles bench/scan_node.ts (the scan code of src/scan plus @qdrant/js-client-rest) into one
// Node script, so the integration test and the benchmark run the worker's own code in Node.
//
//   node bench/build.mjs [--outfile <path>] [--variant <name> [--emit-scanner <path>]]
//
// Default output: bench/.build/scan_node.cjs. `--variant` builds an experiment: the scanner
// with a change proposed for src/scan/scanner.ts applied on the fly (see VARIANTS), to measure
// a change before it is made; the source files are never modified. `--emit-scanner` also
// writes the changed scanner.ts to <path> (to diff against src/scan/scanner.ts).
import { build } from 'esbuild';
import { readFile, writeFile } from 'fs/promises';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const here = dirname(fileURLToPath(import.meta.url));
const arg = name => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const variant = arg('--variant');
const outfile =
  arg('--outfile') ?? join(here, '.build', variant ? `scan_node.${variant}.cjs` : 'scan_node.cjs');

/** Proposed scanner changes: [text to find (exactly once), replacement]. */
const RESTART = [
  `          // A full page may hide more neighbours above the threshold: ask for the next page,
          // twice as large, so a big cluster takes log(size) rounds rather than size/limit.
          followUps.push({
            index: q.index,
            offset: q.offset + q.limit,
            limit: Math.min(q.limit * 2, Math.max(MAX_PAGE, options.limit))
          });`,
  `          // A full page may hide more neighbours above the threshold: ask again from the
          // start for more (32, 96, 224, 480, 1024 at limit 32: log(size) rounds). Not from
          // offset + limit: Qdrant orders equal scores (exact copies) arbitrarily, and
          // differently for another limit, so a next page by offset skips some of them; the
          // engine searches offset + limit either way. Past MAX_PAGE, pages by offset.
          const cap = Math.max(MAX_PAGE, options.limit);
          followUps.push(
            q.offset === 0 && q.limit < cap
              ? { index: q.index, offset: 0, limit: Math.min(q.limit * 2 + options.limit, cap) }
              : { index: q.index, offset: q.offset + q.limit, limit: cap }
          );`
];
// The same, but the second page jumps to MAX_PAGE (1024) neighbours at once: with exact
// follow-ups a page costs the same whatever its limit, and only hits past the threshold
// come back, so one exact query per point of a big cluster is enough.
const RESTART_JUMP = [
  RESTART[0],
  `          followUps.push({ index: q.index, offset: 0, limit: Math.max(q.limit * 2, MAX_PAGE) });`
];
const EXACT_FOLLOW_UPS = [
  `          with_vector: false,
          params
        };`,
  `          with_vector: false,
          params: q.limit > options.limit ? { ...params, exact: true } : params
        };`
];
// Pass 2: inside every group larger than `minSize`, each member's pairs again, by an exact
// search restricted to the group's members (a has_id filter): cheap (the engine compares
// with the group only), and complete whatever the approximate search missed among copies.
const pass2 = (minSize, triangular = false) => [
  [
    `interface PendingQuery {
  index: number;
  offset: number;
  limit: number;
}`,
    `interface PendingQuery {
  index: number;
  offset: number;
  limit: number;
  /** Pass 2: the group's members; the query is exact and restricted to them. */
  members?: Schemas['ExtendedPointId'][];
}`
  ],
  [
    `        if (q.offset > 0) {
          search.offset = q.offset;
        }`,
    `        if (q.offset > 0) {
          search.offset = q.offset;
        }
        if (q.members) {
          search.filter = { must: [{ has_id: q.members }] };
          search.params = { ...params, exact: true };
        }`
  ],
  [
    `        } else {
          scanned++;`,
    `        } else if (!q.members) {
          scanned++;`
  ],
  [
    `      options.inFlight,
      stop.signal
    );
    return finish(pairs);`,
    `      options.inFlight,
      stop.signal
    );
    const PASS2_MIN = ${minSize};
    const PASS2_MAX = 2048;
    const groupsOf = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const root = components.find(i);
      const size = components.sizeOf(root);
      if (size >= PASS2_MIN && size <= PASS2_MAX) {
        let list = groupsOf.get(root);
        if (!list) {
          groupsOf.set(root, (list = []));
        }
        list.push(i);
      }
    }
    for (const members of groupsOf.values()) {
      const ids = members.map(i => queryIds[i]);
      ${
        triangular
          ? `// Each pair once: member k asks about the members after it only.
      for (let k = 0; k + 1 < members.length; k++) {
        const after = ids.slice(k + 1);
        followUps.push({ index: members[k], offset: 0, limit: after.length + 1, members: after });
      }`
          : `for (const i of members) {
        followUps.push({ index: i, offset: 0, limit: members.length, members: ids });
      }`
      }
    }
    await runPool(
      () => followUps.length > 0,
      takeBatch,
      runBatch,
      options.inFlight,
      stop.signal
    );
    return finish(pairs);`
  ]
];
const VARIANTS = {
  // A full page is asked again from offset 0 with twice the limit, instead of from
  // offset + limit: Qdrant orders equal scores arbitrarily, and differently for different
  // limits, so offset paging through ties (exact copies) skips some of them.
    // Full pages asked again from offset 0 (same rounds and engine work as offset paging).
  restart: [RESTART],
  // ... and the follow-ups of full pages are exact searches: HNSW links exact copies poorly
  // (its neighbour heuristic prunes points at distance 0 from a chosen neighbour), so an
  // approximate search from a copy can miss other copies whatever its ef.
  'restart-exact': [RESTART, EXACT_FOLLOW_UPS],
  'jump-exact': [RESTART_JUMP, EXACT_FOLLOW_UPS],
  // Pass 2 over groups of more than a page (33+ members at limit 32: where pages were
  // full), or over every group of 3 or more.
  pass2: pass2('options.limit + 1'),
  'restart-pass2': [RESTART, ...pass2('options.limit + 1')],
  'restart-pass2-all': [RESTART, ...pass2(3)],
  // Pass 2 asking each pair once (member k against the members after it).
  'restart-pass2-tri': [RESTART, ...pass2('options.limit + 1', true)],
  'restart-pass2-all-tri': [RESTART, ...pass2(3, true)]
};

const plugins = [];
if (variant) {
  const edits = VARIANTS[variant];
  if (!edits) {
    throw new Error(`unknown variant ${variant}; known: ${Object.keys(VARIANTS).join(', ')}`);
  }
  plugins.push({
    name: 'scanner-variant',
    setup(b) {
      b.onLoad({ filter: /src[\\/]scan[\\/]scanner\.ts$/ }, async args => {
        let text = await readFile(args.path, 'utf-8');
        for (const [from, to] of edits) {
          const count = text.split(from).length - 1;
          if (count !== 1) {
            throw new Error(`variant ${variant}: expected one match in scanner.ts, found ${count}`);
          }
          text = text.replace(from, to);
        }
        if (arg('--emit-scanner')) {
          await writeFile(arg('--emit-scanner'), text);
        }
        return { contents: text, loader: 'ts' };
      });
    }
  });
}

await build({
  entryPoints: [join(here, 'scan_node.ts')],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  sourcemap: true,
  logLevel: 'warning',
  plugins
});
console.log(outfile);
