//! Legal facts that change over time, kept as dated data.
//!
//! A new adequacy decision or an invalidated transfer mechanism is one new
//! row here, not a constant scattered through the checker. Each row names its
//! source. The checker asks these tables what held on the date it checks at.

use jiff::civil::{Date, date};
use serde::{Deserialize, Serialize};

use crate::text::Lang;

/// The legal ground a transfer to a third country rests on (GDPR Chapter V).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mechanism {
    /// An adequacy decision for the country (Art. 45(3)).
    Adequacy,
    /// The EU-US Data Privacy Framework: adequacy for certified US
    /// organisations only.
    Dpf,
    /// Standard contractual clauses, decision (EU) 2021/914.
    Scc,
    /// The old standard contractual clauses, decision 2010/87/EU.
    #[serde(rename = "scc-2010")]
    Scc2010,
    /// Binding corporate rules (Art. 46(2)(b), 47).
    Bcr,
    /// An approved code of conduct (Art. 46(2)(e)).
    CodeOfConduct,
    /// An approved certification mechanism (Art. 46(2)(f)).
    Certification,
    /// A derogation for a specific situation (Art. 49), a last resort.
    Derogation,
    /// The EU-US Privacy Shield, decision (EU) 2016/1250.
    PrivacyShield,
}

/// What the law says of one transfer mechanism, and when it held.
#[derive(Debug)]
pub struct MechanismFact {
    pub mechanism: Mechanism,
    pub id: &'static str,
    pub name_sv: &'static str,
    pub name_en: &'static str,
    /// The instrument it rests on.
    pub instrument: &'static str,
    /// The GDPR provision, as a DPV `eu-gdpr:` term.
    pub gdpr_term: &'static str,
    /// First day it could be relied on, where it has one.
    pub valid_from: Option<Date>,
    /// First day it could no longer be relied on.
    pub invalid_from: Option<Date>,
    /// What ended it.
    pub ended_by: Option<&'static str>,
    /// Only an arrangement concluded before this day may rely on it (the old
    /// clauses after their repeal: decision (EU) 2021/914 Art. 4(4)).
    pub concluded_before: Option<Date>,
}

impl MechanismFact {
    pub fn name(&self, lang: Lang) -> &'static str {
        lang.pick(self.name_sv, self.name_en)
    }

    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|from| day >= from)
            && self.invalid_from.is_none_or(|until| day < until)
    }

    /// Whether an arrangement concluded on `since` may rely on it on `day`.
    pub fn valid_for(&self, since: Date, day: Date) -> bool {
        self.valid_on(day) && self.concluded_before.is_none_or(|before| since < before)
    }

    /// Why an arrangement concluded on `since` may not rely on it on `day`,
    /// or `None` where it may.
    pub fn why_invalid(&self, since: Date, day: Date) -> Option<String> {
        if let Some(before) = self.concluded_before.filter(|before| since >= *before) {
            return Some(format!(
                "only contracts concluded before {before} could rely on it, and this one dates from {since}"
            ));
        }
        if self.valid_on(day) {
            return None;
        }
        Some(self.ended_by.map_or_else(
            || {
                format!(
                    "not in force until {}",
                    self.valid_from.map_or_else(String::new, |d| d.to_string())
                )
            },
            str::to_owned,
        ))
    }
}

