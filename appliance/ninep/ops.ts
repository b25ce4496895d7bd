// Which handler answers which request in each dialect. Version, attach, auth and flush
// are the session's own business and are not listed here.
import * as common from './ops-common.js';
import * as L from './ops-l.js';
import * as P from './ops-9p.js';

export type { Handler, HandlerTable } from './ops-common.js';

export const handlers9P2000L: common.HandlerTable = {
  Twalk: common.walk,
  Tread: common.read,
  Twrite: common.write,
  Tclunk: common.clunk,
  Tremove: common.remove,
  Tstatfs: L.statfs,
  Tlopen: L.lopen,
  Tlcreate: L.lcreate,
  Tsymlink: L.symlink,
  Tmknod: L.mknod,
  Trename: L.rename,
  Treadlink: L.readlink,
  Tgetattr: L.getattr,
  Tsetattr: L.setattr,
  Txattrwalk: L.xattrwalk,
  Txattrcreate: L.xattrcreate,
  Treaddir: L.readdir,
  Tfsync: L.fsync,
  Tlock: L.lock,
  Tgetlock: L.getlock,
  Tlink: L.link,
  Tmkdir: L.mkdir,
  Trenameat: L.renameat,
  Tunlinkat: L.unlinkat,
};

export const handlers9P2000: common.HandlerTable = {
  Twalk: common.walk,
  Tread: P.read,
  Twrite: common.write,
  Tclunk: common.clunk,
  Tremove: common.remove,
  Topen: P.open,
  Tcreate: P.create,
  Tstat: P.stat,
  Twstat: P.wstat,
};
