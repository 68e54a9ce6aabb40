//! Periods ("24 months") and deadlines ("24 months after contract-end") as
//! the policy writes them.
//!
//! Months and years are calendar units: the retention engine adds them to
//! the anchor date in one step and clamps to the month's end, so that
//! 2024-02-29 + 24 months is 2026-02-28.

use std::fmt;

use jiff::Span;
use jiff::civil::Date;
use serde::Serialize;

use crate::text::Lang;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

/// A whole number of calendar units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Period {
    pub amount: u32,
    pub unit: Unit,
}

/// Why a period or deadline did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("`{0}` is not a period; write e.g. `24 months`, `26 months`, `7 years` or `30 days`")]
    NotAPeriod(String),
    #[error("`{0}` is too long a period; at most 100 years")]
    TooLong(String),
    #[error(
        "`{0}` is not a deadline; write e.g. `24 months after contract-end`, `26 months after collection` or `at collection`"
    )]
    NotADeadline(String),
}

impl Period {
    pub fn parse(s: &str) -> Result<Period, PeriodError> {
        let not = || PeriodError::NotAPeriod(s.to_owned());
        let mut words = s.split_whitespace();
        let (Some(amount), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(not());
        };
        let amount: u32 = amount.parse().map_err(|_| not())?;
        let unit = match unit {
            "day" | "days" => Unit::Days,
            "week" | "weeks" => Unit::Weeks,
            "month" | "months" => Unit::Months,
            "year" | "years" => Unit::Years,
            _ => return Err(not()),
        };
        let period = Period { amount, unit };
        if period.approx_days() > 36_600 {
            return Err(PeriodError::TooLong(s.to_owned()));
        }
        Ok(period)
    }

    fn approx_days(self) -> u64 {
        let per = match self.unit {
            Unit::Days => 1,
            Unit::Weeks => 7,
            Unit::Months => 31,
            Unit::Years => 366,
        };
        u64::from(self.amount) * per
    }

    /// In running text: "24 månader", "24 months"; one of a unit in words,
    /// as Swedish style and IMY write it: "en månad", "ett år", "one month".
    pub fn describe(self, lang: Lang) -> String {
        if self.amount == 1 {
            let words = match (lang, self.unit) {
                (Lang::Sv, Unit::Days) => "en dag",
                (Lang::Sv, Unit::Weeks) => "en vecka",
                (Lang::Sv, Unit::Months) => "en månad",
                (Lang::Sv, Unit::Years) => "ett år",
                (Lang::En, Unit::Days) => "one day",
                (Lang::En, Unit::Weeks) => "one week",
                (Lang::En, Unit::Months) => "one month",
                (Lang::En, Unit::Years) => "one year",
            };
            return words.to_owned();
        }
        self.in_figures(lang)
    }

    /// "24 månader", "24 months", "1 month": as the policy file writes it.
    pub fn in_figures(self, lang: Lang) -> String {
        let one = self.amount == 1;
        let word = match (lang, self.unit) {
            (Lang::Sv, Unit::Days) => {
                if one {
                    "dag"
                } else {
                    "dagar"
                }
            }
            (Lang::Sv, Unit::Weeks) => {
                if one {
                    "vecka"
                } else {
                    "veckor"
                }
            }
            (Lang::Sv, Unit::Months) => {
                if one {
                    "månad"
                } else {
                    "månader"
                }
            }
            (Lang::Sv, Unit::Years) => "år",
            (Lang::En, Unit::Days) => {
                if one {
                    "day"
                } else {
                    "days"
                }
            }
            (Lang::En, Unit::Weeks) => {
                if one {
                    "week"
                } else {
                    "weeks"
                }
            }
            (Lang::En, Unit::Months) => {
                if one {
                    "month"
                } else {
                    "months"
                }
            }
            (Lang::En, Unit::Years) => {
                if one {
                    "year"
                } else {
                    "years"
                }
            }
        };
        format!("{} {word}", self.amount)
    }

    /// The date this period after `date`: months and years in one step,
    /// clamped to the month's end (2024-01-31 + 1 month = 2024-02-29).
    /// `None` beyond the year 9999.
    pub fn after(self, date: Date) -> Option<Date> {
        date.checked_add(self.span()?).ok()
    }

    /// The date this period before `date`, clamped the same way
    /// (2026-02-28 − 24 months = 2024-02-28); `None` before the year -9999.
    pub fn before(self, date: Date) -> Option<Date> {
        date.checked_sub(self.span()?).ok()
    }

    fn span(self) -> Option<Span> {
        let n = i64::from(self.amount);
        match self.unit {
            Unit::Days => Span::new().try_days(n),
            Unit::Weeks => Span::new().try_weeks(n),
            Unit::Months => Span::new().try_months(n),
            Unit::Years => Span::new().try_years(n),
        }
        .ok()
    }

