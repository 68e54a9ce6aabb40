//! Data subjects' requests as cases in the ledger: opened with their legal
//! clock, extended within the first month, verified before any data
//! leaves, and closed with the response stored.
//!
//! **Invariant:** every change to a case is one transaction with its audit
//! entry; a case's clock only ever moves as core's [`Clock`] allows.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tillit_core::case::{Clock, ExtensionRefused, Status, kind_named};
use tillit_core::identity::SubjectId;
use tillit_core::rights::Right;

use crate::ledger::{micros, opt_timestamp, timestamp};
use crate::sql::{Row, Sql};
use crate::{Ledger, StoreError, Writer};

/// One case.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Case {
    pub id: i64,
    pub subject: String,
    pub kind: Right,
    pub received_at: Timestamp,
    #[serde(flatten)]
    pub clock: Clock,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closing>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub at: Timestamp,
    pub reason: String,
}

/// How the subject's identity was verified, and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub at: Timestamp,
    pub by: String,
    pub method: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Closing {
    pub at: Timestamp,
    /// In a word: `answered`, `erased`, `partly-erased`, `refused`, …
    pub outcome: String,
    pub response_sha256: Option<String>,
}

impl Case {
    /// The case as JSON, with its kind's name, its status and its clock
    /// as it stands at `at`.
    pub fn report(&self, at: Timestamp, tz: &TimeZone) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "kind".into(),
                tillit_core::case::kind_name(self.kind).into(),
            );
            o.insert("status".into(), self.status().id().into());
            o.insert("overdue".into(), self.overdue(at, tz).into());
            o.insert("days_left".into(), self.clock.days_left(at, tz).into());
        }
        v
    }

    pub fn status(&self) -> Status {
        if self.closed.is_some() {
            Status::Closed
        } else if self.verification.is_some() {
            Status::Verified
        } else {
            Status::Open
        }
    }

    /// Refuses to answer this case as a request of `kind` unless it is
    /// open, of that kind and, where data leaves, verified: what
    /// [`Writer::case_to_answer`] checks again inside the answering
    /// transaction.
    pub fn answerable(&self, kind: Right) -> Result<(), StoreError> {
        if self.closed.is_some() {
            return Err(StoreError::RequestClosed(self.id));
        }
        if self.kind != kind {
            return Err(StoreError::WrongKind {
                id: self.id,
                kind: self.kind.id(),
                wanted: kind.id(),
            });
        }
        if matches!(kind, Right::Access | Right::Portability) && self.verification.is_none() {
            return Err(StoreError::Unverified(self.id));
        }
        Ok(())
    }

    /// Not answered, and its deadline passed by `at`.
    pub fn overdue(&self, at: Timestamp, tz: &TimeZone) -> bool {
        self.closed.is_none() && self.clock.overdue(at, tz)
    }
}

const COLUMNS: &str =
    "id, subject_id, kind, received_at, first_month_ends, due_on, extended_months,
    extension_reason, extended_at, verified_at, verified_by, verification, closed_at, outcome,
    response_sha256, received_on";

fn case(r: &Row) -> Result<Case, StoreError> {
    let date = |i: usize| -> Result<Date, StoreError> {
        r.str(i)?
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("a request's date: {e}")))
    };
    let kind = r.str(2)?;
    let received_at = timestamp(r.int(3)?)?;
    let first = date(4)?;
    let extended_months = u8::try_from(r.int(6)?)
        .map_err(|_| StoreError::Corrupt("a request's extension is out of range".into()))?;
    let received_on = date(15)?;
    Ok(Case {
        id: r.int(0)?,
        subject: r.text(1)?,
        kind: kind_named(kind)
            .ok_or_else(|| StoreError::Corrupt(format!("a request of unknown kind `{kind}`")))?,
        received_at,
        clock: Clock {
            received_on,
            first_month_ends: first,
            extended_months,
            due_on: date(5)?,
        },
        extension: match (r.opt_int(8)?, r.opt_text(7)?) {
            (Some(at), Some(reason)) => Some(Extension {
                at: timestamp(at)?,
                reason,
            }),
            _ => None,
        },
        verification: match (
            opt_timestamp(r.opt_int(9)?)?,
            r.opt_text(10)?,
            r.opt_text(11)?,
        ) {
            (Some(at), Some(by), Some(method)) => Some(Verification { at, by, method }),
            _ => None,
        },
        closed: match (opt_timestamp(r.opt_int(12)?)?, r.opt_text(13)?) {
            (Some(at), Some(outcome)) => Some(Closing {
                at,
                outcome,
                response_sha256: r.opt_text(14)?,
            }),
            _ => None,
        },
    })
}

