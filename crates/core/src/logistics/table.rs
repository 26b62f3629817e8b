//! A small CSV table with named columns, for the logistics inputs: the header is
//! matched by name (any order, any case, extra columns ignored) and every cell read
//! names its line and column when it is wrong.

use std::collections::HashMap;

use super::LogisticsError;

/// A parsed CSV file: header plus rows, each with its line number.
#[derive(Debug, Clone)]
pub struct Table {
    file: String,
    columns: HashMap<String, usize>,
    rows: Vec<(usize, Vec<String>)>,
    problems: Vec<String>,
}

impl Table {
    /// Parses `text` (comma, semicolon or tab separated, detected from the header) and
    /// checks that every `required` column is there.
    pub fn parse(file: &str, text: &str, required: &[&str]) -> Result<Table, LogisticsError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let first = text.lines().next().unwrap_or("");
        let delimiter = [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|d| first.bytes().filter(|b| b == d).count())
            .unwrap_or(b',');
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let fail = |problems: Vec<String>| LogisticsError::Input {
            file: file.to_string(),
            problems,
        };
        let header = reader
            .headers()
            .map_err(|e| fail(vec![format!("line 1: {e}")]))?
            .clone();
        let columns: HashMap<String, usize> = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
            .collect();
        let missing: Vec<String> = required
            .iter()
            .filter(|c| !columns.contains_key(**c))
            .map(|c| {
                format!(
                    "line 1: no \"{c}\" column (the header is: {})",
                    header.iter().collect::<Vec<_>>().join(",")
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(fail(missing));
        }
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for (i, rec) in reader.records().enumerate() {
            let line = i + 2;
            match rec {
                Ok(r) => {
                    if r.iter().all(|c| c.is_empty()) {
                        continue;
                    }
                    let line = r.position().map_or(line, |p| p.line() as usize);
                    rows.push((line, r.iter().map(str::to_string).collect()));
                }
                Err(e) => problems.push(format!("line {line}: {e}")),
            }
        }
        Ok(Table {
            file: file.to_string(),
            columns,
            rows,
            problems,
        })
    }

    /// The number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no data rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether the file has this column.
    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// The line number of row `row` in the file.
    pub fn line(&self, row: usize) -> usize {
        self.rows[row].0
    }

    /// The text of a cell ("" when the column or the cell is absent).
    pub fn text(&self, row: usize, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|&c| self.rows[row].1.get(c))
            .map_or("", String::as_str)
    }

    /// Records a problem at a cell.
    pub fn problem(&mut self, row: usize, column: &str, what: impl std::fmt::Display) {
        let line = self.rows[row].0;
        self.problems
            .push(format!("line {line}, column {column}: {what}"));
    }

    /// A non-empty text cell, or a problem recorded.
    pub fn name(&mut self, row: usize, column: &str) -> Option<String> {
        let t = self.text(row, column).to_string();
        if t.is_empty() {
            self.problem(row, column, "empty");
            None
        } else {
            Some(t)
        }
    }

    /// A finite number ≥ 0 (or a problem recorded). Empty cells are `None` without a
    /// problem when `optional`.
    pub fn non_negative(&mut self, row: usize, column: &str, optional: bool) -> Option<f64> {
        let t = self.text(row, column).to_string();
        if t.is_empty() {
            if !optional {
                self.problem(row, column, "empty (a number is needed)");
            }
            return None;
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
            Ok(v) if v.is_finite() => {
                self.problem(row, column, format_args!("{v} is negative"));
                None
            }
            _ => {
                self.problem(row, column, format_args!("\"{t}\" is not a number"));
                None
            }
        }
    }

    /// A finite number of any sign (or a problem recorded); empty is `None`.
    pub fn number(&mut self, row: usize, column: &str) -> Option<f64> {
        let t = self.text(row, column).to_string();
        if t.is_empty() {
            return None;
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.problem(row, column, format_args!("\"{t}\" is not a number"));
                None
            }
        }
    }

    /// Fails with every recorded problem, if any.
    pub fn finish(&mut self) -> Result<(), LogisticsError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(LogisticsError::Input {
                file: self.file.clone(),
                problems: std::mem::take(&mut self.problems),
            })
        }
    }

    /// The file's name.
    pub fn file(&self) -> &str {
        &self.file
    }
}