    /// Whether this period is at most `other` for every possible start
    /// date (a month is at most 31 days, a year at most 366).
    pub fn at_most(self, other: Period) -> bool {
        if self.unit == other.unit {
            return self.amount <= other.amount;
        }
        let months = |p: Period| match p.unit {
            Unit::Months => Some(u64::from(p.amount)),
            Unit::Years => Some(u64::from(p.amount) * 12),
            _ => None,
        };
        match (months(self), months(other)) {
            (Some(a), Some(b)) => a <= b,
            _ => {
                let min_days = |p: Period| match p.unit {
                    Unit::Days => u64::from(p.amount),
                    Unit::Weeks => u64::from(p.amount) * 7,
                    Unit::Months => u64::from(p.amount) * 28,
                    Unit::Years => u64::from(p.amount) * 365,
                };
                self.approx_days() <= min_days(other)
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.in_figures(Lang::En))
    }
}

/// What a deadline counts from, as written: collection of the record, or a
/// lifecycle event (checked against the policy's events when resolved).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AnchorName {
    Collection,
    Event(String),
}

/// A deadline as written: `at collection`, `at EVENT`, `N UNIT after
/// collection` or `N UNIT after EVENT`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeadlineExpr {
    /// `None` for "at": the deadline is the anchor itself.
    pub after: Option<Period>,
    pub anchor: AnchorName,
}

impl DeadlineExpr {
    pub fn parse(s: &str) -> Result<DeadlineExpr, PeriodError> {
        let not = || PeriodError::NotADeadline(s.to_owned());
        let trimmed = s.trim();
        let (after, anchor) = if let Some(anchor) = trimmed.strip_prefix("at ") {
            (None, anchor.trim())
        } else {
            let (period, anchor) = trimmed.split_once(" after ").ok_or_else(not)?;
            let period = Period::parse(period).map_err(|e| match e {
                PeriodError::TooLong(_) => e,
                _ => not(),
            })?;
            (Some(period), anchor.trim())
        };
        let anchor = anchor.strip_prefix("the ").unwrap_or(anchor);
        let anchor = anchor.strip_prefix("last ").unwrap_or(anchor);
        if anchor.is_empty() || anchor.contains(char::is_whitespace) {
            return Err(not());
        }
        let anchor = if anchor == "collection" {
            AnchorName::Collection
        } else {
            AnchorName::Event(anchor.to_owned())
        };
        Ok(DeadlineExpr { after, anchor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_in_the_units_a_dpo_writes() {
        assert_eq!(
            Period::parse("24 months"),
            Ok(Period {
                amount: 24,
                unit: Unit::Months
            })
        );
        assert_eq!(
            Period::parse("1 year"),
            Ok(Period {
                amount: 1,
                unit: Unit::Years
            })
        );
        assert!(Period::parse("24").is_err());
        assert!(Period::parse("two months").is_err());
        assert!(Period::parse("-1 months").is_err());
        assert!(Period::parse("24 fortnights").is_err());
        assert!(matches!(
            Period::parse("5000 years"),
            Err(PeriodError::TooLong(_))
        ));
    }

    #[test]
    fn deadlines_name_their_anchor() {
        let d = DeadlineExpr::parse("24 months after contract-end");
        assert_eq!(
            d,
            Ok(DeadlineExpr {
                after: Some(Period {
                    amount: 24,
                    unit: Unit::Months
                }),
                anchor: AnchorName::Event("contract-end".into()),
            })
        );
        assert_eq!(
            DeadlineExpr::parse("24 months after the last contract-end"),
            d
        );
        assert_eq!(
            DeadlineExpr::parse("at collection"),
            Ok(DeadlineExpr {
                after: None,
                anchor: AnchorName::Collection
            })
        );
        assert!(DeadlineExpr::parse("24 months").is_err());
        assert!(DeadlineExpr::parse("after contract-end").is_err());
        assert!(DeadlineExpr::parse("24 months after the end of time").is_err());
    }

    #[test]
    fn one_month_is_at_most_thirty_one_days_not_thirty() {
        let month = Period {
            amount: 1,
            unit: Unit::Months,
        };
        assert!(month.at_most(Period {
            amount: 31,
            unit: Unit::Days
        }));
        assert!(!month.at_most(Period {
            amount: 30,
            unit: Unit::Days
        }));
        assert!(
            Period {
                amount: 4,
                unit: Unit::Weeks
            }
            .at_most(month)
        );
        assert!(
            !Period {
                amount: 5,
                unit: Unit::Weeks
            }
            .at_most(month)
        );
        assert!(
            Period {
                amount: 12,
                unit: Unit::Months
            }
            .at_most(Period {
                amount: 1,
                unit: Unit::Years
            })
        );
    }

    #[test]
    fn periods_read_in_both_languages() {
        let p = Period {
            amount: 26,
            unit: Unit::Months,
        };
        assert_eq!(p.describe(Lang::Sv), "26 månader");
        assert_eq!(p.describe(Lang::En), "26 months");
        assert_eq!(
            Period {
                amount: 1,
                unit: Unit::Months
            }
            .describe(Lang::Sv),
            "en månad"
        );
        assert_eq!(
            Period {
                amount: 1,
                unit: Unit::Years
            }
            .describe(Lang::Sv),
            "ett år"
        );
        assert_eq!(
            Period {
                amount: 1,
                unit: Unit::Months
            }
            .to_string(),
            "1 month"
        );
    }
}
