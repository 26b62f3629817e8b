//! Numbers as a merchant reads them: one rule per kind (units, money, percentages, days,
//! counts), used by every page, the explanations the core writes and the CLI's text, so
//! that the same figure reads the same everywhere. Machine-readable CSV keeps full
//! precision (`data::fmt_qty`).

/// A whole number with thousands separators ("12,345"); "—" when not a number.
pub fn int(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let r = v.round();
    let s = format!("{:.0}", r.abs());
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if r < 0.0 { format!("-{out}") } else { out }
}

/// Units of stock or demand: whole numbers as they are, otherwise as many decimals as
/// the size warrants (≥ 100: none; ≥ 10: one; below: two), trailing zeros dropped:
/// "1,234", "12.5", "0.83".
pub fn units(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let a = v.abs();
    if (v - v.round()).abs() < 1e-9 || a >= 100.0 {
        return int(v);
    }
    let decimals = if a >= 10.0 { 1 } else { 2 };
    let s = format!("{v:.decimals$}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// Money in the shop's currency: two decimals and thousands separators, with the
/// currency ("£", "$", "€" before the amount; a code such as "EUR" after it; nothing
/// when none is set): "£1,234.50", "1,234.50 EUR".
pub fn money(v: f64, currency: &str) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let cents = (v.abs() * 100.0).round();
    let whole = int((cents / 100.0).trunc());
    let amount = format!("{whole}.{:02}", (cents % 100.0) as i64);
    let sign = if v < 0.0 && cents > 0.0 { "-" } else { "" };
    let c = currency.trim();
    if c.is_empty() {
        format!("{sign}{amount}")
    } else if c.chars().all(|ch| ch.is_ascii_alphabetic()) {
        format!("{sign}{amount} {c}")
    } else {
        format!("{sign}{c}{amount}")
    }
}

/// A share as a percentage with one decimal ("12.5 %").
pub fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1} %", share * 100.0)
    } else {
        "—".into()
    }
}

/// Days, whole ("12"); "∞" when there is no end (no demand).
pub fn days(v: f64) -> String {
    if v.is_finite() { int(v) } else { "∞".into() }
}

/// A figure with a fixed number of decimals ("0.87"), "—" when it is not a number (an
/// error measure without a baseline, say).
pub fn figure(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "—".into()
    }
}

/// The decimals that make axis ticks about `span / ticks` apart print distinct.
pub fn tick_decimals(span: f64, ticks: usize) -> usize {
    if !(span.is_finite() && span > 0.0) {
        return 0;
    }
    let raw = span / ticks.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    (-step.log10().floor()).max(0.0) as usize
}

/// An axis tick: thousands separators when whole, else `decimals` places.
pub fn tick(v: f64, decimals: usize) -> String {
    if decimals == 0 {
        int(v)
    } else {
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_as_its_kind() {
        assert_eq!(int(1234567.4), "1,234,567");
        assert_eq!(int(-1234.0), "-1,234");
        assert_eq!(int(999.0), "999");
        assert_eq!(units(0.8277699968801481), "0.83");
        assert_eq!(units(0.17223000311985195), "0.17");
        assert_eq!(units(12.46), "12.5");
        assert_eq!(units(1234.56), "1,235");
        assert_eq!(units(40.0), "40");
        assert_eq!(units(0.5), "0.5");
        assert_eq!(units(-0.001), "0");
        assert_eq!(money(1234.5, "£"), "£1,234.50");
        assert_eq!(money(-3.456, ""), "-3.46");
        assert_eq!(money(0.004, "EUR"), "0.00 EUR");
        assert_eq!(money(f64::NAN, "$"), "—");
        assert_eq!(percent(0.125), "12.5 %");
        assert_eq!(days(f64::INFINITY), "∞");
        assert_eq!(days(12.4), "12");
        assert_eq!(figure(f64::NAN, 2), "—");
    }

    /// Ticks that would print alike ("0 0 1 1", "0.001 0.001") get enough decimals.
    #[test]
    fn ticks_print_distinct() {
        for (lo, hi) in [
            (0.0, 1.5),
            (0.00091, 0.00112),
            (0.0, 1e6),
            (98.0, 100.5),
            (3.0, 3.2),
        ] {
            let n = 6;
            let d = tick_decimals(hi - lo, n);
            let step = (hi - lo) / n as f64;
            let labels: Vec<String> = (0..=n).map(|i| tick(lo + step * i as f64, d)).collect();
            let mut uniq = labels.clone();
            uniq.dedup();
            assert!(uniq.len() > n / 2, "{lo}..{hi}: {labels:?}");
        }
        assert_eq!(tick_decimals(1e6, 6), 0);
        assert_eq!(tick_decimals(1.5, 6), 1);
        assert_eq!(tick_decimals(0.0002, 6), 5);
    }
}
