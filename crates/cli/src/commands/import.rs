//! `tillit import`

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jiff::ZonedDateTime as Zoned;
use serde::Serialize;
use tillit_core::Policy;
use tillit_core::identity::{Email, Identifier, Personnummer, Phone, SubjectId};
use tillit_core::ledger::{NewRecord, NewSubject, RecordRequest};
use tillit_store::StoreError;

use super::{Context, emit_json};
use crate::{at, progress};

/// Rows per transaction.
const BATCH: usize = 1000;

/// Import records from a CSV file, one record per row.
///
/// The first line names the columns. `subject` (the subject's id) is
/// required; `email`, `phone` and `personnummer` become the subject's
/// identifiers (a new subject is added where needed); `ref` is the
/// record's reference; every other column goes into the record's payload.
/// Each row is checked against the policy first; a bad row is reported by
/// its line number and skipped, and nothing of it is written. Good rows are
/// kept. Exits 1 if any row was bad.
///
/// Example: tillit import --source public-register --register SPAR addresses.csv
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The CSV file.
    file: PathBuf,
    /// Where the data came from: a source of the policy.
    #[arg(long)]
    source: String,
    /// The register the rows come from (default: the policy's, for the
    /// source).
    #[arg(long, value_name = "NAME")]
    register: Option<String>,
    /// The kind of record (default: the one kind the policy collects from
    /// the source).
    #[arg(long)]
    kind: Option<String>,
    /// When the data was obtained (default: now); the subjects must be
    /// informed within the source's period from then (GDPR Art. 14(3)).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct BadRow {
    line: u64,
    error: String,
}

#[derive(Serialize, Default)]
struct Summary {
    imported: u64,
    new_subjects: u64,
    bad_rows: Vec<BadRow>,
}

/// What a row becomes.
struct Row {
    line: u64,
    subject: NewSubject,
    record: NewRecord,
}

struct Columns {
    subject: usize,
    email: Option<usize>,
    phone: Option<usize>,
    personnummer: Option<usize>,
    reference: Option<usize>,
    payload: Vec<(usize, String)>,
}

impl Columns {
    fn from_headers(headers: &csv::StringRecord) -> anyhow::Result<Columns> {
        let find = |name: &str| headers.iter().position(|h| h.trim() == name);
        let subject = find("subject").ok_or_else(|| {
            anyhow::anyhow!(
                "the first line names no `subject` column; it has: {}",
                headers.iter().collect::<Vec<_>>().join(", ")
            )
        })?;
        let special = ["subject", "email", "phone", "personnummer", "ref"];
        Ok(Columns {
            subject,
            email: find("email"),
            phone: find("phone"),
            personnummer: find("personnummer"),
            reference: find("ref"),
            payload: headers
                .iter()
                .enumerate()
                .filter(|(_, h)| !special.contains(&h.trim()))
                .map(|(i, h)| (i, h.trim().to_owned()))
                .collect(),
        })
    }
}

fn default_kind(policy: &Policy, source: &str) -> anyhow::Result<String> {
    let kinds: Vec<&str> = policy
        .kinds
        .iter()
        .filter(|(_, k)| k.sources.iter().any(|s| s.as_str() == source))
        .map(|(id, _)| id.as_str())
        .collect();
    match kinds.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => anyhow::bail!("the policy collects no kind of record from `{source}`"),
        many => anyhow::bail!(
            "the policy collects several kinds from `{source}` ({}); name one with --kind",
            many.join(", ")
        ),
    }
}

