import {raw} from '../shell/index.js'

/*
 * Constant shell programs the modules run on hosts. Data never goes into their text: it is passed as positional
 * arguments (`sh -c SCRIPT lbctl ARG…`), each quoted by cmd``, or on stdin.
 */

/** For each path: `F <sha256|-> <octal mode|->`, and with WITH_CONTENT=1 a `C <base64>` line after existing files. */
export const PROBE_FILES = raw`with=$1; shift
for f in "$@"; do
  if [ -f "$f" ]; then
    printf 'F %s %s\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c %a "$f")"
    if [ "$with" = 1 ]; then printf 'C %s\n' "$(base64 -w0 < "$f")"; fi
  else
    echo 'F - -'
  fi
done`

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
