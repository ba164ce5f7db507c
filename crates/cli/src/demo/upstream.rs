//! The demo's upstream: an HTTPS service that, like the nginx block's backend on 127.0.0.1:8080,
//! requires a client certificate (the proxy's) and answers with what it received as JSON, so
//! the identity headers the proxy adds are there to see.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use mtlskit_pki::load;

/// Binds the upstream and returns its address; it serves until the process ends.
pub async fn start(dir: &Path, addr: SocketAddr) -> Result<SocketAddr, String> {
    let roots = load::root_store(&dir.join("ca.pem")).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| e.to_string())?;
    let chain = load::certificates(&dir.join("server.pem")).map_err(|e| e.to_string())?;
    let key = load::private_key(&dir.join("server.key")).map_err(|e| e.to_string())?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    crate::listen::serve_on(addr, move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let peer = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.to_vec());
            let service = hyper::service::service_fn(move |req| answer(req, peer.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), service)
                .await;
        }
    })
    .await
}

async fn answer(
    req: Request<hyper::body::Incoming>,
    peer: Option<Vec<u8>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                serde_json::Value::from(String::from_utf8_lossy(v.as_bytes()).into_owned()),
            )
        })
        .collect();
    let caller = peer.and_then(|der| {
        match mtlskit_inspect::x509::decode_certificate(&der, None)
            .ok()?
            .body
        {
            mtlskit_inspect::ItemBody::Certificate(c) => Some(c.subject),
            _ => None,
        }
    });
    let body = serde_json::json!({
        "upstream": "mtlskit demo upstream",
        "method": req.method().as_str(),
        "path": req.uri().path(),
        "caller_certificate": caller,
        "headers": headers,
    });
    let text = serde_json::to_vec_pretty(&body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(text)));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