pub fn run(cx: &Context, a: Args) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.at.clone())?;
    let policy = cx.policy()?;
    policy.source_named(&a.source)?;
    let kind = match &a.kind {
        Some(k) => k.clone(),
        None => default_kind(&policy, &a.source)?,
    };
    let category = policy
        .kinds
        .get(policy.kind_named(&kind)?.as_str())
        .map(|k| k.category.to_string())
        .unwrap_or_default();
    let file =
        File::open(&a.file).with_context(|| format!("cannot read `{}`", a.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let headers = reader
        .headers()
        .with_context(|| format!("`{}`: cannot read the first line", a.file.display()))?
        .clone();
    let columns =
        Columns::from_headers(&headers).with_context(|| format!("`{}`", a.file.display()))?;

    let mut ledger = cx.ledger()?;
    let bar = progress::bar(size, "importing");
    let mut summary = Summary::default();
    let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    let name = a.file.display().to_string();
    loop {
        let line = reader.position().line() + 1;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line, |p| p.line());
                match parse_row(&policy, &columns, &record, &a, &kind, &category, &at) {
                    Ok((subject, rec)) => batch.push(Row {
                        line,
                        subject,
                        record: rec,
                    }),
                    Err(e) => summary.bad_rows.push(BadRow {
                        line,
                        error: e.to_string(),
                    }),
                }
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                let error = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("has {len} fields where the first line names {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".to_owned(),
                    csv::ErrorKind::Io(_) => {
                        return Err(anyhow::anyhow!("cannot read `{name}`: {e}"));
                    }
                    _ => e.to_string(),
                };
                summary.bad_rows.push(BadRow { line, error });
            }
        }
        if batch.len() >= BATCH {
            write_batch(&mut ledger, at.timestamp(), &mut batch, &mut summary)
                .with_context(|| interrupted(&name, &summary))?;
            bar.set_position(reader.position().byte());
        }
    }
    write_batch(&mut ledger, at.timestamp(), &mut batch, &mut summary)
        .with_context(|| interrupted(&name, &summary))?;
    bar.finish_and_clear();
    summary.bad_rows.sort_by_key(|b| b.line);

    if a.json {
        emit_json(&summary)?;
    } else {
        for b in &summary.bad_rows {
            eprintln!("{name}:{}: {}", b.line, b.error);
        }
        println!(
            "imported {} row{} from {name} ({} new subject{}){}",
            summary.imported,
            plural(summary.imported),
            summary.new_subjects,
            plural(summary.new_subjects),
            if summary.bad_rows.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} bad row{} skipped",
                    summary.bad_rows.len(),
                    plural(summary.bad_rows.len() as u64)
                )
            }
        );
    }
    Ok(if summary.bad_rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn interrupted(name: &str, s: &Summary) -> String {
    format!(
        "import of `{name}` stopped; the {} rows before this batch are kept",
        s.imported
    )
}

fn parse_row(
    policy: &Policy,
    columns: &Columns,
    record: &csv::StringRecord,
    a: &Args,
    kind: &str,
    category: &str,
    at: &Zoned,
) -> anyhow::Result<(NewSubject, NewRecord)> {
    let cell = |i: Option<usize>| {
        i.and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let subject_cell = cell(Some(columns.subject))
        .ok_or_else(|| anyhow::anyhow!("the `subject` cell is empty"))?;
    let id = SubjectId::parse(subject_cell)?;
    let mut identifiers = Vec::new();
    if let Some(e) = cell(columns.email) {
        identifiers.push(Identifier::Email(Email::parse(e)?));
    }
    if let Some(p) = cell(columns.phone) {
        identifiers.push(Identifier::Phone(Phone::parse(p)?));
    }
    if let Some(p) = cell(columns.personnummer) {
        identifiers.push(Identifier::Personnummer(Personnummer::parse(p, at.date())?));
    }
    let payload: serde_json::Map<String, serde_json::Value> = columns
        .payload
        .iter()
        .filter_map(|(i, name)| cell(Some(*i)).map(|v| (name.clone(), v.into())))
        .collect();
    let rec = NewRecord::new(
        policy,
        RecordRequest {
            subject: id.clone(),
            category,
            kind,
            source: &a.source,
            register: a.register.as_deref(),
            reference: cell(columns.reference).map(str::to_owned),
            accounting: false,
            payload: (!payload.is_empty()).then_some(payload.into()),
            collected_at: at.clone(),
            dated: None,
        },
    )?;
    Ok((NewSubject { id, identifiers }, rec))
}

/// Writes the rows in one transaction. A row the ledger refuses (its
/// identifier is someone else's) is reported and leaves nothing behind;
/// any other failure rolls the whole batch back.
fn write_batch(
    ledger: &mut tillit_store::Ledger,
    at: jiff::Timestamp,
    batch: &mut Vec<Row>,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let (imported, new_subjects, bad) = ledger.write(at, |w| {
        let (mut imported, mut new_subjects, mut bad) = (0, 0, Vec::new());
        for row in batch.iter() {
            match w.ensure_subject(&row.subject) {
                Ok(new) => {
                    w.add_record(&row.record)?;
                    imported += 1;
                    new_subjects += u64::from(new);
                }
                Err(e @ StoreError::IdentifierTaken { .. }) => bad.push(BadRow {
                    line: row.line,
                    error: e.to_string(),
                }),
                Err(e) => return Err(e),
            }
        }
        Ok((imported, new_subjects, bad))
    })?;
    summary.imported += imported;
    summary.new_subjects += new_subjects;
    summary.bad_rows.extend(bad);
    batch.clear();
    Ok(())
}
