//! Cipher suite names: OpenSSL's (what nginx's `ssl_ciphers` takes) and IANA's, mapped to
//! the suite codes rustls knows, so a config can be written either way and a name rustls does
//! not offer is told apart from a name that does not exist.

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

const fn s(openssl: &'static str, iana: &'static str, code: u16, supported: bool) -> Suite {
    Suite {
        openssl,
        iana,
        code,
        supported,
        tls13: code >> 8 == 0x13,
    }
}

/// Every suite this table names; rustls offers the `supported` ones.
pub const SUITES: &[Suite] = &[
    s(
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_256_GCM_SHA384",
        0x1302,
        true,
    ),
    s(
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_128_GCM_SHA256",
        0x1301,
        true,
    ),
    s(
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
        0x1303,
        true,
    ),
    s(
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xc02c,
        true,
    ),
    s(
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        0xc030,
        true,
    ),
    s(
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca9,
        true,
    ),
    s(
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        0xcca8,
        true,
    ),
    s(
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xc02b,
        true,
    ),
    s(
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        0xc02f,
        true,
    ),
    s(
        "ECDHE-ECDSA-AES256-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        0xc024,
        false,
    ),
    s(
        "ECDHE-RSA-AES256-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        0xc028,
        false,
    ),
    s(
        "ECDHE-ECDSA-AES128-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xc023,
        false,
    ),
    s(
        "ECDHE-RSA-AES128-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0xc027,
        false,
    ),
    s(
        "ECDHE-ECDSA-AES256-SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc00a,
        false,
    ),
    s(
        "ECDHE-ECDSA-AES128-SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc009,
        false,
    ),
    s(
        "ECDHE-RSA-AES256-SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc014,
        false,
    ),
    s(
        "ECDHE-RSA-AES128-SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc013,
        false,
    ),
    s(
        "DHE-RSA-AES256-GCM-SHA384",
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        0x009f,
        false,
    ),
    s(
        "DHE-RSA-AES128-GCM-SHA256",
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        0x009e,
        false,
    ),
    s(
        "AES256-GCM-SHA384",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        0x009d,
        false,
    ),
    s(
        "AES128-GCM-SHA256",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        0x009c,
        false,
    ),
    s("AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", 0x0035, false),
    s("AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f, false),
    s(
        "DES-CBC3-SHA",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        0x000a,
        false,
    ),
];

/// Looks a name up, OpenSSL or IANA spelling, case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Suite> {
    let n = name.trim();
    SUITES
        .iter()
        .find(|s| s.openssl.eq_ignore_ascii_case(n) || s.iana.eq_ignore_ascii_case(n))
}

/// The suite with this code, if the table names it.
pub fn by_code(code: u16) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.code == code)
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
