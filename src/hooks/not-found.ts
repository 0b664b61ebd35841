import type {Hook} from '@oclif/core'
import {closest} from '../inventory/schema-errors.js'

/**
 * "Did you mean" for a mistyped command — also when stdout is not a terminal (oclif's plugin only offers it as an
 * interactive prompt). With spaces as topic separators `lbctl deplyo prod` arrives as "deplyo:prod", so the words
 * are tried from longest to shortest.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  const ids = opts.config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const words = opts.id.split(':')
  let guess: string | undefined
  for (let n = words.length; n > 0 && !guess; n--) guess = closest(words.slice(0, n).join(':'), ids)
  const typed = words.join(' ')
  const hint = guess ? ` Did you mean "${opts.config.bin} ${guess.replaceAll(':', ' ')}"?` : ''
  this.error(`"${typed}" is not a ${opts.config.bin} command.${hint} Run "${opts.config.bin} --help" for the list.`, {exit: 127})
}

export default hook
