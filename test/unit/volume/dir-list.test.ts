// DirList: a directory's names in cookie order; a page resumes by binary search.
import t from 'tap';
import { DirList } from '../../../appliance/volume/dir-list.js';

const names = (l: DirList, after: number) => [...l.after(after)].map((e) => e.name);

t.test('cookies start at 3, only grow, and stay with their names across removals and squeezes', async (t) => {
  const l = new DirList();
  const cookies = new Map<string, number>();
  for (let i = 0; i < 1000; i++) cookies.set(`n${i}`, l.add(`n${i}`));
  t.equal(cookies.get('n0'), 3);
  for (let i = 0; i < 1000; i += 3) l.remove(cookies.get(`n${i}`)!); // enough holes to squeeze
  l.remove(cookies.get('n0')!); // twice: a no-op
  l.remove(99_999); // unknown: a no-op
  t.equal(l.size, 666);
  const rest = [...l.after(0)];
  t.same(rest.map((e) => e.name), [...cookies.keys()].filter((_, i) => i % 3 !== 0));
  for (const e of rest) t.equal(e.cookie, cookies.get(e.name), `${e.name} kept its cookie`);
  t.same(names(l, cookies.get('n997')!), ['n998']);
  const again = l.add('n0');
  t.ok(again > cookies.get('n999')!, 'a name added again gets a new, larger cookie');
  t.same(names(l, cookies.get('n999')!), ['n0']);
});

t.test('listing n names in pages steps over O(n) positions, not n per page', async (t) => {
  const l = new DirList();
  const n = 20_000;
  for (let i = 0; i < n; i++) l.add(`entry-${i}`);
  let cookie = 0;
  let pages = 0;
  let seen = 0;
  for (; pages < n; pages++) {
    let taken = 0;
    for (const e of l.after(cookie)) { cookie = e.cookie; seen++; if (++taken === 100) break; }
    if (taken === 0) break;
  }
  t.equal(seen, n);
  t.equal(pages, n / 100);
  t.ok(l.scanned <= n + pages, `scanned ${l.scanned} positions for ${n} names in ${pages} pages`);
});

t.test('a removal during a listing (which may squeeze the list) neither repeats nor skips a live name', async (t) => {
  const l = new DirList();
  const cookies: number[] = [];
  for (let i = 0; i < 300; i++) cookies.push(l.add(`n${i}`));
  const seen: string[] = [];
  for (const e of l.after(0)) {
    seen.push(e.name);
    // Remove every name but this one, ahead and behind, at the 10th: the list squeezes.
    if (seen.length === 10) for (let i = 0; i < 300; i++) if (i !== 9 && i !== 200) l.remove(cookies[i]!);
  }
  t.same(seen, [...Array.from({ length: 10 }, (_, i) => `n${i}`), 'n200']);
});
