#!/usr/bin/env node
// Production entry: runs the compiled commands in dist/ (npm run build).
import {execute} from '@oclif/core'

// A parent that reads lbctl through a pipe it made non-blocking (Node's own spawn does) would get a --json report cut
// short: commands end with process.exit, which does not wait for queued writes. Blocking writes lose nothing.
for (const stream of [process.stdout, process.stderr]) stream._handle?.setBlocking?.(true)

await execute({dir: import.meta.url})
