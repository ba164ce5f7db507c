//! Upstreams: one connection pool per location ([`super::pool`]), over a rustls connector that
//! presents the proxy's client certificate and verifies the upstream (nginx's `proxy_ssl_*`).
//!
//! The TLS config and the pool are built once at start (and at each reload).
//! Failures are classified so the log says which: down, untrusted, misnamed, timed out.

use std::sync::Arc;
use std::time::Duration;

use hyper_rustls::{FixedServerNameResolver, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::Resumption;
use rustls::crypto::{aws_lc_rs, CryptoProvider};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::pool::Pool;
use super::send_timeout::{Measured, SendTimedOut, TimedConnector};
use super::tls_server::TlsSetupError;
use mtlskit_pki::load;

use crate::config::{Config, Location};

/// How an upstream connection is made: TCP with a send timeout, TLS, timed.
pub type Connector = Measured<HttpsConnector<TimedConnector>>;

/// One location's route to its upstream.
#[derive(Debug)]
pub struct Upstream {
    /// The path prefix this location serves.
    pub prefix: Arc<str>,
    /// The URI part of the upstream URL (`https://h/public/` -> `/public/`), which replaces
    /// the matched `prefix` as nginx's `proxy_pass` with a URI does; `None` when the URL
    /// has no path, and the (normalised) request path goes as it is.
    pub uri_part: Option<String>,
    /// Its connections; an Upgrade (WebSocket) request gets one of its own, HTTP/1.1 only,
    /// since h2 has no Upgrade.
    pub pool: Pool,
    pub read_timeout: Duration,
    /// `max_conns` permits (none: no limit), and how long a request waits for one.
    pub slots: Option<Arc<tokio::sync::Semaphore>>,
    pub queue_timeout: Duration,
    /// What the log names the upstream by.
    pub name: Arc<str>,
    pub server_name: String,
    /// Who may pass (`allow`, `deny`).
    pub authz: crate::authz::Policy,
    /// The identity headers this location sends.
    pub identity: Vec<crate::config::IdentityHeaders>,
    /// Time to the response head (`mtlskit_upstream_response_seconds`).
    pub response_time: prometheus_client::metrics::histogram::Histogram,
}

/// Accepts any server certificate: `verify = false`, as nginx's `proxy_ssl_verify off`.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_config(config: &Config, l: &Location) -> Result<ClientConfig, TlsSetupError> {
    let provider = Arc::new(aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = if l.verify {
        let roots = match &l.trusted_ca {
            Some(ca) => load::root_store(&config.resolve(ca))?,
            None => rustls::RootCertStore::empty(),
        };
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    };
    let mut tls = match (&l.client_certificate, &l.client_key) {
        (Some(cert), Some(key)) => {
            let chain = load::certificates(&config.resolve(cert))?;
            let key_path = config.resolve(key);
            let key = load::private_key(&key_path)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| TlsSetupError::Material {
                    path: key_path.display().to_string(),
                    problem: format!("does not go with the client certificate ({e})"),
                })?
        }
        _ => builder.with_no_client_auth(),
    };
    tls.resumption = if l.session_reuse {
        Resumption::in_memory_sessions(256)
    } else {
        Resumption::disabled()
    };
    Ok(tls)
}

impl Upstream {
    /// Builds the client of one location.
    pub fn new(
        config: &Config,
        l: &Location,
        metrics: &super::metrics::Metrics,
    ) -> Result<Upstream, TlsSetupError> {
        let bad = |problem: String| TlsSetupError::Material {
            path: config.path.clone(),
            problem,
        };
        let uri: http::Uri = l
            .upstream
            .parse()
            .map_err(|_| bad(format!("upstream {:?} is not a URL", l.upstream)))?;
        let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned())
        else {
            return Err(bad(format!(
                "upstream {:?} needs a scheme and a host",
                l.upstream
            )));
        };
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let server_name = l.server_name.clone().unwrap_or_else(|| host.to_string());
        let name = ServerName::try_from(server_name.clone())
            .map_err(|_| bad(format!("{server_name:?} is not a server name")))?;

        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(l.connect_timeout.0));
        let http = TimedConnector::new(http, l.send_timeout.0);
        let tls = tls_config(config, l)?;
        let connect_time = metrics.connect_histogram(&l.path);
        let connector = Measured::new(
            HttpsConnectorBuilder::new()
                .with_tls_config(tls.clone())
                .https_or_http()
                .with_server_name_resolver(FixedServerNameResolver::new(name.clone()))
                .enable_http1()
                .enable_http2()
                .wrap_connector(http.clone()),
            connect_time.clone(),
        );
        let upgrade_connector = Measured::new(
            HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .with_server_name_resolver(FixedServerNameResolver::new(name))
                .enable_http1()
                .wrap_connector(http),
            connect_time,
        );
        let pool = Pool::new(connector, upgrade_connector, scheme, authority, l.keepalive)
            .map_err(|e| bad(format!("upstream {:?}: {e}", l.upstream)))?;
        Ok(Upstream {
            prefix: Arc::from(l.path.as_str()),
            uri_part: uri_part(&l.upstream),
            pool,
            read_timeout: l.read_timeout.0,
            slots: (l.max_conns > 0).then(|| Arc::new(tokio::sync::Semaphore::new(l.max_conns))),
            queue_timeout: l.queue_timeout.0,
            name: Arc::from(l.upstream.as_str()),
            server_name,
            authz: crate::authz::Policy::parse(&l.allow, &l.deny)
                .map_err(|e| bad(format!("location {}: {e}", l.path)))?,
            identity: l.identity_styles(&config.server),
            response_time: metrics.response_histogram(&l.path),
        })
    }
}

