#!/usr/bin/env bash
# Makes the small test data committed under testdata/ (throwaway keys and certificates made for
# the tests, and handshakes recorded on 127.0.0.1; no real system's key). Run from anywhere:
#   bash testdata/make.sh            # rewrites testdata/browser and testdata/web
# Needs openssl, python3 and a built mtlskit (target/debug/mtlskit, or MTLSKIT_BIN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mtlskit=${MTLSKIT_BIN:-$root/target/debug/mtlskit}
[ -x "$mtlskit" ] || { echo "make.sh: build mtlskit first (cargo build -p mtlskit)" >&2; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# --- testdata/browser: the page's fixtures (state tests, browser tests) ---------------------
b=$root/testdata/browser
mkdir -p "$b"
cd "$b"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 36500 -subj "/CN=mtlskit test CA/O=mtlskit" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new "${ec[@]}" -keyout client.key -out client.csr -subj "/CN=client.example/O=mtlskit" \
  -addext subjectAltName=DNS:client.example 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=DNS:client.example\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -set_serial 0x1234 -days 36500 -extfile client.ext -out client.pem 2>/dev/null
cat ca.pem client.pem > bundle.pem
head -c 600 /dev/urandom > garbage.bin
chmod 600 client.key
rm -f ca.key client.ext
# One ClientHello record as `openssl s_client` sends it: a listener keeps the first record.
port=$(free_port)
python3 - "$port" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
data = b""
while len(data) < 5:  # the readiness probe connects and sends nothing: wait for the client
    c, _ = s.accept(); data = b""
    while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
        chunk = c.recv(4096)
        if not chunk: break
        data += chunk
open("client_hello.bin", "wb").write(data[:5 + int.from_bytes(data[3:5], "big")])
PY
listener=$!
wait_port "$port"
openssl s_client -connect "127.0.0.1:$port" -servername localhost </dev/null >/dev/null 2>&1 || true
wait "$listener"

# --- testdata/web: the web crate's native tests (verdict, captures) --------------------------
w=$root/testdata/web
rm -rf "$w/pki" "$w/other"
mkdir -p "$w/other"
"$mtlskit" pki init "$w/pki" >/dev/null
rm -f "$w/pki/ca.key" "$w/pki/server.key"
cd "$w/other"
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 3650 -subj "/CN=Other CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new "${ec[@]}" -keyout client.key -out client.csr -subj "/CN=other client" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 365 -extfile client.ext -out client.pem 2>/dev/null
rm -f ca.key client.key client.csr client.ext
# A CA with the name of web/pki's CA and another key: not the issuer of web/pki's certificates.
openssl req -x509 "${ec[@]}" -keyout imposter-ca.key -out imposter-ca.pem -days 3650 -subj "/CN=mtlskit CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
rm -f imposter-ca.key
# Two TLS 1.2 handshakes against s_server requiring a client certificate, as `probe` saves them.
cd "$w"
"$mtlskit" pki init "$w/peer" >/dev/null
port=$(free_port)
(cd peer && exec openssl s_server -accept "127.0.0.1:$port" -cert server.pem -key server.key -CAfile ca.pem \
  -Verify 1 -verify_return_error -www -tls1_2 >/dev/null 2>&1) &
server=$!
wait_port "$port"
"$mtlskit" probe --ca peer/ca.pem --cert peer/client.pem --key peer/client.key \
  --save-handshake mtls_ok.pcap "https://localhost:$port/" >/dev/null
"$mtlskit" probe --ca peer/ca.pem --save-handshake no_client_cert.pcap "https://localhost:$port/" >/dev/null || true
kill "$server"
rm -rf "$w/peer"
echo "testdata/make.sh: wrote $b and $w"
