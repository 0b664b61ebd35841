// Preloaded into a benchmarked lbctl (NODE_OPTIONS=--import): its own peak RSS and CPU time, written at exit to
// the file LBCTL_BENCH_RUSAGE names. ssh2 runs in-process, so this is the whole controller.
import {writeFileSync} from 'node:fs'

const file = process.env.LBCTL_BENCH_RUSAGE
if (file)
  process.on('exit', () => {
    const u = process.resourceUsage()
    writeFileSync(file, JSON.stringify({maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000}))
  })
