//! Every promise of Winston's notice (P1–P22 in the English working
#![allow(
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test fails loudly on a missing element"
)]
//! translation) is carried by an element of `examples/winston/policy.toml`.
//! One row per clause: the element, and an assertion that it says what the
//! clause promises.

use jiff::civil::date;
use tillit_core::check::lint;
use tillit_core::legal::Mechanism;
use tillit_core::period::{Period, Unit};
use tillit_core::policy::{
    Anchor, Channel, Deadline, LegalBasis, Policy, RecipientType, StateScope, WithdrawalChannel,
};
use tillit_core::{Lang, SourceFile};

const WINSTON: &str = include_str!("../../../examples/winston/policy.toml");

fn winston() -> Policy {
    match Policy::parse(&SourceFile::new("policy.toml", WINSTON)) {
        Ok(p) => p,
        Err(e) => panic!("the Winston policy does not resolve: {e:?}"),
    }
}

fn months(n: u32) -> Option<Period> {
    Some(Period {
        amount: n,
        unit: Unit::Months,
    })
}

fn after_event(n: u32, event: &str) -> Option<Deadline> {
    let deadline = Deadline {
        after: months(n),
        anchor: Anchor::Event(tillit_core::policy::EventId::parse(event).ok()?),
    };
    Some(deadline)
}

type Clause = (&'static str, &'static str, fn(&Policy) -> bool);