/// Every mechanism, in the order of `Mechanism`.
pub static MECHANISMS: [MechanismFact; 9] = [
    MechanismFact {
        mechanism: Mechanism::Adequacy,
        id: "adequacy",
        name_sv: "beslut om adekvat skyddsnivå",
        name_en: "an adequacy decision",
        instrument: "GDPR Art. 45(3)",
        gdpr_term: "eu-gdpr:A45-3",
        valid_from: None,
        invalid_from: None,
        ended_by: None,
        concluded_before: None,
    },
    MechanismFact {
        mechanism: Mechanism::Dpf,
        id: "dpf",
        name_sv: "EU-US Data Privacy Framework (beslut om adekvat skyddsnivå)",
        name_en: "the EU-US Data Privacy Framework (adequacy decision)",
        instrument: "Commission Implementing Decision (EU) 2023/1795 of 10 July 2023",
        gdpr_term: "eu-gdpr:A45-3",
        valid_from: Some(date(2023, 7, 10)),
        invalid_from: None,
        ended_by: None,
        concluded_before: None,
    },
    MechanismFact {
        mechanism: Mechanism::Scc,
        id: "scc",
        name_sv: "EU-kommissionens standardavtalsklausuler",
        name_en: "the European Commission's standard contractual clauses",
        instrument: "Commission Implementing Decision (EU) 2021/914 of 4 June 2021",
        gdpr_term: "eu-gdpr:A46-2-c",
        valid_from: Some(date(2021, 6, 27)),
        invalid_from: None,
        ended_by: None,
        concluded_before: None,
    },
    MechanismFact {
        mechanism: Mechanism::Scc2010,
        id: "scc-2010",
        name_sv: "äldre standardavtalsklausuler (2010/87/EU)",
        name_en: "the old standard contractual clauses (2010/87/EU)",
        instrument: "Commission Decision 2010/87/EU",
        gdpr_term: "eu-gdpr:A46-2-c",
        valid_from: None,
        invalid_from: Some(date(2022, 12, 28)),
        ended_by: Some(
            "repealed by decision (EU) 2021/914; no longer valid for existing contracts after 2022-12-27",
        ),
        // Decision (EU) 2021/914 Art. 4(4): contracts concluded before
        // 27 September 2021 on the old clauses stayed valid until
        // 27 December 2022; one concluded later never was.
        concluded_before: Some(date(2021, 9, 27)),
    },
    MechanismFact {
        mechanism: Mechanism::Bcr,
        id: "bcr",
        name_sv: "bindande företagsbestämmelser",
        name_en: "binding corporate rules",
        instrument: "GDPR Art. 46(2)(b) and 47",
        gdpr_term: "eu-gdpr:A46-2-b",
        valid_from: None,
        invalid_from: None,
        ended_by: None,
        concluded_before: None,
    },
    MechanismFact {
        mechanism: Mechanism::CodeOfConduct,
        id: "code-of-conduct",
        name_sv: "godkänd uppförandekod",
        name_en: "an approved code of conduct",
        instrument: "GDPR Art. 46(2)(e)",
        gdpr_term: "eu-gdpr:A46-2-e",
        valid_from: None,
        invalid_from: None,
        ended_by: None,
        concluded_before: None,
    },
    MechanismFact {
        mechanism: Mechanism::Certification,
        id: "certification",
        name_sv: "godkänd certifiering",
        name_en: "an approved certification",
        instrument: "GDPR Art. 46(2)(f)",
        gdpr_term: "eu-gdpr:A46-2-f",
        valid_from: None,
        invalid_from: None,
        ended_by: None,
        concluded_before: None,
    },
    MechanismFact {
        mechanism: Mechanism::Derogation,
        id: "derogation",
        name_sv: "undantag för särskilda situationer",
        name_en: "a derogation for a specific situation",
        instrument: "GDPR Art. 49",
        gdpr_term: "eu-gdpr:A49-1-a",
        valid_from: None,
        invalid_from: None,
        ended_by: None,
        concluded_before: None,
    },
    MechanismFact {
        mechanism: Mechanism::PrivacyShield,
        id: "privacy-shield",
        name_sv: "EU-US Privacy Shield",
        name_en: "the EU-US Privacy Shield",
        instrument: "Commission Implementing Decision (EU) 2016/1250",
        gdpr_term: "eu-gdpr:A45-3",
        valid_from: Some(date(2016, 8, 1)),
        invalid_from: Some(date(2020, 7, 16)),
        ended_by: Some("invalidated by the CJEU in Schrems II (C-311/18) on 2020-07-16"),
        concluded_before: None,
    },
];

impl Mechanism {
    pub fn fact(self) -> &'static MechanismFact {
        // INVARIANT: MECHANISMS lists every variant once, in declaration
        // order; a unit test checks it.
        let i = self as usize;
        MECHANISMS.get(i).unwrap_or(&MECHANISMS[0])
    }
}

/// An adequacy decision under Art. 45(3).
#[derive(Debug)]
pub struct AdequacyDecision {
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    pub decision: &'static str,
    pub from: Date,
    /// First day it no longer holds, where it lapses.
    pub invalid_from: Option<Date>,
    /// What it covers where it does not cover the whole country.
    pub scope: Option<&'static str>,
    /// The mechanism a transfer names to rely on it: `Adequacy` for a
    /// decision on the country, `Dpf` for the US one, which covers only
    /// certified organisations.
    pub relied_on_as: Mechanism,
}

