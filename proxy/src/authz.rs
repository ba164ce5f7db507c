//! Authorization per location: `allow` and `deny` rules on the verified client certificate.
//!
//! A rule is `KIND:PATTERN` (docs/config.md, "Authorization"): subject attributes (`cn:`,
//! `o:`, `ou:`), SANs (`dns:`, `uri:`, `ip:`, `email:`), the SPIFFE ID (`spiffe:`, the one URI
//! SAN with the `spiffe` scheme, RFC-less but specified by SPIFFE's X509-SVID), the issuer DN
//! (`issuer:`, RFC 4514 as the logs print it), and pins on the certificate (`sha256:`) and on
//! its public key (`spki:`, SHA-256 of the SubjectPublicKeyInfo as HPKP and curl's
//! `--pinnedpubkey` spell it), given in hex (colons allowed) or base64. Patterns are exact or
//! hold `*` globs; DNS names and e-mail addresses compare without regard to case. Rules are
//! parsed when the config is loaded, so a typo is refused with the rule's text, and matched on
//! facts decoded once per connection.

use std::fmt;

use base64::Engine;

use crate::certinfo::CertInfo;

/// What a rule looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A subject commonName.
    Cn,
    /// A subject organizationName.
    O,
    /// A subject organizationalUnitName.
    Ou,
    /// A dNSName SAN.
    Dns,
    /// A uniformResourceIdentifier SAN.
    Uri,
    /// An iPAddress SAN, as text.
    Ip,
    /// An rfc822Name SAN.
    Email,
    /// The SPIFFE ID: the certificate's only URI SAN, when it is `spiffe://...`.
    Spiffe,
    /// The issuer DN, RFC 4514.
    Issuer,
    /// SHA-256 of the certificate.
    Sha256,
    /// SHA-256 of the SubjectPublicKeyInfo.
    Spki,
}

const KINDS: [(&str, Kind); 11] = [
    ("cn", Kind::Cn),
    ("o", Kind::O),
    ("ou", Kind::Ou),
    ("dns", Kind::Dns),
    ("uri", Kind::Uri),
    ("ip", Kind::Ip),
    ("email", Kind::Email),
    ("spiffe", Kind::Spiffe),
    ("issuer", Kind::Issuer),
    ("sha256", Kind::Sha256),
    ("spki", Kind::Spki),
];

/// One rule, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule as written, for the 403 body, the log and the metrics.
    pub text: String,
    kind: Kind,
    pattern: Pattern,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    /// Text with `*` globs (lowercased for the kinds that ignore case).
    Glob(String),
    /// A digest to compare with.
    Digest([u8; 32]),
}

/// A rule that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("rule {rule:?}: {problem}")]
pub struct RuleError {
    /// The rule as written.
    pub rule: String,
    /// What is wrong.
    pub problem: String,
}

impl Rule {
    /// Parses `KIND:PATTERN`.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let bad = |problem: String| RuleError {
            rule: text.to_string(),
            problem,
        };
        let Some((kind, pattern)) = text.split_once(':') else {
            return Err(bad("not KIND:PATTERN".into()));
        };
        let Some(&(_, kind)) = KINDS.iter().find(|(k, _)| *k == kind) else {
            return Err(bad(format!(
                "unknown kind {kind:?}; use one of {}",
                KINDS.map(|(k, _)| k).join(", ")
            )));
        };
        if pattern.is_empty() {
            return Err(bad("the pattern is empty".into()));
        }
        let pattern = match kind {
            Kind::Sha256 | Kind::Spki => Pattern::Digest(digest(pattern).ok_or_else(|| {
                bad("not a SHA-256 digest in hex (colons allowed) or base64".into())
            })?),
            Kind::Dns | Kind::Email => Pattern::Glob(pattern.to_ascii_lowercase()),
            Kind::Spiffe => {
                if !pattern.starts_with("spiffe://") {
                    return Err(bad("a SPIFFE ID starts with spiffe://".into()));
                }
                Pattern::Glob(pattern.to_string())
            }
            _ => Pattern::Glob(pattern.to_string()),
        };
        Ok(Rule {
            text: text.to_string(),
            kind,
            pattern,
        })
    }

    /// Whether the certificate matches.
    pub fn matches(&self, cert: &CertInfo) -> bool {
        let ips: Vec<String>;
        let values: Vec<&str> = match self.kind {
            Kind::Cn => cert.subject.values("CN").collect(),
            Kind::O => cert.subject.values("O").collect(),
            Kind::Ou => cert.subject.values("OU").collect(),
            Kind::Dns => cert.dns_names().collect(),
            Kind::Uri => cert.uris().collect(),
            Kind::Ip => {
                ips = cert.ips().map(|a| a.to_string()).collect();
                ips.iter().map(String::as_str).collect()
            }
            Kind::Email => cert.emails().collect(),
            Kind::Spiffe => cert.spiffe_id().into_iter().collect(),
            Kind::Issuer => vec![cert.issuer.as_str()],
            Kind::Sha256 => return self.pattern == Pattern::Digest(cert.sha256_bytes),
            Kind::Spki => return self.pattern == Pattern::Digest(cert.spki_sha256),
        };
        let Pattern::Glob(glob) = &self.pattern else {
            return false;
        };
        let fold = matches!(self.kind, Kind::Dns | Kind::Email);
        values.iter().any(|v| {
            if fold {
                glob_match(glob, &v.to_ascii_lowercase())
            } else {
                glob_match(glob, v)
            }
        })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A 32-byte digest in hex (any case, colons allowed) or base64 (standard, padded or not).
fn digest(text: &str) -> Option<[u8; 32]> {
    let hex: String = text.chars().filter(|c| *c != ':').collect();
    let bytes = if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .ok()?
    };
    bytes.try_into().ok()
}

