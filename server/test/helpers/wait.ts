// Waiting without sleeping: one queue for events that arrive over time, and one polling loop for states.

/** Items arriving over time; `next()` takes the first item not taken yet (or the first matching one), waiting if needed. */
export class Queue<T> {
  /** Everything ever received, taken or not. */
  readonly all: T[] = [];
  private readonly taken = new Set<number>();
  private readonly waiters: { pred: (item: T) => boolean; resolve: (item: T) => void }[] = [];
  private readonly watchers = new Set<(item: T) => void>();

  /** @param timeoutMs how long `next()` and `find()` wait by default. */
  constructor(private readonly timeoutMs = 5000) {}

  /** The items received and not taken yet, oldest first. */
  get received(): T[] {
    return this.all.filter((_, i) => !this.taken.has(i));
  }

  /** Adds an item: the oldest waiter it matches takes it. */
  push(item: T): void {
    const index = this.all.push(item) - 1;
    for (const watcher of [...this.watchers]) watcher(item);
    const waiter = this.waiters.find((w) => w.pred(item));
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      this.taken.add(index);
      waiter.resolve(item);
    }
  }

  /** Takes the next item (or the first one matching `pred`), waiting up to `timeoutMs` for it. */
  next(timeoutMs?: number): Promise<T>;
  next(pred: (item: T) => boolean, timeoutMs?: number): Promise<T>;
  next(predOrTimeout?: ((item: T) => boolean) | number, timeoutMs = this.timeoutMs): Promise<T> {
    const pred = typeof predOrTimeout === 'function' ? predOrTimeout : () => true;
    if (typeof predOrTimeout === 'number') timeoutMs = predOrTimeout;
    const index = this.all.findIndex((item, i) => !this.taken.has(i) && pred(item));
    if (index >= 0) {
      this.taken.add(index);
      return Promise.resolve(this.all[index]!);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`nothing matching within ${timeoutMs} ms; received: ${JSON.stringify(this.all).slice(0, 2000)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for the first item from index `from` on matching `pred`, without taking it. */
  find(pred: (item: T) => boolean, from = 0, timeoutMs = this.timeoutMs): Promise<T> {
    const found = this.all.slice(from).find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const watcher = (item: T) => {
        if (!pred(item)) return;
        this.watchers.delete(watcher);
        clearTimeout(timer);
        resolve(item);
      };
      const timer = setTimeout(() => {
        this.watchers.delete(watcher);
        reject(new Error(`no matching item within ${timeoutMs} ms; got ${JSON.stringify(this.all.slice(from)).slice(0, 1000)}`));
      }, timeoutMs);
      this.watchers.add(watcher);
    });
  }
}

/**
 * Polls `check` every `intervalMs` until it holds; rejects with "timed out waiting for <what>" after `timeoutMs`.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A condition re-checked whenever something changes: call `changed()` on each change, await `until(test)`. */
export class Changes {
  private readonly checks = new Set<() => void>();

  /** Re-checks every pending {@link Changes.until}. */
  changed(): void {
    for (const check of [...this.checks]) check();
  }

  /**
   * Resolves with `test`'s truthy result once it holds (checked now and on every change); after `timeoutMs`
   * rejects with `describe()` saying what the state was.
   */
  until<R>(test: () => R | undefined | false, describe: () => string, timeoutMs = 5000): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const check = () => {
        const result = test();
        if (!result) return;
        this.checks.delete(check);
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(describe()));
      }, timeoutMs);
      this.checks.add(check);
      check();
    });
  }
}