/// The adequacy decisions, as of 2025 (LEGAL.md).
pub static ADEQUACY: &[AdequacyDecision] = &[
    AdequacyDecision {
        country: "AD",
        decision: "2010/625/EU",
        from: date(2010, 10, 19),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "AR",
        decision: "2003/490/EC",
        from: date(2003, 6, 30),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "CA",
        decision: "2002/2/EC",
        from: date(2001, 12, 20),
        invalid_from: None,
        scope: Some("commercial organisations under PIPEDA"),
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "FO",
        decision: "2010/146/EU",
        from: date(2010, 3, 5),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "GG",
        decision: "2003/821/EC",
        from: date(2003, 11, 21),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "IL",
        decision: "2011/61/EU",
        from: date(2011, 1, 31),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "IM",
        decision: "2004/411/EC",
        from: date(2004, 4, 28),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "JP",
        decision: "(EU) 2019/419",
        from: date(2019, 1, 23),
        invalid_from: None,
        scope: Some(
            "only transfers to organisations bound by the APPI and the Supplementary Rules that came with the decision",
        ),
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "JE",
        decision: "2008/393/EC",
        from: date(2008, 5, 8),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "NZ",
        decision: "2013/65/EU",
        from: date(2012, 12, 19),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "KR",
        decision: "(EU) 2022/254",
        from: date(2021, 12, 17),
        invalid_from: None,
        scope: Some(
            "not credit information processed under the Credit Information Act by organisations the Financial Services Commission supervises",
        ),
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "CH",
        decision: "2000/518/EC",
        from: date(2000, 7, 26),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "GB",
        decision: "(EU) 2021/1772, renewed",
        from: date(2021, 6, 28),
        invalid_from: Some(date(2031, 12, 28)),
        scope: Some("not data transferred for the purposes of UK immigration control"),
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "UY",
        decision: "2012/484/EU",
        from: date(2012, 8, 21),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        // An international organisation: adequacy under Art. 45(1) reaches
        // international organisations as well as countries.
        country: "EPO",
        decision: "adequacy decision on the European Patent Organisation of 15 July 2025",
        from: date(2025, 7, 15),
        invalid_from: None,
        scope: None,
        relied_on_as: Mechanism::Adequacy,
    },
    AdequacyDecision {
        country: "US",
        decision: "(EU) 2023/1795 (Data Privacy Framework)",
        from: date(2023, 7, 10),
        invalid_from: None,
        scope: Some("organisations certified under the Data Privacy Framework"),
        relied_on_as: Mechanism::Dpf,
    },
];

/// The adequacy decision that covers `country` on `day`, if any.
pub fn adequacy_on(country: &str, day: Date) -> Option<&'static AdequacyDecision> {
    ADEQUACY.iter().find(|a| {
        a.country == country && day >= a.from && a.invalid_from.is_none_or(|until| day < until)
    })
}

/// Whether a transfer to `country` naming `mechanism` rests on an adequacy
/// decision in force on `day`.
pub fn adequacy_covers(mechanism: Mechanism, country: &str, day: Date) -> bool {
    adequacy_on(country, day).is_some_and(|a| a.relied_on_as == mechanism)
}

/// The decision on `country` that a transfer must name another mechanism
/// than `adequacy` to rely on (the US: `dpf`), whenever it applies.
pub fn scoped_adequacy(country: &str) -> Option<&'static AdequacyDecision> {
    ADEQUACY
        .iter()
        .find(|a| a.country == country && a.relied_on_as != Mechanism::Adequacy)
}

/// The EU and EEA member states: transfers between them need no mechanism.
pub static EEA: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
];

pub fn is_eea(country: &str) -> bool {
    EEA.contains(&country)
}

/// International organisations a transfer may name instead of a country,
/// by the code a policy writes.
pub static INTERNATIONAL_ORGANISATIONS: [&str; 1] = ["EPO"];

/// Names of the countries a notice is most likely to mention; other codes
/// are shown as the code itself.
static COUNTRY_NAMES: &[(&str, &str, &str)] = &[
    ("US", "USA", "the United States"),
    ("GB", "Storbritannien", "the United Kingdom"),
    ("CH", "Schweiz", "Switzerland"),
    ("CA", "Kanada", "Canada"),
    ("JP", "Japan", "Japan"),
    ("KR", "Sydkorea", "the Republic of Korea"),
    ("IL", "Israel", "Israel"),
    ("NZ", "Nya Zeeland", "New Zealand"),
    ("AR", "Argentina", "Argentina"),
    ("UY", "Uruguay", "Uruguay"),
    ("AD", "Andorra", "Andorra"),
    ("FO", "Färöarna", "the Faroe Islands"),
    ("GG", "Guernsey", "Guernsey"),
    ("IM", "Isle of Man", "the Isle of Man"),
    ("JE", "Jersey", "Jersey"),
    ("IN", "Indien", "India"),
    ("CN", "Kina", "China"),
    ("AU", "Australien", "Australia"),
    ("SE", "Sverige", "Sweden"),
    (
        "EPO",
        "Europeiska patentorganisationen",
        "the European Patent Organisation",
    ),
];

pub fn country_name(code: &str, lang: Lang) -> &str {
    COUNTRY_NAMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or(code, |(_, sv, en)| lang.pick(sv, en))
}

/// A limitation period for claims (preskriptionstid), as dated data.
#[derive(Debug)]
pub struct Limitation {
    pub law: &'static str,
    /// Whose claim on whom it governs.
    pub applies_to: &'static str,
    pub years: u8,
    pub from: Date,
}

