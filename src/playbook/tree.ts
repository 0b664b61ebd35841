import {DefaultRenderer, ProcessOutput, ListrLogger} from 'listr2'

/** A row of the live tree whose title and output can be changed while it runs. */
export interface TreeRow {
  title: string
  output: string
}

/** The rows of the live tree the engine writes to while a run goes: each running host's, and the running play's. */
export interface LiveTree {
  rows: Map<string, TreeRow>
  play?: TreeRow
  notice?: (text: string) => void
}

/**
 * listr2's live renderer, drawn on stderr so stdout keeps only data (a diff, the recap, --json) even when both are
 * the same terminal, or stdout goes to a file while the operator watches stderr. listr2 would fall back to plain
 * lines whenever stdout is not a terminal; this view only asks whether stderr is.
 */
class StderrTree extends DefaultRenderer {
  static nonTTY = true
}

/** The Listr options for a run's view: the tree on a terminal, nothing otherwise (the CI log listens to events). */
export function treeOptions(renderer: 'tree' | 'lines' | 'silent', tree: LiveTree): Record<string, unknown> {
  const common = {
    // A failed play must not stop the others from being marked: the batch/play skips stop the run.
    exitOnError: false,
    collectErrors: false,
    // listr2's own SIGINT handler exits the process at once, leaving every lock behind: the command handles it.
    registerSignalListeners: false,
  }
  if (renderer !== 'tree') return {...common, renderer: 'silent'}
  tree.notice = (text) => {
    if (tree.play) tree.play.title = `${tree.play.title.split(' — ')[0]} — ${text}`
  }
  return {
    ...common,
    renderer: StderrTree,
    rendererOptions: {
      // Finished plays fold to one line, so the tree stays shorter than the screen and is redrawn in place.
      collapseSubtasks: true,
      collapseErrors: false,
      showErrorMessage: true,
      formatOutput: 'truncate',
      logger: new ListrLogger({processOutput: new ProcessOutput(process.stderr, process.stderr, {dump: ['stderr']}), useIcons: true}),
    },
  }
}
