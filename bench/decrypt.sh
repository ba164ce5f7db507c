#!/usr/bin/env bash
# Whole-process comparison of decryption on a large capture: `mtlskit inspect --json --keylog
# KEYS FILE` vs `tshark -o tls.keylog_file:KEYS -r FILE -T json`.
#
# Records one real TLS 1.3 mTLS connection (openssl s_server requiring a client certificate,
# probed by `mtlskit probe --keylog --save-handshake` on 127.0.0.1; AES-256-GCM, s_server's
# 7 KB page as the response), multiplies it into a capture of tens of MB
# (bench/make_capture.py, COPIES connections on distinct client ports; they share the one
# client random, so the probe's key log decrypts them all), checks that both tools decrypt
# (mtlskit: every connection, no record failing; tshark: the encrypted CertificateRequest of a
# small copy), then times both decoding and decrypting the whole file to JSON (output to
# /dev/null). Prints MB/s and the ratio as a Markdown table.
#
# usage: bench/decrypt.sh            environment: MTLSKIT_BIN (default target/release/mtlskit),
#                                    COPIES (default 2000, about 20 MB), RUNS (default 3)
set -euo pipefail

copies=${COPIES:-2000}
. "$(dirname "$0")/lib.bash" editcap
start_server -tls1_3
keys="$work/keys.log"
"$mtlskit" probe --ca "$work/pki/ca.pem" --cert "$work/pki/client.pem" --key "$work/pki/client.key" \
  --keylog "$keys" --save-handshake "$work/one.pcapng" "https://localhost:$port/" >/dev/null \
  || die "the probe failed"
# The saved pcapng carries the secrets too; the copies are a classic pcap, the key log apart.
editcap -F pcap "$work/one.pcapng" "$work/one.pcap"
python3 "$root/bench/make_capture.py" "$work/one.pcap" "$work/big.pcap" "$copies"
python3 "$root/bench/make_capture.py" "$work/one.pcap" "$work/small.pcap" 3
bytes=$(stat -c %s "$work/big.pcap")
mb=$(python3 -c "print(f'{$bytes/1e6:.1f}')")

# Both must decrypt, or a fast failure would be measured as speed.
read -r decrypted failed < <("$mtlskit" inspect --json --keylog "$keys" "$work/big.pcap" | python3 -c '
import json, sys
cap = json.load(sys.stdin)["items"][0]
conns = cap["connections"]
print(cap["key_log"]["connections_decrypted"], sum(c["decryption"]["records_failed"] for c in conns))')
[ "$decrypted" -eq "$copies" ] || die "mtlskit decrypted $decrypted of $copies connections"
[ "$failed" -eq 0 ] || die "mtlskit: $failed records did not decrypt"
requests=$(tshark -o "tls.keylog_file:$keys" -r "$work/small.pcap" -Y 'tls.handshake.type == 13' \
  -T fields -e frame.number | wc -l)
[ "$requests" -eq 3 ] || die "tshark decrypted $requests of 3 CertificateRequests"

m=$(time_it "$mtlskit" inspect --json --keylog "$keys" "$work/big.pcap")
t=$(time_it tshark -o "tls.keylog_file:$keys" -r "$work/big.pcap" -T json)
table "$copies TLS 1.3 connections" "mtlskit inspect --json --keylog" "$m" \
  "tshark -o tls.keylog_file:... -r FILE -T json" "$t"
