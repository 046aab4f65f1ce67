//! The one time helper of the workspace. Libraries never read the clock: the front-end
//! passes "now" in (seconds since the epoch, `SOURCE_DATE_EPOCH` honoured there), so a report
//! is reproducible and a test can pin the date.

/// Seconds since the epoch as an RFC 3339 UTC timestamp (`2023-11-14T22:13:20Z`). Times
/// outside years 0000–9999 are shown as the epoch.
///
/// ```
/// assert_eq!(hull_types::time::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
/// assert_eq!(hull_types::time::rfc3339(0), "1970-01-01T00:00:00Z");
/// ```
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if !(0..=9999).contains(&y) {
        return "1970-01-01T00:00:00Z".into();
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (years 1970–9999); `None` when it is not a
/// real date.
///
/// ```
/// assert_eq!(hull_types::time::parse_date("1970-01-02"), Some(1));
/// assert_eq!(hull_types::time::parse_date("2024-02-30"), None);
/// ```
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > month_days[(m - 1) as usize] {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), the inverse of `rfc3339`'s.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::{parse_date, rfc3339};

    #[test]
    fn dates_round_trip_through_rfc3339() {
        for day in [0i64, 59, 365, 11_016, 19_782, 2_932_896] {
            let text = rfc3339(day * 86_400);
            assert_eq!(parse_date(&text[..10]), Some(day), "{text}");
        }
        for bad in [
            "2024-13-01",
            "2023-02-29",
            "24-01-01",
            "2024-1-01",
            "2024-01-0x",
            "1969-12-31",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
    }

    #[test]
    fn leap_days_and_bounds() {
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_800), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }
}
