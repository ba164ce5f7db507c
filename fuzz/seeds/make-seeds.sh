#!/usr/bin/env bash
# Regenerates the committed fuzz seeds with openssl (see README.md beside this script).
#
# Every key here is a throwaway made by this script for these seeds; none belongs to any
# system. Certificates are self-signed or signed by a throwaway CA made here, except one
# public CA certificate copied from the system bundle. Run from anywhere:
#   bash fuzz/seeds/make-seeds.sh
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
o() { openssl "$@" 2>/dev/null; }

# Throwaway keys.
o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ec.key"
o genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$work/ec384.key"
o genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.key"
o genpkey -algorithm ED25519 -out "$work/ed.key"

# A CA and leaves signed by it, with the extensions an mTLS setup uses.
o req -x509 -new -key "$work/ec384.key" -subj "/C=DE/O=mtlskit seeds/CN=Seed CA" -days 3650 \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$work/ca.pem"
o req -new -key "$work/ec.key" -subj "/CN=server.example/O=mtlskit seeds" \
  -addext "subjectAltName=DNS:server.example,DNS:*.server.example,IP:127.0.0.1,IP:2001:db8::1" \
  -out "$work/server.csr"
o x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ec384.key" -days 365 \
  -set_serial 0x1001 -copy_extensions copy \
  -extfile <(printf 'extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n') \
  -out "$work/server.pem"
o req -new -key "$work/rsa.key" -subj "/CN=client one/emailAddress=client@example.org" \
  -addext "subjectAltName=email:client@example.org,URI:spiffe://example.org/client" \
  -out "$work/client.csr"
o x509 -req -in "$work/client.csr" -CA "$work/ca.pem" -CAkey "$work/ec384.key" -days 1 \
  -set_serial 7 -copy_extensions copy -extfile <(printf 'extendedKeyUsage=clientAuth\n') \
  -out "$work/client.pem"
o req -x509 -new -key "$work/ed.key" -subj "/CN=ed25519 self-signed" -days 30 -out "$work/ed.pem"
o req -new -key "$work/ed.key" -subj "/CN=ed25519 csr" -out "$work/ed.csr"
# A public CA certificate from the system bundle (public material).
awk '/BEGIN CERT/{n++} n==1' /etc/ssl/certs/ca-certificates.crt \
  | awk '{print} /END CERT/{exit}' > "$work/public-ca.pem"

