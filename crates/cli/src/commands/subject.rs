//! `tillit subject add|show|find`

use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use serde_json::json;
use tillit_core::identity::{Identifier, SubjectId};
use tillit_core::ledger::NewSubject;
use tillit_store::SubjectFile;

use super::{Context, emit_json, say, subject_id};
use crate::at;

/// Data subjects: the people the ledger holds data about.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Add(AddArgs),
    Show(ShowArgs),
    Find(FindArgs),
}

/// The identifiers a subject is found by.
#[derive(clap::Args, Debug)]
pub struct IdentifierArgs {
    /// E-mail address (stored lowercased).
    #[arg(long, value_name = "ADDRESS")]
    email: Option<String>,
    /// Phone number; a national number is taken as Swedish.
    #[arg(long, value_name = "NUMBER")]
    phone: Option<String>,
    /// Swedish personnummer or samordningsnummer, YYYYMMDD-NNNN or
    /// YYMMDD-NNNN; checked by date and check digit. Shown masked to every
    /// role the policy does not let see it.
    #[arg(long, value_name = "NUMBER")]
    personnummer: Option<String>,
}

impl IdentifierArgs {
    fn parse(&self, today: jiff::civil::Date) -> anyhow::Result<Vec<Identifier>> {
        Ok(Identifier::each(
            self.email.as_deref(),
            self.phone.as_deref(),
            self.personnummer.as_deref(),
            today,
        )?)
    }
}

/// Add a data subject under an id of your choosing (a customer number).
///
/// The audit chain names the subject only by a random pseudonym.
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// The subject's stable id.
    #[arg(long, value_parser = subject_id)]
    id: SubjectId,
    #[command(flatten)]
    identifiers: IdentifierArgs,
    /// When the subject was added (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

/// Show everything the ledger holds about a subject.
///
/// A personnummer is masked (YYYYMMDD-****) unless --as names a role the
/// policy lets see it (`sees-personnummer = true`).
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    #[arg(value_parser = subject_id)]
    id: SubjectId,
    /// The role asking: it sees only what it needs to know (the records
    /// and disclosures of its categories, the consents and objections of
    /// its purposes) and a personnummer in full only if the policy says so.
    #[arg(long = "as", value_name = "ROLE")]
    role: Option<String>,
    /// Show consent as it stood at this time (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

/// Find the subject an e-mail address, phone number or personnummer
/// belongs to. Exits 1 if none does.
#[derive(clap::Args, Debug)]
pub struct FindArgs {
    #[command(flatten)]
    identifiers: IdentifierArgs,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cx: &Context, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Add(a) => add(cx, a),
        Command::Show(a) => show(cx, a),
        Command::Find(a) => find(cx, a),
    }
}

