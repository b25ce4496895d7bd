// A small async mutex: callers run one at a time, in arrival order. The volume holds one
// across every namespace change, whose checks (is this name free? is that directory
// empty?) and acts are separated by awaits (directory loads, the link index).

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every earlier caller has finished; its result or error is passed through. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    // The next caller waits for this one to settle, whether it worked or not.
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
}