const CLAUSES: &[Clause] = &[
    (
        "P1",
        "data you give us yourself: contact details and newsletter come from the subject",
        |p| {
            p.sources["subject"].from_subject
                && ["contact", "newsletter"]
                    .iter()
                    .all(|k| p.kinds[*k].sources.iter().any(|s| s.as_str() == "subject"))
        },
    ),
    (
        "P2",
        "data created when you use our services: visits, calls, e-mail",
        |p| {
            let s = &p.sources["service-use"];
            s.from_subject
                && ["email", "call"].iter().all(|k| {
                    p.kinds[*k]
                        .sources
                        .iter()
                        .any(|s| s.as_str() == "service-use")
                })
        },
    ),
    (
        "P3",
        "data from other sources, e.g. Posten's address register, told within one month (Art. 14(3))",
        |p| {
            let s = &p.sources["public-register"];
            !s.from_subject
                && s.register.as_deref() == Some("Postens Adressregister")
                && s.inform_within == months(1)
                && p.kinds["address"]
                    .sources
                    .iter()
                    .any(|s| s.as_str() == "public-register")
        },
    ),
    (
        "P4",
        "data collected by the website through cookies; non-necessary cookies need consent",
        |p| {
            p.kinds["page-view"]
                .sources
                .iter()
                .any(|s| s.as_str() == "cookie")
                && p.cookies.iter().any(|c| c.strictly_necessary)
                && p.cookies.iter().filter(|c| !c.strictly_necessary).all(|c| {
                    !c.purposes.is_empty()
                        && c.purposes.iter().all(|pu| {
                            p.purposes[pu].basis_for("traffic") == Some(LegalBasis::Consent)
                        })
                })
        },
    ),
    (
        "P5",
        "which data depends on the services you use: every kind names its category and sources",
        |p| {
            p.kinds.len() == 13
                && p.kinds.values().all(|k| !k.sources.is_empty())
                && p.categories
                    .keys()
                    .all(|c| p.kinds_of(c.as_str()).next().is_some())
        },
    ),
    (
        "P6",
        "provision of services on the basis of contract",
        |p| {
            let pu = &p.purposes["service-provision"];
            pu.basis_for("customer") == Some(LegalBasis::Contract)
                && pu.dpv.as_deref() == Some("ServiceProvision")
        },
    ),
    (
        "P7",
        "other communication about services on legitimate interest (customer data)",
        |p| {
            let pu = &p.purposes["service-communication"];
            pu.basis_for("customer") == Some(LegalBasis::LegitimateInterest)
                && pu.legitimate_interest.is_some()
        },
    ),
    (
        "P8",
        "development on legitimate interest (customer) and consent (traffic), anonymised only",
        |p| {
            let pu = &p.purposes["service-development"];
            pu.basis_for("customer") == Some(LegalBasis::LegitimateInterest)
                && pu.basis_for("traffic") == Some(LegalBasis::Consent)
                && pu.anonymised_only
        },
    ),
    (
        "P9",
        "direct marketing by letter, phone, e-mail, social media; legitimate interest and consent",
        |p| {
            let pu = &p.purposes["marketing"];
            pu.basis_for("customer") == Some(LegalBasis::LegitimateInterest)
                && pu.basis_for("traffic") == Some(LegalBasis::Consent)
                && pu.direct_marketing
                && pu.channels
                    == [
                        Channel::Letter,
                        Channel::Phone,
                        Channel::Email,
                        Channel::SocialMedia,
                    ]
        },
    ),
    (
        "P10",
        "security on contract (customer) and legal obligation (traffic)",
        |p| {
            let pu = &p.purposes["security"];
            pu.basis_for("customer") == Some(LegalBasis::Contract)
                && pu.basis_for("traffic") == Some(LegalBasis::LegalObligation)
        },
    ),
    (
        "P11",
        "compliance with laws on legal obligation, for every category",
        |p| {
            let pu = &p.purposes["legal-compliance"];
            p.categories
                .keys()
                .all(|c| pu.basis_for(c.as_str()) == Some(LegalBasis::LegalObligation))
        },
    ),
    (
        "P12",
        "customer data kept while a customer, erased 24 months after the contract ends",
        |p| {
            let Some(rule) = p.retention_rule("customer", "contact") else {
                return false;
            };
            let state = rule.keep_while.as_ref().map(|s| &p.states[s]);
            state.is_some_and(|s| {
                s.opens.as_str() == "contract-start"
                    && s.closes.as_str() == "contract-end"
                    && s.scope == StateScope::Subject
            }) && rule.erase == after_event(24, "contract-end")
                && rule.anonymise.is_none()
        },
    ),
    (
        "P13",
        "invoices kept until settled, erased 24 months after payment; more specific than P12",
        |p| {
            let Some(rule) = p.retention_rule("customer", "invoice") else {
                return false;
            };
            let state = rule.keep_while.as_ref().map(|s| &p.states[s]);
            rule.id.as_str() == "invoices"
                && p.retention_rule("customer", "payment")
                    .is_some_and(|r| r.id == rule.id)
                && state.is_some_and(|s| {
                    s.closes.as_str() == "invoice-paid" && s.scope == StateScope::Reference
                })
                && rule.erase == after_event(24, "invoice-paid")
        },
    ),
    (
        "P14",
        "material the Bookkeeping Act requires is kept: seven years after the fiscal year",
        |p| {
            p.statutory_minimums.iter().any(|m| {
                m.law == "7 kap. 2 § bokföringslagen (1999:1078)" && m.years_after_fiscal_year == 7
            }) && p.kinds["voucher"].accounting_material
        },
    ),
    (
        "P15",
        "website visits anonymised with IP numbers masked, kept 26 months",
        |p| {
            let Some(rule) = p.retention_rule("traffic", "page-view") else {
                return false;
            };
            p.website.ip_masking
                && rule.anonymise
                    == Some(Deadline {
                        after: None,
                        anchor: Anchor::Collection,
                    })
                && rule.erase
                    == Some(Deadline {
                        after: months(26),
                        anchor: Anchor::Collection,
                    })
        },
    ),
    (
        "P16",
        "processors bound by agreement, with sub-consultants who meet our requirements",
        |p| {
            let r = &p.recipients["suppliers"];
            r.kind == RecipientType::Processor && r.dpa.is_some() && r.sub_consultants
        },
    ),
    (
        "P17",
        "Google Analytics transfers traffic data to the US: the published text cited the Privacy Shield (history, flagged on the days it applied); the notice states the Data Privacy Framework, valid today",
        |p| {
            let r = &p.recipients["google-analytics"];
            let cited_shield = r.transfers.iter().any(|t| {
                t.country == "US"
                    && t.mechanism == Some(Mechanism::PrivacyShield)
                    && !t.is_current()
            });
            let states_dpf = r.transfers.iter().any(|t| {
                t.country == "US" && t.mechanism == Some(Mechanism::Dpf) && t.is_current()
            });
            let flagged = lint(p, date(2021, 11, 25))
                .iter()
                .any(|d| d.code == "invalid-transfer-mechanism");
            let through_cookie = p.cookies.iter().any(|c| {
                c.name == "_ga"
                    && c.recipient
                        .as_ref()
                        .is_some_and(|r| r.as_str() == "google-analytics")
            });
            cited_shield
                && states_dpf
                && tillit_core::check::unpublishable(p, date(2026, 11, 25)).is_empty()
                && flagged
                && through_cookie
                && r.categories.iter().all(|c| c.as_str() == "traffic")
        },
    ),
    (
        "P18",
        "authorities, e.g. the Police, on request under law",
        |p| {
            let r = &p.recipients["authorities"];
            r.kind == RecipientType::Authority
                && r.purposes
                    .iter()
                    .any(|pu| pu.as_str() == "legal-compliance")
                && r.name.get(Lang::Sv).contains("Polisen")
        },
    ),
    ("P19", "others only with consent", |p| {
        let r = &p.recipients["others"];
        r.kind == RecipientType::ThirdParty && r.basis == Some(LegalBasis::Consent)
    }),
    (
        "P20",
        "access only for those who need it: every role is limited to some purposes",
        |p| {
            p.roles.len() == 7
                && p.roles.values().all(|r| r.access.len() < p.purposes.len())
                && !p.roles["support"].may("marketing", "customer")
                && !p.roles["marketing"].may("service-provision", "customer")
                && p.roles["billing"].may("service-provision", "customer")
                && p.roles["dpo"].administers
        },
    ),
    ("P21", "we continuously fight spam and viruses", |p| {
        p.security.iter().any(|m| {
            m.get(Lang::Sv).contains("spam och virus")
                && m.get(Lang::En).contains("spam and viruses")
        })
    }),
    (
        "P22",
        "consent can always be withdrawn by contacting us",
        |p| {
            let consent: Vec<_> = p.consent_purposes().collect();
            !consent.is_empty()
                && consent
                    .iter()
                    .all(|(_, pu)| pu.withdraw_via.contains(&WithdrawalChannel::Contact))
        },
    ),
];

