//! Reading the CSV files a merchant hands the planner (parameters, stock exports,
//! purchase orders): one way to find the delimiter and to compare header names, so that
//! every file is read alike.

use std::borrow::Cow;

/// The file's text, lossily decoded, without a byte-order mark.
pub(crate) fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    match String::from_utf8_lossy(bytes) {
        Cow::Borrowed(t) => Cow::Borrowed(t.trim_start_matches('\u{feff}')),
        Cow::Owned(t) => Cow::Owned(t.trim_start_matches('\u{feff}').to_string()),
    }
}

/// A flexible CSV reader with the delimiter of the header line: a tab, else `;` when
/// the line has no comma (spreadsheets in comma-decimal locales), else `,`.
pub(crate) fn reader(text: &str) -> csv::Reader<&[u8]> {
    let first = text.lines().next().unwrap_or("");
    let delimiter = if first.contains('\t') {
        b'\t'
    } else if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// A header name as exports spell it in many ways ("Expected_Date", "expected-date",
/// " Expected date "): lower case, `_` and `-` as spaces, trimmed.
pub(crate) fn key(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace(['_', '-'], " ")
}

/// The header row's names, as [`key`]s (empty when there is none).
pub(crate) fn header_keys(text: &str) -> Vec<String> {
    reader(text)
        .headers()
        .map(|h| h.iter().map(key).collect())
        .unwrap_or_default()
}
