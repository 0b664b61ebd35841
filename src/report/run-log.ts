import type {RunEvent} from '../playbook/events.js'

const LABEL = {ok: 'ok', changed: 'changed', skipped: 'skipping', failed: 'failed'} as const

/**
 * A run as a log: one line per finished step, prefixed with its host like Ansible's (`ok: [lb1] sysctls — …`), so
 * hosts working in parallel stay readable in a CI log. Nothing for a step that starts: a log is read afterwards.
 */
export function runLogLines(e: RunEvent): string[] {
  switch (e.type) {
    case 'phase':
      return [e.status === 'ok' ? e.text : `stopped: ${e.text}`]
    case 'play':
      return [`PLAY [${e.name}] ${e.hosts.join(', ') || '(no hosts)'}${e.alongside ? ` — alongside ${e.alongside}` : ''}`]
    case 'task-start':
      return []
    case 'not-run':
      return [`not run: [${e.host}] ${e.task} — ${e.why}`]
    case 'notice':
      return [e.text]
    case 'task': {
      const r = e.result
      const [first, ...rest] = (r.message ?? '').split('\n')
      const head = `${LABEL[r.status]}: [${r.host}] ${r.task}${r.handler ? ' (handler)' : ''}${first ? ` — ${first}` : ''} (${(r.durationMs / 1000).toFixed(2)} s)`
      return [head, ...(r.status === 'failed' ? rest.map((l) => `    ${l}`) : [])]
    }
  }
}

/** Writes the log of a run to a stream (stderr: progress never mixes with the data on stdout). */
export function runLog(out: NodeJS.WritableStream): (e: RunEvent) => void {
  return (e) => {
    const lines = runLogLines(e)
    if (lines.length) out.write(`${lines.join('\n')}\n`)
  }
}
