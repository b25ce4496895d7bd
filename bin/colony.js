#!/usr/bin/env -S node --initial-old-space-size=64 --max-semi-space-size=2
// The `colony` command. It runs the compiled CLI; `npm ci` builds it (the prepare script).
import '../dist/appliance/cli/run.js';
