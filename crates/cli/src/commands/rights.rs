//! `tillit object`, `tillit restrict start|lift`, `tillit hold place|release`

use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use serde_json::json;
use tillit_core::identity::SubjectId;
use tillit_core::ledger::{NewObjection, RestrictionGround};

use super::{Context, emit_json, say, subject_id};
use crate::at;

/// Common to the commands here.
#[derive(clap::Args, Debug)]
pub struct When {
    /// When (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

/// Record a subject's objection to processing for a purpose (GDPR Art. 21).
///
/// Only purposes resting on legitimate interest or a public task can be
/// objected to; an objection to direct marketing is absolute (Art. 21(3)).
#[derive(clap::Args, Debug)]
pub struct ObjectArgs {
    #[arg(long, value_parser = subject_id)]
    subject: SubjectId,
    /// The purpose objected to, e.g. marketing.
    #[arg(long)]
    purpose: String,
    #[command(flatten)]
    when: When,
}

/// Restriction of processing (GDPR Art. 18): while in force, the data is
/// only stored.
#[derive(clap::Subcommand, Debug)]
pub enum RestrictCommand {
    /// Restrict processing of a subject's data.
    Start {
        #[arg(long, value_parser = subject_id)]
        subject: SubjectId,
        /// Art. 18(1): accuracy-contested, unlawful, legal-claims,
        /// objection-pending.
        #[arg(long)]
        ground: String,
        #[command(flatten)]
        when: When,
    },
    /// Lift a restriction in force.
    Lift {
        #[arg(long, value_parser = subject_id)]
        subject: SubjectId,
        /// The restriction's number, as `restrict start` printed it.
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        when: When,
    },
}

/// Legal holds: while one is in force, nothing of the subject's is erased.
#[derive(clap::Subcommand, Debug)]
pub enum HoldCommand {
    /// Place a hold: who asks for it, why, what it keeps (everything, or
    /// the categories or kinds the claim concerns) and when it is reviewed.
    Place {
        #[arg(long, value_parser = subject_id)]
        subject: SubjectId,
        /// Who places it (a person or function).
        #[arg(long)]
        by: String,
        /// Why, e.g. a dispute or an authority's request.
        #[arg(long)]
        reason: String,
        /// It keeps everything of the subject's.
        #[arg(long, conflicts_with_all = ["category", "kind"])]
        all: bool,
        /// It keeps records of this category; repeat for more.
        #[arg(long)]
        category: Vec<String>,
        /// It keeps records of this kind, e.g. invoice; repeat for more.
        #[arg(long)]
        kind: Vec<String>,
        /// When it is to be reviewed (default: a year after it is placed).
        #[arg(long, value_name = "DATE")]
        review: Option<jiff::civil::Date>,
        #[command(flatten)]
        when: When,
    },
    /// Release a hold.
    Release {
        #[arg(long, value_parser = subject_id)]
        subject: SubjectId,
        /// The hold's number, as `hold place` printed it.
        #[arg(long)]
        id: i64,
        /// Who releases it.
        #[arg(long)]
        by: String,
        #[command(flatten)]
        when: When,
    },
}

fn report(json: bool, value: serde_json::Value, line: String) -> anyhow::Result<ExitCode> {
    if json {
        emit_json(&value)?;
    } else {
        say(&line)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn object(cx: &Context, a: ObjectArgs) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.when.at)?;
    let policy = cx.policy()?;
    let objection = NewObjection::new(&policy, a.subject, &a.purpose, at.timestamp())?;
    let id = cx
        .ledger()?
        .write(at.timestamp(), |w| w.object(&objection))?;
    report(
        a.when.json,
        json!({ "objection": id, "subject": objection.subject, "purpose": objection.purpose, "absolute": objection.absolute }),
        format!(
            "objection {id} by subject {} to {}{}",
            objection.subject,
            objection.purpose,
            if objection.absolute {
                " recorded; direct marketing stops absolutely (Art. 21(3))"
            } else {
                " recorded; processing stops unless compelling legitimate grounds override it (Art. 21(1))"
            }
        ),
    )
}

pub fn restrict(cx: &Context, command: RestrictCommand) -> anyhow::Result<ExitCode> {
    match command {
        RestrictCommand::Start {
            subject,
            ground,
            when,
        } => {
            let ground = RestrictionGround::parse(&ground)?;
            let at = at::or_now(when.at)?;
            let id = cx.ledger()?.write(at.timestamp(), |w| {
                w.restrict(&subject, ground, at.timestamp())
            })?;
            report(
                when.json,
                json!({ "restriction": id, "subject": subject, "ground": ground.id() }),
                format!(
                    "restriction {id} ({}) in force for subject {subject}",
                    ground.id()
                ),
            )
        }
        RestrictCommand::Lift { subject, id, when } => {
            let at = at::or_now(when.at)?;
            cx.ledger()?.write(at.timestamp(), |w| {
                w.lift_restriction(&subject, id, at.timestamp())
            })?;
            report(
                when.json,
                json!({ "restriction": id, "subject": subject, "lifted": true }),
                format!("restriction {id} of subject {subject} lifted"),
            )
        }
    }
}

pub fn hold(cx: &Context, command: HoldCommand) -> anyhow::Result<ExitCode> {
    match command {
        HoldCommand::Place {
            subject,
            by,
            reason,
            all,
            category,
            kind,
            review,
            when,
        } => {
            let at = at::or_now(when.at)?;
            let policy = cx.policy()?;
            let placed = at.date();
            let scope = tillit_core::retention::HoldScope::new(&policy, all, &category, &kind)?;
            let hold = tillit_core::ledger::NewHold::new(
                &by,
                &reason,
                scope,
                review.unwrap_or_else(|| placed.saturating_add(jiff::Span::new().years(1))),
                placed,
            )?;
            let id = cx.ledger()?.write(at.timestamp(), |w| {
                w.place_hold(&subject, &hold, at.timestamp())
            })?;
            let keeps = match &hold.scope {
                tillit_core::retention::HoldScope::All => "nothing of theirs".to_owned(),
                tillit_core::retention::HoldScope::Of { categories, kinds } => format!(
                    "none of their {} records",
                    categories
                        .iter()
                        .chain(kinds)
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            report(
                when.json,
                json!({
                    "hold": id,
                    "subject": subject,
                    "scope": hold.scope,
                    "review_on": hold.review_on.to_string(),
                }),
                format!(
                    "hold {id} placed on subject {subject}; {keeps} is erased until it is released. Review it by {}",
                    hold.review_on
                ),
            )
        }
        HoldCommand::Release {
            subject,
            id,
            by,
            when,
        } => {
            let at = at::or_now(when.at)?;
            cx.ledger()?.write(at.timestamp(), |w| {
                w.release_hold(&subject, id, &by, at.timestamp())
            })?;
            report(
                when.json,
                json!({ "hold": id, "subject": subject, "released": true }),
                format!("hold {id} on subject {subject} released"),
            )
        }
    }
}
