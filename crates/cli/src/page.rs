//! The web inspector for `mtlskit web` and `mtlskit demo`: the page embedded in this binary (the
//! `web` feature: build.rs generates the table of its files with their gzip and brotli copies),
//! handed to the proxy library's page server ([`mtlskit_proxy::page`], which the admin
//! listener's `/inspect/` uses too), and the plain-HTTP listener that serves it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
#[cfg(feature = "web")]
use mtlskit_proxy::page::Asset;
pub use mtlskit_proxy::page::Source;

#[cfg(feature = "web")]
include!(concat!(env!("OUT_DIR"), "/page.rs"));

/// Hands the embedded page (if this build has one) to the page server, before any command runs.
pub fn embed() {
    #[cfg(feature = "web")]
    mtlskit_proxy::page::embed(ASSETS);
}

/// Binds the inspector's server and returns its address; it serves until the process ends.
pub async fn start(source: Source, addr: SocketAddr) -> Result<SocketAddr, String> {
    let source = Arc::new(source);
    crate::listen::serve_on(addr, move |tcp| {
        let source = Arc::clone(&source);
        async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<_>| {
                let source = Arc::clone(&source);
                async move {
                    Ok::<_, Infallible>(
                        mtlskit_proxy::page::respond(
                            req.method(),
                            req.uri().path(),
                            req.headers(),
                            &source,
                        )
                        .await,
                    )
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await;
        }
    })
    .await
}
