import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import Handlebars from 'handlebars'

// src/render/templates.ts (tsx) and dist/render/templates.js (tsc) both sit two levels below the repository root.
const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url))

// An isolated environment: no helpers registered anywhere else can change what a template means.
const hb = Handlebars.create()
const compiled = new Map<string, Handlebars.TemplateDelegate>()

export type TemplateName =
  | 'keepalived.conf'
  | 'haproxy.cfg'
  | 'haproxy-pidfile.conf'
  | 'sysctl.conf'
  | 'ipvsadm.rules'
  | 'notify.sh'
  | 'check-haproxy.sh'
  | 'tuning.sh'
  | 'tuning.service'
  | 'realserver.sh'
  | 'realserver.service'

/**
 * Renders templates/NAME.hbs with a view built in TS. noEscape: these are config files, not HTML. strict: a view
 * that lacks a field the template reads is a bug, and must throw rather than render an empty value.
 */
export function renderTemplate(name: TemplateName, view: object): string {
  let t = compiled.get(name)
  if (!t) {
    const source = readFileSync(`${TEMPLATE_DIR}${name}.hbs`, 'utf8')
    t = hb.compile(source, {noEscape: true, strict: true})
    compiled.set(name, t)
  }
  return tidy(t(view))
}

/** No trailing blanks, no runs of blank lines, exactly one final newline: stable bytes whatever the view holds. */
function tidy(text: string): string {
  return `${text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`
}
