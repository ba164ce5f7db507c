# Sourced by the capture benchmarks (after setting $root, $mtlskit and $name): `die`, the tools
# they need, a work folder removed on exit, and `record_handshake`.
die() { echo "$name: $*" >&2; exit 2; }
[ -x "$mtlskit" ] || die "no mtlskit binary at $mtlskit (cargo build --release -p mtlskit)"
command -v tshark >/dev/null || die "tshark is not installed (apt-get install tshark)"
command -v openssl >/dev/null || die "openssl is not installed"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Records one real mTLS handshake into "$work/one.pcap": openssl s_server (TLS 1.2, requiring
# a client certificate) on a free 127.0.0.1 port, probed by `mtlskit probe --save-handshake`;
# the server is stopped once the handshake is saved.
record_handshake() {
  "$mtlskit" pki init "$work/pki" >/dev/null
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$work/pki" && exec openssl s_server -accept "127.0.0.1:$port" -cert server.pem -key server.key \
    -CAfile ca.pem -Verify 1 -verify_return_error -www -tls1_2 >/dev/null 2>&1) &
  server=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  "$mtlskit" probe --ca "$work/pki/ca.pem" --cert "$work/pki/client.pem" --key "$work/pki/client.key" \
    --save-handshake "$work/one.pcap" "https://localhost:$port/" >/dev/null || {
    echo "the probe failed" >&2
    return 1
  }
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null || true
  server=""
}
