// nameVisibility as data: the local origin's names are visible without asking, complete
// names are visible, the rest are pending with their progress (unknown before a walk);
// pendingText's two wordings.
import t from 'tap';
import type { NameRecord } from '../../../appliance/catalog/index.js';
import { nameVisibility, pendingText, type Progress } from '../../../appliance/grid/name-visibility.js';

const rec = (name: string, origin: string, fill: number): NameRecord =>
  ({ owner: 'alice', name, root: Buffer.alloc(32, fill), created: '2026-12-06T00:00:00.000Z', origin, comment: '', meta: {} });

t.test('local names are visible unasked; remote ones by their status', async (t) => {
  const names = [rec('mine', 'here', 1), rec('done', 'there', 2), rec('half', 'there', 3), rec('new', 'there', 4)];
  const asked: string[] = [];
  const status = (r: NameRecord): true | Progress | undefined => {
    asked.push(r.name);
    return r.name === 'done' ? true : r.name === 'half' ? { local: 3, total: 7 } : undefined;
  };
  const v = nameVisibility(names, status, 'here');
  t.same(v.visible.map((r) => r.name), ['mine', 'done']);
  t.same(v.pending.map((p) => [p.record.name, p.progress]), [['half', { local: 3, total: 7 }], ['new', { local: 0 }]]);
  t.same(asked, ['done', 'half', 'new'], 'the local origin\'s name is never checked');
});

t.test('pending wording', async (t) => {
  t.equal(pendingText({ local: 3, total: 7 }), 'pending: 3 of 7 blocks');
  t.equal(pendingText({ local: 2 }), 'pending: blocks arriving');
});
