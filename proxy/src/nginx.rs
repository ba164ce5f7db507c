//! `mtlskit import-nginx FILE`: read an nginx `server { ... }` block (the classic one of
//! docs/architecture.md, or one like it) and give the equivalent proxy config.
//!
//! Every directive is either mapped or named in a warning on stderr that says why not (the CBC
//! suites rustls does not offer, `ssl on;` being obsolete, directives with no counterpart).
//! The TOML goes to stdout, so `mtlskit import-nginx site.conf > proxy.toml` works.

use std::fmt::Write as _;

use crate::config::ciphers;

/// One directive: its name, arguments, line, and block if it has one.
#[derive(Debug, Clone)]
pub(crate) struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub line: usize,
    pub block: Option<Vec<Directive>>,
}

/// A syntax error in the nginx file.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// The line, from 1.
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Open,
    Close,
    Semi,
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                line += 1;
                chars.next();
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            '{' | '}' | ';' => {
                chars.next();
                out.push((
                    match c {
                        '{' => Tok::Open,
                        '}' => Tok::Close,
                        _ => Tok::Semi,
                    },
                    line,
                ));
            }
            '"' | '\'' => {
                chars.next();
                let start = line;
                let mut w = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(ParseError {
                                line: start,
                                message: "unterminated quoted string".into(),
                            })
                        }
                        Some('\\') => {
                            if let Some(n) = chars.next() {
                                w.push(n);
                            }
                        }
                        Some(q) if q == c => break,
                        Some(ch) => {
                            if ch == '\n' {
                                line += 1;
                            }
                            w.push(ch);
                        }
                    }
                }
                out.push((Tok::Word(w), start));
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || matches!(ch, '{' | '}' | ';' | '#') {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                out.push((Tok::Word(w), line));
            }
        }
    }
    Ok(out)
}

fn parse_block(
    toks: &[(Tok, usize)],
    pos: &mut usize,
    nested: bool,
) -> Result<Vec<Directive>, ParseError> {
    let mut out = Vec::new();
    while *pos < toks.len() {
        let (tok, line) = &toks[*pos];
        match tok {
            Tok::Close if nested => {
                *pos += 1;
                return Ok(out);
            }
            Tok::Word(name) => {
                let mut args = Vec::new();
                *pos += 1;
                loop {
                    match toks.get(*pos) {
                        Some((Tok::Word(w), _)) => {
                            args.push(w.clone());
                            *pos += 1;
                        }
                        Some((Tok::Semi, _)) => {
                            *pos += 1;
                            out.push(Directive {
                                name: name.clone(),
                                args,
                                line: *line,
                                block: None,
                            });
                            break;
                        }
                        Some((Tok::Open, _)) => {
                            *pos += 1;
                            let block = parse_block(toks, pos, true)?;
                            out.push(Directive {
                                name: name.clone(),
                                args,
                                line: *line,
                                block: Some(block),
                            });
                            break;
                        }
                        _ => {
                            return Err(ParseError {
                                line: *line,
                                message: format!("directive {name:?} is not terminated by ';'"),
                            })
                        }
                    }
                }
            }
            _ => {
                return Err(ParseError {
                    line: *line,
                    message: "unexpected '{', '}' or ';'".into(),
                })
            }
        }
    }
    if nested {
        return Err(ParseError {
            line: toks.last().map_or(1, |t| t.1),
            message: "a block is not closed with '}'".into(),
        });
    }
    Ok(out)
}

/// Parses nginx config text into directives.
pub(crate) fn parse(text: &str) -> Result<Vec<Directive>, ParseError> {
    let toks = tokenize(text)?;
    let mut pos = 0;
    parse_block(&toks, &mut pos, false)
}

/// The first `server` block, at the top or inside `http`.
fn find_servers(ds: &[Directive]) -> Vec<&Directive> {
    ds.iter()
        .flat_map(|d| match (d.name.as_str(), &d.block) {
            ("server", Some(_)) => vec![d],
            ("http", Some(b)) => find_servers(b),
            _ => Vec::new(),
        })
        .collect()
}