#[test]
fn the_clause_table_covers_p1_to_p22_once_each() {
    let names: Vec<&str> = CLAUSES.iter().map(|(c, _, _)| *c).collect();
    let expected: Vec<String> = (1..=22).map(|n| format!("P{n}")).collect();
    assert_eq!(names, expected);
}

#[test]
fn every_clause_is_carried_by_the_winston_policy() {
    let policy = winston();
    let broken: Vec<String> = CLAUSES
        .iter()
        .filter(|(_, _, holds)| !holds(&policy))
        .map(|(clause, promise, _)| format!("{clause}: {promise}"))
        .collect();
    assert!(
        broken.is_empty(),
        "clauses not kept:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_winston_policy_warned_of_the_privacy_shield_while_it_relied_on_it() {
    let policy = winston();
    let codes = |day| {
        lint(&policy, day)
            .iter()
            .map(|d| d.code)
            .filter(|c| c.contains("transfer") || c.contains("adequacy"))
            .collect::<Vec<_>>()
    };
    // Before Schrems II the transfer was lawful; after it, until the Data
    // Privacy Framework, it had no valid mechanism; today it has one.
    assert_eq!(codes(date(2020, 7, 15)), Vec::<&str>::new());
    assert_eq!(codes(date(2021, 11, 25)), ["invalid-transfer-mechanism"]);
    assert_eq!(codes(date(2023, 7, 9)), ["invalid-transfer-mechanism"]);
    assert_eq!(codes(date(2023, 7, 10)), Vec::<&str>::new());
    assert_eq!(codes(date(2026, 11, 25)), Vec::<&str>::new());
}
