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
bash "$root/testdata/make-crl.sh"
echo "testdata/make.sh: wrote $b and $w"

# --- testdata/decrypt: TLS 1.3 mTLS failures with the key log the client wrote (golden cases) --
# Needs dumpcap (root, or the wireshark group) and editcap.
d=$root/testdata/decrypt
rm -rf "$d"
mkdir -p "$d/work"
cd "$d/work"
for name in good other; do
  openssl req -x509 "${ec[@]}" -keyout $name-ca.key -out $name-ca.pem -days 36500 -subj "/CN=$name CA" 2>/dev/null
  openssl req -new "${ec[@]}" -keyout $name.key -out $name.csr -subj "/CN=$name client" 2>/dev/null
  openssl x509 -req -in $name.csr -CA $name-ca.pem -CAkey $name-ca.key -set_serial 7 -days 36500 -out $name.pem 2>/dev/null
done
openssl req -x509 "${ec[@]}" -keyout server.key -out server.pem -days 36500 -subj "/CN=localhost" 2>/dev/null
port=$(free_port)
dumpcap -q -i lo -f "tcp port $port" -w "$d/work/tls13.pcapng" >/dev/null 2>&1 &
cap=$!
sleep 2
openssl s_server -accept "127.0.0.1:$port" -cert server.pem -key server.key -CAfile good-ca.pem \
  -Verify 1 -verify_return_error -www -tls1_3 </dev/zero >/dev/null 2>&1 &
server=$!
wait_port "$port"
get() { printf 'GET /decrypt HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$port" -ign_eof \
  -keylogfile "$d/tls13.keys" "$@" >/dev/null 2>&1 || true; }
get -cert good.pem -key good.key      # accepted
get -cert other.pem -key other.key    # unknown_ca
get                                   # certificate_required
sleep 1
kill "$server"
kill -INT "$cap"
wait "$cap" || true
# Only the three connections (dropping wait_port's probe): tshark keeps their packets.
ports=$(tshark -r tls13.pcapng -Y "tls.handshake.type == 1" -T fields -e tcp.srcport | paste -sd, -)
tshark -r tls13.pcapng -Y "tcp.port in {$ports}" -w "$d/tls13.pcapng" 2>/dev/null
editcap --inject-secrets "tls,$d/tls13.keys" "$d/tls13.pcapng" "$d/tls13-with-secrets.pcapng"
# The same client randoms with wrong secrets: decrypts nothing.
sed -E 's/^([A-Z_0-9]+ [0-9a-f]+ )([0-9a-f])+$/\1/' "$d/tls13.keys" | grep -v '^#' \
  | while read -r label random; do printf '%s %s %s\n' "$label" "$random" "$(printf '5a%.0s' $(seq 48))"; done \
  > "$d/wrong.keys"
cd "$d" && rm -rf work
echo "testdata/make.sh: wrote $b, $w and $d"
