#!/usr/bin/env bash
# The training run of the profile-guided (PGO) build (`cargo xtask dist`, `cargo xtask bench`;
# xtask/src/pgo.rs): what an instrumented `mtlskit` (MTLSKIT_BIN) does while its profile is
# recorded. The proxy's traffic as bench/proxy.sh makes it (full and resumed mTLS handshakes,
# TLS 1.2 and 1.3; keep-alive requests over HTTP/1.1 and h2 to an mTLS upstream; a request per
# connection; a download), served by the instrumented build in both of that script's places
# (AGAINST), and the CLI's decoding as bench/ca_bundle.sh, capture.sh and decrypt.sh run it
# (a CA bundle, a capture, a capture decrypted with its key log). Short rounds: a profile needs
# the paths taken and their proportions, not stable figures, so nothing here is a result.
# Not in bench/ itself, so `cargo xtask bench` does not run it as a benchmark.
#
# usage: MTLSKIT_BIN=instrumented-mtlskit bench/pgo/train.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MTLSKIT_BIN:?MTLSKIT_BIN names the instrumented mtlskit}
[ -x "$bin" ] || { echo "train.sh: no binary at $bin" >&2; exit 2; }

echo "train.sh: the proxy's traffic (bench/proxy.sh, the instrumented build in both places)"
# AGAINST: no goal applies, so the run's status says only whether it ran.
MTLSKIT_BIN=$bin AGAINST=$bin ROUNDS=1 SECONDS_PER_ROUND=${SECONDS_PER_ROUND:-2} TRANSFER_MB=64 \
  FIGURES="full12 full13 resumed12 resumed13 keep keep_h2 conn transfer" bash "$here/proxy.sh"

echo "train.sh: the CLI's decoding (bench/ca_bundle.sh, capture.sh, decrypt.sh)"
MTLSKIT_BIN=$bin RUNS=2 bash "$here/ca_bundle.sh"
MTLSKIT_BIN=$bin RUNS=1 COPIES=400 bash "$here/capture.sh"
MTLSKIT_BIN=$bin RUNS=1 COPIES=200 bash "$here/decrypt.sh"
