#!/usr/bin/env -S node --initial-old-space-size=64 --max-semi-space-size=2
// The `colony` command. It runs the compiled CLI; `npm ci` builds it (the prepare script).
// The single-file build (bin/bundle.mjs) is the same code in less memory; it runs only when
// it is newer than the last tsc build (its .tsbuildinfo, rewritten by every build that
// emits), so an incremental rebuild of one file is never shadowed by an older bundle.
import { statSync } from 'node:fs';

const mtime = (rel) => { try { return statSync(new URL(rel, import.meta.url)).mtimeMs; } catch { return -1; } };
const bundle = mtime('../dist/appliance/cli/colony.mjs');
const bundled = bundle >= 0 && bundle >= Math.max(mtime('../dist/.tsbuildinfo'), mtime('../dist/appliance/cli/run.js'));
await import(bundled ? '../dist/appliance/cli/colony.mjs' : '../dist/appliance/cli/run.js');
