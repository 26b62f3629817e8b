//! A number the merchant types into a form's box, read once where it enters: what it
//! means, or a message naming the box, what was typed and what is expected. Forms show
//! the message beside the box and do not run their job until it is fixed, so that a
//! typo never silently becomes "no limit", a default or zero.

use std::ops::RangeInclusive;

use crate::inventory::params::parse_num;

/// One box of a form: its label, the values it accepts, and whether they are whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The box's label as the page shows it ("Budget for today's orders").
    pub label: &'static str,
    /// The accepted values.
    pub range: RangeInclusive<f64>,
    /// Whole numbers only.
    pub whole: bool,
    /// What an empty box means, in words ("no limit"); `None`: it must be filled.
    pub empty: Option<&'static str>,
}

impl Field {
    /// A box for a number in `range`.
    pub fn number(label: &'static str, range: RangeInclusive<f64>) -> Self {
        Field {
            label,
            range,
            whole: false,
            empty: None,
        }
    }

    /// Whole numbers only.
    pub fn whole(mut self) -> Self {
        self.whole = true;
        self
    }

    /// An empty box is allowed and means `meaning`.
    pub fn or_empty(mut self, meaning: &'static str) -> Self {
        self.empty = Some(meaning);
        self
    }

    /// The value typed (`None` for an allowed empty box), or why it is refused.
    /// Digit groups and decimal commas are read as shops write them ("1,500", "2,5").
    pub fn read(&self, text: &str) -> Result<Option<f64>, String> {
        let t = text.trim();
        if t.is_empty() {
            return match self.empty {
                Some(_) => Ok(None),
                None => Err(format!("{}: enter {}.", self.label, self.expected())),
            };
        }
        let v = parse_num(t).ok_or_else(|| {
            format!(
                "{}: \"{t}\" is not a number; enter {}.",
                self.label,
                self.expected()
            )
        })?;
        if !self.range.contains(&v) || (self.whole && v.fract() != 0.0) {
            return Err(format!(
                "{}: {t} is outside what it accepts; enter {}.",
                self.label,
                self.expected()
            ));
        }
        Ok(Some(v))
    }

    /// What the box accepts, in words ("a whole number from 7 to 365").
    pub fn expected(&self) -> String {
        let kind = if self.whole {
            "a whole number"
        } else {
            "a number"
        };
        let (lo, hi) = (*self.range.start(), *self.range.end());
        let range = if hi == f64::INFINITY || hi >= 1e15 {
            format!("{kind} of at least {lo}")
        } else {
            format!("{kind} from {lo} to {hi}")
        };
        match self.empty {
            Some(m) => format!("{range}, or leave it empty for {m}"),
            None => range,
        }
    }
}

/// A date typed into a box (`YYYY-MM-DD`; `None` for an empty box), or why it is refused.
pub fn read_date(label: &str, text: &str) -> Result<Option<chrono::NaiveDate>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{label}: \"{t}\" is not a date; enter it as 2024-03-31."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_reads_what_was_typed_or_says_why_not() {
        let budget = Field::number("Budget", 0.0..=1e12).or_empty("no limit");
        assert_eq!(budget.read(""), Ok(None));
        assert_eq!(budget.read(" 1,500 "), Ok(Some(1500.0)));
        assert_eq!(budget.read("2,5"), Ok(Some(2.5)));
        let e = budget.read("lots").unwrap_err();
        assert!(e.contains("Budget: \"lots\" is not a number"), "{e}");
        assert!(e.contains("leave it empty for no limit"), "{e}");
        assert!(budget.read("-3").is_err());
        assert!(budget.read("inf").is_err());
        let days = Field::number("Simulate (days)", 7.0..=365.0).whole();
        assert_eq!(days.read("90"), Ok(Some(90.0)));
        let e = days.read("400").unwrap_err();
        assert_eq!(
            e,
            "Simulate (days): 400 is outside what it accepts; enter a whole number from 7 to 365."
        );
        assert!(days.read("7.5").is_err());
        assert!(days.read("").unwrap_err().contains("enter a whole number"));
    }

    #[test]
    fn a_date_box_reads_iso_dates_only() {
        assert_eq!(read_date("From", ""), Ok(None));
        assert_eq!(
            read_date("From", "2024-03-31"),
            Ok(chrono::NaiveDate::from_ymd_opt(2024, 3, 31))
        );
        let e = read_date("From", "31/03/2024").unwrap_err();
        assert!(e.contains("From: \"31/03/2024\" is not a date"), "{e}");
    }
}
