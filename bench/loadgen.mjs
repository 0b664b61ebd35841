// An open-loop load generator for bench/load.ts and the lab tests, run on the lab's client host (ip netns exec … node
// loadgen.mjs URL RATE): RATE requests per second, each on a new connection (Connection: close), started on schedule
// whether or not earlier ones answered, each with a 1 s limit. On SIGINT (or stdin closing) it stops starting
// requests, lets the ones in flight finish, and prints one JSON line: sent, failed (no answer, or a 5xx), the
// failures by kind and when they started (epoch ms), the longest outage — from the start of the first failed request
// of a run to the start of the next answered one, the same definition as failover-test's, measured by another program
// on another host — the slowest answer, and the longest time this program itself could not run.
//
// The 1 s limit counts only time this program was running. On a busy two-core machine the whole VM can stall for a
// second (CI saw one such request in 3,662); when the loop resumes, Node runs due timers before it reads the sockets,
// so a plain timer would call an answer that already arrived "lost". A 10 ms ticker measures the loop's stalls; a
// request's limit is extended by the stalls it lived through (at most 10 s), so the verdict is about the network and
// the directors, not about this instrument's place in the run queue.
import {request} from 'node:http'

const LIMIT_MS = 1000
const MAX_CREDIT_MS = 10_000
const TICK_MS = 10

const [url, rateArg] = process.argv.slice(2)
const rate = Number(rateArg ?? 500)
const results = []
let inFlight = 0
let stopping = false
const t0 = performance.now()
const epoch0 = Date.now()

// Stalls: the time between ticks beyond the tick itself, summed; `longestStall` is reported so a reader can judge.
let lastTick = performance.now()
let stalled = 0
let longestStall = 0
const ticker = setInterval(() => {
  const now = performance.now()
  const late = now - lastTick - TICK_MS
  if (late > 20) {
    stalled += late
    longestStall = Math.max(longestStall, late)
  }
  lastTick = now
}, TICK_MS)
/** Stall time so far, including a stall still in progress (the ticker has not run since the loop resumed). */
const stallNow = () => stalled + Math.max(0, performance.now() - lastTick - TICK_MS - 20)

function one() {
  const start = performance.now() - t0
  const stallAtStart = stallNow()
  let credited = 0
  inFlight++
  let settled = false
  let timer
  const done = (ok, detail) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    req.destroy()
    results.push({start, ok, detail, ms: performance.now() - t0 - start})
    inFlight--
  }
  const expire = () => {
    const owed = Math.min(MAX_CREDIT_MS, stallNow() - stallAtStart) - credited
    if (owed > 5) {
      credited += owed
      timer = setTimeout(expire, owed)
      return
    }
    done(false, 'timeout')
  }
  const req = request(url, {agent: false, headers: {Connection: 'close'}}, (res) => {
    res.resume()
    res.on('end', () => done(res.statusCode < 500, String(res.statusCode)))
    res.on('error', (e) => done(false, e.code ?? 'error'))
  })
  timer = setTimeout(expire, LIMIT_MS)
  req.on('error', (e) => done(false, e.code ?? 'error'))
  req.end()
}

// Started on schedule: a late timer catches up with the requests it owes, as an open loop must.
let due = 0
const tick = setInterval(() => {
  const now = performance.now() - t0
  while (due <= now && !stopping) {
    one()
    due += 1000 / rate
  }
}, 2)

function finish() {
  if (stopping) return
  stopping = true
  clearInterval(tick)
  const wait = setInterval(() => {
    if (inFlight > 0) return
    clearInterval(wait)
    clearInterval(ticker)
    results.sort((a, b) => a.start - b.start)
    let longest = 0
    let runStart
    for (const r of results) {
      if (!r.ok) runStart ??= r.start
      else if (runStart !== undefined) {
        longest = Math.max(longest, r.start - runStart)
        runStart = undefined
      }
    }
    const failures = {}
    for (const r of results) if (!r.ok) failures[r.detail] = (failures[r.detail] ?? 0) + 1
    const failedAt = results.filter((r) => !r.ok).slice(0, 20).map((r) => ({at: Math.round(epoch0 + r.start), detail: r.detail}))
    const slowest = results.filter((r) => r.ok).reduce((m, r) => Math.max(m, r.ms), 0)
    const span = (results.at(-1)?.start ?? 0) - (results[0]?.start ?? 0)
    const round = (ms) => Math.round(ms * 10) / 10
    console.log(
      JSON.stringify({
        sent: results.length,
        failed: results.filter((r) => !r.ok).length,
        failures,
        failedAt,
        outageMs: round(longest),
        slowestMs: round(slowest),
        longestStallMs: round(longestStall),
        rate: Math.round(results.length / Math.max(0.001, span / 1000)),
      }),
    )
    process.exit(0)
  }, 20)
}
process.on('SIGINT', finish)
process.on('SIGTERM', finish)
process.stdin.on('end', finish).resume()
