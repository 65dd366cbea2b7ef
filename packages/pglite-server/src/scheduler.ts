/**
 * Who may use the one database session, and when. Work comes in turns; a turn
 * runs alone. After its turn an owner may keep the session (it is inside a
 * transaction, or between the messages of one extended-protocol query): then only
 * that owner's next turns run until it lets go, and everyone else waits, first
 * come first served.
 */

interface Waiter<Owner> {
  owner: Owner;
  start: () => void;
}

export class ExclusiveScheduler<Owner> {
  /** The owner running a turn, or keeping the session between turns. */
  #holder: Owner | undefined;
  #running = false;
  #waiting: Waiter<Owner>[] = [];

  /**
   * Runs `task` once the session is free (or already held by `owner`). When it
   * ends, `keep()` says whether `owner` keeps the session for its next turn.
   */
  async run<T>(owner: Owner, task: () => Promise<T>, keep: () => boolean): Promise<T> {
    await this.#turn(owner);
    try {
      return await task();
    } finally {
      this.#running = false;
      if (!safely(keep)) this.#holder = undefined;
      this.#dispatch();
    }
  }

  /** Whether `owner` has the session now (running, or kept after its last turn). */
  holds(owner: Owner): boolean {
    return this.#holder === owner;
  }

  /** Lets the session go without a turn (an owner that kept it and then left without work to do). */
  release(owner: Owner): void {
    if (this.#holder !== owner || this.#running) return;
    this.#holder = undefined;
    this.#dispatch();
  }

  /** Turns waiting to run. */
  get waiting(): number {
    return this.#waiting.length;
  }

  #turn(owner: Owner): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiting.push({
        owner,
        start: () => {
          this.#running = true;
          this.#holder = owner;
          resolve();
        },
      });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    if (this.#running || this.#waiting.length === 0) return;
    const index = this.#holder === undefined ? 0 : this.#waiting.findIndex((w) => w.owner === this.#holder);
    if (index < 0) return;
    const [next] = this.#waiting.splice(index, 1);
    next!.start();
  }
}

function safely(predicate: () => boolean): boolean {
  try {
    return predicate();
  } catch {
    return false;
  }
}
