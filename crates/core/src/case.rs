//! A data subject's request (a case) and its legal clock.
//!
//! GDPR Art. 12(3): the controller answers without undue delay and within
//! one month of receipt; it may extend that by up to two further months
//! if it tells the subject, with reasons, within the first month. Months
//! are calendar months (Reg. 1182/71): the deadline is the same date one
//! month on, or the month's last day where it has no such date
//! (31 January → 28 or 29 February), and the case is due by the end of
//! that day in Stockholm.
//!
//! The deadline kept here is the strict one: where it falls on a weekend
//! or holiday, Reg. 1182/71 Art. 3(4) would allow the next working day,
//! but a deadline met early is never missed.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::period::{Period, Unit};
use crate::rights::Right;

/// How many months an extension may add, in all (Art. 12(3)).
pub const MAX_EXTENSION_MONTHS: u8 = 2;

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Received; the subject's identity is not yet verified.
    Open,
    /// Identity verified; the answer is being prepared.
    Verified,
    /// Answered.
    Closed,
}

impl Status {
    pub fn id(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Verified => "verified",
            Status::Closed => "closed",
        }
    }
}

/// The kind of request: the right the subject exercises.
pub fn kind_named(s: &str) -> Option<Right> {
    match s {
        "access" => Some(Right::Access),
        "rectification" => Some(Right::Rectification),
        "erasure" => Some(Right::Erasure),
        "restriction" => Some(Right::Restriction),
        "objection" => Some(Right::Objection),
        "portability" => Some(Right::Portability),
        "withdrawal" | "withdraw-consent" => Some(Right::WithdrawConsent),
        _ => None,
    }
}

/// The name of a request of the kind `right`, as [`KIND_NAMES`] has it.
pub fn kind_name(right: Right) -> &'static str {
    match right {
        Right::WithdrawConsent => "withdrawal",
        other => other.id(),
    }
}

/// The kinds, as the command line names them.
pub const KIND_NAMES: [&str; 7] = [
    "access",
    "rectification",
    "erasure",
    "restriction",
    "objection",
    "portability",
    "withdrawal",
];

/// The day a case received on `received` is due: one calendar month on.
pub fn due_on(received: Date) -> Option<Date> {
    months(1).after(received)
}

fn months(n: u8) -> Period {
    Period {
        amount: u32::from(n),
        unit: Unit::Months,
    }
}

/// Why an extension is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionRefused {
    #[error(
        "the first month ended on {due}: Art. 12(3) allows an extension only if the subject is told within the first month"
    )]
    AfterFirstMonth { due: Date },
    #[error(
        "an extension adds one or two months in all (Art. 12(3)); this case is extended by {already} already"
    )]
    TooLong { already: u8 },
    #[error("the case is closed")]
    Closed,
    #[error("give the reasons the subject will be told (Art. 12(3))")]
    NoReason,
}

/// The legal clock of one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Clock {
    /// The day the request was received, in Stockholm.
    pub received_on: Date,
    /// One month on: the deadline without extension.
    pub first_month_ends: Date,
    /// Months added by extension (0, 1 or 2).
    pub extended_months: u8,
    /// The deadline in force.
    pub due_on: Date,
}

impl Clock {
    /// The clock of a request received at `received`.
    pub fn start(received: Timestamp, tz: &TimeZone) -> Option<Clock> {
        let received_on = tz.to_datetime(received).date();
        let first = due_on(received_on)?;
        Some(Clock {
            received_on,
            first_month_ends: first,
            extended_months: 0,
            due_on: first,
        })
    }

    /// The clock after an extension of `by` months decided at `at`. Two
    /// readings of "two further months" differ at a month's end: counted
    /// from receipt (31 January + 3 months = 30 April) or from the first
    /// deadline (28 February + 2 months = 28 April). The earlier is kept:
    /// a deadline met early is never missed.
    pub fn extend(
        self,
        by: u8,
        at: Timestamp,
        tz: &TimeZone,
        closed: bool,
    ) -> Result<Clock, ExtensionRefused> {
        if closed {
            return Err(ExtensionRefused::Closed);
        }
        let today = tz.to_datetime(at).date();
        if today > self.first_month_ends {
            return Err(ExtensionRefused::AfterFirstMonth {
                due: self.first_month_ends,
            });
        }
        let total = self.extended_months.saturating_add(by);
        if by == 0 || total > MAX_EXTENSION_MONTHS {
            return Err(ExtensionRefused::TooLong {
                already: self.extended_months,
            });
        }
        let too_long = ExtensionRefused::TooLong {
            already: self.extended_months,
        };
        let from_receipt = months(1 + total).after(self.received_on);
        let from_first = months(total).after(self.first_month_ends);
        let due_on = from_receipt
            .into_iter()
            .chain(from_first)
            .min()
            .ok_or(too_long)?;
        Ok(Clock {
            extended_months: total,
            due_on,
            ..self
        })
    }

