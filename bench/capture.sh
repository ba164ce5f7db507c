#!/usr/bin/env bash
# Whole-process comparison on a large capture: `mtlskit inspect --json` vs `tshark -T json`.
#
# Records one real mTLS handshake (openssl s_server requiring a client certificate, probed by
# `mtlskit probe --save-handshake` on 127.0.0.1), multiplies it into a capture of tens of MB
# (bench/make_capture.py, COPIES connections), then times both tools decoding the whole file
# to JSON (output to /dev/null). Prints MB/s and the ratio as a Markdown table.
#
# usage: bench/capture.sh            environment: MTLSKIT_BIN (default target/release/mtlskit),
#                                    COPIES (default 4000, about 20 MB), RUNS (default 3)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mtlskit=${MTLSKIT_BIN:-$root/target/release/mtlskit}
copies=${COPIES:-4000}
runs=${RUNS:-3}
name=capture.sh
. "$root/bench/lib/record_handshake.sh"
record_handshake || die "the probe failed"
python3 "$root/bench/make_capture.py" "$work/one.pcap" "$work/big.pcap" "$copies"
bytes=$(stat -c %s "$work/big.pcap")
mb=$(python3 -c "print(f'{$bytes/1e6:.1f}')")

# Both must see every connection, or a fast failure would be measured as speed.
seen=$("$mtlskit" inspect --json "$work/big.pcap" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"][0]["connections"]))')
[ "$seen" -eq "$copies" ] || echo "capture.sh: warning: mtlskit saw $seen of $copies connections" >&2

time_it() { # prints the best of $runs wall-clock times in seconds
  local best=""
  for _ in $(seq 1 "$runs"); do
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    local t=$(( t1 - t0 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  python3 -c "print(f'{$best/1e9:.3f}')"
}
m=$(time_it "$mtlskit" inspect --json "$work/big.pcap")
t=$(time_it tshark -r "$work/big.pcap" -T json)
echo "| command | file | best of $runs | MB/s | vs tshark |"
echo "|---|--:|--:|--:|--:|"
python3 - "$m" "$t" "$mb" "$copies" <<'PY'
import sys
m, t, mb, copies = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(f"| `mtlskit inspect --json` | {mb} MB, {copies} connections | {m:.2f} s | {mb/m:.1f} | {t/m:.1f}x |")
print(f"| `tshark -r FILE -T json` | {mb} MB, {copies} connections | {t:.2f} s | {mb/t:.1f} | 1x |")
PY
