//! Cipher suite names: OpenSSL's (what nginx's `ssl_ciphers` takes) and IANA's, mapped to
//! the suite codes rustls knows, so a config can be written either way and a name rustls does
//! not offer is told apart from a name that does not exist.

use mtlskit_inspect::tls::names;

/// One known cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    pub openssl: &'static str,
    pub iana: &'static str,
    pub code: u16,
    /// Offered by rustls (with the aws-lc-rs provider).
    pub supported: bool,
    pub tls13: bool,
}

/// The suites rustls offers with the aws-lc-rs provider; the names come from inspect's table
/// of the IANA registry, so the proxy and the reports name a suite alike.
const SUPPORTED: &[u16] = &[
    0x1302, 0x1301, 0x1303, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc02b, 0xc02f,
];

fn suite((code, iana, openssl): (u16, &'static str, Option<&'static str>)) -> Suite {
    Suite {
        openssl: openssl.unwrap_or(iana),
        iana,
        code,
        supported: SUPPORTED.contains(&code),
        tls13: code >> 8 == 0x13,
    }
}

/// Looks a name up, OpenSSL or IANA spelling, case-insensitively.
pub fn lookup(name: &str) -> Option<Suite> {
    names::cipher_suite_by_name(name.trim()).map(suite)
}

/// The suite with this code, if the registry names it.
pub fn by_code(code: u16) -> Option<Suite> {
    names::cipher_suite(code).map(|(iana, openssl)| suite((code, iana, openssl)))
}

/// What a list of names resolves to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Supported suites, in the order given.
    pub codes: Vec<u16>,
    /// Known names that rustls does not offer (CBC, static RSA, DHE...).
    pub unsupported: Vec<String>,
    /// Names that are no cipher suite at all.
    pub unknown: Vec<String>,
}

/// Resolves names (an `OpenSSL:colon:list` is split too).
pub fn resolve<S: AsRef<str>>(names: &[S]) -> Resolved {
    let mut out = Resolved::default();
    for name in names
        .iter()
        .flat_map(|n| n.as_ref().split(':'))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match lookup(name) {
            Some(s) if s.supported => {
                if !out.codes.contains(&s.code) {
                    out.codes.push(s.code);
                }
            }
            Some(_) => out.unsupported.push(name.to_string()),
            None => out.unknown.push(name.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_and_unsupported() {
        let r = resolve(&[
            "ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "ECDHE-RSA-AES128-SHA256",
            "HIGH",
        ]);
        assert_eq!(r.codes, [0xc02f, 0xc02c]);
        assert_eq!(r.unsupported, ["ECDHE-RSA-AES128-SHA256"]);
        assert_eq!(r.unknown, ["HIGH"]);
    }
}