    /// Whether the deadline has passed at `at` without an answer: the
    /// case was due by the end of `due_on`.
    pub fn overdue(&self, at: Timestamp, tz: &TimeZone) -> bool {
        tz.to_datetime(at).date() > self.due_on
    }

    /// Whole days left until the deadline at `at` (negative once passed).
    pub fn days_left(&self, at: Timestamp, tz: &TimeZone) -> i32 {
        let today = tz.to_datetime(at).date();
        today.until(self.due_on).map_or(0, |span| span.get_days())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn tz() -> TimeZone {
        TimeZone::get("Europe/Stockholm").unwrap()
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn every_kind_name_reads_back_as_its_right() {
        for name in KIND_NAMES {
            assert_eq!(kind_named(name).map(kind_name), Some(name));
        }
    }

    #[test]
    fn one_calendar_month_clamped_to_the_months_end() {
        for (received, due) in [
            ("2026-01-15", "2026-02-15"),
            ("2026-01-31", "2026-02-28"),
            ("2028-01-31", "2028-02-29"),
            ("2026-03-31", "2026-04-30"),
            ("2026-12-31", "2027-01-31"),
            ("2026-02-28", "2026-03-28"),
        ] {
            assert_eq!(due_on(d(received)), Some(d(due)), "{received}");
        }
    }

    #[test]
    fn receipt_is_a_day_in_stockholm() {
        // 23:30 UTC on 31 January is 1 February in Stockholm.
        let c = Clock::start(at("2026-01-31T23:30:00Z"), &tz()).unwrap();
        assert_eq!(c.received_on, d("2026-02-01"));
        assert_eq!(c.due_on, d("2026-03-01"));
    }

    #[test]
    fn extension_counts_from_receipt_and_only_within_the_first_month() {
        let tz = tz();
        let c = Clock::start(at("2026-01-31T10:00:00Z"), &tz).unwrap();
        assert_eq!(c.due_on, d("2026-02-28"));
        let two = c.extend(2, at("2026-02-28T20:00:00Z"), &tz, false).unwrap();
        assert_eq!(
            two.due_on,
            d("2026-04-28"),
            "28 February + 2 months, earlier than 31 January + 3 months"
        );
        let one = c.extend(1, at("2026-02-10T10:00:00Z"), &tz, false).unwrap();
        assert_eq!(one.due_on, d("2026-03-28"));
        assert_eq!(
            one.extend(1, at("2026-02-11T10:00:00Z"), &tz, false)
                .unwrap()
                .due_on,
            d("2026-04-28")
        );
        // Where both readings agree, nothing changes.
        let mid = Clock::start(at("2026-01-15T10:00:00Z"), &tz).unwrap();
        assert_eq!(
            mid.extend(2, at("2026-01-20T10:00:00Z"), &tz, false)
                .unwrap()
                .due_on,
            d("2026-04-15")
        );
        // Received 30 November: 30 December, then 28 or 29 February.
        let nov = Clock::start(at("2027-11-30T10:00:00Z"), &tz).unwrap();
        assert_eq!(
            nov.extend(2, at("2027-12-01T10:00:00Z"), &tz, false)
                .unwrap()
                .due_on,
            d("2028-02-29")
        );
        assert_eq!(
            one.extend(2, at("2026-02-11T10:00:00Z"), &tz, false),
            Err(ExtensionRefused::TooLong { already: 1 })
        );
        // 1 March in Stockholm: the first month is over.
        assert_eq!(
            c.extend(1, at("2026-02-28T23:30:00Z"), &tz, false),
            Err(ExtensionRefused::AfterFirstMonth {
                due: d("2026-02-28")
            })
        );
        assert_eq!(
            c.extend(1, at("2026-02-01T10:00:00Z"), &tz, true),
            Err(ExtensionRefused::Closed)
        );
    }

    #[test]
    fn overdue_from_the_day_after_the_deadline() {
        let tz = tz();
        let c = Clock::start(at("2026-03-31T08:00:00Z"), &tz).unwrap();
        assert_eq!(c.due_on, d("2026-04-30"));
        assert!(!c.overdue(at("2026-04-30T21:59:59Z"), &tz));
        assert!(c.overdue(at("2026-04-30T22:00:00Z"), &tz));
        assert_eq!(c.days_left(at("2026-04-28T12:00:00Z"), &tz), 2);
        assert_eq!(c.days_left(at("2026-05-02T12:00:00Z"), &tz), -2);
    }
}