fn add(cx: &Context, a: AddArgs) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.at)?;
    let subject = NewSubject {
        id: a.id,
        identifiers: a.identifiers.parse(at.date())?,
    };
    let mut ledger = cx.ledger()?;
    let pseudonym = ledger.write(at.timestamp(), |w| w.add_subject(&subject))?;
    if a.json {
        emit_json(&json!({ "subject": subject.id, "pseudonym": pseudonym }))?;
    } else {
        say(&format!(
            "added subject {} (pseudonym {pseudonym})",
            subject.id
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn find(cx: &Context, a: FindArgs) -> anyhow::Result<ExitCode> {
    let today = at::or_now(None)?.date();
    let identifiers = a.identifiers.parse(today)?;
    let [identifier] = identifiers.as_slice() else {
        anyhow::bail!("give exactly one of --email, --phone or --personnummer");
    };
    let found = cx.ledger()?.find(identifier)?;
    if a.json {
        emit_json(&json!({ "subject": found }))?;
    } else if let Some(id) = &found {
        say(id.as_str())?;
    } else {
        eprintln!("no subject has that {}", identifier.kind());
    }
    Ok(if found.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn show(cx: &Context, a: ShowArgs) -> anyhow::Result<ExitCode> {
    let policy = a.role.as_ref().map(|_| cx.policy()).transpose()?;
    let role = match (&a.role, &policy) {
        (Some(name), Some(policy)) => policy.roles.get(&policy.role_named(name)?),
        _ => None,
    };
    let at = at::or_now(a.at)?;
    let mut ledger = cx.ledger()?;
    let Some(file) = ledger.subject_file(&a.id, at.timestamp())? else {
        anyhow::bail!("no subject `{}` in the ledger", a.id);
    };
    if a.json {
        emit_json(&tillit_store::view::shown_to(&file, role))?;
    } else {
        let (seen, withheld) = tillit_store::view::seen_by(&file, role);
        let reveal = role.is_some_and(|r| r.sees_personnummer);
        let mut text = describe(&seen, reveal, at.timestamp());
        if withheld != tillit_store::view::Withheld::default() {
            text.push_str(&format!(
                "\nwithheld from {}: {} record(s), {} consent(s), {} objection(s), {} hold(s), {} disclosure(s) (need to know)",
                a.role.as_deref().unwrap_or_default(),
                withheld.records,
                withheld.consents,
                withheld.objections,
                withheld.holds,
                withheld.disclosures
            ));
        }
        say(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(f: &SubjectFile, reveal: bool, at: jiff::Timestamp) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "subject {} (pseudonym {}), added {}",
        f.subject.id,
        f.subject.pseudonym,
        at::shown(f.subject.created_at)
    );
    for i in &f.subject.identifiers {
        let _ = writeln!(s, "  {:<13} {}", i.kind(), i.shown(reveal));
    }
    let _ = writeln!(s, "records: {}", f.records.len());
    for r in &f.records {
        let _ = write!(s, "  #{} {}/{} from {}", r.id, r.category, r.kind, r.source);
        if let Some(reg) = &r.register {
            let _ = write!(s, " ({reg})");
        }
        let _ = write!(s, ", collected {}", at::shown(r.collected_at));
        if let Some(reference) = &r.reference {
            let _ = write!(s, ", ref {reference}");
        }
        if r.accounting {
            let _ = write!(s, ", accounting material");
        }
        if let Some(by) = r.inform_by {
            let _ = write!(s, ", inform by {by}");
        }
        let _ = writeln!(s, ", {}", r.state);
    }
    let _ = writeln!(s, "lifecycle events: {}", f.events.len());
    for e in &f.events {
        let _ = writeln!(s, "  {} {} at {}", e.kind, e.reference, at::shown(e.at));
    }
    let _ = writeln!(s, "consent at {}:", at::shown(at));
    if f.consents.is_empty() {
        let _ = writeln!(s, "  none given");
    }
    for c in &f.consents {
        let _ = writeln!(
            s,
            "  {}: {} {} via {} (notice {})",
            c.purpose,
            if c.given { "given" } else { "withdrawn" },
            at::shown(c.since),
            c.channel,
            c.notice_version
        );
    }
    for o in &f.objections {
        let _ = writeln!(
            s,
            "objection #{} to {} at {}{}",
            o.id,
            o.purpose,
            at::shown(o.at),
            if o.absolute {
                " (direct marketing: absolute)"
            } else {
                ""
            }
        );
    }
    for r in &f.restrictions {
        let _ = writeln!(
            s,
            "restriction #{} ({}) from {}{}",
            r.id,
            r.ground,
            at::shown(r.at),
            r.lifted_at
                .map(|t| format!(", lifted {}", at::shown(t)))
                .unwrap_or_else(|| ", in force".into())
        );
    }
    for h in &f.holds {
        let _ = writeln!(
            s,
            "hold #{} by {} from {}: {}{}",
            h.id,
            h.placed_by,
            at::shown(h.at),
            h.reason,
            h.released_at
                .map(|t| format!(" (released {})", at::shown(t)))
                .unwrap_or_else(|| " (in force)".into())
        );
    }
    for d in &f.disclosures {
        let _ = writeln!(
            s,
            "disclosed #{} to {} at {}: {} on {}{}",
            d.id,
            d.recipient,
            at::shown(d.at),
            d.categories.join(", "),
            d.basis,
            d.reference
                .as_deref()
                .map(|r| format!(", ref {r}"))
                .unwrap_or_default()
        );
    }
    s.trim_end().to_owned()
}