/// The converted config and the warnings, each naming its line and directive.
#[derive(Debug, Default)]
pub struct Converted {
    /// The proxy config (docs/config.md), with a comment for each converted directive.
    pub toml: String,
    /// Directives with no equivalent, or converted with a difference.
    pub warnings: Vec<String>,
}

fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", v.join(", "))
}

fn on(d: &Directive) -> bool {
    d.args.first().is_some_and(|a| a == "on")
}

fn listen_addr(a: &str) -> String {
    if a.starts_with('[') || a.contains(':') {
        a.to_string()
    } else if a.chars().all(|c| c.is_ascii_digit()) {
        format!("0.0.0.0:{a}")
    } else {
        format!("{a}:443")
    }
}

/// Converts the `server { ... }` blocks of an nginx config into the proxy's TOML: one block
/// becomes `[server]` with `[[location]]`s, several become `[[server]]` blocks, each with its
/// `[[server.location]]`s (selected by SNI when they share an address, as nginx's
/// `server_name` does).
pub fn convert(text: &str) -> Result<Converted, ParseError> {
    let ds = parse(text)?;
    let servers = find_servers(&ds);
    if servers.is_empty() {
        return Err(ParseError {
            line: 1,
            message: "no server { ... } block".into(),
        });
    }
    let mut c = Converted::default();
    let many = servers.len() > 1;
    let mut out = String::from(
        "# Converted by `mtlskit import-nginx`. Relative paths are resolved against the\n\
         # folder of this file (nginx resolves them against its prefix, e.g. /etc/nginx).\n",
    );
    let mut log = String::new();
    for server in servers {
        let b = block(server, many, &mut c.warnings);
        out.push_str(if many {
            "\n[[server]]\n"
        } else {
            "\n[server]\n"
        });
        let _ = writeln!(out, "listen = {}", list(&b.listen));
        out.push_str(&b.srv);
        out.push_str(&b.locations);
        if log.is_empty() {
            log = b.log;
        }
    }
    if !log.is_empty() {
        out.push_str("\n[log]\n");
        out.push_str(&log);
    }
    let process = process(&ds, &mut c.warnings);
    if !process.is_empty() {
        out.push_str("\n[process]\n");
        out.push_str(&process);
    }
    c.toml = out;
    Ok(c)
}

/// The main context's directives that have a `[process]` key: `worker_processes`, `pid`,
/// `worker_shutdown_timeout`.
fn process(ds: &[Directive], warnings: &mut Vec<String>) -> String {
    let mut out = String::new();
    for d in ds {
        let first = d.args.first().map(String::as_str).unwrap_or("");
        match d.name.as_str() {
            "worker_processes" => match first.parse::<usize>() {
                Ok(n) => {
                    let _ = writeln!(out, "workers = {n} # worker_processes");
                }
                Err(_) if first == "auto" => {} // one per core: the default
                Err(_) => warnings.push(format!(
                    "line {}: worker_processes: {first:?} is not a number; one worker per core is used",
                    d.line
                )),
            },
            "pid" => {
                let _ = writeln!(out, "pid_file = {} # pid", q(first));
            }
            "worker_shutdown_timeout" => {
                let _ = writeln!(out, "drain_timeout = {} # worker_shutdown_timeout", q(first));
            }
            _ => {}
        }
    }
    out
}

/// One converted server block.
struct Block {
    listen: Vec<String>,
    srv: String,
    log: String,
    locations: String,
}

