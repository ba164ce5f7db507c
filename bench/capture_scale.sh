#!/usr/bin/env bash
# Captures at scale (issue 18): `mtlskit inspect --summary` (the streaming reader, every core)
# against `tshark -r FILE -T json`, on generated captures of 100 MB and 1 GB (copies of one
# recorded mTLS handshake, bench/make_capture.py) and of long-lived connections open together
# (bench/make_long_capture.py). Prints wall time, MB/s and peak RSS (VmHWM, from GNU time's
# %M) as a Markdown table with the ratios to tshark.
#
# Also the memory test of the issue: `--summary` on a generated 200 MB capture must peak at
# 64 MB RSS or less, else this script fails (and so does `cargo xtask bench`).
#
# usage: bench/capture_scale.sh       environment: MTLSKIT_BIN (default target/release/mtlskit),
#   SIZES_MB (default "100 1000"), LONG (default "50 4": connections, MB each),
#   TSHARK_MAX_MB (default 100: tshark is run on captures up to this size; -T json of 1 GB
#   takes many minutes and gigabytes), LIMIT_MB (default 64)
set -euo pipefail

sizes=${SIZES_MB:-100 1000}
long=${LONG:-50 4}
tshark_max=${TSHARK_MAX_MB:-100}
limit=${LIMIT_MB:-64}
. "$(dirname "$0")/lib.bash"
[ -x /usr/bin/time ] || die "GNU time is not installed (cargo xtask setup)"
start_server -tls1_2
"$mtlskit" probe --ca "$work/pki/ca.pem" --cert "$work/pki/client.pem" --key "$work/pki/client.key" \
  --save-handshake "$work/one.pcap" "https://localhost:$port/" >/dev/null || die "the probe failed"
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null || true
server=""
one=$(( $(stat -c %s "$work/one.pcap") - 24 ))

# Runs a command with its output to /dev/null; prints "seconds peak_rss_kb".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  cat "$work/time"
}

# One row per command: name, file label, MB, seconds, RSS KB, and tshark's for the ratios.
rows=()
row() { # command file mb secs rss tsecs trss
  rows+=("$(python3 - "$@" <<'PY'
import sys
cmd, label, mb, s, rss, ts, trss = sys.argv[1:]
mb, s, rss = float(mb), float(s), int(rss) / 1024
speed = f"{float(ts)/s:.1f}x" if ts != "-" else "-"
mem = f"{(int(trss)/1024)/rss:.1f}x less" if trss != "-" else "-"
if cmd.startswith("`tshark"):
    speed, mem = "1x", "1x"
rate = mb / s
rate = f"{rate:.0f}" if rate >= 10 else f"{rate:.1f}"
print(f"| {cmd} | {label} | {s:.2f} s | {rate} | {rss:.0f} MB | {speed} | {mem} |")
PY
)")
}

summary_of() { # file -> connections counted by --summary
  "$mtlskit" inspect --summary --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'
}

for size in $sizes; do
  copies=$(( size * 1000000 / one ))
  file="$work/copies-$size.pcap"
  python3 "$root/bench/make_capture.py" "$work/one.pcap" "$file" "$copies"
  mb=$(python3 -c "print(f'{$(stat -c %s "$file")/1e6:.1f}')")
  seen=$(summary_of "$file")
  [ "$seen" -eq "$copies" ] || echo "capture_scale.sh: warning: --summary saw $seen of $copies connections" >&2
  read -r ms mrss < <(measure "$mtlskit" inspect --summary "$file")
  ts="-"; trss="-"
  if [ "$size" -le "$tshark_max" ]; then
    read -r ts trss < <(measure tshark -r "$file" -T json)
  fi
  row '`mtlskit inspect --summary`' "$mb MB, $copies connections" "$mb" "$ms" "$mrss" "$ts" "$trss"
  if [ "$size" -le "$tshark_max" ]; then
    read -r js jrss < <(measure "$mtlskit" inspect --jsonl "$file")
    row '`mtlskit inspect --jsonl`' "$mb MB, $copies connections" "$mb" "$js" "$jrss" "$ts" "$trss"
    row '`tshark -r FILE -T json`' "$mb MB, $copies connections" "$mb" "$ts" "$trss" "$ts" "$trss"
  fi
  rm -f "$file"
done

read -r n each <<<"$long"
file="$work/long.pcap"
python3 "$root/bench/make_long_capture.py" "$work/one.pcap" "$file" "$n" "$each"
mb=$(python3 -c "print(f'{$(stat -c %s "$file")/1e6:.1f}')")
read -r ms mrss < <(measure "$mtlskit" inspect --summary "$file")
read -r ts trss < <(measure tshark -r "$file" -T json)
row '`mtlskit inspect --summary`' "$mb MB, $n long-lived connections open together" "$mb" "$ms" "$mrss" "$ts" "$trss"
row '`tshark -r FILE -T json`' "$mb MB, $n long-lived connections open together" "$mb" "$ts" "$trss" "$ts" "$trss"
rm -f "$file"

# The memory test: a 200 MB capture in at most $limit MB.
copies=$(( 200 * 1000000 / one ))
file="$work/copies-200.pcap"
python3 "$root/bench/make_capture.py" "$work/one.pcap" "$file" "$copies"
read -r ms mrss < <(measure "$mtlskit" inspect --summary "$file")
seen=$(summary_of "$file")

echo "| command | capture | wall (1 run) | MB/s | peak RSS | speed vs tshark | RSS vs tshark |"
echo "|---|---|--:|--:|--:|--:|--:|"
printf '%s\n' "${rows[@]}"
echo
echo "memory test: \`mtlskit inspect --summary\` on 200 MB ($copies connections, $seen counted): peak RSS $(( mrss / 1024 )) MB (limit $limit MB), $(nproc) cores"
if [ "$seen" -ne "$copies" ] || [ "$mrss" -gt $(( limit * 1024 )) ]; then
  echo "capture_scale.sh: FAILED: the 200 MB capture needs more than $limit MB, or connections were lost" >&2
  exit 1
fi
