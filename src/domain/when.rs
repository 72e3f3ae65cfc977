//! Timestamps shown to people, the same on the server and in the browser
//! (no clock or time-zone database needed): `YYYY-MM-DD HH:MM UTC`.

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM UTC`.
pub fn format_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_instants() {
        assert_eq!(super::format_timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::format_timestamp(1_795_408_080_000), "2026-11-23 04:28 UTC");
        assert_eq!(super::format_timestamp(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
