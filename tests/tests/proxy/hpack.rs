//! How headers are encoded over h2: to clients (a Python h2 client sends requests one after
//! another on one connection and reports how each response header arrived) and to an h2
//! upstream (a Python h2 server reports how each request header arrived). hpack tells a
//! never-indexed literal from the other representations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_tests::make_pki;
use mtlskit_tests::peer::curl_as;
use mtlskit_tests::proxy::{
    echo_proxy, python_json, python_upstream, start_proxy, PROXY_CLIENT, PY_H2_CLIENT,
};

/// After [`PY_H2_CLIENT`]. Arguments: PORT N. Prints, per response, each header's name and
/// whether it came as a never-indexed literal.
const CLIENT: &str = r#"
import json, sys
import h2.events
from hpack import NeverIndexedHeaderTuple
port, n = int(sys.argv[1]), int(sys.argv[2])
s, c = h2_client(port)
responses = []
for i in range(n):
    stream = 1 + 2 * i
    c.send_headers(stream, [(":method", "GET"), (":path", "/"), (":scheme", "https"),
                            (":authority", "localhost")], end_stream=True)
    s.sendall(c.data_to_send())
    done = False
    while not done:
        data = s.recv(65536)
        if not data:
            raise SystemExit("the proxy closed the connection")
        for ev in c.receive_data(data):
            if isinstance(ev, h2.events.ResponseReceived):
                responses.append({(k.decode() if isinstance(k, bytes) else k):
                                  isinstance(h, NeverIndexedHeaderTuple)
                                  for h in ev.headers for k in [h[0]]})
            elif isinstance(ev, h2.events.DataReceived):
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                done = True
        s.sendall(c.data_to_send())
print(json.dumps(responses))
"#;

/// The upstream's response headers go as literals that are never indexed, so the HPACK
/// encoder does not keep (and compare each response with) every value a long connection has
/// seen: `Date` changes every second, a request id on every response.
#[test]
fn response_headers_go_to_h2_clients_never_indexed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_up, proxy) = echo_proxy(dir, "");
    let port = proxy.daemon.port.to_string();
    let v = python_json(
        dir,
        "hpack_client.py",
        &format!("{PY_H2_CLIENT}{CLIENT}"),
        &[&port, "3"],
    );
    let responses = v.as_array().unwrap();
    assert_eq!(responses.len(), 3, "{v}");
    for r in responses {
        for name in ["date", "server", "content-type", "content-length"] {
            assert_eq!(r[name], true, "{name}: {v}");
        }
    }
}

/// An h2 upstream over mTLS (server.pem, trusting ca.pem) that answers every request with the
/// names of the request headers that arrived as never-indexed literals. Argument: PORT.
const H2_UPSTREAM: &str = r#"
import json, socket, ssl, sys, threading
import h2.config, h2.connection, h2.events, h2.exceptions
from hpack import NeverIndexedHeaderTuple
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("server.pem", "server.key")
ctx.load_verify_locations("ca.pem")
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.set_alpn_protocols(["h2"])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(16)
def serve(raw):
    try:
        s = ctx.wrap_socket(raw, server_side=True)
        c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        c.initiate_connection()
        s.sendall(c.data_to_send())
        while True:
            data = s.recv(65536)
            if not data:
                return
            for ev in c.receive_data(data):
                if isinstance(ev, h2.events.RequestReceived):
                    never = sorted((h[0].decode() if isinstance(h[0], bytes) else h[0])
                                   for h in ev.headers if isinstance(h, NeverIndexedHeaderTuple))
                    body = json.dumps({"never_indexed": never}).encode()
                    c.send_headers(ev.stream_id, [(":status", "200"),
                                                  ("content-length", str(len(body)))])
                    c.send_data(ev.stream_id, body, end_stream=True)
            s.sendall(c.data_to_send())
    except (OSError, ssl.SSLError, h2.exceptions.ProtocolError):
        return
while True:
    raw, _ = srv.accept()
    threading.Thread(target=serve, args=(raw,), daemon=True).start()
"#;

/// The client's identity goes to an h2 upstream never indexed (RFC 7541 7.1.3: authentication
/// data stays out of the compression context shared by every client of a pooled connection);
/// the client's own headers are indexed as usual.
#[test]
fn identity_headers_go_to_an_h2_upstream_never_indexed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_pki(dir);
    let up = python_upstream(dir, "h2_upstream.py", H2_UPSTREAM, &[], "h2 upstream");
    let upstream = format!("https://localhost:{}", up.port);
    let proxy = start_proxy(dir, &upstream, "", PROXY_CLIENT);
    for flag in ["--http1.1", "--http2"] {
        let run = curl_as(dir, Some("client"), &[flag], &proxy.url("/"));
        assert_eq!(run.code, 0, "{flag}: {}", run.stderr);
        let seen: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let never: Vec<&str> = seen["never_indexed"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        for name in [
            "x-ssl-client-verify",
            "x-ssl-client-s-dn",
            "x-ssl-client-fingerprint",
            "x-ssl-client-cert",
        ] {
            assert!(never.contains(&name), "{flag} {name}: {seen}");
        }
        assert!(!never.contains(&"user-agent"), "{flag}: {seen}");
    }
}
