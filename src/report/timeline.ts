/**
 * The timeline picture of a failover test, self-contained (inline SVG, no script, no external resource) so it can be
 * pasted into a change ticket: per scenario, every probe as a green (ok) or red (failed) tick, and per director a
 * band showing when it held the VIP, with the fault, the VIP's move, the restore and the return marked.
 */
import {holds, type HoldState} from '../failover/holds.js'
import type {FailoverReport, ScenarioResult, VipEvent} from '../failover/types.js'
import {xmlEscape as x} from './junit.js'

const W = 1360
const LEFT = 190
const RIGHT = 24
const PW = W - LEFT - RIGHT
const ROW = 20
const PALETTE = ['#2563eb', '#7c3aed', '#0d9488', '#c026d3', '#4f46e5', '#0284c7', '#65a30d', '#9333ea', '#0f766e']
const COLOR = {ok: '#16a34a', failed: '#dc2626', none: '#e5e7eb', stale: '#f59e0b', isolated: '#94a3b8', fault: '#dc2626', moved: '#ea580c', restore: '#2563eb', back: '#16a34a', split: '#dc2626'}

const f2 = (n: number) => n.toFixed(2)
const px = (n: number) => Math.round(n * 10) / 10

function tickStep(spanS: number): number {
  for (const s of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60]) if (spanS / s <= 16) return s
  return 120
}

/**
 * A director's hold on the VIP as bands, exactly as its events say; where its stream said nothing (before it
 * started, after it was lost) the row stays hatched.
 */
function ownerBands(events: VipEvent[], director: string, vip: string, X: (t: number) => number, t0: number, t1: number, y: number, color: string): string[] {
  const fill: Record<HoldState, string> = {live: color, stale: COLOR.stale, isolated: COLOR.isolated, none: COLOR.none}
  const out = [`<rect x="${px(X(t0))}" y="${y}" width="${px(X(t1) - X(t0))}" height="${ROW - 4}" fill="url(#unknown)"/>`]
  for (const h of holds(events, vip).get(director) ?? []) {
    out.push(`<rect x="${px(X(h.start))}" y="${y}" width="${px(Math.max(0.5, X(h.end) - X(h.start)))}" height="${ROW - 4}" fill="${fill[h.state]}"/>`)
  }
  return out
}

function panel(r: FailoverReport, s: ScenarioResult, top: number, directorColor: Map<string, string>): {svg: string; height: number} {
  const zero = s.times.fault ?? s.times.start
  const t0 = s.times.start
  const t1 = Math.max(s.times.end, t0 + 1)
  const X = (t: number) => LEFT + ((t - t0) / (t1 - t0)) * PW
  const out: string[] = []
  const m = s.measures
  const title = `${s.name} — ${s.status.toUpperCase()}${s.target ? ` — target ${s.target}` : ''}`
  const sub = m
    ? `outage ${f2(m.outageS)} s · bound ${s.bound ? f2(s.bound.seconds) : '—'} s · ratio ${m.ratio === undefined ? '—' : f2(m.ratio)} · VIP moved after ${m.movedS === undefined ? '—' : `${f2(m.movedS)} s`} · failed probes ${m.failedProbes}/${m.totalProbes} · split brain ${s.splitBrain.length ? 'YES' : 'no'} · back after ${m.returnS === undefined ? '—' : `${f2(m.returnS)} s`}`
    : s.reasons.join('; ')
  const keeps = [s.established && `connections kept ${s.established.kept}/${s.established.total}`, s.sticky && `sticky kept ${s.sticky.kept}/${s.sticky.total}`].filter(Boolean).join(' · ')
  out.push(`<text x="8" y="${top + 16}" class="title">${x(title)}</text>`, `<text x="8" y="${top + 34}" class="sub">${x(keeps ? `${sub} · ${keeps}` : sub)}</text>`)
  let y = top + 46
  const rows0 = y
  const targets = [...new Set(s.probes.map((p) => p.target))]
  for (const t of targets) {
    out.push(`<text x="${LEFT - 8}" y="${y + 13}" class="label" text-anchor="end">${x(`probe ${t}`)}</text>`, `<rect x="${LEFT}" y="${y + 2}" width="${PW}" height="${ROW - 4}" fill="#f9fafb"/>`)
    for (const p of s.probes.filter((q) => q.target === t)) {
      // One probe interval wide: the row reads as "a client connecting at this moment succeeded / failed".
      out.push(`<rect x="${px(X(p.start))}" y="${y + 2}" width="${px(Math.max(1, X(p.start + r.settings.probeIntervalMs) - X(p.start)))}" height="${ROW - 4}" fill="${p.ok ? COLOR.ok : COLOR.failed}"><title>${x(`${f2((p.start - zero) / 1000)} s ${p.ok ? 'ok' : 'FAILED'} ${p.detail} ${p.latency.toFixed(1)} ms`)}</title></rect>`)
    }
    y += ROW
  }
  const vips = Object.keys(s.initialHolders).length ? Object.keys(s.initialHolders) : s.vips
  for (const vip of vips) {
    for (const [d, color] of directorColor) {
      out.push(`<text x="${LEFT - 8}" y="${y + 13}" class="label" text-anchor="end">${x(vips.length > 1 ? `${d} · ${vip}` : `${d} holds ${vip}`)}</text>`)
      out.push(...ownerBands(s.events, d, vip, X, t0, t1, y + 2, color))
      y += ROW
    }
  }
  for (const b of s.splitBrain) {
    out.push(`<rect x="${px(X(b.start))}" y="${rows0}" width="${px(Math.max(2, X(b.start + b.durationMs) - X(b.start)))}" height="${y - rows0}" fill="${COLOR.split}" fill-opacity="0.18" stroke="${COLOR.split}"><title>${x(`split brain on ${b.vip}: ${b.directors.join(' and ')}`)}</title></rect>`)
  }
  const marks: [number | undefined, string, string][] = [
    [s.times.fault, 'fault', COLOR.fault],
    [s.times.moved, 'VIP moved', COLOR.moved],
    [s.times.restore, 'restore', COLOR.restore],
    [s.times.restored, 'back', COLOR.back],
  ]
  for (const [i, [t, label, color]] of marks.entries()) {
    if (t === undefined) continue
    out.push(`<line x1="${px(X(t))}" x2="${px(X(t))}" y1="${rows0 - 4}" y2="${y + 2}" stroke="${color}" stroke-width="2" stroke-dasharray="5 3"/>`)
    out.push(`<text x="${px(X(t) + 3)}" y="${y + 14 + (i % 2) * 12}" class="mark" fill="${color}">${x(label)}</text>`)
  }
  const axisY = y + 40
  const step = tickStep((t1 - t0) / 1000)
  out.push(`<line x1="${LEFT}" x2="${LEFT + PW}" y1="${axisY}" y2="${axisY}" stroke="#6b7280"/>`)
  for (let v = Math.ceil((t0 - zero) / 1000 / step) * step; v * 1000 + zero <= t1; v += step) {
    const xx = px(X(zero + v * 1000))
    out.push(`<line x1="${xx}" x2="${xx}" y1="${axisY}" y2="${axisY + 5}" stroke="#6b7280"/>`, `<text x="${xx}" y="${axisY + 17}" class="tick" text-anchor="middle">${Number(v.toFixed(1))}</text>`)
  }
  out.push(`<text x="${LEFT - 8}" y="${axisY + 17}" class="label" text-anchor="end">s after the fault</text>`)
  return {svg: out.join('\n'), height: axisY + 30 - top}
}

