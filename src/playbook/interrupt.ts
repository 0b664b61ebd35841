import {writeSync} from 'node:fs'

/**
 * Ctrl-C during a run, shared by the command (which owns the signals) and the engine (which knows the locks and
 * what the operator is looking at).
 */
export class Interrupt {
  private readonly controller = new AbortController()
  readonly signal = this.controller.signal
  /** Hosts whose lock the run holds at this moment; the engine fills this in once it locks anything. */
  locksHeld: () => string[] = () => []
  /**
   * Says something at once. A live tree replaces this (a line written under it would tear its frame); otherwise it
   * goes straight to fd 2, past any buffering, because the next thing may be process.exit.
   */
  say: (text: string) => void = (text) => void writeSync(2, `${text}\n`)

  abort(): void {
    this.controller.abort()
  }
}
