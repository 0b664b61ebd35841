// An open-loop load generator for bench/load.ts, run on the lab's client host (ip netns exec … node loadgen.mjs URL
// RATE): RATE requests per second, each on a new connection (Connection: close), started on schedule whether or not
// earlier ones answered, each with a 1 s limit. On SIGINT (or stdin closing) it stops starting requests, lets the
// ones in flight finish, and prints one JSON line: sent, failed (no answer, or a 5xx), the failures by kind, and the
// longest outage — from the start of the first failed request of a run to the start of the next answered one, the
// same definition as failover-test's, measured by another program on another host.
import {request} from 'node:http'

const [url, rateArg] = process.argv.slice(2)
const rate = Number(rateArg ?? 500)
const results = []
let inFlight = 0
let stopping = false
const t0 = performance.now()

function one() {
  const start = performance.now() - t0
  inFlight++
  let settled = false
  const done = (ok, detail) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    req.destroy()
    results.push({start, ok, detail})
    inFlight--
  }
  const req = request(url, {agent: false, headers: {Connection: 'close'}}, (res) => {
    res.resume()
    res.on('end', () => done(res.statusCode < 500, String(res.statusCode)))
    res.on('error', (e) => done(false, e.code ?? 'error'))
  })
  const timer = setTimeout(() => done(false, 'timeout'), 1000)
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
    const span = (results.at(-1)?.start ?? 0) - (results[0]?.start ?? 0)
    console.log(JSON.stringify({sent: results.length, failed: results.filter((r) => !r.ok).length, failures, outageMs: Math.round(longest * 10) / 10, rate: Math.round(results.length / Math.max(0.001, span / 1000))}))
    process.exit(0)
  }, 20)
}
process.on('SIGINT', finish)
process.on('SIGTERM', finish)
process.stdin.on('end', finish).resume()
