// Bundles bench/scan_node.ts (the scan code of src/scan plus @qdrant/js-client-rest) into one
// Node script, so the integration test and the benchmark run the worker's own code in Node.
//
//   node bench/build.mjs [--entry scan_node|regroup] [--outfile <path>] [--variant <name>]
//
// Default output: bench/.build/scan_node.cjs. `--variant` builds an experiment: the scanner
// with some of its policies changed (bench/variants.json), to measure what a part of the
// design buys. The variant's name is baked into the bundle as a constant; scan_node.ts passes
// its policies to scanCollection as an option, so no source text is edited.
import { build } from 'esbuild';
import { readFile } from 'fs/promises';
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
  arg('--outfile') ??
  join(here, '.build', variant ? `${entry}.${variant}.cjs` : `${entry}.cjs`);

if (variant) {
  const { variants } = JSON.parse(
    await readFile(join(here, 'variants.json'), 'utf-8')
  );
  if (!Object.hasOwn(variants, variant)) {
    throw new Error(
      `unknown variant ${variant}; known: ${Object.keys(variants).join(', ')}`
    );
  }
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
  define: { SCAN_VARIANT: JSON.stringify(variant ?? null) }
});
console.log(outfile);
