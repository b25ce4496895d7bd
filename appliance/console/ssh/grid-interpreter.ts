// A grid as the SSH console's Interpreter. It carries the grid itself, so the SSH adapter
// hands grid lines straight to the registry; stand-ins in tests carry none.
import type { GridVerbs, Interpreter } from '../context.js';
import { runLine } from '../registry.js';

const GRID = Symbol('grid');
type GridInterpreter = Interpreter & { [GRID]?: GridVerbs };

export function gridInterpreter(grid: GridVerbs): Interpreter {
  const it: GridInterpreter = { run: (user, line) => runLine({ user, grid }, line) };
  it[GRID] = grid;
  return it;
}

/** The grid behind an interpreter made by gridInterpreter(), if any. */
export function gridOf(interpreter: Interpreter): GridVerbs | undefined {
  return (interpreter as GridInterpreter)[GRID];
}
