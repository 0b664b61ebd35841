import type {TaskResult} from './execute.js'

/**
 * What a run says while it works, in order: the views (a live tree on a terminal, one line per finished task in a
 * log) listen; the engine never formats anything itself.
 */
export type RunEvent =
  /** Connect-and-lock or the release decision finished. */
  | {type: 'phase'; status: 'ok' | 'failed'; text: string}
  /** A play starts on these hosts. */
  | {type: 'play'; name: string; hosts: string[]; alongside?: string}
  /** A step starts on a host (the tree shows it as the host's current task). */
  | {type: 'task-start'; host: string; task: string}
  /** A step finished on a host. */
  | {type: 'task'; result: TaskResult}
  /** A step that was due and did not run (Ctrl-C). */
  | {type: 'not-run'; host: string; task: string; why: string}
  /** Something the operator must see at once (Ctrl-C was pressed). */
  | {type: 'notice'; text: string}

export type RunListener = (e: RunEvent) => void
