import {raw} from '../shell/index.js'

/*
 * Constant shell programs the modules run on hosts. Data never goes into their text: it is passed as positional
 * arguments (`sh -c SCRIPT lbctl ARG…`), each quoted by cmd``, or on stdin.
 */

/**
 * One sha256sum and one stat for all paths (a process per file adds up over 50 hosts): `S <sha256sum line>` and
 * `M <octal mode> <path>` for the files that exist, and with $1 = 1 a `C <path> <base64>` line each for --diff.
 * The controller joins them with the paths it asked for (parseFileProbe).
 */
export const PROBE_FILES = raw`with=$1; shift
sha256sum -- "$@" 2>/dev/null | sed 's/^/S /'
stat -c 'M %a %n' -- "$@" 2>/dev/null
if [ "$with" = 1 ]; then for f in "$@"; do if [ -f "$f" ]; then printf 'C %s ' "$f"; base64 -w0 < "$f"; echo; fi; done; fi
true`

/**
 * Installs stdin at $1 with mode $2 the way a careful operator would: write a temp file beside the target, check it
 * with the daemon's own validator, and only then rename it over the old file (rename is atomic on one filesystem).
 * On a failed check the old file stays active, the temp file is removed and the validator's output is on stderr.
 */
export const INSTALL_FILE = raw`set -eu
path=$1; mode=$2; check=$3
tmp="$path.lbctl-new"
mkdir -p "$(dirname "$path")"
umask 077
cat > "$tmp"
chmod "$mode" "$tmp"
fail() { rm -f "$tmp"; printf '%s\n' "$1" >&2; exit 65; }
case "$check" in
  keepalived) out=$(keepalived -t -f "$tmp" 2>&1) || fail "keepalived -t rejected the new $path (the old one stays active):
$out" ;;
  haproxy) out=$(haproxy -c -f "$tmp" 2>&1) || fail "haproxy -c rejected the new $path (the old one stays active):
$out" ;;
  shell) out=$(sh -n "$tmp" 2>&1) || fail "sh -n rejected the new $path:
$out" ;;
  none) ;;
  *) fail "unknown validator $check" ;;
esac
mv -f "$tmp" "$path"`
