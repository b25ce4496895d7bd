// `colony hostname`: the machine name the appliance image gives itself, colony-XXXXXX, from
// the node id (image/systemd/colony-hostname.service runs it with --apply at boot).
import { writeFile } from 'node:fs/promises';
import { defaultName } from '../discovery/index.js';
import { loadOrCreateIdentity } from '../identity/index.js';
import { fromSystemError } from '../errors.js';
import type { Command } from './command.js';

/**
 * The name the appliance also announces on the LAN (discovery's default instance name,
 * colony- and the node id's last six characters, lowercased): one name in avahi-browse,
 * the router's lease table and the console's `node`. The id's tail, not its head: every
 * Ed25519 peer id starts with 12D3KooW.
 */
export const hostnameOf = defaultName;

/** The kernel's hostname, set without hostnamed or a writable /etc (the root is read-only). */
const KERNEL_HOSTNAME = '/proc/sys/kernel/hostname';

export const hostnameCommand: Command = {
  path: ['hostname'],
  summary: "Print the machine name made from the node id (colony-XXXXXX); --apply makes it the kernel's.",
  options: { apply: { type: 'boolean', help: "set it as the running system's hostname (root; until the next boot)" } },
  description: `The node's key is made in the data directory if it has none yet, as the supervisor would
at its first start, so the name is the node's for life.`,
  async run(ctx) {
    const name = hostnameOf((await loadOrCreateIdentity(ctx.data)).nodeId);
    if (ctx.values.apply) {
      try {
        await writeFile(KERNEL_HOSTNAME, name);
      } catch (err) {
        throw fromSystemError(err, `setting the hostname to ${name} (${KERNEL_HOSTNAME})`);
      }
    }
    ctx.out.write(name + '\n');
    return 0;
  },
};
