#!/usr/bin/env node
// The `colony` command. It runs the compiled CLI; `npm ci` builds it (the prepare script).
import { main } from '../dist/appliance/cli/main.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