fn load(sql: &mut dyn Sql, id: i64) -> Result<Option<Case>, StoreError> {
    static ONE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let statement = ONE.get_or_init(|| format!("SELECT {COLUMNS} FROM requests WHERE id = $1"));
    sql.query_opt(statement, &[id.into()])?
        .map(|r| case(&r))
        .transpose()
}

/// Which cases a listing shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter {
    /// Closed cases too.
    pub closed: bool,
    /// Only cases open past their deadline at this instant.
    pub overdue_at: Option<Timestamp>,
    /// Only cases due on or before this day.
    pub due_by: Option<Date>,
}

impl Ledger {
    /// One case.
    pub fn request(&mut self, id: i64) -> Result<Option<Case>, StoreError> {
        self.read_with(|sql| load(sql, id))
    }

    /// The queue: cases by deadline, the earliest first.
    pub fn requests(&mut self, filter: Filter, tz: &TimeZone) -> Result<Vec<Case>, StoreError> {
        static OPEN: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
        let [open, all] = OPEN.get_or_init(|| {
            [
                format!(
                    "SELECT {COLUMNS} FROM requests WHERE closed_at IS NULL ORDER BY due_on, id"
                ),
                format!("SELECT {COLUMNS} FROM requests ORDER BY due_on, id"),
            ]
        });
        let statement = if filter.closed { all } else { open };
        let cases = self.read_with(|sql| {
            sql.query(statement, &[])?
                .iter()
                .map(case)
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(cases
            .into_iter()
            .filter(|c| filter.overdue_at.is_none_or(|at| c.overdue(at, tz)))
            .filter(|c| filter.due_by.is_none_or(|d| c.clock.due_on <= d))
            .collect())
    }
}

impl Writer<'_> {
    /// Opens a case for `subject`, received at `received`; its id.
    pub fn open_request(
        &mut self,
        subject: &SubjectId,
        kind: Right,
        received: Timestamp,
        tz: &TimeZone,
    ) -> Result<i64, StoreError> {
        let pseudonym = self.require_subject(subject)?;
        let clock = Clock::start(received, tz).ok_or(StoreError::OutOfRange(received))?;
        let id = self
            .sql()
            .query_one(
                "INSERT INTO requests (subject_id, kind, received_at, received_on, first_month_ends, due_on)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    subject.as_str().into(),
                    kind.id().into(),
                    micros(received).into(),
                    clock.received_on.to_string().into(),
                    clock.first_month_ends.to_string().into(),
                    clock.due_on.to_string().into(),
                ],
            )?
            .int(0)?;
        self.audit(
            "request-opened",
            Some(&pseudonym),
            &json!({
                "request": id,
                "kind": kind.id(),
                "received": micros(received),
                "due": clock.due_on.to_string(),
            }),
        )?;
        Ok(id)
    }

    fn open_case(&mut self, id: i64) -> Result<(Case, String), StoreError> {
        let case = load(self.sql(), id)?.ok_or(StoreError::NoSuchRequest(id))?;
        if case.closed.is_some() {
            return Err(StoreError::RequestClosed(id));
        }
        // The subject may have been erased by this very request.
        let pseudonym = self
            .sql()
            .query_one(
                "SELECT pseudonym FROM subjects WHERE id = $1",
                &[case.subject.as_str().into()],
            )?
            .text(0)?;
        Ok((case, pseudonym))
    }

