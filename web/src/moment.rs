//! The moment certificates are evaluated at: the browser's clock, or one the user sets.
//!
//! The inspect crate never reads a clock; the page reads `Date.now()` and passes it in. The
//! moment field is an `<input type="datetime-local">`, read as UTC.

use mtlskit_inspect::Timestamp;

/// When validity is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// The browser's clock, read when the inputs last changed.
    Now(Timestamp),
    /// A moment the user chose.
    At(Timestamp),
}

impl Moment {
    /// The moment itself, whichever way it was set.
    pub const fn timestamp(self) -> Timestamp {
        match self {
            Moment::Now(t) | Moment::At(t) => t,
        }
    }

    /// Whether the user set it (it then stays when files are added).
    pub const fn is_fixed(self) -> bool {
        matches!(self, Moment::At(_))
    }

    /// The value for a `datetime-local` input: `YYYY-MM-DDTHH:MM:SS` (UTC).
    pub fn input_value(self) -> String {
        let text = self.timestamp().to_rfc3339();
        text.trim_end_matches('Z').to_string()
    }
}

/// Reads what a `datetime-local` input gives (`YYYY-MM-DDTHH:MM` or with seconds) as UTC;
/// full RFC 3339 text is accepted too. `None` when it is not a moment.
pub fn parse_input(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let has_zone = value.ends_with(['Z', 'z'])
        || value
            .get(11..)
            .is_some_and(|time| time.contains(['+', '-']));
    let mut text = value.to_string();
    if !has_zone {
        if text.len() == 16 {
            text.push_str(":00");
        }
        text.push('Z');
    }
    Timestamp::parse_rfc3339(&text).ok()
}

/// Milliseconds since the epoch (as `Date.now()` gives them) to a timestamp.
pub fn from_millis(ms: f64) -> Timestamp {
    if ms.is_finite() {
        Timestamp((ms / 1000.0).floor() as i64)
    } else {
        Timestamp(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_datetime_local_values_as_utc() {
        let t = Timestamp::from_parts(2030, 1, 2, 3, 4, 0);
        assert_eq!(parse_input("2030-01-02T03:04"), Some(t));
        assert_eq!(parse_input("2030-01-02T03:04:00"), Some(t));
        assert_eq!(parse_input("2030-01-02T03:04:00Z"), Some(t));
        assert_eq!(parse_input(""), None);
        assert_eq!(parse_input("soon"), None);
        assert_eq!(parse_input("2030-13-02T03:04"), None);
    }

    #[test]
    fn input_value_round_trips() {
        let m = Moment::At(Timestamp::from_parts(2024, 2, 29, 23, 59, 59));
        assert_eq!(m.input_value(), "2024-02-29T23:59:59");
        assert_eq!(parse_input(&m.input_value()), Some(m.timestamp()));
        assert_eq!(from_millis(1_700_000_000_999.0), Timestamp(1_700_000_000));
        assert_eq!(from_millis(f64::NAN), Timestamp(0));
    }
}
