//! The request path as routing sees it: normalised before a location is matched, so that what
//! the proxy matches and what the upstream receives are the same path.
//!
//! RFC 3986: percent-encoded unreserved characters are decoded (6.2.2.2, so `%2e` is `.`),
//! the other encodings get uppercase hex (6.2.2.1), dot segments are removed (5.2.4), and, as
//! nginx's `merge_slashes`, empty segments are merged. A path whose `..` climbs above `/` is
//! refused, and so is an encoded `/` (`%2F`) unless allowed: upstreams disagree on whether it
//! separates segments.

/// Why a path is refused (400).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    /// `..` above the root.
    AboveRoot,
    /// `%2F` with `allow_encoded_slashes = false`.
    EncodedSlash,
    /// A `%` not followed by two hex digits.
    BadEscape,
}

impl PathError {
    /// Words for the log and the 400 body.
    pub fn reason(self) -> &'static str {
        match self {
            PathError::AboveRoot => "the path climbs above /",
            PathError::EncodedSlash => "the path has an encoded / (%2F)",
            PathError::BadEscape => "the path has a % not followed by two hex digits",
        }
    }
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// One segment with its escapes normalised.
fn segment(raw: &str, allow_encoded_slash: bool) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'%' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|c| char::from(*c).to_digit(16))
                .ok_or(PathError::BadEscape)
        };
        let v = u8::try_from(hex(i + 1)? * 16 + hex(i + 2)?).map_err(|_| PathError::BadEscape)?;
        if v == b'/' && !allow_encoded_slash {
            return Err(PathError::EncodedSlash);
        }
        if unreserved(v) {
            out.push(char::from(v));
        } else {
            out.push_str(&format!("%{v:02X}"));
        }
        i += 3;
    }
    Ok(out)
}

/// The normalised form of an origin-form path (no query); anything else (`*`) is returned
/// as is.
pub fn normalise(raw: &str, allow_encoded_slash: bool) -> Result<String, PathError> {
    if !raw.starts_with('/') {
        return Ok(raw.to_string());
    }
    let mut stack: Vec<String> = Vec::new();
    let mut trailing = false;
    for seg in raw.split('/').skip(1) {
        let seg = segment(seg, allow_encoded_slash)?;
        trailing = true;
        match seg.as_str() {
            "" | "." => {}
            ".." => {
                stack.pop().ok_or(PathError::AboveRoot)?;
            }
            _ => {
                stack.push(seg);
                trailing = false;
            }
        }
    }
    let mut out = String::with_capacity(raw.len());
    for s in &stack {
        out.push('/');
        out.push_str(s);
    }
    if trailing || out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_escapes_and_slashes() {
        let n = |p: &str| normalise(p, false);
        assert_eq!(n("/api/../admin").as_deref(), Ok("/admin"));
        assert_eq!(n("/api/%2e%2E/admin").as_deref(), Ok("/admin"));
        assert_eq!(n("//api///x/./y/").as_deref(), Ok("/api/x/y/"));
        assert_eq!(n("/a/b/..").as_deref(), Ok("/a/"));
        assert_eq!(n("/").as_deref(), Ok("/"));
        assert_eq!(n("/%7euser/%c3%a9").as_deref(), Ok("/~user/%C3%A9"));
        assert_eq!(n("/../etc"), Err(PathError::AboveRoot));
        assert_eq!(n("/a/%2e%2e/%2e%2e/b"), Err(PathError::AboveRoot));
        assert_eq!(n("/a%2Fb"), Err(PathError::EncodedSlash));
        assert_eq!(normalise("/a%2fb", true).as_deref(), Ok("/a%2Fb"));
        assert_eq!(n("/a%zz"), Err(PathError::BadEscape));
        assert_eq!(n("*").as_deref(), Ok("*"));
    }
}
