// Bundles bench/scan_node.ts (the scan code of src/scan plus @qdrant/js-client-rest) into one
// Node script, so the integration test and the benchmark run the worker's own code in Node.
//
//   node bench/build.mjs [--entry scan_node|regroup] [--outfile <path>] [--variant <name> [--emit-scanner <path>]]
//
// Default output: bench/.build/scan_node.cjs. `--variant` builds an experiment: the scanner
// with a change to src/scan/scanner.ts applied on the fly (see VARIANTS), to measure a change
// before it is made or what a part of the design buys; the source files are never modified. `--emit-scanner` also
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
// `--entry regroup` bundles bench/regroup.ts (the regroup timing) instead.
const entry = arg('--entry') ?? 'scan_node';
const outfile =
  arg('--outfile') ?? join(here, '.build', variant ? `${entry}.${variant}.cjs` : `${entry}.cjs`);

/**
 * Scanner changes to measure against src/scan/scanner.ts as it is: [text to find (exactly
 * once), replacement]. Each one undoes part of the scan's design, to show what that part buys
 * (bench/README.md, "Findings"); a new proposal goes here before it goes into the scanner.
 */
// Full pages asked again by offset (the scanner's first design) instead of from the start.
const OFFSET_PAGING = [
  `          followUps.push(
            q.offset === 0 && q.limit < cap
              ? { index: q.index, offset: 0, limit: Math.min(q.limit * 2 + options.limit, cap) }
              : { index: q.index, offset: q.offset + q.limit, limit: cap }
          );`,
  `          followUps.push({
            index: q.index,
            offset: q.offset + q.limit,
            limit: Math.min(q.limit * 2, cap)
          });`
];
// No check of the pairs inside groups after the main pass.
const NO_CHECK = [`    if (!options.exact) {
      // Checking:`, `    if (false as boolean) {
      // Checking:`];
// The check asks about every pair inside a group, known or not.
const CHECK_ALL = [`            if (!pairs.has(i, members[m])) {`, `            if (i >= 0) {`];
// The scan as before issue 12: the by-id pass only, whatever the audit finds.
const NO_CURE = [`(options.cure === 'auto' && sample !== null && sample.unreachable > 0)`, `false`];
// The sure route without its exact searches (to time the by-vector pass alone; misses pairs).
const SURE_NO_EXACT = [`          searchedExactly++;
          followUps.push({ index: q.index, offset: 0, limit: options.limit, exact: true });`, `          searchedExactly++;`];
const VARIANTS = {
  'no-cure': [NO_CURE],
  'sure-no-exact': [SURE_NO_EXACT],
  'no-check': [NO_CHECK],
  'check-all': [CHECK_ALL],
  'offset-paging': [OFFSET_PAGING],
  'offset-paging-no-check': [OFFSET_PAGING, NO_CHECK]
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
  entryPoints: [join(here, `${entry}.ts`)],
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
