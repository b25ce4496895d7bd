#!/usr/bin/env node
// Writes the single-file build of the `colony` command: dist/appliance/cli/colony.mjs, the
// compiled CLI (dist/, from tsc) and its JavaScript dependencies in one ES module, which
// bin/colony.js runs when it is newer than dist/appliance/cli/run.js. Why: Node keeps every
// loaded module's source text and module record on the V8 heap; ~1,100 files (libp2p, ssh2,
// their dependencies, comments and all) take ~24 MB of heap at idle, the bundle ~16 MB
// (bench/idle measures it). Names are kept (stack traces and error names read the same);
// native addons and packages that find files next to themselves stay in node_modules.
// Usage: node bin/bundle.mjs [DIST] (default: dist next to this bin/). Needs esbuild.
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
