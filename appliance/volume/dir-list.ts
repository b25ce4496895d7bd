// A directory's names in readdir order, each with a cookie that stays valid while the
// volume lives. Cookies only grow (a name is appended with the next one), so the list is
// sorted by cookie and a page resumes by binary search: one Treaddir costs O(log n + page),
// not a sort of the whole directory (200k entries took 56 s to list when every page did).
// A removed name leaves a hole; holes are squeezed out once they outnumber the names.

export class DirList {
  private names: Array<string | undefined> = [];
  private cookies: number[] = [];
  private holes = 0;
  /** Cookies 1 and 2 are '.' and '..'. */
  private next = 3;
  /** Positions a listing stepped over (names and holes): tests check a listing is O(n). */
  scanned = 0;

  get size(): number { return this.names.length - this.holes; }

  /** Appends a name; returns its cookie. */
  add(name: string): number {
    const cookie = this.next++;
    this.names.push(name);
    this.cookies.push(cookie);
    return cookie;
  }

  /** Forgets the name holding `cookie` (a no-op for an unknown cookie). */
  remove(cookie: number): void {
    const i = this.indexAfter(cookie - 1);
    if (i >= this.names.length || this.cookies[i] !== cookie || this.names[i] === undefined) return;
    this.names[i] = undefined;
    this.holes++;
    if (this.holes > 64 && this.holes > this.names.length / 2) this.squeeze();
  }

  /** Names with a cookie above `cookie`, in cookie order. The caller stops when its page is full. */
  *after(cookie: number): Generator<{ name: string; cookie: number }> {
    const names = this.names;
    for (let i = this.indexAfter(cookie); i < names.length; i++) {
      // A squeeze meanwhile (a removal between two pulls) moves positions: find our place again.
      if (names !== this.names) { yield* this.after(cookie); return; }
      this.scanned++;
      const name = names[i];
      if (name === undefined) continue;
      cookie = this.cookies[i]!;
      yield { name, cookie };
    }
  }

  /** The first position whose cookie is above `cookie`. */
  private indexAfter(cookie: number): number {
    let lo = 0;
    let hi = this.cookies.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cookies[mid]! <= cookie) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private squeeze(): void {
    const names: string[] = [];
    const cookies: number[] = [];
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i];
      if (name !== undefined) { names.push(name); cookies.push(this.cookies[i]!); }
    }
    this.names = names;
    this.cookies = cookies;
    this.holes = 0;
  }
}
