//! Page views from the website's visit collector (table `page_views`,
//! schema 6): anonymised at collection, counted for statistics, erased
//! by the retention sweep.
//!
//! **Invariant:** no full IP address reaches the ledger: [`Writer::add_page_views`]
//! masks every address it is given, whatever the caller did, and no
//! consent id is kept with a view, only its hash under the day's salt,
//! which is deleted when the day is over.

use std::net::IpAddr;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tillit_core::identity::SubjectId;
use tillit_core::visit::{PageView, mask};

use crate::ledger::micros;
use crate::sql::{Sql, Value};
use crate::{Ledger, StoreError, Writer};

/// A page view as the collector hands it over.
#[derive(Clone, Debug)]
pub struct Visit {
    pub at: Timestamp,
    /// The day it was seen on, in the ledger's zone.
    pub day: Date,
    pub view: PageView,
    /// The visitor's address; masked again here.
    pub address: IpAddr,
    /// The visitor's consent id: only its salted hash is kept.
    pub visitor: SubjectId,
}

/// Page views per page and day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageDay {
    pub day: Date,
    pub path: String,
    pub views: u64,
    pub visitors: u64,
}

/// Rows per multi-row insert.
const ROWS: usize = 64;
const COLUMNS: &str = "at, day, path, referrer_host, screen, lang, address, visitor";

