//! Random valid policies, checked against simple models: the resolver
//! accepts them, the notice and its JSON say exactly what they declare, and
//! the transfer and agreement lints agree with a deliberately simple model of
//! the law written here from LEGAL.md, independently of `legal.rs`.
#![allow(clippy::panic, clippy::indexing_slicing, reason = "tests fail loudly")]

use std::fmt::Write;

use jiff::civil::{Date, date};
use proptest::prelude::*;
use tillit_core::check::check;
use tillit_core::{Lang, SourceFile, notice};

const CATEGORIES: [&str; 4] = ["customer", "traffic", "staff", "supplier"];
const PURPOSES: [&str; 5] = [
    "service-provision",
    "marketing",
    "security",
    "payroll",
    "research",
];
const BASES: [&str; 6] = [
    "consent",
    "contract",
    "legal-obligation",
    "vital-interest",
    "public-task",
    "legitimate-interest",
];
const MECHANISMS: [&str; 9] = [
    "adequacy",
    "dpf",
    "scc",
    "scc-2010",
    "bcr",
    "code-of-conduct",
    "certification",
    "derogation",
    "privacy-shield",
];
const COUNTRIES: [&str; 5] = ["US", "GB", "IN", "DE", "JP"];

#[derive(Debug, Clone)]
struct Transfer {
    country: &'static str,
    mechanism: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct Recipient {
    purposes: Vec<usize>,
    dpa: bool,
    transfers: Vec<Transfer>,
}

#[derive(Debug, Clone)]
struct Gen {
    categories: usize,
    /// Per purpose: the basis index for each category, or none.
    purposes: Vec<Vec<Option<usize>>>,
    months: Vec<u32>,
    recipients: Vec<Recipient>,
    at: Date,
}

fn policy() -> impl Strategy<Value = Gen> {
    (1usize..=4, 1usize..=5).prop_flat_map(|(categories, purposes)| {
        let basis_row = prop::collection::vec(prop::option::of(0usize..6), categories)
            .prop_filter("a purpose processes some category", |row| {
                row.iter().any(Option::is_some)
            });
        let transfer = (0usize..5, prop::option::of(0usize..9)).prop_map(|(c, m)| Transfer {
            country: COUNTRIES[c],
            mechanism: m.map(|m| MECHANISMS[m]),
        });
        let recipient = (
            prop::collection::btree_set(0..purposes, 1..=purposes),
            any::<bool>(),
            prop::collection::vec(transfer, 0..3),
        )
            .prop_map(|(ps, dpa, transfers)| Recipient {
                purposes: ps.into_iter().collect(),
                dpa,
                transfers,
            });
        (
            prop::collection::vec(basis_row, purposes),
            prop::collection::vec(1u32..=120, categories),
            prop::collection::vec(recipient, 0..3),
            judgement_day(),
        )
            .prop_map(move |(purposes, months, recipients, at)| Gen {
                categories,
                purposes,
                months,
                recipients,
                at,
            })
    })
}

/// The day to judge at: any day, or one at either side of a date the law
/// changed on, where an off-by-one would hide.
/// Dates the law changed on; an off-by-one hides on either side of them.
const CHANGES: [Date; 8] = [
    date(2016, 8, 1),   // Privacy Shield adopted
    date(2020, 7, 16),  // Schrems II
    date(2021, 6, 27),  // SCC 2021/914 in force
    date(2021, 6, 28),  // UK adequacy
    date(2022, 12, 28), // old SCCs end
    date(2023, 7, 10),  // Data Privacy Framework
    date(2019, 1, 23),  // Japan adequacy
    date(2031, 12, 28), // UK adequacy lapses
];

/// The day to judge at: any day, or one at either side of a change.
fn judgement_day() -> impl Strategy<Value = Date> {
    prop_oneof![
        (2015i16..2033, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d)),
        (0..CHANGES.len(), any::<bool>()).prop_map(|(i, before)| {
            let day = CHANGES[i];
            if before {
                day.yesterday().unwrap_or(day)
            } else {
                day
            }
        }),
    ]
}

fn text(sv: &str, en: &str) -> String {
    format!("{{ sv = \"{sv}\", en = \"{en}\" }}")
}

