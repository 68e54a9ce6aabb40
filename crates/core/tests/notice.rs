//! The rendered notice: snapshots of every language and format, and the
//! facts of the seed that each rendering must carry.
#![allow(clippy::panic, clippy::indexing_slicing, reason = "tests fail loudly")]

use tillit_core::notice;
use tillit_core::policy::Policy;
use tillit_core::{Lang, SourceFile};

const WINSTON: &str = include_str!("../../../examples/winston/policy.toml");

fn winston() -> Policy {
    Policy::parse(&SourceFile::new("policy.toml", WINSTON)).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn snapshots() {
    let policy = winston();
    for lang in Lang::ALL {
        insta::assert_snapshot!(format!("notice_{lang}_md"), notice::markdown(&policy, lang));
        insta::assert_snapshot!(format!("notice_{lang}_html"), notice::html(&policy, lang));
    }
}

/// Every fact of the seed notice, as the Swedish and English renderings
/// must state it.
const FACTS: &[(&str, &str, &str)] = &[
    ("source: yourself", "Du själv", "You."),
    (
        "source: use of services",
        "besöker vår hemsida, ringer eller skickar e-post",
        "visit our website, call us or send e-mail",
    ),
    (
        "source: public register",
        "Postens Adressregister",
        "Postens Adressregister",
    ),
    ("source: cookies", "använder cookies", "uses cookies"),
    (
        "basis: contract",
        "fullgörande av avtal (kunddata)",
        "performance of a contract (customer data)",
    ),
    (
        "basis: legitimate interest and consent (P8, P9)",
        "berättigat intresse (kunddata) och samtycke (trafikdata)",
        "legitimate interest (customer data) and consent (traffic data)",
    ),
    (
        "basis: contract and legal obligation (P10)",
        "fullgörande av avtal (kunddata) och rättslig förpliktelse (trafikdata)",
        "performance of a contract (customer data) and legal obligation (traffic data)",
    ),
    (
        "basis: legal obligation (P11)",
        "rättslig förpliktelse (kunddata och trafikdata)",
        "legal obligation (customer data and traffic data)",
    ),
    ("P8 anonymised", "anonymiseras", "anonymised"),
    (
        "P9 channels",
        "brev, telefon, e-post och sociala medier",
        "letter, phone, e-mail and social media",
    ),
    (
        "P12 24 months after the contract",
        "så länge du är kund hos Winston och raderas därefter 24 månader efter avtalsförhållandets upphörande",
        "while you are a customer of Winston and is then erased 24 months after the end of the contract relationship",
    ),
    (
        "P13 unpaid invoices",
        "till dess fordran är reglerad, längst 10 år efter fakturans utfärdande eller påminnelse om fakturan och raderas därefter 24 månader efter fakturans betalning",
        "until the claim is settled, at most 10 years after the issue of the invoice or a reminder of the invoice and are then erased 24 months after the payment of the invoice",
    ),
    (
        "finding 5: a fallback for a contract that never comes",
        "inträffar aldrig avtalsförhållandets upphörande raderas de 24 månader efter insamlingen",
        "if the end of the contract relationship never comes, it is erased 24 months after collection",
    ),
    (
        "finding 7: invoices and payments are accounting material",
        "(fakturor, betalningar och räkenskapsinformation)",
        "(invoices, payments and accounting material)",
    ),
    (
        "P14 bookkeeping",
        "7 kap. 2 § bokföringslagen (1999:1078)",
        "7 kap. 2 § bokföringslagen (1999:1078)",
    ),
    (
        "P15 26 months",
        "26 månader efter insamlingen",
        "26 months after collection",
    ),
    (
        "P15 IP masking",
        "IP-adresser maskeras innan något sparas",
        "IP addresses are masked before anything is stored",
    ),
    (
        "P16 processors",
        "personuppgiftsbiträdesavtal",
        "data processing agreement",
    ),
    ("P16 sub-consultants", "underkonsulter", "sub-consultants"),
    (
        "P17 Google Analytics",
        "Google Analytics",
        "Google Analytics",
    ),
    (
        "P17 third country",
        "tredje land: USA, med stöd av EU-US Data Privacy Framework",
        "third country: the United States, relying on the EU-US Data Privacy Framework",
    ),
    ("P18 authorities", "Polisen", "the Police"),
    (
        "P19 others with consent",
        "Det sker bara med ditt samtycke",
        "This happens only with your consent",
    ),
    (
        "P20 need to know",
        "endast till dem som behöver det för sina arbetsuppgifter",
        "only to those who need it for their work",
    ),
    ("P21 spam and viruses", "spam och virus", "spam and viruses"),
    (
        "P22 withdrawal",
        "du kan alltid återkalla ditt samtycke genom att kontakta oss",
        "you can always withdraw your consent by contacting us",
    ),
    (
        "Art. 21(4) objection presented separately",
        "Rätt att invända mot direktmarknadsföring",
        "Right to object to direct marketing",
    ),
    (
        "page views are pseudonymised, not anonymous (recital 26, Breyer)",
        "de är pseudonymiserade, inte anonyma",
        "it is pseudonymised, not anonymous",
    ),
    (
        "Art. 13(2)(e) a contractual requirement, and what follows",
        "Uppgifterna är ett krav för att vi ska kunna ingå och fullgöra avtalet med dig; du är inte skyldig att lämna dem. Utan dem kan vi inte",
        "The data is a requirement for entering into and performing the contract with you; you are not obliged to provide it. Without it we cannot",
    ),
    (
        "Art. 13(2)(e) a statutory requirement",
        "Du är skyldig enligt lag att lämna uppgifterna.",
        "The law obliges you to provide the data.",
    ),
    (
        "Art. 13(2)(f) automated decisions",
        "Vi fattar inga beslut om dig som enbart grundas på automatiserad behandling, inklusive profilering",
        "We make no decisions about you based solely on automated processing, including profiling",
    ),
    (
        "Art. 21(2) profiling linked to direct marketing",
        "inklusive profilering som hör ihop med direktmarknadsföringen",
        "including profiling related to it",
    ),
    (
        "Art. 21(1) objection to legitimate interests",
        "tvingande berättigade skäl som väger tyngre än dina intressen, rättigheter och friheter",
        "compelling legitimate grounds that override your interests, rights and freedoms",
    ),
    (
        "Art. 13(1)(f) a copy of the safeguards",
        "Du kan få en kopia av skyddsåtgärderna, eller veta var de finns tillgängliga",
        "You can get a copy of the safeguards, or learn where they are available",
    ),
    (
        "Art. 14(2)(f) the source of credit reports",
        "Kreditupplysningar om dig som vi hämtar från ett kreditupplysningsföretag",
        "Credit reports about you that we obtain from a credit bureau",
    ),
    (
        "Art. 16 completion",
        "komplettering av ofullständiga",
        "completion of incomplete data",
    ),
    (
        "Art. 7(3) lawfulness before withdrawal",
        "Återkallelsen påverkar inte lagligheten av behandling som skett innan du återkallade samtycket",
        "Withdrawal does not affect the lawfulness of processing based on consent before its withdrawal",
    ),
    (
        "Art. 14(3) in words",
        "inom en månad, eller senast när vi första gången kontaktar dig",
        "within one month, or at the latest when we first contact you",
    ),
    (
        "Art. 6(1)(f) names fundamental rights and freedoms",
        "dina intressen eller grundläggande rättigheter och friheter",
        "your interests or fundamental rights and freedoms",
    ),
    (
        "Art. 6(1)(b) necessity, not for consent",
        "när behandlingen är nödvändig för att fullgöra avtalet",
        "where the processing is necessary to perform the contract",
    ),
    (
        "Art. 6(3) the law behind a legal obligation",
        "Den rättsliga förpliktelsen följer av bokföringslagen (1999:1078)",
        "The legal obligation follows from bokföringslagen (1999:1078)",
    ),
    (
        "Art. 12(3) one month, extendable by two",
        "senast inom en månad. Om din begäran är komplicerad eller om vi får många begäranden kan vi förlänga tiden med högst två månader",
        "within one month at the latest. If your request is complex or we receive many, we may extend that by at most two further months",
    ),
    (
        "Art. 79 a court",
        "Du kan också vända dig till allmän domstol.",
        "You can also bring the matter before a court.",
    ),
    (
        "supervisory authority",
        "Integritetsskyddsmyndigheten (IMY)",
        "Integritetsskyddsmyndigheten (IMY)",
    ),
];

#[test]
fn every_rendering_carries_every_fact_of_the_seed() {
    let policy = winston();
    let mut missing = Vec::new();
    for lang in Lang::ALL {
        let md = notice::markdown(&policy, lang).replace('\\', "");
        let html = notice::html(&policy, lang);
        for (fact, sv, en) in FACTS {
            let phrase = lang.pick(sv, en);
            if !md.contains(phrase) {
                missing.push(format!("{lang} md: {fact}: {phrase}"));
            }
            if !html.contains(&phrase.replace('\'', "&#39;")) {
                missing.push(format!("{lang} html: {fact}: {phrase}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing from the notice:\n{}",
        missing.join("\n")
    );
}

/// What the legal review found wrong in the notice, and must not come back.
#[test]
fn the_notice_says_nothing_the_review_found_wrong() {
    let policy = winston();
    for lang in Lang::ALL {
        let md = notice::markdown(&policy, lang).replace('\\', "");
        for wrong in [
            // An invalid safeguard (Art. 13(1)(f), 44).
            "Privacy Shield",
            // Visits called anonymous (recital 26).
            "anonymiserade",
            "is thus anonymised",
            // The broken list sentence.
            "data som:",
            "data that:",
            // Figures where words belong.
            "1 månad",
            "1 month",
            // Necessity claimed for every basis, consent included.
            "Behandlingen måste vara nödvändig, och vi använder",
            "and it must be necessary. We rely",
            // Words IMY does not use.
            "IP-nummer",
            "rätt till begränsning:",
        ] {
            assert!(!md.contains(wrong), "{lang}: `{wrong}` in\n{md}");
        }
        // P19 (disclosure with consent) is in the consent list, once.
        let consent = md
            .lines()
            .find(|l| l.starts_with(lang.pick("Viss behandling", "Some processing")))
            .unwrap_or_default();
        let others = lang.pick("utlämnande till övriga", "disclosure to others");
        assert_eq!(consent.matches(others).count(), 1, "{consent}");
    }
}

#[test]
fn html_is_a_standalone_accessible_page() {
    let policy = winston();
    for lang in Lang::ALL {
        let html = notice::html(&policy, lang);
        assert!(html.starts_with("<!doctype html>\n"));
        assert!(html.contains(&format!("<html lang=\"{lang}\">")));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("<title>"));
        assert_eq!(html.matches("<h1>").count(), 1, "one h1");
        assert!(!html.contains("<script"), "works without JavaScript");
        // Headings never skip a level.
        let mut last = 1;
        for (i, _) in html.match_indices("<h") {
            let Some(level) = html[i + 2..].chars().next().and_then(|c| c.to_digit(10)) else {
                continue;
            };
            assert!(level <= last + 1, "h{level} after h{last}");
            last = level;
        }
        // Tables have captions and header cells.
        assert_eq!(
            html.matches("<table>").count(),
            html.matches("<caption>").count()
        );
        assert!(html.contains("<th scope=\"col\">"));
        // Every section in the table of contents has its anchor.
        for (i, _) in html.match_indices("<li><a href=\"#") {
            let id: String = html[i + 14..].chars().take_while(|c| *c != '"').collect();
            assert!(html.contains(&format!("id=\"{id}\"")), "anchor {id}");
        }
    }
}

#[test]
fn json_notice_names_dpv_legal_bases_and_purposes() {
    let policy = winston();
    let text = serde_json::to_string(&notice::json(&policy, Lang::En)).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["@context"]["dpv"], "https://w3id.org/dpv#");
    let purposes = json["purposes"].as_array().cloned().unwrap_or_default();
    assert_eq!(purposes.len(), 6);
    let basis = |purpose: &str, category: &str| {
        purposes
            .iter()
            .find(|p| p["id"] == purpose)
            .and_then(|p| p["processing"].as_array())
            .and_then(|pr| pr.iter().find(|x| x["category"] == category))
            .map(|x| {
                (
                    x["dpv:hasLegalBasis"].as_str().unwrap_or("").to_owned(),
                    x["gdpr"].as_str().unwrap_or("").to_owned(),
                )
            })
    };
    assert_eq!(
        basis("service-provision", "customer"),
        Some(("dpv:Contract".into(), "eu-gdpr:A6-1-b".into()))
    );
    assert_eq!(
        basis("marketing", "customer"),
        Some(("dpv:LegitimateInterest".into(), "eu-gdpr:A6-1-f".into()))
    );
    assert_eq!(
        basis("marketing", "traffic"),
        Some(("dpv:Consent".into(), "eu-gdpr:A6-1-a".into()))
    );
    assert_eq!(
        basis("security", "traffic"),
        Some(("dpv:LegalObligation".into(), "eu-gdpr:A6-1-c".into()))
    );
    let marketing = purposes
        .iter()
        .find(|p| p["id"] == "marketing")
        .cloned()
        .unwrap_or_default();
    assert_eq!(marketing["dpv:hasPurpose"], "dpv:DirectMarketing");
    let ga = json["recipients"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == "google-analytics"))
        .cloned()
        .unwrap_or_default();
    // The history (the Privacy Shield, until 2023-07-09) is not stated.
    assert_eq!(ga["transfers"].as_array().map(Vec::len), Some(1));
    assert_eq!(ga["transfers"][0]["mechanism"], "dpf");
    assert_eq!(ga["transfers"][0]["gdpr"], "eu-gdpr:A45-3");
    assert_eq!(json["retention"][0]["erase"]["after"], "24 months");
    assert_eq!(json["retention"][0]["erase"]["anchor"], "contract-end");
}

#[test]
fn record_of_processing_has_a_row_per_purpose_and_category() {
    let policy = winston();
    let record = tillit_core::ropa::record(&policy, Lang::En);
    let pairs: usize = policy.purposes.values().map(|p| p.basis.len()).sum();
    assert_eq!(record.activities.len(), pairs);
    let ga = record
        .activities
        .iter()
        .find(|a| a.purpose == "service-development" && a.category == "traffic");
    let ga = ga.unwrap_or_else(|| panic!("no development/traffic row"));
    assert!(
        ga.transfers
            .iter()
            .any(|t| t.contains("Data Privacy Framework"))
    );
    assert!(!ga.transfers.iter().any(|t| t.contains("Privacy Shield (")));
    assert!(ga.erasure.iter().any(|e| e.contains("26 months")));
    let billing = record
        .activities
        .iter()
        .find(|a| a.purpose == "legal-compliance" && a.category == "customer");
    assert!(billing.is_some_and(|a| a.erasure.iter().any(|e| e.contains("bokföringslagen"))));
    let csv = record.to_csv(Lang::En).unwrap_or_default();
    assert_eq!(csv.lines().count(), pairs + 1);
}
