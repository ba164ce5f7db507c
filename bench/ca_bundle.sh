#!/usr/bin/env bash
# Whole-process comparison: `mtlskit inspect` vs `openssl storeutl -text` on a CA bundle.
#
# Both tools start, read every certificate of the bundle, decode it and print it (to
# /dev/null); the time includes process start-up, as a user or a script sees it. Prints the mean
# time of each command, certificates per second, and how many times faster mtlskit is, as a
# Markdown table (docs/benchmarks.md keeps the measured one).
#
# usage: bench/ca_bundle.sh [BUNDLE]      (default /etc/ssl/certs/ca-certificates.crt)
# environment: MTLSKIT_BIN (default target/release/mtlskit), RUNS (default 20),
#              BENCH_NO_HYPERFINE=1 to time with the shell loop even when hyperfine is there.
# `cargo xtask bench` builds the release binary and runs this script.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${1:-/etc/ssl/certs/ca-certificates.crt}
mtlskit=${MTLSKIT_BIN:-$root/target/release/mtlskit}
runs=${RUNS:-20}

die() { echo "ca_bundle.sh: $*" >&2; exit 2; }
[ -r "$bundle" ] || die "cannot read the bundle $bundle (apt-get install ca-certificates)"
[ -x "$mtlskit" ] || die "no mtlskit binary at $mtlskit (cargo build --release -p mtlskit)"
command -v openssl >/dev/null || die "openssl is not installed (apt-get install openssl)"
certs=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$bundle" || true)
[ "$certs" -gt 0 ] || die "$bundle holds no PEM certificates"

# Check once that every command succeeds and sees every certificate, so a fast failure is not
# measured as a fast success.
if ! "$mtlskit" inspect "$bundle" >/dev/null; then
  echo "ca_bundle.sh: warning: mtlskit inspect exited non-zero on $bundle" >&2
fi
decoded=$("$mtlskit" inspect --json "$bundle" | grep -o '"kind": *"certificate"' | wc -l || true)
if [ "$decoded" -ne "$certs" ]; then
  echo "ca_bundle.sh: warning: mtlskit decoded $decoded of $certs certificates" >&2
fi
openssl storeutl -noout -text -certs "$bundle" >/dev/null \
  || die "openssl storeutl failed on $bundle"

names=("mtlskit inspect" "mtlskit inspect --json" "openssl storeutl -text")
commands=(
  "$mtlskit inspect $bundle"
  "$mtlskit inspect --json $bundle"
  "openssl storeutl -noout -text -certs $bundle"
)

have_hyperfine() {
  [ -z "${BENCH_NO_HYPERFINE:-}" ] || return 1
  command -v hyperfine >/dev/null && return 0
  # Install it only when missing, and only where apt-get can (root on Debian).
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "ca_bundle.sh: installing hyperfine" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1; } \
      || true
  fi
  command -v hyperfine >/dev/null
}

means=()
mins=()
if have_hyperfine; then
  method="hyperfine $(hyperfine --version | awk '{print $2}'), $runs runs after 3 warm-up runs"
  csv=$(mktemp)
  trap 'rm -f "$csv"' EXIT
  # -N: no intermediate shell; hyperfine sends the commands' output to /dev/null.
  hyperfine -N --warmup 3 --runs "$runs" --style basic --export-csv "$csv" \
    "${commands[@]}" >&2
  # command,mean,stddev,median,user,system,min,max (seconds); our commands hold no commas.
  while IFS=, read -r _ mean _ _ _ _ min _; do
    means+=("$mean")
    mins+=("$min")
  done < <(tail -n +2 "$csv")
else
  method="bash loop timed with date +%s%N, $runs runs after 1 warm-up run"
  for command in "${commands[@]}"; do
    read -r -a argv <<<"$command"
    "${argv[@]}" >/dev/null || true
    total=0
    min=
    for ((i = 0; i < runs; i++)); do
      start=$(date +%s%N)
      "${argv[@]}" >/dev/null || true
      end=$(date +%s%N)
      total=$((total + end - start))
      if [ -z "$min" ] || [ $((end - start)) -lt "$min" ]; then min=$((end - start)); fi
    done
    means+=("$(awk -v ns="$total" -v n="$runs" 'BEGIN { printf "%.6f", ns / n / 1e9 }')")
    mins+=("$(awk -v ns="$min" 'BEGIN { printf "%.6f", ns / 1e9 }')")
  done
fi

openssl_mean=${means[2]}
openssl_min=${mins[2]}
echo
echo "$certs certificates, $(wc -c <"$bundle") bytes in $bundle; $method; $(nproc) cores"
echo
# "vs openssl": how many times faster than openssl (openssl's time / this command's time).
echo "| command | mean | min | certificates/s (mean) | vs openssl (mean) | vs openssl (min) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for i in "${!names[@]}"; do
  awk -v name="${names[$i]}" -v t="${means[$i]}" -v m="${mins[$i]}" -v n="$certs" \
    -v o="$openssl_mean" -v om="$openssl_min" 'BEGIN {
      printf "| %s | %.1f ms | %.1f ms | %.0f | %.1fx | %.1fx |\n",
        name, t * 1000, m * 1000, n / t, o / t, om / m }'
done
