//! Date and timestamp parsing for the date styles merchants' exports use.
//!
//! Hand-written rather than `chrono::NaiveDateTime::parse_from_str`: one export
//! holds hundreds of thousands of timestamps, each style has optional parts
//! (seconds, time, time zone, AM/PM) that would need a format string per
//! combination, and a byte-level parser is several times faster in the browser.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

/// How the day, month and year are ordered in a date column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateStyle {
    /// `2010-12-01`, `2010/12/01`, optionally with a time (`T` or space) and a zone.
    Iso,
    /// `12/1/2010 8:26` (US month first).
    MonthFirst,
    /// `1/12/2010`, `01.12.2010` (day first).
    DayFirst,
}

impl DateStyle {
    /// Every style, for menus.
    pub const ALL: [DateStyle; 3] = [DateStyle::Iso, DateStyle::MonthFirst, DateStyle::DayFirst];

    /// A short label with an example.
    pub fn label(self) -> &'static str {
        match self {
            DateStyle::Iso => "YYYY-MM-DD",
            DateStyle::MonthFirst => "M/D/YYYY",
            DateStyle::DayFirst => "D/M/YYYY",
        }
    }
}

/// Detects the date style from sample values; `None` when no sample parses.
///
/// A first field of four digits means ISO. Otherwise a first field above 12 means day
/// first and a second field above 12 means month first; when every sample is ambiguous
/// (both fields ≤ 12) month first is assumed, as in the exports of the large US
/// platforms, and the merchant can override it.
pub fn detect_style<'a>(samples: impl IntoIterator<Item = &'a str>) -> Option<DateStyle> {
    let mut any = false;
    let mut first_gt12 = false;
    let mut second_gt12 = false;
    for s in samples {
        let s = s.trim();
        let Some((a, b, _)) = leading_triplet(s.as_bytes()) else {
            continue;
        };
        if a.1 == 4 {
            if parse_datetime(s, DateStyle::Iso).is_some() {
                return Some(DateStyle::Iso);
            }
            continue;
        }
        any = true;
        first_gt12 |= a.0 > 12;
        second_gt12 |= b.0 > 12;
    }
    match (any, first_gt12, second_gt12) {
        (false, _, _) => None,
        (true, true, false) => Some(DateStyle::DayFirst),
        _ => Some(DateStyle::MonthFirst),
    }
}

/// (value, digit count) of the first three numeric fields of a date.
type Field = (u32, usize);

fn leading_triplet(b: &[u8]) -> Option<(Field, Field, Field)> {
    let mut pos = 0;
    let a = number(b, &mut pos)?;
    let sep = *b.get(pos)?;
    if !matches!(sep, b'-' | b'/' | b'.') {
        return None;
    }
    pos += 1;
    let m = number(b, &mut pos)?;
    if b.get(pos) != Some(&sep) {
        return None;
    }
    pos += 1;
    let c = number(b, &mut pos)?;
    Some((a, m, c))
}

fn number(b: &[u8], pos: &mut usize) -> Option<Field> {
    let start = *pos;
    let mut v: u32 = 0;
    while let Some(&c) = b.get(*pos) {
        if !c.is_ascii_digit() || *pos - start >= 9 {
            break;
        }
        v = v * 10 + u32::from(c - b'0');
        *pos += 1;
    }
    (*pos > start).then_some((v, *pos - start))
}

/// Parses a date with an optional time of day in the given style.
///
/// A trailing UTC offset (`-0500`, `+01:00`, `Z`, ` UTC`) is accepted and ignored:
/// demand belongs to the shop's local calendar day, which is the wall-clock time the
/// export shows.
pub fn parse_datetime(s: &str, style: DateStyle) -> Option<NaiveDateTime> {
    let b = s.trim().as_bytes();
    let mut pos = 0;
    let (f1, f2, f3) = leading_triplet(b)?;
    // Re-walk to find where the date ends.
    for _ in 0..3 {
        number(b, &mut pos)?;
        if pos < b.len() && matches!(b[pos], b'-' | b'/' | b'.') {
            pos += 1;
        }
    }
    let (y, m, d) = match style {
        DateStyle::Iso => {
            if f1.1 != 4 {
                return None;
            }
            (f1.0 as i32, f2.0, f3.0)
        }
        DateStyle::MonthFirst => (year(f3)?, f1.0, f2.0),
        DateStyle::DayFirst => (year(f3)?, f2.0, f1.0),
    };
    if f2.1 > 2 || (style == DateStyle::Iso && f3.1 > 2) || (style != DateStyle::Iso && f1.1 > 2) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    let rest = &b[pos.min(b.len())..];
    let time = parse_time(rest)?;
    Some(date.and_time(time))
}

/// Parses a time of day on its own (`09:58:11`, `9:58`, `1:05 PM`), as point-of-sale
/// exports write it in a column beside the date; `None` for anything else, an empty
/// value included (unlike a date's optional time, a time column must hold one).
pub fn parse_time_of_day(s: &str) -> Option<NaiveTime> {
    let b = s.trim().as_bytes();
    // A leading digit: `parse_time` also skips a `T` or spaces, which a lone time has
    // no reason to start with.
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    parse_time(b)
}

fn year(f: Field) -> Option<i32> {
    match f.1 {
        4 => Some(f.0 as i32),
        // Two-digit years: 00-69 -> 2000s, 70-99 -> 1900s, as spreadsheets do.
        2 => Some(if f.0 < 70 {
            2000 + f.0 as i32
        } else {
            1900 + f.0 as i32
        }),
        _ => None,
    }
}

