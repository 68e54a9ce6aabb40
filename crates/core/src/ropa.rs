//! The record of processing activities (GDPR Art. 30(1)), derived from the
//! policy: one row per purpose and category, with (a) the controller and DPO,
//! (b) the purpose, (c) categories of subjects and data, (d) recipients,
//! (e) third-country transfers and their safeguards, (f) erasure time limits
//! and (g) security measures.

use serde::Serialize;

use crate::notice::doc::text;
use crate::notice::{Block, Document, join_and, retention_sentence, statutory_sentences};
use crate::policy::Policy;
use crate::text::Lang;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    pub controller: String,
    pub organisation_number: String,
    pub controller_contact: String,
    pub dpo: Option<String>,
    pub activities: Vec<Activity>,
    pub security_measures: Vec<String>,
}

/// One processing activity: a purpose applied to a category.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub purpose: String,
    pub purpose_name: String,
    pub category: String,
    pub category_name: String,
    pub legal_basis: String,
    pub data_subjects: String,
    pub data: Vec<String>,
    pub sources: Vec<String>,
    pub recipients: Vec<String>,
    pub transfers: Vec<String>,
    pub erasure: Vec<String>,
}

pub fn record(policy: &Policy, lang: Lang) -> Record {
    let c = &policy.controller;
    let statutory = statutory_sentences(policy, lang);
    let mut activities = Vec::new();
    for (pid, p) in &policy.purposes {
        for (cid, basis) in &p.basis {
            let Some(category) = policy.categories.get(cid) else {
                continue;
            };
            let kinds: Vec<_> = policy.kinds_of(cid.as_str()).collect();
            let mut sources: Vec<String> = Vec::new();
            for (_, k) in &kinds {
                for s in &k.sources {
                    if let Some(src) = policy.sources.get(s) {
                        let name = match &src.register {
                            Some(r) => format!("{} ({r})", src.name.get(lang)),
                            None => src.name.get(lang).to_owned(),
                        };
                        if !sources.contains(&name) {
                            sources.push(name);
                        }
                    }
                }
            }
            let recipients: Vec<_> = policy.recipients_of(pid.as_str(), cid.as_str()).collect();
            let transfers = recipients
                .iter()
                .flat_map(|(rid, r)| {
                    r.transfers.iter().filter(|t| t.is_current()).map(move |t| {
                        let mechanism = t.mechanism.map_or_else(
                            || lang.pick("ingen skyddsåtgärd", "no safeguard").to_owned(),
                            |m| format!("{} ({})", m.fact().name(lang), m.fact().instrument),
                        );
                        format!(
                            "{rid}: {} – {mechanism}",
                            crate::legal::country_name(&t.country, lang)
                        )
                    })
                })
                .collect();
            let mut erasure: Vec<String> = policy
                .retention
                .iter()
                .filter(|r| &r.category == cid)
                .map(|r| retention_sentence(policy, r, lang))
                .collect();
            if kinds.iter().any(|(_, k)| k.accounting_material) {
                erasure.extend(statutory.iter().cloned());
            }
            activities.push(Activity {
                purpose: pid.to_string(),
                purpose_name: p.name.get(lang).to_owned(),
                category: cid.to_string(),
                category_name: category.name.get(lang).to_owned(),
                legal_basis: format!(
                    "{} ({})",
                    basis.name(lang),
                    basis.gdpr().trim_start_matches("eu-gdpr:")
                ),
                data_subjects: category
                    .data_subjects
                    .as_ref()
                    .map_or_else(String::new, |d| d.get(lang).to_owned()),
                data: kinds
                    .iter()
                    .map(|(_, k)| k.name.get(lang).to_owned())
                    .collect(),
                sources,
                recipients: recipients
                    .iter()
                    .map(|(_, r)| r.name.get(lang).to_owned())
                    .collect(),
                transfers,
                erasure,
            });
        }
    }
    Record {
        controller: c.name.clone(),
        organisation_number: c.org_number.clone(),
        controller_contact: c.email.clone(),
        dpo: c.dpo.as_ref().map(|d| match &d.name {
            Some(name) => format!("{name} <{}>", d.email),
            None => d.email.clone(),
        }),
        activities,
        security_measures: policy
            .security
            .iter()
            .map(|m| m.get(lang).to_owned())
            .collect(),
    }
}

const COLUMNS: [(&str, &str); 10] = [
    ("Ändamål", "Purpose"),
    ("Kategori", "Category"),
    ("Rättslig grund", "Legal basis"),
    ("Registrerade", "Data subjects"),
    ("Uppgifter", "Data"),
    ("Källor", "Sources"),
    ("Mottagare", "Recipients"),
    ("Överföring till tredje land", "Third-country transfers"),
    ("Radering", "Erasure"),
    ("Id", "Id"),
];

fn cells(a: &Activity, lang: Lang) -> [String; 10] {
    let list = |v: &[String]| join_and(v, lang);
    [
        a.purpose_name.clone(),
        a.category_name.clone(),
        a.legal_basis.clone(),
        a.data_subjects.clone(),
        list(&a.data),
        list(&a.sources),
        list(&a.recipients),
        if a.transfers.is_empty() {
            lang.pick("–", "–").to_owned()
        } else {
            a.transfers.join("; ")
        },
        a.erasure.join(" "),
        format!("{}/{}", a.purpose, a.category),
    ]
}

impl Record {
    /// The record as Markdown, written by the same document writer as the
    /// notice.
    pub fn to_markdown(&self, lang: Lang) -> String {
        let mut contacts = vec![
            vec![text(format!(
                "{}: {} ({} {})",
                lang.pick("Personuppgiftsansvarig", "Controller"),
                self.controller,
                lang.pick("org.nr", "org. no."),
                self.organisation_number
            ))],
            vec![text(format!(
                "{}: {}",
                lang.pick("Kontakt", "Contact"),
                self.controller_contact
            ))],
        ];
        if let Some(dpo) = &self.dpo {
            contacts.push(vec![text(format!(
                "{}: {dpo}",
                lang.pick("Dataskyddsombud", "Data protection officer")
            ))]);
        }
        let title = lang.pick(
            "Register över behandlingar (artikel 30 i dataskyddsförordningen)",
            "Record of processing activities (GDPR Article 30)",
        );
        Document {
            lang,
            title: title.to_owned(),
            blocks: vec![
                Block::List(contacts),
                Block::Table {
                    caption: title.to_owned(),
                    head: COLUMNS
                        .iter()
                        .map(|(sv, en)| lang.pick(sv, en).to_owned())
                        .collect(),
                    rows: self
                        .activities
                        .iter()
                        .map(|a| cells(a, lang).to_vec())
                        .collect(),
                },
                Block::Heading {
                    level: 2,
                    id: "security".to_owned(),
                    text: lang
                        .pick("Säkerhetsåtgärder", "Security measures")
                        .to_owned(),
                },
                Block::List(
                    self.security_measures
                        .iter()
                        .map(|m| vec![text(m.clone())])
                        .collect(),
                ),
            ],
        }
        .to_markdown()
    }

    pub fn to_csv(&self, lang: Lang) -> Result<String, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut head: Vec<&str> = COLUMNS.iter().map(|(sv, en)| lang.pick(sv, en)).collect();
        head.push(lang.pick("Säkerhetsåtgärder", "Security measures"));
        w.write_record(&head)?;
        let security = self.security_measures.join(" ");
        for a in &self.activities {
            let mut row = cells(a, lang).to_vec();
            row.push(security.clone());
            w.write_record(&row)?;
        }
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