der() { o x509 -in "$1" -outform DER -out "$2"; }
rm -f ./*/seed-*
# certificate: DER certificates.
der "$work/ca.pem" certificate/seed-ca.der
der "$work/server.pem" certificate/seed-server-ec.der
der "$work/client.pem" certificate/seed-client-rsa.der
der "$work/ed.pem" certificate/seed-ed25519.der
der "$work/public-ca.pem" certificate/seed-public-ca.der
# csr: DER CSRs.
o req -in "$work/server.csr" -outform DER -out csr/seed-server-ec.der
o req -in "$work/client.csr" -outform DER -out csr/seed-client-rsa.der
o req -in "$work/ed.csr" -outform DER -out csr/seed-ed25519.der
# public_key: SubjectPublicKeyInfo DER, and PKCS#1 RSAPublicKey DER.
o pkey -in "$work/ec.key" -pubout -outform DER -out public_key/seed-ec-spki.der
o pkey -in "$work/rsa.key" -pubout -outform DER -out public_key/seed-rsa-spki.der
o pkey -in "$work/ed.key" -pubout -outform DER -out public_key/seed-ed25519-spki.der
o rsa -in "$work/rsa.key" -RSAPublicKey_out -outform DER -out public_key/seed-rsa-pkcs1.der
# private_key: throwaway keys in PKCS#8, PKCS#1 and SEC1 DER.
o pkcs8 -topk8 -nocrypt -in "$work/ec.key" -outform DER -out private_key/seed-ec-pkcs8.der
o pkcs8 -topk8 -nocrypt -in "$work/ed.key" -outform DER -out private_key/seed-ed25519-pkcs8.der
o rsa -in "$work/rsa.key" -traditional -outform DER -out private_key/seed-rsa-pkcs1.der
o ec -in "$work/ec.key" -outform DER -out private_key/seed-ec-sec1.der
# pkcs7: a .p7b bundle of the CA and the server certificate.
o crl2pkcs7 -nocrl -certfile "$work/ca.pem" -certfile "$work/server.pem" -outform DER \
  -out pkcs7/seed-bundle.p7b
# der_tree: any DER.
cp certificate/seed-server-ec.der der_tree/seed-certificate.der
cp csr/seed-client-rsa.der der_tree/seed-csr.der
# inspect: every wrapping the sniffer knows.
cp "$work/server.pem" inspect/seed-server.pem
cp certificate/seed-client-rsa.der inspect/seed-client.der
cat "$work/server.pem" "$work/ca.pem" "$work/public-ca.pem" > inspect/seed-chain.pem
o x509 -in "$work/ca.pem" -trustout -addtrust clientAuth -out inspect/seed-trusted.pem
cp "$work/server.csr" inspect/seed-server.csr
o pkey -in "$work/ec.key" -pubout -out inspect/seed-ec-public.pem
o rsa -in "$work/rsa.key" -RSAPublicKey_out -out inspect/seed-rsa-public-pkcs1.pem
o pkcs7 -in pkcs7/seed-bundle.p7b -inform DER -out inspect/seed-bundle-p7b.pem
xxd certificate/seed-ed25519.der > inspect/seed-ed25519.xxd
base64 -w 0 certificate/seed-ed25519.der > inspect/seed-ed25519.b64
cat "$work/ed.key" "$work/ed.pem" > inspect/seed-key-and-cert.pem
o ecparam -name prime256v1 -genkey > inspect/seed-ecparam-genkey.pem
o pkey -in "$work/ec.key" -aes128 -passout pass:seed -out inspect/seed-encrypted-key.pem
# inspect_many: [count-1][u16le length][source]...[last source] (see split_sources).
many() {
  local out=$1
  shift
  printf "\\x$(printf %02x $(($# - 1)))" > "$out"
  while [ $# -gt 1 ]; do
    local n
    n=$(wc -c < "$1")
    printf "\\x$(printf %02x $((n & 255)))\\x$(printf %02x $((n >> 8)))" >> "$out"
    cat "$1" >> "$out"
    shift
  done
  cat "$1" >> "$out"
}
many inspect_many/seed-cert-key.bin "$work/ed.pem" "$work/ed.key"
many inspect_many/seed-chain-csr-key.bin "$work/server.pem" "$work/ca.pem" "$work/server.csr" \
  "$work/ec.key"
many inspect_many/seed-mismatch.bin "$work/client.pem" "$work/ed.key"
# time: RFC 3339 strings.
printf '2025-01-01T00:00:00Z' > time/seed-utc
printf '1999-12-31T23:59:60.999+14:00' > time/seed-offset
printf '2024-02-29' > time/seed-date
# pem: PEM text, including a block with headers.
cp inspect/seed-chain.pem pem/seed-chain.pem
cp inspect/seed-encrypted-key.pem pem/seed-encrypted.pem
o pkey -in "$work/ec.key" -aes128 -traditional -passout pass:seed -out pem/seed-proc-type.pem \
  || o ec -in "$work/ec.key" -aes128 -passout pass:seed -out pem/seed-proc-type.pem
# hexdump: the dump formats.
xxd certificate/seed-ed25519.der > hexdump/seed.xxd
od -An -tx1 certificate/seed-ed25519.der > hexdump/seed.od
hexdump -C certificate/seed-ed25519.der > hexdump/seed.hexdump-c
xxd -p certificate/seed-ed25519.der > hexdump/seed.plain
# tls and capture: a real mTLS handshake on 127.0.0.1 (TLS 1.2, then TLS 1.3) between
# openssl s_server and s_client, recorded with dumpcap (root); each direction of the first
# connection is extracted with tshark's "follow,tcp,raw". Skipped without dumpcap and tshark.
if command -v dumpcap >/dev/null && command -v tshark >/dev/null; then
  port=$((20000 + RANDOM % 20000))
  cat "$work/ca.pem" > "$work/trust.pem"
  dumpcap -q -i lo -f "tcp port $port" -w "$work/hs.pcapng" >/dev/null 2>&1 &
  cap=$!
  sleep 1
  for version in -tls1_2 -tls1_3; do
    openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/server.pem" \
      -key "$work/ec.key" -CAfile "$work/trust.pem" -Verify 1 -naccept 1 >/dev/null 2>&1 &
    server=$!
    sleep 0.5
    echo | openssl s_client -quiet -connect "127.0.0.1:$port" "$version" \
      -servername server.example -cert "$work/client.pem" -key "$work/rsa.key" \
      -CAfile "$work/trust.pem" >/dev/null 2>&1 || true
    wait "$server" 2>/dev/null || true
  done
  sleep 1
  kill "$cap" 2>/dev/null || true
  wait "$cap" 2>/dev/null || true
  cp "$work/hs.pcapng" capture/seed-mtls.pcapng
  tshark -r capture/seed-mtls.pcapng -F pcap -w capture/seed-mtls.pcap 2>/dev/null || true
  for stream in 0 1; do
    tshark -r "$work/hs.pcapng" -q -z "follow,tcp,raw,$stream" 2>/dev/null \
      | awk '/^=+$/ {n++; next} n == 1 && /^[0-9a-f]+$/ {print "c " $0}
             n == 1 && /^\t[0-9a-f]+$/ {sub(/^\t/, ""); print "s " $0}' > "$work/follow"
    name=$([ "$stream" = 0 ] && echo tls12 || echo tls13)
    grep '^c ' "$work/follow" | cut -c3- | xxd -r -p > "tls/seed-$name-client.bin"
    grep '^s ' "$work/follow" | cut -c3- | xxd -r -p > "tls/seed-$name-server.bin"
  done
  cp tls/seed-tls12-client.bin inspect/seed-tls-client.bin
  cp capture/seed-mtls.pcap inspect/seed-capture.pcap
  # capture_stream: the first byte is the chunk size minus one (7-byte and 1-byte chunks).
  mkdir -p capture_stream
  for f in pcap pcapng; do
    { printf '\x06'; cat "capture/seed-mtls.$f"; } > "capture_stream/seed-mtls-$f-chunks7"
    { printf '\x00'; cat "capture/seed-mtls.$f"; } > "capture_stream/seed-mtls-$f-chunks1"
  done
fi
bash make-crl-seeds.sh
# key_log and decrypt: one mTLS connection each with TLS 1.3 (ChaCha20-Poly1305), TLS 1.2
# (ECDHE-ECDSA-AES128-GCM) and TLS 1.2 CBC (ECDHE-ECDSA-AES128-SHA with encrypt-then-MAC,
# ECDHE-ECDSA-AES256-SHA384 without), captured with dumpcap while s_client writes its key log; the decrypt
# seeds join a capture and its key log as the target splits them (fuzz/src/lib.rs,
# split_sources: a count byte 1, the capture's length as two little-endian bytes, the capture,
# then the key log).
if command -v dumpcap >/dev/null; then
  mkdir -p key_log decrypt
  for version in tls13 tls12 tls12-cbc tls12-cbc-mte; do
    port=$((20000 + RANDOM % 20000))
    rm -f "$work/$version.log"
    dumpcap -q -i lo -f "tcp port $port" -w "$work/$version.pcapng" >/dev/null 2>&1 &
    cap=$!
    sleep 1
    openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/server.pem" \
      -key "$work/ec.key" -CAfile "$work/trust.pem" -Verify 1 -naccept 1 >/dev/null 2>&1 &
    server=$!
    sleep 0.5
    case "$version" in
      tls13) args=(-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256) ;;
      tls12) args=(-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256) ;;
      tls12-cbc) args=(-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA) ;;
      tls12-cbc-mte) args=(-tls1_2 -cipher ECDHE-ECDSA-AES256-SHA384 -no_etm) ;;
    esac
    echo | openssl s_client -quiet -connect "127.0.0.1:$port" "${args[@]}" \
      -keylogfile "$work/$version.log" -servername server.example -cert "$work/client.pem" \
      -key "$work/rsa.key" -CAfile "$work/trust.pem" >/dev/null 2>&1 || true
    wait "$server" 2>/dev/null || true
    sleep 1
    kill "$cap" 2>/dev/null || true
    wait "$cap" 2>/dev/null || true
    cp "$work/$version.log" "key_log/seed-$version.log"
    python3 - "$work/$version.pcapng" "$work/$version.log" "decrypt/seed-$version.bin" <<'PY'
import sys
capture, log = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
open(sys.argv[3], "wb").write(bytes([1]) + len(capture).to_bytes(2, "little") + capture + log)
PY
  done
fi
echo "seeds written under $(pwd)"
