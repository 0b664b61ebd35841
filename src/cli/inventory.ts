import {Args, Command} from '@oclif/core'
import {InventoryError, loadInventory, sortProblems, formatProblem, type Loaded} from '../inventory/index.js'
import type {LoadOptions} from '../inventory/load.js'
import {jsonText} from '../report/json.js'

/** Exit codes shared by every command, documented in the README. */
export const EXIT = {ok: 0, failed: 1, invalidInventory: 2} as const

export const inventoryArg = Args.string({
  name: 'inventory',
  required: true,
  description: 'Inventory name (prod → inventories/prod.yaml) or path to a YAML file',
})

/**
 * Loads an inventory for a command. On problems prints them all (file:line:col: path: what, then the fix) and exits
 * 2 (or `exitCode`: `status` is a monitoring check, where 2 means CRITICAL) before anything else happens — in
 * particular before any SSH connection is opened.
 */
export function loadOrExit(cmd: Command, ref: string, json = false, exitCode: number = EXIT.invalidInventory, opts: LoadOptions = {}): Loaded {
  try {
    return loadInventory(ref, opts)
  } catch (error) {
    if (!(error instanceof InventoryError)) throw error
    const problems = sortProblems(error.problems)
    if (json) cmd.log(jsonText({ok: false, problems}))
    else {
      process.stderr.write(`${problems.map(formatProblem).join('\n')}\n`)
      process.stderr.write(`${problems.length} problem${problems.length === 1 ? '' : 's'} found; nothing was changed.\n`)
    }
    return cmd.exit(exitCode)
  }
}