function legend(directorColor: Map<string, string>, y: number): string {
  const items: [string, string][] = [
    ['probe ok', COLOR.ok],
    ['probe failed', COLOR.failed],
    ...[...directorColor].map(([d, c]): [string, string] => [`VIP on ${d}`, c]),
    ['VIP stale (keepalived dead)', COLOR.stale],
    ['VIP on a link that is down', COLOR.isolated],
    ['no VIP', COLOR.none],
    ['not known', 'url(#unknown)'],
  ]
  let xx = 8
  const out: string[] = []
  for (const [label, fill] of items) {
    out.push(`<rect x="${xx}" y="${y}" width="14" height="12" fill="${fill}" stroke="#9ca3af" stroke-width="0.5"/>`, `<text x="${xx + 18}" y="${y + 10}" class="legend">${x(label)}</text>`)
    xx += 26 + label.length * 6.6
  }
  return out.join('\n')
}

export function timelineSvg(r: FailoverReport): string {
  const directors = [...new Set(r.scenarios.flatMap((s) => s.events.map((x) => x.director)))].sort()
  const directorColor = new Map(directors.map((d, i) => [d, PALETTE[i % PALETTE.length]]))
  const parts: string[] = []
  let y = 8
  parts.push(`<text x="8" y="${y + 16}" class="h1">${x(`lbctl failover-test ${r.cluster} — ${r.ok ? 'PASS' : 'FAIL'} — ${r.startedAt}`)}</text>`)
  parts.push(`<text x="8" y="${y + 34}" class="sub">${x(`${r.inventory} · GET ${r.settings.path} every ${r.settings.probeIntervalMs} ms from ${r.prober} · VIPs from each director's own address events · tolerance ${Math.round(r.settings.tolerance * 100)} %`)}</text>`)
  parts.push(legend(directorColor, y + 44))
  y += 70
  for (const s of r.scenarios.filter((q) => q.measures || q.probes.length)) {
    const p = panel(r, s, y, directorColor)
    parts.push(`<g class="scenario" id="${x(`scenario-${s.name}`)}">`, p.svg, '</g>')
    y += p.height + 16
  }
  const style = `text{font-family:DejaVu Sans,Arial,sans-serif;fill:#111827}.h1{font-size:17px;font-weight:bold}.title{font-size:14px;font-weight:bold}.sub{font-size:12px;fill:#374151}.label{font-size:12px}.legend{font-size:11px}.tick{font-size:11px;fill:#4b5563}.mark{font-size:11px;font-weight:bold}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}">`,
    `<defs><style>${style}</style><pattern id="unknown" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9ca3af" stroke-width="2"/></pattern></defs>`,
    `<rect width="${W}" height="${y}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

/** The same picture in an HTML page with the summary table above it. */
export function timelineHtml(r: FailoverReport, tableText: string): string {
  return [
    '<!DOCTYPE html>',
    // Polyglot markup (also well-formed XML), so the same checks as for the SVG apply.
    '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8" />',
    `<title>${x(`lbctl failover-test ${r.cluster}`)}</title>`,
    '<style>body{font-family:DejaVu Sans,Arial,sans-serif;margin:16px;color:#111827}pre{font-size:12px;background:#f3f4f6;padding:10px;overflow-x:auto}</style>',
    '</head><body>',
    `<pre>${x(tableText)}</pre>`,
    timelineSvg(r),
    '</body></html>',
    '',
  ].join('\n')
}
