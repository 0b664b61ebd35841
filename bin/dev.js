#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
// Development entry: runs src/ through tsx, no build step.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
