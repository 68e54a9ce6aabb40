//! The answer to a request for access (GDPR Art. 15) or portability
//! (Art. 20): everything held about one subject, as structured data and as
//! a letter in Swedish or English.
//!
//! The report is plain data with every name in both languages, so the
//! letter needs nothing but the report; the store fills it from the
//! ledger and the policy.
//!
//! Rights follow the basis ([`crate::rights`]): a portability report holds
//! only records that some purpose processes on consent or contract, and
//! lists what it leaves out and why; every right the subject might invoke
//! is answered, given or not, with the reason.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::notice::doc::{Block, Document, Inline, text};
use crate::rights::Right;
use crate::text::{Lang, Text};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AccessReport {
    /// `access` or `portability`.
    pub kind: Right,
    /// The request case it answers, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<i64>,
    pub as_of: Timestamp,
    pub controller: ControllerRef,
    pub subject: SubjectRef,
    pub records: Vec<ReportRecord>,
    /// Records a portability report does not carry, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
    /// Every consent given or withdrawn, oldest first.
    pub consents: Vec<ConsentEntry>,
    /// The recipients the subject's data was actually disclosed to.
    pub disclosures: Vec<DisclosureEntry>,
    /// The processors that routinely receive data of the categories held
    /// about the subject, by name (Art. 15(1)(c), CJEU C-154/21).
    pub processors: Vec<ProcessorEntry>,
    pub objections: Vec<ObjectionEntry>,
    pub restrictions: Vec<RestrictionEntry>,
    /// Each right, whether the bases of the subject's data give it.
    pub rights: Vec<RightEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ControllerRef {
    pub name: String,
    pub org_number: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpo_email: Option<String>,
    pub supervisory_authority: String,
    pub supervisory_authority_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubjectRef {
    pub id: String,
    pub since: Timestamp,
    /// (kind, value): e-mail, phone, personnummer.
    pub identifiers: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportRecord {
    pub record: i64,
    pub category: String,
    pub category_name: Text,
    pub kind: String,
    pub kind_name: Text,
    pub collected_at: Timestamp,
    pub source: String,
    pub source_name: Text,
    /// The public register it came from, by name (Art. 14(2)(f)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
    pub content: Option<serde_json::Value>,
    pub purposes: Vec<PurposeUse>,
    pub retention: RetentionEntry,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurposeUse {
    pub purpose: String,
    pub name: Text,
    pub basis: &'static str,
    pub basis_name: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetentionEntry {
    /// `erase` or `anonymise` when a day is set; none while kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<jiff::civil::Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub reason: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    pub record: i64,
    pub category: String,
    pub kind: String,
    pub reason: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsentEntry {
    pub purpose: String,
    pub name: Text,
    pub given: bool,
    pub channel: String,
    pub notice_version: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DisclosureEntry {
    pub recipient: String,
    pub name: Text,
    pub recipient_type: String,
    pub categories: Vec<String>,
    pub at: Timestamp,
    /// Transfers outside the EU/EEA, with their safeguards.
    pub transfers: Vec<TransferEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessorEntry {
    pub recipient: String,
    pub name: Text,
    /// The categories of the subject's data it receives, by name.
    pub categories: Vec<Text>,
    pub transfers: Vec<TransferEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TransferEntry {
    pub country: String,
    pub country_name: Text,
    pub safeguard: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectionEntry {
    pub purpose: String,
    pub name: Text,
    pub absolute: bool,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RestrictionEntry {
    pub ground: String,
    pub ground_name: Text,
    pub at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifted_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RightEntry {
    pub right: Right,
    pub article: &'static str,
    pub given: bool,
    pub reason: Text,
}

fn day(t: Timestamp, tz: &TimeZone) -> String {
    tz.to_datetime(t).date().to_string()
}

fn when(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// "the United States: the EU-US Data Privacy Framework; …".
fn transfers_text(transfers: &[TransferEntry], lang: Lang) -> String {
    transfers
        .iter()
        .map(|t| format!("{}: {}", t.country_name.get(lang), t.safeguard.get(lang)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn heading(id: &str, s: &str) -> Block {
    Block::Heading {
        level: 2,
        id: id.to_owned(),
        text: s.to_owned(),
    }
}

fn para(s: impl Into<String>) -> Block {
    Block::Para(vec![text(s)])
}

impl AccessReport {
    /// The letter a DPO sends, in `lang`, times shown in `tz`.
    pub fn letter(&self, lang: Lang, tz: &TimeZone) -> Document {
        let sv = lang == Lang::Sv;
        let pick = |s: &'static str, e: &'static str| if sv { s } else { e };
        let portability = self.kind == Right::Portability;
        let title = if portability {
            pick(
                "Dina personuppgifter att flytta (artikel 20 GDPR)",
                "Your personal data to take with you (Article 20 GDPR)",
            )
        } else {
            pick(
                "Registerutdrag: dina personuppgifter (artikel 15 GDPR)",
                "Your personal data: access (Article 15 GDPR)",
            )
        }
        .to_owned();
        let c = &self.controller;
        let mut blocks = vec![para(if sv {
            format!(
                "{} ({}) svarar här på din begäran{} om {} (du är registrerad som {}). Uppgifterna gäller den {}.",
                c.name,
                c.org_number,
                self.request.map(|r| format!(" nr {r}")).unwrap_or_default(),
                if portability {
                    "dataportabilitet"
                } else {
                    "tillgång"
                },
                self.subject.id,
                day(self.as_of, tz)
            )
        } else {
            format!(
                "{} ({}) answers your request{} for {} (you are registered as {}). This is what we held on {}.",
                c.name,
                c.org_number,
                self.request
                    .map(|r| format!(" no. {r}"))
                    .unwrap_or_default(),
                if portability { "portability" } else { "access" },
                self.subject.id,
                day(self.as_of, tz)
            )
        })];
        if !self.subject.identifiers.is_empty() {
            blocks.push(Block::List(
                self.subject
                    .identifiers
                    .iter()
                    .map(|(k, v)| vec![text(format!("{k}: {v}"))])
                    .collect(),
            ));
        }

        blocks.push(heading(
            "records",
            pick(
                "Uppgifter vi behandlar om dig",
                "The data we process about you",
            ),
        ));
        if self.records.is_empty() {
            blocks.push(para(pick(
                "Vi har inga uppgifter om dig.",
                "We hold no data about you.",
            )));
        } else {
            blocks.push(Block::Table {
                caption: pick(
                    "Varje uppgift, varifrån den kommer, varför vi behandlar den och hur länge den sparas",
                    "Each record, where it comes from, why we process it and how long it is kept",
                )
                .to_owned(),
                head: [
                    pick("Nr", "No."),
                    pick("Uppgift", "Data"),
                    pick("Insamlad", "Collected"),
                    pick("Källa", "Source"),
                    pick("Ändamål och rättslig grund", "Purposes and legal basis"),
                    pick("Sparas", "Kept"),
                ]
                .map(str::to_owned)
                .to_vec(),
                rows: self
                    .records
                    .iter()
                    .map(|r| {
                        let content = r
                            .content
                            .as_ref()
                            .map(|v| format!(": {v}"))
                            .unwrap_or_default();
                        let source = match &r.register {
                            Some(reg) => format!("{} ({reg})", r.source_name.get(lang)),
                            None => r.source_name.get(lang).to_owned(),
                        };
                        vec![
                            r.record.to_string(),
                            format!(
                                "{} – {}{content}",
                                r.category_name.get(lang),
                                r.kind_name.get(lang)
                            ),
                            day(r.collected_at, tz),
                            source,
                            r.purposes
                                .iter()
                                .map(|p| {
                                    format!("{} ({})", p.name.get(lang), p.basis_name.get(lang))
                                })
                                .collect::<Vec<_>>()
                                .join("; "),
                            r.retention.reason.get(lang).to_owned(),
                        ]
                    })
                    .collect(),
            });
        }
        if !self.left_out.is_empty() {
            blocks.push(heading(
                "left-out",
                pick("Uppgifter som inte ingår", "Data not included"),
            ));
            blocks.push(Block::List(
                self.left_out
                    .iter()
                    .map(|l| {
                        vec![text(format!(
                            "{} {} ({}, {}): {}",
                            pick("Nr", "No."),
                            l.record,
                            l.category,
                            l.kind,
                            l.reason.get(lang)
                        ))]
                    })
                    .collect(),
            ));
        }

        blocks.push(heading("consents", pick("Dina samtycken", "Your consents")));
        if self.consents.is_empty() {
            blocks.push(para(pick(
                "Du har inte lämnat något samtycke.",
                "You have given no consent.",
            )));
        } else {
            blocks.push(Block::Table {
                caption: pick(
                    "Varje samtycke du lämnat eller återkallat",
                    "Every consent you gave or withdrew",
                )
                .to_owned(),
                head: [
                    pick("När", "When"),
                    pick("Ändamål", "Purpose"),
                    pick("Samtycke", "Consent"),
                    pick("Kanal", "Channel"),
                ]
                .map(str::to_owned)
                .to_vec(),
                rows: self
                    .consents
                    .iter()
                    .map(|e| {
                        vec![
                            when(e.at, tz),
                            e.name.get(lang).to_owned(),
                            if e.given {
                                pick("lämnat", "given")
                            } else {
                                pick("återkallat", "withdrawn")
                            }
                            .to_owned(),
                            e.channel.clone(),
                        ]
                    })
                    .collect(),
            });
        }

        blocks.push(heading(
            "recipients",
            pick("Mottagare av dina uppgifter", "Recipients of your data"),
        ));
        if self.disclosures.is_empty() {
            blocks.push(para(pick(
                "Vi har inte lämnat ut uppgifter om dig till någon.",
                "We have disclosed no data about you to anyone.",
            )));
        } else {
            blocks.push(Block::Table {
                caption: pick(
                    "Till vem vi har lämnat ut uppgifter om dig, och överföringar utanför EU/EES",
                    "Whom we disclosed data about you to, and transfers outside the EU/EEA",
                )
                .to_owned(),
                head: [
                    pick("När", "When"),
                    pick("Mottagare", "Recipient"),
                    pick("Uppgifter", "Data"),
                    pick("Överföring och skyddsåtgärd", "Transfer and safeguard"),
                ]
                .map(str::to_owned)
                .to_vec(),
                rows: self
                    .disclosures
                    .iter()
                    .map(|d| {
                        let transfers = if d.transfers.is_empty() {
                            pick("inom EU/EES", "within the EU/EEA").to_owned()
                        } else {
                            transfers_text(&d.transfers, lang)
                        };
                        vec![
                            day(d.at, tz),
                            d.name.get(lang).to_owned(),
                            d.categories.join(", "),
                            transfers,
                        ]
                    })
                    .collect(),
            });
        }

        if !self.processors.is_empty() {
            blocks.push(para(pick(
                "Dessa leverantörer behandlar regelbundet uppgifter om dig för vår räkning, som personuppgiftsbiträden:",
                "These suppliers routinely process data about you on our behalf, as processors:",
            )));
            blocks.push(Block::List(
                self.processors
                    .iter()
                    .map(|p| {
                        let categories: Vec<&str> =
                            p.categories.iter().map(|c| c.get(lang)).collect();
                        let transfers = if p.transfers.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "; {} {}",
                                pick("överföring till", "transfer to"),
                                transfers_text(&p.transfers, lang)
                            )
                        };
                        vec![text(format!(
                            "{} ({}){transfers}",
                            p.name.get(lang),
                            categories.join(", ").to_lowercase()
                        ))]
                    })
                    .collect(),
            ));
        }

        if !self.objections.is_empty() || !self.restrictions.is_empty() {
            blocks.push(heading(
                "objections",
                pick(
                    "Dina invändningar och begränsningar",
                    "Your objections and restrictions",
                ),
            ));
            let mut items: Vec<Vec<Inline>> = Vec::new();
            for o in &self.objections {
                items.push(vec![text(if sv {
                    format!(
                        "{}: invändning mot {}",
                        day(o.at, tz),
                        o.name.get(lang).to_lowercase()
                    )
                } else {
                    format!(
                        "{}: objection to {}",
                        day(o.at, tz),
                        o.name.get(lang).to_lowercase()
                    )
                })]);
            }
            for r in &self.restrictions {
                let lifted = r
                    .lifted_at
                    .map(|l| format!(", {} {}", pick("hävd", "lifted"), day(l, tz)))
                    .unwrap_or_default();
                items.push(vec![text(format!(
                    "{}: {} ({}){lifted}",
                    day(r.at, tz),
                    pick("begränsning av behandlingen", "restriction of processing"),
                    r.ground_name.get(lang)
                ))]);
            }
            blocks.push(Block::List(items));
        }

        blocks.push(heading("rights", pick("Dina rättigheter", "Your rights")));
        blocks.push(Block::List(
            self.rights
                .iter()
                .map(|r| {
                    vec![text(format!(
                        "{} ({}): {}",
                        r.right.name(lang),
                        r.article,
                        r.reason.get(lang)
                    ))]
                })
                .collect(),
        ));
        let dpo = c.dpo_email.as_deref().unwrap_or(&c.email);
        blocks.push(para(if sv {
            format!(
                "Har du frågor, kontakta oss på {dpo}. Du har rätt att klaga hos {} ({}) och att vända dig till allmän domstol.",
                c.supervisory_authority, c.supervisory_authority_url
            )
        } else {
            format!(
                "If you have questions, write to {dpo}. You may lodge a complaint with {} ({}) and seek a judicial remedy in court.",
                c.supervisory_authority, c.supervisory_authority_url
            )
        }));
        Document {
            lang,
            title,
            blocks,
        }
    }
}

/// The answer to a request for erasure (GDPR Art. 17), for the letter:
/// what was erased, what is kept and why in plain words, who is told
/// (Art. 19), and where to complain (Art. 12(4)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErasureAnswer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<i64>,
    pub answered_on: jiff::civil::Date,
    pub controller: ControllerRef,
    pub subject: String,
    pub erased: Vec<ErasedEntry>,
    pub kept: Vec<KeptEntry>,
    /// Nothing of the subject is left: the subject is erased too.
    pub subject_erased: bool,
    /// What is kept is restricted to what keeps it (Art. 18).
    pub restricted: bool,
    /// The recipients the subject's data was disclosed to, each of whom is
    /// told of the erasure (Art. 19).
    pub recipients: Vec<Text>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErasedEntry {
    pub record: i64,
    pub name: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeptEntry {
    pub record: i64,
    pub name: Text,
    /// Each reason, with the article it rests on.
    pub reasons: Vec<(String, Text)>,
    /// The last day it is kept, where one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<jiff::civil::Date>,
}

impl ErasureAnswer {
    /// The letter a DPO sends, in `lang`.
    pub fn letter(&self, lang: Lang) -> Document {
        let pick = |s: &'static str, e: &'static str| lang.pick(s, e);
        let c = &self.controller;
        let request = self
            .request
            .map(|r| format!(" {} {r}", pick("nr", "no.")))
            .unwrap_or_default();
        let mut blocks = vec![para(match lang {
            Lang::Sv => format!(
                "{} ({}) svarar här på din begäran{request} om radering (du är registrerad som {}). Svaret gäller den {}.",
                c.name, c.org_number, self.subject, self.answered_on
            ),
            Lang::En => format!(
                "{} ({}) answers your request{request} for erasure (you are registered as {}). This answer is as of {}.",
                c.name, c.org_number, self.subject, self.answered_on
            ),
        })];
        blocks.push(heading(
            "erased",
            pick("Det här har vi raderat", "What we erased"),
        ));
        if self.erased.is_empty() {
            blocks.push(para(pick(
                "Vi har inte raderat något ännu; nedan står varför.",
                "We have erased nothing yet; below is why.",
            )));
        } else {
            blocks.push(Block::List(
                self.erased
                    .iter()
                    .map(|e| {
                        vec![text(format!(
                            "{} {}: {}",
                            pick("Nr", "No."),
                            e.record,
                            e.name.get(lang)
                        ))]
                    })
                    .collect(),
            ));
        }
        if self.subject_erased {
            blocks.push(para(pick(
                "Vi har inga uppgifter om dig kvar. Även dina kontaktuppgifter är raderade.",
                "We hold no data about you any more. Your contact details are erased too.",
            )));
        }
        if !self.kept.is_empty() {
            blocks.push(heading(
                "kept",
                pick("Det här sparar vi, och varför", "What we keep, and why"),
            ));
            blocks.push(Block::Table {
                caption: pick(
                    "Uppgifter som vi inte får eller ännu inte kan radera",
                    "Data we may not, or may not yet, erase",
                )
                .to_owned(),
                head: [
                    pick("Nr", "No."),
                    pick("Uppgift", "Data"),
                    pick("Varför", "Why"),
                    pick("Sparas till och med", "Kept through"),
                ]
                .map(str::to_owned)
                .to_vec(),
                rows: self
                    .kept
                    .iter()
                    .map(|k| {
                        vec![
                            k.record.to_string(),
                            k.name.get(lang).to_owned(),
                            k.reasons
                                .iter()
                                .map(|(article, r)| format!("{} ({article})", r.get(lang)))
                                .collect::<Vec<_>>()
                                .join("; "),
                            k.until.map_or_else(
                                || {
                                    pick("så länge skälet finns", "while the reason lasts")
                                        .to_owned()
                                },
                                |d| d.to_string(),
                            ),
                        ]
                    })
                    .collect(),
            });
            if self.restricted {
                blocks.push(para(pick(
                    "Det vi sparar använder vi bara för det som kräver att det sparas, till exempel bokföringen; i övrigt är behandlingen begränsad (artikel 18 GDPR). När skälet upphör raderar vi uppgifterna.",
                    "What we keep is used only for what requires keeping it, such as the books; otherwise its processing is restricted (Article 18 GDPR). When the reason ends we erase it.",
                )));
            }
        }
        blocks.push(heading(
            "recipients",
            pick("Mottagare som vi underrättar", "Recipients we tell"),
        ));
        if self.recipients.is_empty() {
            blocks.push(para(pick(
                "Vi har inte lämnat ut uppgifter om dig till någon mottagare, så ingen annan behöver underrättas.",
                "We have disclosed no data about you to any recipient, so nobody else needs to be told.",
            )));
        } else {
            let names: Vec<&str> = self.recipients.iter().map(|r| r.get(lang)).collect();
            blocks.push(para(format!(
                "{} {}.",
                pick(
                    "Vi underrättar varje mottagare som har fått uppgifter om dig om raderingen (artikel 19 GDPR):",
                    "We tell each recipient that received data about you of the erasure (Article 19 GDPR):"
                ),
                crate::notice::join_and(&names, lang)
            )));
        }
        blocks.push(heading(
            "complaints",
            pick("Om du inte är nöjd", "If you are not satisfied"),
        ));
        let dpo = c.dpo_email.as_deref().unwrap_or(&c.email);
        blocks.push(para(match lang {
            Lang::Sv => format!(
                "Har du frågor, kontakta oss på {dpo}. Du har rätt att klaga hos {} ({}) och att vända dig till allmän domstol (artikel 12.4, 77 och 79 GDPR).",
                c.supervisory_authority, c.supervisory_authority_url
            ),
            Lang::En => format!(
                "If you have questions, write to {dpo}. You have the right to lodge a complaint with {} ({}) and to seek a judicial remedy in court (Articles 12(4), 77 and 79 GDPR).",
                c.supervisory_authority, c.supervisory_authority_url
            ),
        }));
        Document {
            lang,
            title: pick(
                "Svar på din begäran om radering (artikel 17 GDPR)",
                "Your request for erasure (Article 17 GDPR)",
            )
            .to_owned(),
            blocks,
        }
    }
}