/// The path of an upstream URL as written (`http::Uri` reads `https://h` and `https://h/`
/// alike, but nginx does not).
fn uri_part(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let at = rest.find('/')?;
    Some(
        rest[at..]
            .split(['?', '#'])
            .next()
            .unwrap_or("/")
            .to_string(),
    )
}

impl Upstream {
    /// The path and query the upstream receives for a request whose normalised path is
    /// `path` (it starts with `self.prefix`).
    pub fn target(&self, path: &str, query: Option<&str>) -> String {
        let mut out = match &self.uri_part {
            Some(u) => format!("{u}{}", path.get(self.prefix.len()..).unwrap_or("")),
            None => path.to_string(),
        };
        if let Some(q) = query {
            out.push('?');
            out.push_str(q);
        }
        out
    }
}

/// The upstreams, longest prefix first.
#[derive(Debug)]
pub struct Routes(Vec<Arc<Upstream>>);

impl Routes {
    pub fn new(
        config: &Config,
        metrics: &super::metrics::Metrics,
    ) -> Result<Routes, TlsSetupError> {
        let mut v = config
            .locations
            .iter()
            .map(|l| Upstream::new(config, l, metrics).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        v.sort_by_key(|u| std::cmp::Reverse(u.prefix.len()));
        Ok(Routes(v))
    }

    /// The location whose prefix is the longest match of `path`.
    pub fn find(&self, path: &str) -> Option<&Arc<Upstream>> {
        self.0.iter().find(|u| path.starts_with(&*u.prefix))
    }
}

/// Why the upstream did not answer, in words for the log.
pub fn classify(err: &(dyn std::error::Error + 'static), up: &Upstream) -> String {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls_reason(tls, up);
        }
        if let Some(stalled) = e.downcast_ref::<SendTimedOut>() {
            return format!("upstream {}: {stalled}", up.name);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(stalled) = io.get_ref().and_then(|i| i.downcast_ref::<SendTimedOut>()) {
                return format!("upstream {}: {stalled}", up.name);
            }
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return format!("upstream {} is down (connection refused)", up.name)
                }
                std::io::ErrorKind::TimedOut => {
                    return format!("upstream {} did not accept the connection in time", up.name)
                }
                _ => {}
            }
            // io::Error::source() skips the wrapped error itself (and TLS errors come wrapped
            // twice: hyper-rustls around tokio-rustls), so descend through get_ref().
            if let Some(inner) = io.get_ref() {
                cur = Some(inner as &(dyn std::error::Error + 'static));
                continue;
            }
        }
        let text = e.to_string();
        if text.contains("timed out") || text.contains("timeout") {
            return format!("upstream {} did not accept the connection in time", up.name);
        }
        cur = e.source();
    }
    // Nothing named: the whole chain, as the proxy's own errors are worded as a context.
    let mut why = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        why.push_str(": ");
        why.push_str(&e.to_string());
        cur = e.source();
    }
    format!("upstream {} failed: {why}", up.name)
}

fn tls_reason(tls: &rustls::Error, up: &Upstream) -> String {
    match tls {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "upstream {} certificate is not trusted: not issued by a CA in trusted_ca",
            up.name
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "upstream {} certificate does not cover the name {:?}",
            up.name, up.server_name
        ),
        rustls::Error::InvalidCertificate(c) => {
            format!("upstream {} certificate is rejected: {c:?}", up.name)
        }
        rustls::Error::AlertReceived(a) => format!(
            "upstream {} refused the TLS handshake with alert {a:?} (does it accept the proxy's client certificate?)",
            up.name
        ),
        other => format!("upstream {} TLS error: {other}", up.name),
    }
}