fn block(server: &Directive, nested: bool, warnings: &mut Vec<String>) -> Block {
    let mut warn = |d: &Directive, why: &str| {
        warnings.push(format!("line {}: {}: {why}", d.line, d.name));
    };
    let mut srv = String::new();
    let mut log = String::new();
    let mut locations = String::new();
    let mut listen: Vec<String> = Vec::new();
    // Repeated in nginx (the first encrypts, all decrypt): one list here, in that order.
    let mut ticket_keys: Vec<String> = Vec::new();
    for d in server.block.as_deref().unwrap_or(&[]) {
        let a = &d.args;
        let first = a.first().map(String::as_str).unwrap_or("");
        if let Some((_, key)) = SERVER_STRINGS.iter().find(|(n, _)| *n == d.name) {
            let _ = writeln!(srv, "{key} = {}", q(first));
            continue;
        }
        match d.name.as_str() {
            "listen" => {
                listen.push(listen_addr(first));
                for p in &a[1..] {
                    match p.as_str() {
                        "ssl" | "http2" => {}
                        other => warn(
                            d,
                            &format!("parameter {other:?} has no counterpart; ignored"),
                        ),
                    }
                }
            }
            "ssl" => warn(
                d,
                "obsolete (removed in nginx 1.25.1): TLS is always on in mtlskit; ignored",
            ),
            "http2" => {}
            "server_name" => {
                let names: Vec<String> = a
                    .iter()
                    .filter(|n| *n != "_" && !n.is_empty())
                    .cloned()
                    .collect();
                let _ = writeln!(srv, "server_names = {}", list(&names));
            }
            "ssl_client_certificate" => {
                let _ = writeln!(srv, "client_ca = {}", q(first));
            }
            // nginx checks the whole chain (OpenSSL's crl_check_all), needs a CRL for every
            // CA and refuses an expired one: the defaults of crl_check, crl_unknown and
            // crl_expired.
            "ssl_crl" => {
                let _ = writeln!(srv, "crl = [{}]", q(first));
            }
            "ssl_verify_client" => {
                let mode = match first {
                    "on" => "required",
                    "optional" => "optional",
                    "off" => "off",
                    "optional_no_ca" => {
                        warn(d, "optional_no_ca (accept any certificate unverified) is not offered: mapped to optional, which verifies the certificate when one is sent");
                        "optional"
                    }
                    other => {
                        warn(d, &format!("unknown value {other:?}; required is used"));
                        "required"
                    }
                };
                let _ = writeln!(srv, "verify_client = {}", q(mode));
            }
            "ssl_verify_depth" => {
                let _ = writeln!(srv, "verify_depth = {first}");
            }
            "ssl_protocols" => {
                let mut keep = Vec::new();
                for p in a {
                    match p.as_str() {
                        "TLSv1.2" | "TLSv1.3" => keep.push(p.clone()),
                        other => warn(d, &format!("{other} is not offered by rustls; left out")),
                    }
                }
                let _ = writeln!(srv, "protocols = {}", list(&keep));
            }
            "ssl_ciphers" => {
                let r = ciphers::resolve(a);
                if !r.unsupported.is_empty() {
                    warn(
                        d,
                        &format!(
                            "{} not offered by rustls (CBC or non-ECDHE suites); left out: {}",
                            r.unsupported.len(),
                            r.unsupported.join(", ")
                        ),
                    );
                }
                if !r.unknown.is_empty() {
                    warn(
                        d,
                        &format!(
                            "not suite names (OpenSSL cipher-string keywords are not supported); left out: {}",
                            r.unknown.join(", ")
                        ),
                    );
                }
                let names: Vec<String> = r
                    .codes
                    .iter()
                    .filter_map(|c| ciphers::by_code(*c))
                    .map(|s| s.openssl.to_string())
                    .collect();
                let _ = writeln!(srv, "ciphers = {}", list(&names));
            }
            "ssl_prefer_server_ciphers" => {
                let _ = writeln!(srv, "prefer_server_ciphers = {}", on(d));
            }
            "ssl_session_cache" => {
                let mut entries = 0usize;
                for p in a {
                    if p == "off" || p == "none" {
                        entries = 0;
                    } else if let Some(n) = p.strip_prefix("builtin:") {
                        entries += n.parse::<usize>().unwrap_or(20480);
                    } else if let Some(rest) = p.strip_prefix("shared:") {
                        let size = rest.rsplit(':').next().unwrap_or("1m");
                        entries += size_bytes(size) / 256;
                    } else if p == "builtin" {
                        entries += 20480;
                    }
                }
                let _ = writeln!(
                    srv,
                    "session_cache = {entries}  # nginx: {} (about 4000 sessions per megabyte)",
                    a.join(" ")
                );
            }
            "ssl_session_ticket_key" => ticket_keys.push(first.to_string()),
            "ssl_session_tickets" => {
                let _ = writeln!(srv, "session_tickets = {}", on(d));
            }
            "http2_max_concurrent_streams" => {
                let _ = writeln!(srv, "h2_max_concurrent_streams = {first}");
            }
            "underscores_in_headers" => {
                let _ = writeln!(srv, "underscores_in_headers = {}", on(d));
            }
            "error_log" => {
                let level = match a.get(1).map(String::as_str) {
                    Some("debug") => "debug",
                    Some("info" | "notice") => "info",
                    Some("warn") => "warn",
                    _ => "error",
                };
                let _ = writeln!(log, "error = {}\nlevel = {}", q(first), q(level));
            }
            "access_log" => {
                let _ = writeln!(log, "access = {}", q(first));
                if a.len() > 1 {
                    warn(
                        d,
                        "log formats are not supported: mtlskit writes JSON lines",
                    );
                }
            }
            "location" => location(d, nested, &mut locations, &mut warn),
            _ => warn(d, "no counterpart in mtlskit; ignored"),
        }
    }
    if !ticket_keys.is_empty() {
        let _ = writeln!(
            srv,
            "ticket_key_file = {}  # ssl_session_ticket_key (same files, same format)",
            list(&ticket_keys)
        );
    }
    Block {
        listen,
        srv,
        log,
        locations,
    }
}

