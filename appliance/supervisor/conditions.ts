// What the node is doing besides serving, as data: why it is degraded (by source) and what is
// busy (by kind). The supervisor writes the health file and the LEDs follow; these classes
// only count and decide, so they are tested without a supervisor.

export type DegradedSource = 'peers' | 'board' | 'store';

/** The reasons each source gives; `change()` says what health.json should say next, once per change. */
export class DegradedReasons {
  private readonly by = new Map<DegradedSource, string[]>();
  private said = '';

  set(source: DegradedSource, reasons: string[]): void {
    this.by.set(source, reasons);
  }

  all(): string[] {
    return [...this.by.values()].flat();
  }

  /**
   * The next record when the reasons differ from what was last said: `degraded` with the
   * reasons, or `ready` once none is left; undefined when nothing changed. Only a node that is
   * ready or degraded changes (a reason that comes while booting is said once ready).
   */
  change(state: string): { state: 'degraded'; text: string } | { state: 'ready' } | undefined {
    const text = this.all().join('; ');
    if (text === this.said || (state !== 'ready' && state !== 'degraded')) return undefined;
    this.said = text;
    return text ? { state: 'degraded', text } : { state: 'ready' };
  }
}

/** Work under way that the LEDs show as busy: counted per kind, so overlapping runs nest. */
export class BusyWork {
  private readonly counts = new Map<string, number>();

  async during<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      this.counts.set(what, (this.counts.get(what) ?? 1) - 1);
    }
  }

  /** The kinds running now, after `also` (what others report: saves, replication). */
  now(also: Array<string | false>): string[] {
    const out = also.filter((x): x is string => x !== false);
    for (const [what, n] of this.counts) if (n > 0 && !out.includes(what)) out.push(what);
    return out;
  }
}
