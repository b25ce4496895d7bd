// The grid console interpreter (appliance/console) as the SSH console's Interpreter.
import { run, type GridVerbs } from '../interpreter.js';
import type { Interpreter } from './commands.js';

export function gridInterpreter(grid: GridVerbs): Interpreter {
  return { run: (user, line) => run(grid, user, line) };
}