fn insert_rows(n: usize) -> String {
    let rows: Vec<String> = (0..n)
        .map(|r| {
            let slots: Vec<String> = (1..=8).map(|c| format!("${}", r * 8 + c)).collect();
            format!("({})", slots.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO page_views ({COLUMNS}) VALUES {}",
        rows.join(", ")
    )
}

impl Writer<'_> {
    /// Keeps `visits`, each address masked, with one audit entry for
    /// them all; how many.
    pub fn add_page_views(&mut self, visits: &[Visit]) -> Result<usize, StoreError> {
        static MANY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        static ONE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        if visits.is_empty() {
            return Ok(0);
        }
        let mut salts: Vec<(Date, String)> = Vec::new();
        let mut months: Vec<(i16, i8)> = Vec::new();
        for v in visits {
            if !salts.iter().any(|(d, _)| *d == v.day) {
                let salt = salt(self.sql(), v.day)?;
                salts.push((v.day, salt));
            }
            let month = (v.day.year(), v.day.month());
            if !months.contains(&month) {
                months.push(month);
            }
        }
        if self.sql().dialect() == "postgres" {
            for (year, month) in &months {
                ensure_partition(self.sql(), *year, *month)?;
            }
        }
        let row = |v: &Visit| -> [Value; 8] {
            let salt = salts
                .iter()
                .find(|(d, _)| *d == v.day)
                .map_or("", |(_, s)| s.as_str());
            [
                micros(v.at).into(),
                v.day.to_string().into(),
                v.view.path.as_str().into(),
                v.view.referrer_host.clone().into(),
                v.view.screen.map(|s| s.id()).into(),
                v.view.lang.clone().into(),
                mask(v.address).to_string().into(),
                visitor_hash(salt, &v.visitor).into(),
            ]
        };
        let many = MANY.get_or_init(|| insert_rows(ROWS)).as_str();
        let one = ONE.get_or_init(|| insert_rows(1)).as_str();
        let mut chunks = visits.chunks_exact(ROWS);
        for chunk in chunks.by_ref() {
            let values: Vec<Value> = chunk.iter().flat_map(row).collect();
            self.sql().execute(many, &values)?;
        }
        for v in chunks.remainder() {
            self.sql().execute(one, &row(v))?;
        }
        let days: Vec<String> = salts.iter().map(|(d, _)| d.to_string()).collect();
        self.audit(
            "page-views-collected",
            None,
            &json!({ "views": visits.len(), "days": days }),
        )?;
        Ok(visits.len())
    }

    /// Erases the page views of `cutoff` and every day before it, with
    /// one audit entry; how many. On PostgreSQL a month wholly before the
    /// cutoff goes as a partition.
    pub fn erase_page_views(&mut self, cutoff: Date, rule: &str) -> Result<u64, StoreError> {
        let mut erased = 0;
        if self.sql().dialect() == "postgres" {
            let partitions = self.sql().query(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'page_views'::regclass",
                &[],
            )?;
            for p in partitions {
                let name = p.text(0)?;
                let Some((year, month)) = partition_month(&name) else {
                    continue;
                };
                let (Ok(first), Some(next)) = (Date::new(year, month, 1), month_after(year, month))
                else {
                    continue;
                };
                if next <= cutoff.tomorrow().unwrap_or(cutoff) {
                    let n = self
                        .sql()
                        .query_one(
                            "SELECT COUNT(*) FROM page_views WHERE day >= $1 AND day < $2",
                            &[first.to_string().into(), next.to_string().into()],
                        )?
                        .int(0)?;
                    self.sql().execute_schema(&format!("DROP TABLE {name}"))?;
                    erased += u64::try_from(n).unwrap_or(0);
                }
            }
        }
        erased += self.sql().execute(
            "DELETE FROM page_views WHERE day <= $1",
            &[cutoff.to_string().into()],
        )?;
        if erased > 0 {
            self.audit(
                "page-views-erased",
                None,
                &json!({ "rule": rule, "through": cutoff.to_string(), "views": erased }),
            )?;
        }
        Ok(erased)
    }
}

fn partition_month(name: &str) -> Option<(i16, i8)> {
    let digits = name.strip_prefix("page_views_")?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = digits.get(..4)?.parse().ok()?;
    let month = digits.get(4..)?.parse().ok()?;
    Some((year, month))
}

fn month_after(year: i16, month: i8) -> Option<Date> {
    Date::new(year, month, 1)
        .ok()?
        .checked_add(jiff::Span::new().months(1))
        .ok()
}

fn ensure_partition(sql: &mut dyn Sql, year: i16, month: i8) -> Result<(), StoreError> {
    let first = Date::new(year, month, 1).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let next = month_after(year, month).ok_or(StoreError::Corrupt("a month beyond 9999".into()))?;
    sql.execute_schema(&format!(
        "CREATE TABLE IF NOT EXISTS page_views_{year:04}{month:02} PARTITION OF page_views
         FOR VALUES FROM ('{first}') TO ('{next}')"
    ))
}

/// The day's salt, made on its first view; yesterday's and older go, so
/// their hashes can no longer be tied to anyone.
fn salt(sql: &mut dyn Sql, day: Date) -> Result<String, StoreError> {
    let day = day.to_string();
    if let Some(r) = sql.query_opt(
        "SELECT salt FROM visitor_salts WHERE day = $1",
        &[day.as_str().into()],
    )? {
        return r.text(0);
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Database(format!("no randomness for a salt: {e}")))?;
    let salt = hex::encode(bytes);
    sql.execute(
        "DELETE FROM visitor_salts WHERE day < $1",
        &[day.as_str().into()],
    )?;
    sql.execute(
        "INSERT INTO visitor_salts (day, salt) VALUES ($1, $2)",
        &[day.as_str().into(), salt.as_str().into()],
    )?;
    Ok(salt)
}

fn visitor_hash(salt: &str, visitor: &SubjectId) -> i64 {
    let digest = Sha256::new()
        .chain_update(salt.as_bytes())
        .chain_update([0])
        .chain_update(visitor.as_str().as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    i64::from_be_bytes(first)
}

impl Ledger {
    /// Views and distinct visitors per page and day, `from` through `to`.
    pub fn page_views(&mut self, from: Date, to: Date) -> Result<Vec<PageDay>, StoreError> {
        self.read_with(|sql| {
            let mut out = Vec::new();
            sql.for_each(
                "SELECT day, path, COUNT(*), COUNT(DISTINCT visitor) FROM page_views
                 WHERE day >= $1 AND day <= $2 GROUP BY day, path ORDER BY day, path",
                &[from.to_string().into(), to.to_string().into()],
                &mut |r| {
                    out.push(PageDay {
                        day: r
                            .str(0)?
                            .parse()
                            .map_err(|e| StoreError::Corrupt(format!("a page view's day: {e}")))?,
                        path: r.text(1)?,
                        views: u64::try_from(r.int(2)?).unwrap_or(0),
                        visitors: u64::try_from(r.int(3)?).unwrap_or(0),
                    });
                    Ok(())
                },
            )?;
            Ok(out)
        })
    }

    /// The channel of the subject's last consent event for `purpose`.
    pub fn last_consent_channel(
        &mut self,
        subject: &SubjectId,
        purpose: &str,
    ) -> Result<Option<String>, StoreError> {
        self.read_with(|sql| {
            sql.query_opt(
                "SELECT channel FROM consents WHERE subject_id = $1 AND purpose = $2
                 ORDER BY id DESC LIMIT 1",
                &[subject.as_str().into(), purpose.into()],
            )?
            .map(|r| r.text(0))
            .transpose()
        })
    }

    /// How many page views the ledger holds.
    pub fn page_view_count(&mut self) -> Result<u64, StoreError> {
        self.read_with(|sql| {
            let n = sql
                .query_one("SELECT COUNT(*) FROM page_views", &[])?
                .int(0)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }
}
