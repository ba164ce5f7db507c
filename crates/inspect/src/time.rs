//! Moments in time as Unix seconds, with RFC 3339 reading and writing.
//!
//! The crate never reads a clock: callers pass "now". Written by hand (Howard Hinnant's
//! days-from-civil algorithm) because the `time` crate's parsing and formatting need std,
//! and this must build for targets without it.

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

use crate::error::Error;

/// Seconds since 1970-01-01T00:00:00Z (negative before).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const DAY: i64 = 86_400;

/// Days since the epoch of a proleptic Gregorian date.
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date (year, month, day) of a day count since the epoch.
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Timestamp {
    /// The system clock: the one place the native front ends (CLI, probe, proxy) read "now".
    /// Before 1970 or unreadable, 0.
    #[cfg(feature = "std")]
    pub fn now() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(secs)
    }

    /// The UTC moment of a calendar date and time of day.
    pub fn from_parts(year: i64, month: u32, day: u32, h: u32, m: u32, s: u32) -> Self {
        Timestamp(days_from_civil(year, month, day) * DAY + (h * 3600 + m * 60 + s) as i64)
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; a bare date `YYYY-MM-DD` means midnight UTC.
    pub fn parse_rfc3339(text: &str) -> Result<Self, Error> {
        let bad = || Error::BadTime(text.to_string());
        let s = text.trim();
        let b = s.as_bytes();
        let num = |from: usize, len: usize| -> Result<u32, Error> {
            let part = s.get(from..from + len).ok_or_else(bad)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse::<u32>().map_err(|_| bad())
        };
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let (year, month, day) = (num(0, 4)? as i64, num(5, 2)?, num(8, 2)?);
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(bad());
        }
        if b.len() == 10 {
            return Ok(Self::from_parts(year, month, day, 0, 0, 0));
        }
        if b.len() < 20 || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
            return Err(bad());
        }
        let (h, m, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
        if h > 23 || m > 59 || sec > 60 {
            return Err(bad());
        }
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return Err(bad());
            }
        }
        let offset = match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
                let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
                if oh > 23 || om > 59 {
                    return Err(bad());
                }
                let o = (oh * 3600 + om * 60) as i64;
                if *sign == b'+' {
                    o
                } else {
                    -o
                }
            }
            _ => return Err(bad()),
        };
        Ok(Timestamp(
            Self::from_parts(year, month, day, h, m, sec.min(59)).0 - offset,
        ))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, as the report contract writes times.
    pub fn to_rfc3339(self) -> String {
        format!("{self}")
    }

    /// `Dec  2 06:41:38 2026 GMT`, as OpenSSL's `ASN1_TIME_print` writes a certificate date
    /// (and nginx's `$ssl_client_v_start` and `$ssl_client_v_end` pass it on).
    pub fn to_openssl(self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let secs = self.0.rem_euclid(DAY);
        let (y, mo, d) = civil_from_days(self.0.div_euclid(DAY));
        let month = MONTHS[(mo.clamp(1, 12) - 1) as usize];
        format!(
            "{month} {d:>2} {:02}:{:02}:{:02} {y} GMT",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier), rounded toward zero.
    pub fn days_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0) / DAY
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(DAY);
        let secs = self.0.rem_euclid(DAY);
        let (y, mo, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// "in 3 days", "3 days ago", "today": how a person reads a distance in time.
pub fn relative_days(days: i64) -> String {
    match days {
        0 => "today".to_string(),
        1 => "in 1 day".to_string(),
        -1 => "1 day ago".to_string(),
        d if d > 0 => format!("in {d} days"),
        d => format!("{} days ago", -d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_dates() {
        assert_eq!(
            Timestamp::parse_rfc3339("1970-01-01T00:00:00Z"),
            Ok(Timestamp(0))
        );
        let t = Timestamp::parse_rfc3339("2026-11-29T05:14:05Z").unwrap_or(Timestamp(0));
        assert_eq!(t.0, 1_795_929_245);
        assert_eq!(t.to_rfc3339(), "2026-11-29T05:14:05Z");
        assert_eq!(Timestamp(-1).to_rfc3339(), "1969-12-31T23:59:59Z");
        assert_eq!(
            Timestamp::from_parts(2000, 2, 29, 12, 0, 0).to_rfc3339(),
            "2000-02-29T12:00:00Z"
        );
    }

    #[test]
    fn offsets_and_fractions() {
        let a = Timestamp::parse_rfc3339("2024-03-01T01:00:00+01:00");
        assert_eq!(
            a.map(|t| t.to_rfc3339()).ok().as_deref(),
            Some("2024-03-01T00:00:00Z")
        );
        let b = Timestamp::parse_rfc3339("2024-03-01T00:00:00.123Z");
        assert_eq!(
            b.map(|t| t.to_rfc3339()).ok().as_deref(),
            Some("2024-03-01T00:00:00Z")
        );
        assert!(Timestamp::parse_rfc3339("2024-02-30T00:00:00Z").is_err());
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
        assert!(Timestamp::parse_rfc3339("2024-03-01T00:00:00").is_err());
    }
}