impl Gen {
    fn toml(&self) -> String {
        let mut t = String::from(
            "format = 1\n[controller]\nname = \"Exempel AB\"\norg-number = \"556677-8899\"\nemail = \"dpo@exempel.se\"\n\
             country = \"SE\"\nfiscal-year-end = \"12-31\"\n\
             supervisory-authority = { name = \"IMY\", url = \"https://www.imy.se\" }\n\
             [consent]\nwithdraw-via = [\"contact\"]\n\
             [events]\ncontract-start = { sv = \"avtalets början\", en = \"the start of the contract\" }\n\
             contract-end = { sv = \"avtalets slut\", en = \"the end of the contract\" }\n\
             [states.active-contract]\nname = { sv = \"under avtalet\", en = \"during the contract\" }\n\
             opens = \"contract-start\"\ncloses = \"contract-end\"\nscope = \"subject\"\ncontract = true\n\
             [sources.subject]\nname = { sv = \"Du\", en = \"You\" }\nfrom-subject = true\n",
        );
        for (c, months) in CATEGORIES.iter().zip(&self.months).take(self.categories) {
            let _ = write!(
                t,
                "[categories.{c}]\nname = {}\n",
                text(&format!("Kat {c}"), &format!("Cat {c}"))
            );
            let _ = write!(
                t,
                "[kinds.{c}-record]\ncategory = \"{c}\"\nname = {}\nsources = [\"subject\"]\n",
                text("Post", "Record")
            );
            let _ = write!(
                t,
                "[[retention]]\nid = \"{c}-rule\"\ncategory = \"{c}\"\nkeep-while = \"active-contract\"\nerase = \"{months} months after contract-end\"\n"
            );
        }
        for (p, row) in PURPOSES.iter().zip(&self.purposes) {
            let bases: Vec<String> = row
                .iter()
                .enumerate()
                .filter_map(|(c, b)| b.map(|b| format!("{} = \"{}\"", CATEGORIES[c], BASES[b])))
                .collect();
            let _ = write!(
                t,
                "[purposes.{p}]\nname = {}\nbasis = {{ {} }}\n",
                text(&format!("Ändamål {p}"), &format!("Purpose {p}")),
                bases.join(", ")
            );
        }
        for (i, r) in self.recipients.iter().enumerate() {
            let purposes: Vec<String> = r
                .purposes
                .iter()
                .map(|p| format!("\"{}\"", PURPOSES[*p]))
                .collect();
            let categories: Vec<String> = (0..self.categories)
                .filter(|c| r.purposes.iter().any(|p| self.purposes[*p][*c].is_some()))
                .map(|c| format!("\"{}\"", CATEGORIES[c]))
                .collect();
            let _ = write!(
                t,
                "[recipients.r{i}]\ntype = \"processor\"\nname = {}\npurposes = [{}]\ncategories = [{}]\n",
                text(&format!("Mottagare {i}"), &format!("Recipient {i}")),
                purposes.join(", "),
                categories.join(", ")
            );
            if r.dpa {
                t.push_str("dpa = \"PUB-1\"\n");
            }
            let transfers: Vec<String> = r
                .transfers
                .iter()
                .map(|tr| match tr.mechanism {
                    Some(m) => format!(
                        "{{ country = \"{}\", mechanism = \"{m}\", since = \"2015-01-01\" }}",
                        tr.country
                    ),
                    None => format!("{{ country = \"{}\", since = \"2015-01-01\" }}", tr.country),
                })
                .collect();
            let _ = writeln!(t, "transfers = [{}]", transfers.join(", "));
        }
        let _ = write!(
            t,
            "[roles.everyone]\nname = {}\naccess = {{ ",
            text("Alla", "Everyone")
        );
        let grants: Vec<String> = PURPOSES
            .iter()
            .zip(&self.purposes)
            .map(|(p, row)| {
                let cats: Vec<String> = row
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.is_some())
                    .map(|(c, _)| format!("\"{}\"", CATEGORIES[c]))
                    .collect();
                format!("{p} = [{}]", cats.join(", "))
            })
            .collect();
        let _ = writeln!(t, "{} }}", grants.join(", "));
        t
    }

    /// The transfer and agreement warnings on `at`, by a simple reading of
    /// LEGAL.md.
    fn expected_warnings(&self, at: Date) -> Vec<&'static str> {
        let mut out = Vec::new();
        for r in &self.recipients {
            if !r.dpa {
                out.push("processor-without-dpa");
            }
            for t in &r.transfers {
                if t.country == "DE" {
                    continue; // EEA: nothing needed
                }
                let Some(m) = t.mechanism else {
                    out.push("transfer-without-mechanism");
                    continue;
                };
                let invalid = match m {
                    "privacy-shield" => at < date(2016, 8, 1) || at >= date(2020, 7, 16),
                    "scc-2010" => at > date(2022, 12, 27),
                    "scc" => at < date(2021, 6, 27),
                    "dpf" => at < date(2023, 7, 10),
                    _ => false,
                };
                if invalid {
                    out.push("invalid-transfer-mechanism");
                    continue;
                }
                let adequate = match t.country {
                    "GB" => at >= date(2021, 6, 28) && at < date(2031, 12, 28),
                    "JP" => at >= date(2019, 1, 23),
                    _ => false,
                };
                let uncovered = match m {
                    "adequacy" => !adequate,
                    "dpf" => t.country != "US",
                    _ => false,
                };
                if uncovered {
                    out.push("no-adequacy-decision");
                }
            }
        }
        out.sort_unstable();
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_policies_resolve_render_and_lint_as_the_model_says(g in policy()) {
        let toml = g.toml();
        let file = SourceFile::new("policy.toml", toml.clone());
        let report = check(&file, g.at);
        let Some(policy) = report.policy else {
            let errors: Vec<String> = report.diagnostics.iter().map(|d| d.locate(&file).to_string()).collect();
            panic!("a valid policy was rejected:\n{}\n\n{toml}", errors.join("\n"));
        };

        // Lints: transfers and agreements exactly as the model says, on the
        // generated day and on both sides of every change in the law.
        let days = CHANGES.iter().flat_map(|d| [d.yesterday().unwrap_or(*d), *d]).chain([g.at]);
        for at in days {
            let mut got: Vec<&str> = tillit_core::check::lint(&policy, at)
                .iter()
                .map(|d| d.code)
                .filter(|c| matches!(*c, "processor-without-dpa" | "transfer-without-mechanism" | "invalid-transfer-mechanism" | "no-adequacy-decision"))
                .collect();
            got.sort_unstable();
            prop_assert_eq!(got, g.expected_warnings(at), "at {}\n{}", at, toml);
        }

        // The JSON notice declares exactly the generated bases, in DPV.
        let json = notice::json(&policy, Lang::En);
        for (p, row) in PURPOSES.iter().zip(&g.purposes) {
            let purpose = json["purposes"].as_array().and_then(|ps| ps.iter().find(|x| x["id"] == *p)).cloned().unwrap_or_default();
            let declared: Vec<(String, String)> = purpose["processing"]
                .as_array()
                .map(|pr| pr.iter().map(|x| (x["category"].as_str().unwrap_or("").to_owned(), x["basis"].as_str().unwrap_or("").to_owned())).collect())
                .unwrap_or_default();
            let expected: Vec<(String, String)> = row
                .iter()
                .enumerate()
                .filter_map(|(c, b)| b.map(|b| (CATEGORIES[c].to_owned(), BASES[b].to_owned())))
                .collect();
            prop_assert_eq!(declared, expected);
        }

        // The notice names every purpose, category and retention period, in
        // both languages.
        for lang in Lang::ALL {
            let md = notice::markdown(&policy, lang);
            for p in PURPOSES.iter().take(g.purposes.len()) {
                let name = lang.pick("Ändamål", "Purpose");
                prop_assert!(md.contains(&format!("### {name} {p}")), "{lang}: purpose {p}");
            }
            for (c, months) in CATEGORIES.iter().zip(&g.months).take(g.categories) {
                let name = format!("{} {c}", lang.pick("Kat", "Cat"));
                prop_assert!(md.contains(&name), "{lang}: category {c}");
                let period = match (lang, months) {
                    (Lang::Sv, 1) => "en månad".to_owned(),
                    (Lang::Sv, n) => format!("{n} månader"),
                    (Lang::En, 1) => "one month".to_owned(),
                    (Lang::En, n) => format!("{n} months"),
                };
                prop_assert!(md.contains(&format!("{name} {} {period}", lang.pick("sparas under avtalet och raderas därefter", "is kept during the contract and is then erased"))), "{lang}: {c} {period}\n{md}");
            }
        }
    }
}
