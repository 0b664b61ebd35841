import {raw} from '../shell/index.js'

/*
 * Constant shell programs the modules run on hosts. Data never goes into their text: it is passed as positional
 * arguments (`sh -c SCRIPT lbctl ARG…`), each quoted by cmd``, or on stdin.
 */

/**
 * One sha256sum and one stat for all paths (a process per file adds up over 50 hosts): sha256sum's own lines (no
 * sed to mark them: a hex digest cannot be taken for the other lines) and `M <octal mode> <path>` for the files that exist, and with $1 = 1 a `C <path> <base64>` line each for --diff.
 * The controller joins them with the paths it asked for (parseFileProbe).
 */
export const PROBE_FILES = raw`with=$1; shift
sha256sum -- "$@" 2>/dev/null
stat -c 'M %a %n' -- "$@" 2>/dev/null
if [ "$with" = 1 ]; then for f in "$@"; do if [ -f "$f" ]; then printf 'C %s ' "$f"; base64 -w0 < "$f"; echo; fi; done; fi
true`
