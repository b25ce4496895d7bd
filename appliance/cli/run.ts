// Entry point that runs the CLI from source (tests and development: `node --import tsx appliance/cli/run.ts`).
import { main, quietOnClosedPipe } from './main.js';

quietOnClosedPipe();
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
