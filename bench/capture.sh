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

copies=${COPIES:-4000}
. "$(dirname "$0")/lib.bash"
start_server -tls1_2
"$mtlskit" probe --ca "$work/pki/ca.pem" --cert "$work/pki/client.pem" --key "$work/pki/client.key" \
  --save-handshake "$work/one.pcap" "https://localhost:$port/" >/dev/null || die "the probe failed"
python3 "$root/bench/make_capture.py" "$work/one.pcap" "$work/big.pcap" "$copies"
bytes=$(stat -c %s "$work/big.pcap")
mb=$(python3 -c "print(f'{$bytes/1e6:.1f}')")

# Both must see every connection, or a fast failure would be measured as speed.
seen=$("$mtlskit" inspect --json "$work/big.pcap" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"][0]["connections"]))')
[ "$seen" -eq "$copies" ] || echo "capture.sh: warning: mtlskit saw $seen of $copies connections" >&2

m=$(time_it "$mtlskit" inspect --json "$work/big.pcap")
t=$(time_it tshark -r "$work/big.pcap" -T json)
table "$copies connections" "mtlskit inspect --json" "$m" "tshark -r FILE -T json" "$t"
