#!/usr/bin/env node
// A trial for bench/idle (--bundle): writes the `colony` command as one ES module,
// dist/appliance/cli/colony.mjs (the compiled CLI and its JavaScript dependencies), and
// bench/idle runs its node from it. Node keeps every loaded module's source and record on
// the V8 heap: ~1,100 files (libp2p, ssh2, ...) take ~30 MB at idle, the bundle ~20 MB. Not
// the product's way to run: measured alone it saved no RSS (malloc kept the memory: 105 MB
// against 104), only with MALLOC_MMAP_THRESHOLD_=131072 (93 MB). Names are kept; native
// addons and packages that find files next to themselves stay in node_modules.
// Usage: node bench/bundle.mjs [DIST] (default: the repository's dist/). Needs esbuild (it comes with tsx).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'));
const entry = join(dist, 'appliance/cli/run.js');
if (!existsSync(entry)) {
  process.stderr.write(`bundle: ${entry} is missing: build with tsc first\n`);
  process.exit(1);
}
/** Loaded from node_modules at run time: native code, or files found relative to the package. */
export const EXTERNAL = [
  'classic-level', '@c4312/blake3-native', 'blake3-wasm', '@napi-rs/xattr', '@lydell/node-pty', 'serialport',
  'cpu-features', 'x11', '*.node',
];

const { build } = await import('esbuild');
await build({
  entryPoints: [entry],
  outfile: join(dist, 'appliance/cli/colony.mjs'),
  bundle: true, platform: 'node', format: 'esm', target: 'node20',
  minifyWhitespace: true, minifySyntax: true, keepNames: true, legalComments: 'none',
  sourcemap: 'external', // not loaded at run time; for reading a stack trace afterwards
  external: EXTERNAL,
  // CommonJS dependencies inside an ES module still ask for require and __dirname.
  banner: { js: "import{createRequire as __cr}from'node:module';import{fileURLToPath as __fu}from'node:url';const require=__cr(import.meta.url),__filename=__fu(import.meta.url),__dirname=__fu(new URL('.',import.meta.url));" },
  logLevel: 'warning',
});
