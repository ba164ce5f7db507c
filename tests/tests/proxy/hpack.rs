//! How response headers are encoded for h2 clients. A Python h2 client sends requests one
//! after another on one connection and reports how each response header arrived (hpack tells
//! a never-indexed literal from the other representations).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mtlskit_tests::proxy::{echo_proxy, python_json, PY_H2_CLIENT};

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
