//! The accept loop of the small plain servers: the page (`mtlskit web`, the demo) and the demo's
//! upstream.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};

/// Binds `addr` and hands each accepted connection to `connection` on a task of its own, until
/// the process ends; returns the bound address (the port when `addr` asked for any).
pub async fn serve_on<F, Fut>(addr: SocketAddr, connection: F) -> Result<SocketAddr, String>
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        loop {
            if let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(connection(tcp));
            }
        }
    });
    Ok(local)
}