fn parse_time(rest: &[u8]) -> Option<NaiveTime> {
    let mut pos = 0;
    while pos < rest.len() && (rest[pos] == b' ' || rest[pos] == b'T') {
        pos += 1;
    }
    if pos >= rest.len() {
        return NaiveTime::from_hms_opt(0, 0, 0);
    }
    let (h, hd) = number(rest, &mut pos)?;
    if hd > 2 || rest.get(pos) != Some(&b':') {
        return None;
    }
    pos += 1;
    let (mi, md) = number(rest, &mut pos)?;
    if md != 2 {
        return None;
    }
    let mut sec = 0;
    if rest.get(pos) == Some(&b':') {
        pos += 1;
        let (s, sd) = number(rest, &mut pos)?;
        if sd != 2 {
            return None;
        }
        sec = s;
        if rest.get(pos) == Some(&b'.') {
            pos += 1;
            number(rest, &mut pos)?;
        }
    }
    let mut h = h;
    let tail = std::str::from_utf8(&rest[pos..]).ok()?.trim();
    let mut zone = tail;
    let upper = tail.to_ascii_uppercase();
    if let Some(r) = upper
        .strip_prefix("AM")
        .or_else(|| upper.strip_prefix("PM"))
    {
        if !(1..=12).contains(&h) {
            return None;
        }
        let pm = upper.starts_with("PM");
        h = match (pm, h) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
        zone = &tail[tail.len() - r.len()..];
    }
    if !valid_zone(zone.trim()) {
        return None;
    }
    NaiveTime::from_hms_opt(h, mi, sec)
}

fn valid_zone(z: &str) -> bool {
    if z.is_empty()
        || z.eq_ignore_ascii_case("z")
        || z.eq_ignore_ascii_case("utc")
        || z.eq_ignore_ascii_case("gmt")
    {
        return true;
    }
    let b = z.as_bytes();
    if !matches!(b[0], b'+' | b'-') {
        return false;
    }
    let digits: Vec<u8> = b[1..].iter().copied().filter(|c| *c != b':').collect();
    digits.len() == 4
        && digits.iter().all(u8::is_ascii_digit)
        && b[1..].iter().all(|c| c.is_ascii_digit() || *c == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn iso_variants() {
        for s in [
            "2010-12-01 08:26:00",
            "2010-12-01T08:26:00",
            "2010-12-01 08:26",
            "2010/12/01 08:26:00",
            "2010-12-01 08:26:00 -0500",
            "2010-12-01T08:26:00+01:00",
            "2010-12-01T08:26:00.123Z",
            " 2010-12-01 08:26:00 ",
        ] {
            assert_eq!(
                parse_datetime(s, DateStyle::Iso),
                Some(dt("2010-12-01 08:26:00")),
                "{s}"
            );
        }
        assert_eq!(
            parse_datetime("2010-12-01", DateStyle::Iso),
            Some(dt("2010-12-01 00:00:00"))
        );
    }

    #[test]
    fn us_and_european() {
        assert_eq!(
            parse_datetime("12/1/2010 8:26", DateStyle::MonthFirst),
            Some(dt("2010-12-01 08:26:00"))
        );
        assert_eq!(
            parse_datetime("1/12/2010 8:26", DateStyle::DayFirst),
            Some(dt("2010-12-01 08:26:00"))
        );
        assert_eq!(
            parse_datetime("01.12.2010", DateStyle::DayFirst),
            Some(dt("2010-12-01 00:00:00"))
        );
        assert_eq!(
            parse_datetime("12/1/10 1:05 PM", DateStyle::MonthFirst),
            Some(dt("2010-12-01 13:05:00"))
        );
        assert_eq!(
            parse_datetime("12/1/2010 12:05 am", DateStyle::MonthFirst),
            Some(dt("2010-12-01 00:05:00"))
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "abc",
            "2010-13-01",
            "2010-02-30",
            "13/13/2010",
            "2010-12-01 25:00",
            "2010-12-01 8:2",
            "2010-12-01 08:26 nonsense",
            "12/1/2010 13:00 PM",
        ] {
            assert_eq!(
                parse_datetime(s, DateStyle::Iso).or(parse_datetime(s, DateStyle::MonthFirst)),
                None,
                "{s}"
            );
        }
    }

    #[test]
    fn times_of_day_alone() {
        let t = |h, m, s| NaiveTime::from_hms_opt(h, m, s);
        assert_eq!(parse_time_of_day("09:58:11"), t(9, 58, 11));
        assert_eq!(parse_time_of_day(" 9:58 "), t(9, 58, 0));
        assert_eq!(parse_time_of_day("1:05 PM"), t(13, 5, 0));
        assert_eq!(parse_time_of_day("23:59:59.250"), t(23, 59, 59));
        for s in [
            "",
            "  ",
            "12",
            "2016-10-30",
            "25:00",
            "9:5",
            "T09:58",
            "3 min",
            "1.5",
        ] {
            assert_eq!(parse_time_of_day(s), None, "{s}");
        }
    }

    #[test]
    fn detects_style() {
        assert_eq!(detect_style(["2010-12-01 08:26:00"]), Some(DateStyle::Iso));
        assert_eq!(
            detect_style(["12/1/2010 8:26", "12/13/2010 9:00"]),
            Some(DateStyle::MonthFirst)
        );
        assert_eq!(
            detect_style(["1/12/2010", "13/12/2010"]),
            Some(DateStyle::DayFirst)
        );
        assert_eq!(detect_style(["1/2/2010"]), Some(DateStyle::MonthFirst));
        assert_eq!(detect_style(["hello"]), None);
    }
}