fn size_bytes(s: &str) -> usize {
    let (n, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1024),
        Some('m' | 'M') => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    n.parse::<usize>().unwrap_or(1) * mult
}

/// nginx directives whose first argument is, quoted, the value of a `[server]` key.
const SERVER_STRINGS: [(&str, &str); 7] = [
    ("ssl_certificate", "certificate"),
    ("ssl_certificate_key", "key"),
    ("ssl_session_timeout", "session_timeout"),
    ("client_header_timeout", "header_timeout"),
    ("keepalive_timeout", "idle_timeout"),
    ("keepalive_time", "max_connection_age"),
    ("send_timeout", "client_send_timeout"),
];

fn location(
    d: &Directive,
    nested: bool,
    out: &mut String,
    warn: &mut impl FnMut(&Directive, &str),
) {
    let path = match d.args.as_slice() {
        [p] => p.clone(),
        [m, p] if m == "^~" => p.clone(),
        [m, p] => {
            warn(
                d,
                &format!("modifier {m:?} is not supported: mapped as a prefix"),
            );
            p.clone()
        }
        _ => "/".to_string(),
    };
    let table = if nested {
        "server.location"
    } else {
        "location"
    };
    let _ = writeln!(out, "\n[[{table}]]\npath = {}", q(&path));
    for x in d.block.as_deref().unwrap_or(&[]) {
        let first = x.args.first().map(String::as_str).unwrap_or("");
        let key = match x.name.as_str() {
            "proxy_pass" => Some(("upstream", q(first))),
            "proxy_ssl_certificate" => Some(("client_certificate", q(first))),
            "proxy_ssl_certificate_key" => Some(("client_key", q(first))),
            "proxy_ssl_trusted_certificate" => Some(("trusted_ca", q(first))),
            "proxy_ssl_verify" => Some(("verify", on(x).to_string())),
            "proxy_ssl_name" => Some(("server_name", q(first))),
            "proxy_ssl_session_reuse" => Some(("session_reuse", on(x).to_string())),
            "proxy_connect_timeout" => Some(("connect_timeout", q(first))),
            "proxy_read_timeout" => Some(("read_timeout", q(first))),
            "proxy_send_timeout" => Some(("send_timeout", q(first))),
            "proxy_ssl_server_name" => {
                if !on(x) {
                    warn(x, "mtlskit always sends SNI to the upstream");
                }
                None
            }
            "proxy_set_header" => {
                warn(
                    x,
                    "headers are not configurable: X-Forwarded-For/-Proto/-Host and the X-SSL-Client-* identity are always set",
                );
                None
            }
            _ => {
                warn(x, "no counterpart in mtlskit; ignored");
                None
            }
        };
        if let Some((k, v)) = key {
            let _ = writeln!(out, "{k} = {v}");
        }
    }
}
