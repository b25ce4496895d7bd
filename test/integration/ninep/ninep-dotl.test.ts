// 9P2000.L file operations end to end, on MemFs, through the shared backend suite.
import t from 'tap';
import { MemFs } from '../../../appliance/ninep/memfs.js';
import { posixBackendSuite } from './posix-suite.js';

posixBackendSuite(t, async () => {
  const fs = new MemFs();
  return { backend: fs, root: fs.root };
});
