/** At most `max` tasks at once; the rest wait in FIFO order. */
export class Limiter {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`limit must be a positive integer, got ${max}`)
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await task()
    } finally {
      // Hand the slot straight to the next waiter, so `active` never dips and
      // a newcomer cannot overtake the queue.
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}