/// `*` matches any run of characters (none included); everything else matches itself. Written
/// here rather than taken from a glob crate: identities are not paths, and character classes,
/// `?` or escapes would only be ways to write a rule that does not mean what it seems to.
fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// A location's rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// A request is allowed when one of these matches (when there are any).
    pub allow: Vec<Rule>,
    /// ... and none of these.
    pub deny: Vec<Rule>,
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The location has rules and the client sent no certificate (`verify_client = "optional"`).
    NoCertificate,
    /// A `deny` rule matched.
    Denied(String),
    /// No `allow` rule matched.
    NotAllowed,
}

impl Denial {
    /// The access log's `authz` field and the metrics' `rule` label.
    pub fn label(&self) -> String {
        match self {
            Denial::NoCertificate => "no_certificate".into(),
            Denial::Denied(rule) => format!("deny {rule}"),
            Denial::NotAllowed => "allow: no rule matched".into(),
        }
    }

    /// The 403 body: the rule, and nothing about the certificate beyond the client's own
    /// subject.
    pub fn body(&self, subject: Option<&str>) -> String {
        let who = subject.unwrap_or("");
        match self {
            Denial::NoCertificate => {
                "403 Forbidden: this location needs a client certificate\n".into()
            }
            Denial::Denied(rule) => {
                format!("403 Forbidden: the client certificate {who} matches the deny rule {rule}\n")
            }
            Denial::NotAllowed => format!(
                "403 Forbidden: the client certificate {who} matches none of this location's allow rules\n"
            ),
        }
    }
}

impl Policy {
    /// Parses a location's lists.
    pub fn parse(allow: &[String], deny: &[String]) -> Result<Policy, RuleError> {
        Ok(Policy {
            allow: allow
                .iter()
                .map(|r| Rule::parse(r))
                .collect::<Result<_, _>>()?,
            deny: deny
                .iter()
                .map(|r| Rule::parse(r))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Whether the location has rules at all (without, every verified client may pass).
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    /// The decision for a client with `cert` (none: no certificate was sent).
    pub fn decide(&self, cert: Option<&CertInfo>) -> Result<(), Denial> {
        if self.is_empty() {
            return Ok(());
        }
        let Some(cert) = cert else {
            return Err(Denial::NoCertificate);
        };
        if let Some(rule) = self.deny.iter().find(|r| r.matches(cert)) {
            return Err(Denial::Denied(rule.text.clone()));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|r| r.matches(cert)) {
            return Err(Denial::NotAllowed);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("ops-*", "ops-alice"));
        assert!(glob_match("ops-*", "ops-"));
        assert!(!glob_match("ops-*", "dev-ops-alice"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match(
            "spiffe://example.org/ops/*",
            "spiffe://example.org/ops/web"
        ));
        assert!(!glob_match(
            "spiffe://example.org/ops/*",
            "spiffe://example.org/dev/web"
        ));
        assert!(glob_match("exact", "exact") && !glob_match("exact", "exactly"));
        assert!(!glob_match("ab*ba", "aba"), "the parts may not overlap");
    }

    #[test]
    fn rules_are_refused_with_their_text() {
        for (rule, problem) in [
            ("ops", "not KIND:PATTERN"),
            ("name:ops", "unknown kind"),
            ("cn:", "empty"),
            ("sha256:abcd", "SHA-256"),
            ("spiffe:example.org/x", "spiffe://"),
        ] {
            let e = Rule::parse(rule).unwrap_err();
            assert_eq!(e.rule, rule);
            assert!(e.problem.contains(problem), "{rule}: {e}");
        }
        let hex = "AB".repeat(32);
        assert!(Rule::parse(&format!("sha256:{hex}")).is_ok());
        let colons = ["ab"; 32].join(":");
        assert_eq!(
            Rule::parse(&format!("spki:{colons}")).unwrap().pattern,
            Pattern::Digest([0xab; 32])
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode([0xab; 32]);
        assert_eq!(
            Rule::parse(&format!("spki:{b64}")).unwrap().pattern,
            Pattern::Digest([0xab; 32])
        );
    }
}
