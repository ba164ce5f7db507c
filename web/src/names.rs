//! Reading RFC 4514 distinguished names as the report prints them, e.g. the CN for a summary.

/// The value of the first attribute `attr` (such as "CN") in an RFC 4514 string, unescaped.
///
/// The report writes names the way `openssl -nameopt RFC2253,-esc_msb` does: attributes joined
/// by unescaped commas (or `+` inside one RDN), special characters escaped with a backslash.
pub fn attribute(dn: &str, attr: &str) -> Option<String> {
    split_unescaped(dn).into_iter().find_map(|part| {
        let (name, value) = part.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case(attr)
            .then(|| unescape(value))
    })
}

/// Splits at commas and plus signs that are not escaped by a backslash.
fn split_unescaped(dn: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in dn.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' | '+' => {
                parts.push(&dn[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&dn[start..]);
    parts
}

/// Removes RFC 4514 backslash escapes (`\,` and `\2C` both give `,`).
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(next) = chars.next() else { break };
        let hex_pair = next
            .to_digit(16)
            .zip(chars.peek().and_then(|c| c.to_digit(16)));
        match hex_pair {
            Some((hi, lo)) => {
                chars.next();
                if let Some(ch) = char::from_u32(hi * 16 + lo) {
                    out.push(ch);
                }
            }
            None => out.push(next),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::attribute;

    #[test]
    fn finds_the_common_name() {
        let dn = "CN=client.example,O=Example\\, Inc.,C=DE";
        assert_eq!(attribute(dn, "CN").as_deref(), Some("client.example"));
        assert_eq!(attribute(dn, "O").as_deref(), Some("Example, Inc."));
        assert_eq!(attribute(dn, "OU"), None);
        assert_eq!(attribute("", "CN"), None);
    }

    #[test]
    fn reads_multi_valued_rdns_and_hex_escapes() {
        assert_eq!(attribute("OU=a+CN=b\\2Cc", "cn").as_deref(), Some("b,c"));
        assert_eq!(
            attribute("CN=trailing\\", "CN").as_deref(),
            Some("trailing")
        );
    }
}
