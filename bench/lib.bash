# Shared by bench/capture.sh and bench/decrypt.sh (sourced, not a benchmark itself: `cargo xtask
# bench` runs bench/*.sh only): the binary, the tools, a work folder, the server, the timing.
# Environment: MTLSKIT_BIN (default target/release/mtlskit), RUNS (default 3).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mtlskit=${MTLSKIT_BIN:-$root/target/release/mtlskit}
runs=${RUNS:-3}
die() { echo "$(basename "$0"): $*" >&2; exit 2; }
[ -x "$mtlskit" ] || die "no mtlskit binary at $mtlskit (cargo build --release -p mtlskit)"
for tool in tshark openssl python3 "$@"; do
  command -v "$tool" >/dev/null || die "$tool is not installed (cargo xtask setup)"
done

# A temporary folder removed at exit, with an s_server killed at exit: `work` and `server`.
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# `mtlskit pki init` in $work/pki, then `openssl s_server -www` requiring a client certificate
# from its CA on a free port of 127.0.0.1, with the extra arguments given (the version);
# sets `port` once it accepts connections.
start_server() {
  "$mtlskit" pki init "$work/pki" >/dev/null
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$work/pki" && exec openssl s_server -accept "127.0.0.1:$port" -cert server.pem -key server.key \
    -CAfile ca.pem -Verify 1 -verify_return_error -www "$@" >/dev/null 2>&1) &
  server=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  die "openssl s_server did not start"
}

# Prints the best of $runs wall-clock times of a command (output to /dev/null), in seconds.
time_it() {
  local best=""
  for _ in $(seq 1 "$runs"); do
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    local t=$(( t1 - t0 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  python3 -c "print(f'{$best/1e9:.3f}')"
}

# The Markdown table of one comparison: table FILE_TEXT MTLSKIT_COMMAND SECONDS TSHARK_COMMAND
# SECONDS, with the file's size in MB as `mb`.
table() {
  echo "| command | file | best of $runs | MB/s | vs tshark |"
  echo "|---|--:|--:|--:|--:|"
  python3 - "$mb" "$@" <<'PY'
import sys
mb, what, mc, m, tc, t = float(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5], float(sys.argv[6])
print(f"| `{mc}` | {mb} MB, {what} | {m:.2f} s | {mb/m:.1f} | {t/m:.1f}x |")
print(f"| `{tc}` | {mb} MB, {what} | {t:.2f} s | {mb/t:.1f} | 1x |")
PY
}