/// Preskriptionslagen (1981:130) 2 §: a claim is time-barred ten years
/// after it arose, three years for a business's claim on a consumer for
/// goods, services or other utilities; acknowledgement or a demand
/// interrupts the period, which then runs anew (5 §).
pub static LIMITATIONS: [Limitation; 2] = [
    Limitation {
        law: "2 § första stycket preskriptionslagen (1981:130)",
        applies_to: "claims in general",
        years: 10,
        from: date(1981, 7, 1),
    },
    Limitation {
        law: "2 § andra stycket preskriptionslagen (1981:130)",
        applies_to: "a business's claim on a consumer for goods, services or other utilities",
        years: 3,
        from: date(1981, 7, 1),
    },
];

/// Bokföringslagen (1999:1078) 7 kap. 2 §: accounting material is kept
/// through 31 December of the `years`th calendar year after the one in which
/// the fiscal year ended. Returns that last day.
pub fn bookkeeping_kept_through(fiscal_year_end: Date, years: i16) -> Option<Date> {
    let year = fiscal_year_end.year().checked_add(years)?;
    Date::new(year, 12, 31).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanism_table_is_in_declaration_order() {
        for (i, fact) in MECHANISMS.iter().enumerate() {
            assert_eq!(fact.mechanism as usize, i, "{}", fact.id);
            assert_eq!(fact.mechanism.fact().id, fact.id);
        }
    }

    #[test]
    fn privacy_shield_ended_with_schrems_ii() {
        let ps = Mechanism::PrivacyShield.fact();
        assert!(ps.valid_on(date(2020, 7, 15)));
        assert!(!ps.valid_on(date(2020, 7, 16)));
        assert!(Mechanism::Scc2010.fact().valid_on(date(2022, 12, 27)));
        assert!(!Mechanism::Scc2010.fact().valid_on(date(2022, 12, 28)));
        assert!(!Mechanism::Dpf.fact().valid_on(date(2023, 7, 9)));
        assert!(Mechanism::Dpf.fact().valid_on(date(2023, 7, 10)));
    }

    #[test]
    fn adequacy_is_dated() {
        assert!(adequacy_on("JP", date(2019, 1, 22)).is_none());
        assert!(adequacy_on("JP", date(2019, 1, 23)).is_some());
        assert!(adequacy_on("GB", date(2031, 12, 27)).is_some());
        assert!(adequacy_on("GB", date(2031, 12, 28)).is_none());
        assert!(adequacy_on("IN", date(2025, 1, 1)).is_none());
        // US adequacy is the Data Privacy Framework, named as such.
        assert!(adequacy_covers(Mechanism::Dpf, "US", date(2023, 7, 10)));
        assert!(!adequacy_covers(
            Mechanism::Adequacy,
            "US",
            date(2025, 1, 1)
        ));
        assert!(!adequacy_covers(Mechanism::Dpf, "GB", date(2025, 1, 1)));
        assert!(adequacy_covers(Mechanism::Adequacy, "GB", date(2025, 1, 1)));
        assert!(is_eea("NO") && is_eea("SE") && !is_eea("CH"));
    }

    #[test]
    fn old_clauses_count_only_for_contracts_concluded_before_27_september_2021() {
        let old = Mechanism::Scc2010.fact();
        assert!(old.valid_for(date(2021, 9, 26), date(2022, 12, 27)));
        assert!(!old.valid_for(date(2021, 9, 27), date(2021, 10, 1)));
        assert!(!old.valid_for(date(2021, 9, 26), date(2022, 12, 28)));
        assert!(
            old.why_invalid(date(2021, 10, 1), date(2021, 10, 2))
                .is_some()
        );
        assert!(
            old.why_invalid(date(2020, 1, 1), date(2021, 10, 2))
                .is_none()
        );
    }

    #[test]
    fn scoped_adequacy_says_what_it_leaves_out() {
        for country in ["JP", "KR", "GB", "CA", "US"] {
            let a = adequacy_on(country, date(2026, 1, 1));
            assert!(a.and_then(|a| a.scope).is_some(), "{country}");
        }
        assert!(adequacy_on("EPO", date(2025, 7, 14)).is_none());
        assert!(adequacy_covers(
            Mechanism::Adequacy,
            "EPO",
            date(2025, 7, 15)
        ));
    }

    #[test]
    fn bookkeeping_follows_the_calendar_year_the_fiscal_year_ended() {
        // LEGAL.md's two examples.
        assert_eq!(
            bookkeeping_kept_through(date(2024, 12, 31), 7),
            Some(date(2031, 12, 31))
        );
        assert_eq!(
            bookkeeping_kept_through(date(2025, 4, 30), 7),
            Some(date(2032, 12, 31))
        );
        // SYSTEM.md: a fiscal year that ended 2023-06-30.
        assert_eq!(
            bookkeeping_kept_through(date(2023, 6, 30), 7),
            Some(date(2030, 12, 31))
        );
    }
}
