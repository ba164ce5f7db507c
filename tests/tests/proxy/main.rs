//! `mtlskit serve`, the mTLS reverse proxy, end to end: real clients (curl, openssl s_client,
//! Python), real upstreams (Python, nginx), its logs and limits.
//!
//! One test binary for the area; the helpers are the `mtlskit_tests` support library
//! (tests/src/).

mod authz;
mod bodies;
mod config;
mod headers;
mod hostile;
mod hpack;
mod identity;
mod limits;
mod logs;
mod logs_flood;
mod metrics;
mod park;
mod paths;
mod read_timeout;
mod refusals;
mod reload;
mod resumption;
mod revocation;
mod send_timeout;
mod shared_tickets;
mod sites;
mod spiffe;
mod timers;
mod upgrade;
mod upstream;
