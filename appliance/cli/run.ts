// Entry point that runs the CLI from source (tests and development: `node --import tsx appliance/cli/run.ts`).
import { main } from './main.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
