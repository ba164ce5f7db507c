//! The first bytes of decrypted application data, named: an HTTP/1.x request or status line,
//! or the HTTP/2 frame types (RFC 9113 3.4 client preface, 4.1 frame header, 6 frame types).

use alloc::string::String;

use super::model::ApplicationData;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// At most this many frame types are listed.
const MAX_FRAMES: usize = 8;
/// A request or status line longer than this is not shown.
const MAX_LINE: usize = 256;

/// Fills `app` from the first decrypted bytes of a direction.
pub(super) fn describe(first: &[u8], app: &mut ApplicationData) {
    if let Some(rest) = first.strip_prefix(H2_PREFACE) {
        h2_frames(rest, app);
    } else if let Some(line) = http1_line(first) {
        app.http_line = Some(line);
    } else if looks_like_h2_settings(first) {
        h2_frames(first, app);
    }
}

/// `GET / HTTP/1.1` or `HTTP/1.1 200 OK`: printable ASCII up to the first CRLF.
fn http1_line(bytes: &[u8]) -> Option<String> {
    let end = bytes.windows(2).take(MAX_LINE).position(|w| w == b"\r\n")?;
    let line = bytes.get(..end)?;
    if !line.iter().all(|b| (0x20..0x7f).contains(b)) {
        return None;
    }
    let text = core::str::from_utf8(line).ok()?;
    let request = text
        .rsplit_once(' ')
        .is_some_and(|(_, v)| v.starts_with("HTTP/1."));
    (request || text.starts_with("HTTP/1.")).then(|| String::from(text))
}

/// A server's HTTP/2 connection starts with a SETTINGS frame on stream 0.
fn looks_like_h2_settings(bytes: &[u8]) -> bool {
    match bytes {
        [a, b, c, 4, _, s0, s1, s2, s3, ..] => {
            let len = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
            len % 6 == 0 && [*s0, *s1, *s2, *s3] == [0; 4]
        }
        _ => false,
    }
}

fn h2_frames(mut bytes: &[u8], app: &mut ApplicationData) {
    while app.h2_frames.len() < MAX_FRAMES {
        let [a, b, c, kind, ..] = *bytes else {
            return;
        };
        let len = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
        app.h2_frames.push(String::from(frame_name(kind)));
        match bytes.get(9 + len..) {
            Some(rest) => bytes = rest,
            None => return,
        }
    }
}

const fn frame_name(kind: u8) -> &'static str {
    match kind {
        0 => "DATA",
        1 => "HEADERS",
        2 => "PRIORITY",
        3 => "RST_STREAM",
        4 => "SETTINGS",
        5 => "PUSH_PROMISE",
        6 => "PING",
        7 => "GOAWAY",
        8 => "WINDOW_UPDATE",
        9 => "CONTINUATION",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(bytes: &[u8]) -> ApplicationData {
        let mut app = ApplicationData::default();
        describe(bytes, &mut app);
        app
    }

    #[test]
    fn names_http1_lines_and_h2_frames() {
        assert_eq!(
            of(b"GET /test_url HTTP/1.1\r\nHost: x\r\n\r\n")
                .http_line
                .as_deref(),
            Some("GET /test_url HTTP/1.1")
        );
        assert_eq!(
            of(b"HTTP/1.0 200 ok\r\n").http_line.as_deref(),
            Some("HTTP/1.0 200 ok")
        );
        assert_eq!(of(b"\x16\x03binary\r\n").http_line, None);
        let mut h2 = H2_PREFACE.to_vec();
        h2.extend_from_slice(&[0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 100]);
        h2.extend_from_slice(&[0, 0, 0, 1, 5, 0, 0, 0, 1]);
        assert_eq!(of(&h2).h2_frames, ["SETTINGS", "HEADERS"]);
        assert_eq!(of(&[0, 0, 0, 4, 1, 0, 0, 0, 0]).h2_frames, ["SETTINGS"]);
    }
}