    /// Extends a case by `months`, for `reason`, decided now; the new
    /// clock.
    pub fn extend_request(
        &mut self,
        id: i64,
        months: u8,
        reason: &str,
        tz: &TimeZone,
    ) -> Result<Clock, StoreError> {
        let case = load(self.sql(), id)?.ok_or(StoreError::NoSuchRequest(id))?;
        // A decision counts from when it is recorded, whatever instant it
        // claims: an extension entered after the first month, dated
        // within it, is refused.
        let at = timestamp(self.at_micros().max(self.recorded_micros()))?;
        let extended = if reason.trim().is_empty() {
            Err(ExtensionRefused::NoReason)
        } else {
            case.clock.extend(months, at, tz, case.closed.is_some())
        }
        .map_err(|why| StoreError::ExtensionRefused { id, why })?;
        let (_, pseudonym) = self.open_case(id)?;
        let now = self.at_micros();
        self.sql().execute(
            "UPDATE requests SET due_on = $1, extended_months = $2, extension_reason = $3,
                    extended_at = $4
             WHERE id = $5",
            &[
                extended.due_on.to_string().into(),
                i64::from(extended.extended_months).into(),
                reason.into(),
                now.into(),
                id.into(),
            ],
        )?;
        self.audit(
            "request-extended",
            Some(&pseudonym),
            &json!({ "request": id, "months": months, "due": extended.due_on.to_string() }),
        )?;
        Ok(extended)
    }

    /// Records how the subject's identity was verified.
    pub fn verify_request(&mut self, id: i64, by: &str, method: &str) -> Result<(), StoreError> {
        crate::ledger::plain_text("who verified (by)", by)?;
        crate::ledger::plain_text("how (method)", method)?;
        let (_, pseudonym) = self.open_case(id)?;
        let now = self.at_micros();
        self.sql().execute(
            "UPDATE requests SET verified_at = $1, verified_by = $2, verification = $3 WHERE id = $4",
            &[now.into(), by.into(), method.into(), id.into()],
        )?;
        self.audit(
            "request-verified",
            Some(&pseudonym),
            &json!({ "request": id }),
        )?;
        Ok(())
    }

    /// The open case `id`, refused unless it is of `kind` and, where data
    /// leaves, verified.
    pub fn case_to_answer(&mut self, id: i64, kind: Right) -> Result<Case, StoreError> {
        let (case, _) = self.open_case(id)?;
        case.answerable(kind)?;
        Ok(case)
    }

    /// Closes a case with its outcome and response; the response's
    /// SHA-256, which the audit entry carries.
    pub fn close_request(
        &mut self,
        id: i64,
        outcome: &str,
        response: &serde_json::Value,
    ) -> Result<String, StoreError> {
        let (_, pseudonym) = self.open_case(id)?;
        let text = response.to_string();
        let digest = hex::encode(Sha256::digest(text.as_bytes()));
        let now = self.at_micros();
        self.sql().execute(
            "UPDATE requests SET closed_at = $1, outcome = $2, response = $3, response_sha256 = $4
             WHERE id = $5",
            &[
                now.into(),
                outcome.into(),
                text.into(),
                digest.as_str().into(),
                id.into(),
            ],
        )?;
        self.audit(
            "request-closed",
            Some(&pseudonym),
            &json!({ "request": id, "outcome": outcome, "response_sha256": digest }),
        )?;
        Ok(digest)
    }
}

impl Writer<'_> {
    /// Replaces an active record's content with the corrected one
    /// (Art. 16).
    pub fn rectify_record(
        &mut self,
        subject: &SubjectId,
        record: i64,
        content: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let pseudonym = self.require_subject(subject)?;
        let n = self.sql().execute(
            "UPDATE records SET payload = $1 WHERE id = $2 AND subject_id = $3 AND state = 'active'",
            &[content.to_string().into(), record.into(), subject.as_str().into()],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuch {
                what: "active record",
                id: record,
                subject: subject.to_string(),
            });
        }
        self.audit(
            "record-rectified",
            Some(&pseudonym),
            &json!({ "record": record }),
        )?;
        Ok(())
    }
}
