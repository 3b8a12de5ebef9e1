/**
 * Serialises async work inside one process. A SQLite catalogue has one connection for all callers, so two
 * interleaved transactions would otherwise run inside each other.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work);
    this.tail = result.catch(() => {});
    return result;
  }
}
