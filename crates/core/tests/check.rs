//! The checker, driven by a table: each row breaks the Winston policy in one
//! way and names the finding a DPO must see, and where.
#![allow(clippy::panic, clippy::indexing_slicing, reason = "tests fail loudly")]

use jiff::civil::{Date, date};
use tillit_core::check::check;
use tillit_core::{Severity, SourceFile};

const WINSTON: &str = include_str!("../../../examples/winston/policy.toml");
const TODAY: Date = date(2026, 11, 25);

/// The Winston policy with `from` replaced by `to`, exactly once.
fn edited(from: &str, to: &str) -> String {
    assert_eq!(
        WINSTON.matches(from).count(),
        1,
        "`{from}` must occur once in the Winston policy"
    );
    WINSTON.replacen(from, to, 1)
}

/// 1-based line and column of the first `needle` at or after `after`.
fn position(text: &str, after: &str, needle: &str) -> (usize, usize) {
    let start = text.find(after).unwrap_or_else(|| panic!("no `{after}`"));
    let at = start
        + text[start..]
            .find(needle)
            .unwrap_or_else(|| panic!("no `{needle}` after `{after}`"));
    let line = text[..at].matches('\n').count() + 1;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..at].chars().count() + 1)
}

struct Case {
    name: &'static str,
    from: &'static str,
    to: &'static str,
    severity: Severity,
    code: &'static str,
    /// The finding points at `needle`, first found after `after` in the
    /// edited text.
    after: &'static str,
    needle: &'static str,
    /// The message says this.
    says: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "a purpose rests on contract but no state says when a contract is active",
        from: "contract = true                                 # the contract basis holds meanwhile\n",
        to: "",
        severity: Severity::Error,
        code: "no-contract-state",
        after: "[purposes.",
        needle: "service-provision",
        says: "rests on contract, but no state says when the subject has one",
    },
    Case {
        name: "a contract state that holds per record",
        from: "scope = \"reference\"                             # the invoice the record refers to",
        to: "scope = \"reference\"\ncontract = true",
        severity: Severity::Error,
        code: "bad-value",
        after: "[states.",
        needle: "invoice-unpaid",
        says: "both say when a contract is active",
    },
    Case {
        name: "a purpose names an unknown category",
        from: "basis = { customer = \"contract\" }",
        to: "basis = { kund = \"contract\" }",
        severity: Severity::Error,
        code: "unknown-reference",
        after: "[purposes.service-provision]",
        needle: "kund =",
        says: "unknown category `kund`",
    },
    Case {
        name: "a role names an unknown purpose",
        from: "access = { marketing = [\"customer\", \"traffic\"] }",
        to: "access = { marketting = [\"customer\", \"traffic\"] }",
        severity: Severity::Error,
        code: "unknown-reference",
        after: "[roles.marketing]",
        needle: "marketting",
        says: "unknown purpose `marketting`",
    },
    Case {
        name: "a role uses a category its purpose gives no basis",
        from: "access = { service-provision = [\"customer\"], service-communication = [\"customer\"] }",
        to: "access = { service-provision = [\"customer\", \"traffic\"], service-communication = [\"customer\"] }",
        severity: Severity::Error,
        code: "missing-basis",
        after: "[roles.support]",
        needle: "\"traffic\"",
        says: "no legal basis",
    },
    Case {
        name: "a recipient receives a category none of its purposes has a basis for",
        from: "purposes = [\"legal-compliance\"]\ncategories = [\"customer\", \"traffic\"]",
        to: "purposes = [\"service-provision\"]\ncategories = [\"customer\", \"traffic\"]",
        severity: Severity::Error,
        code: "missing-basis",
        after: "[recipients.authorities]",
        needle: "\"traffic\"",
        says: "none of its purposes (service-provision) gives that category a legal basis",
    },
    Case {
        name: "a retention rule names an unknown event",
        from: "erase = \"24 months after contract-end\"",
        to: "erase = \"24 months after contract-ended\"",
        severity: Severity::Error,
        code: "unknown-reference",
        after: "id = \"customer-data\"",
        needle: "\"24 months after contract-ended\"",
        says: "unknown event `contract-ended`",
    },
    Case {
        name: "a retention rule keeps while an unknown state",
        from: "keep-while = \"invoice-unpaid\"",
        to: "keep-while = \"unpaid\"",
        severity: Severity::Error,
        code: "unknown-reference",
        after: "id = \"invoices\"",
        needle: "\"unpaid\"",
        says: "unknown state `unpaid`",
    },
    Case {
        name: "a deadline that is not one",
        from: "erase = \"26 months after collection\"",
        to: "erase = \"26 moons after collection\"",
        severity: Severity::Error,
        code: "bad-value",
        after: "id = \"website-visits\"",
        needle: "\"26 moons",
        says: "is not a deadline",
    },
    Case {
        name: "a consent purpose nobody can withdraw",
        from: "withdraw-via = [\"contact\", \"cookie-settings\"]",
        to: "withdraw-via = []",
        severity: Severity::Error,
        code: "consent-not-withdrawable",
        after: "[purposes.",
        needle: "service-development]",
        says: "nobody can withdraw it",
    },
    Case {
        name: "a legal basis the GDPR does not have",
        from: "basis = { customer = \"legal-obligation\", traffic = \"legal-obligation\" }",
        to: "basis = { customer = \"legal-obligation\", traffic = \"legitimate-intrest\" }",
        severity: Severity::Error,
        code: "syntax",
        after: "[purposes.legal-compliance]",
        needle: "\"legitimate-intrest\"",
        says: "unknown variant `legitimate-intrest`",
    },
    Case {
        name: "a misspelt field",
        from: "anonymised-only = true",
        to: "anonymized-only = true",
        severity: Severity::Error,
        code: "syntax",
        after: "[purposes.service-development]",
        needle: "anonymized-only",
        says: "unknown field `anonymized-only`",
    },
    Case {
        name: "broken TOML",
        from: "[purposes.security]",
        to: "[purposes.security",
        severity: Severity::Error,
        code: "syntax",
        after: "[purposes.security",
        needle: " ",
        says: "",
    },
    Case {
        name: "an organisation number with a wrong check digit",
        from: "org-number = \"556677-8899\"",
        to: "org-number = \"556677-8898\"",
        severity: Severity::Error,
        code: "bad-value",
        after: "org-number",
        needle: "\"556677-8898\"",
        says: "not a valid Swedish organisation number",
    },
    Case {
        name: "two rules for the same kind",
        from: "kinds = [\"page-view\"]",
        to: "kinds = [\"page-view\"]\n[[retention]]\nid = \"visits-again\"\ncategory = \"traffic\"\nkinds = [\"page-view\"]",
        severity: Severity::Error,
        code: "ambiguous-retention",
        after: "id = \"visits-again\"",
        needle: "\"page-view\"",
        says: "governed by two retention rules",
    },
    Case {
        name: "a processor without a data processing agreement",
        from: "dpa = \"Google Ads Data Processing Terms\"        # example\n",
        to: "",
        severity: Severity::Warning,
        code: "processor-without-dpa",
        after: "[recipients.",
        needle: "google-analytics]",
        says: "no data processing agreement",
    },
    Case {
        name: "a third-country transfer with no mechanism",
        from: "{ country = \"US\", mechanism = \"dpf\", since = \"2023-07-10\" }",
        to: "{ country = \"US\", since = \"2023-07-10\" }",
        severity: Severity::Warning,
        code: "transfer-without-mechanism",
        after: "(adequacy decision (EU) 2023/1795)",
        needle: "{ country",
        says: "names no transfer mechanism",
    },
    Case {
        name: "US adequacy without the Data Privacy Framework",
        from: "mechanism = \"dpf\"",
        to: "mechanism = \"adequacy\"",
        severity: Severity::Warning,
        code: "no-adequacy-decision",
        after: "transfers = [",
        needle: "\"adequacy\"",
        says: "does not cover the United States",
    },
    Case {
        name: "the old standard contractual clauses",
        from: "mechanism = \"dpf\", since = \"2023-07-10\"",
        to: "mechanism = \"scc-2010\", since = \"2020-01-01\"",
        severity: Severity::Warning,
        code: "invalid-transfer-mechanism",
        after: "transfers = [",
        needle: "\"scc-2010\"",
        says: "no longer valid for existing contracts",
    },
    Case {
        name: "a transfer replaced before it began",
        from: "until = \"2023-07-09\"",
        to: "until = \"2017-07-09\"",
        severity: Severity::Error,
        code: "bad-value",
        after: "transfers = [",
        needle: "\"2017-07-09\"",
        says: "ends on 2017-07-09, before it began on 2018-05-25",
    },
    Case {
        name: "an adequacy decision with a limited scope, not confirmed",
        from: "{ country = \"US\", mechanism = \"dpf\", since = \"2023-07-10\" }",
        to: "{ country = \"JP\", mechanism = \"adequacy\", since = \"2023-07-10\" }",
        severity: Severity::Warning,
        code: "adequacy-scope",
        after: "(adequacy decision (EU) 2023/1795)",
        needle: "\"adequacy\"",
        says: "Supplementary Rules",
    },
    Case {
        name: "e-mail marketing without consent or the customer exception",
        from: "email-exception = \"existing-customers\"\n",
        to: "",
        severity: Severity::Warning,
        code: "email-marketing-without-consent",
        after: "[purposes.marketing]",
        needle: "[\"letter\"",
        says: "without consent for customer data",
    },
    Case {
        name: "a category with no retention rule",
        from: "category = \"traffic\"\nkinds = [\"page-view\"]",
        to: "category = \"customer\"\nkinds = [\"voucher\"]",
        severity: Severity::Warning,
        code: "missing-retention",
        after: "[categories.",
        needle: "traffic]",
        says: "category `traffic` has no retention rule",
    },
    Case {
        name: "an indirect source that does not say from whom (Art. 14(2)(f))",
        from: "register = \"UC AB, ett kreditupplysningsföretag\"   # example\n",
        to: "",
        severity: Severity::Warning,
        code: "source-unnamed",
        after: "[sources.",
        needle: "credit-bureau]",
        says: "does not say from whom",
    },
    Case {
        name: "a purpose on a legal obligation that does not say the data must be given (Art. 13(2)(e))",
        from: "required = \"law\"\n",
        to: "",
        severity: Severity::Warning,
        code: "provision-unstated",
        after: "[purposes.",
        needle: "legal-compliance]",
        says: "whether the subject must provide the data",
    },
    Case {
        name: "a contractual requirement without its consequence (Art. 13(2)(e))",
        from: "if-not-provided = { sv = \"Utan dem kan vi inte ingå",
        to: "if-not-given = { sv = \"Utan dem kan vi inte ingå",
        severity: Severity::Error,
        code: "syntax",
        after: "[purposes.service-provision]",
        needle: "if-not-given",
        says: "unknown field",
    },
    Case {
        name: "a legal obligation that names no law (Art. 6(3))",
        from: "law = \"lagen (2022:482) om elektronisk kommunikation\"   # example\n",
        to: "",
        severity: Severity::Warning,
        code: "legal-obligation-without-law",
        after: "[purposes.security]",
        needle: "{ customer = \"contract\", traffic",
        says: "names no law",
    },
    Case {
        name: "a deadline whose event may never come, with no fallback (finding 5)",
        from: "otherwise-erase = \"24 months after collection\"  # never a customer: a subscriber, an address\n",
        to: "",
        severity: Severity::Warning,
        code: "kept-without-end",
        after: "[[retention]]",
        needle: "\"customer-data\"",
        says: "kept for ever if `contract-end` never happens",
    },
    Case {
        name: "a claim that nothing but payment ends (finding 6)",
        from: "also-closed-by = \"invoice-written-off\"          # a claim given up\n# Preskriptionslagen (1981:130) 2 §: a claim is time-barred after 10 years\n# (3 years for a business's claim on a consumer); a reminder interrupts it.\nlapses-after = \"10 years\"\nrenewed-by = \"invoice-reminder\"\n",
        to: "",
        severity: Severity::Warning,
        code: "claim-without-end",
        after: "[[retention]]",
        needle: "\"invoices\"",
        says: "nothing but its closing event ends it",
    },
    Case {
        name: "a reminder without a limitation period",
        from: "lapses-after = \"10 years\"\n",
        to: "",
        severity: Severity::Error,
        code: "bad-value",
        after: "[states.invoice-unpaid]",
        needle: "\"invoice-reminder\"",
        says: "renewed but never lapses",
    },
    Case {
        name: "an indirect source that tells the subject too late",
        from: "register = \"Postens Adressregister\"\ninform-within = \"1 month\"",
        to: "register = \"Postens Adressregister\"\ninform-within = \"6 weeks\"",
        severity: Severity::Warning,
        code: "indirect-source-without-notice",
        after: "[sources.",
        needle: "public-register]",
        says: "later than one month",
    },
    Case {
        name: "a category no purpose processes",
        from: "[categories.traffic]",
        to: "[categories.health]\nname = { sv = \"Hälsa\", en = \"Health\" }\n\n[categories.traffic]",
        severity: Severity::Warning,
        code: "category-without-purpose",
        after: "[categories.",
        needle: "health]",
        says: "no purpose processes it",
    },
    Case {
        name: "a purpose no role may serve",
        from: "access = { service-development = [\"customer\", \"traffic\"] }",
        to: "access = {}",
        severity: Severity::Warning,
        code: "purpose-without-role",
        after: "[purposes.",
        needle: "service-development]",
        says: "no role may process data for purpose `service-development`",
    },
    Case {
        name: "a controller e-mail that is not one",
        from: "email = \"integritet@winston.example\"",
        to: "email = \"integritet at winston\"",
        severity: Severity::Error,
        code: "bad-value",
        after: "[controller]",
        needle: "\"integritet at",
        says: "is not an e-mail address",
    },
    Case {
        name: "a supervisory authority without a web address",
        from: "url = \"https://www.imy.se\"",
        to: "url = \"www.imy.se\"",
        severity: Severity::Error,
        code: "bad-value",
        after: "supervisory-authority",
        needle: "\"www.imy.se\"",
        says: "is not a web address",
    },
    Case {
        name: "a cookie that sends data to an unknown recipient",
        from: "recipient = \"google-analytics\"",
        to: "recipient = \"google\"",
        severity: Severity::Error,
        code: "unknown-reference",
        after: "[cookies._ga]",
        needle: "\"google\"",
        says: "unknown recipient `google`",
    },
    Case {
        name: "a cookie whose recipient receives nothing for its purposes",
        from: "recipient = \"google-analytics\"",
        to: "recipient = \"authorities\"",
        severity: Severity::Error,
        code: "cookie-recipient-mismatch",
        after: "[cookies._ga]",
        needle: "\"authorities\"",
        says: "receives no data for the cookie's purposes",
    },
];

#[test]
fn each_broken_policy_gets_its_finding_at_its_place() {
    let mut failures = Vec::new();
    for case in CASES {
        let text = edited(case.from, case.to);
        let file = SourceFile::new("policy.toml", text.clone());
        let report = check(&file, TODAY);
        let expected = position(&text, case.after, case.needle);
        let found = report.diagnostics.iter().find(|d| {
            let l = d.locate(&file);
            d.code == case.code
                && d.severity == case.severity
                && (l.line, l.column) == expected
                && d.message.contains(case.says)
        });
        if found.is_none() {
            let got: Vec<String> = report
                .diagnostics
                .iter()
                .map(|d| d.locate(&file).to_string())
                .collect();
            failures.push(format!(
                "{}: expected {}[{}] at {}:{} saying `{}`; got:\n  {}",
                case.name,
                case.severity,
                case.code,
                expected.0,
                expected.1,
                case.says,
                got.join("\n  ")
            ));
        }
        if case.severity == Severity::Error {
            assert!(
                report.policy.is_none(),
                "{}: a policy with errors must not resolve",
                case.name
            );
        } else {
            assert!(
                report.policy.is_some(),
                "{}: warnings leave the policy usable",
                case.name
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn unknown_names_suggest_the_closest_known_one() {
    let text = edited(
        "basis = { customer = \"contract\" }",
        "basis = { custmer = \"contract\" }",
    );
    let report = check(&SourceFile::new("policy.toml", text), TODAY);
    let help = report
        .diagnostics
        .first()
        .and_then(|d| d.help.clone())
        .unwrap_or_default();
    assert!(help.starts_with("did you mean `customer`?"), "{help}");
    assert!(help.contains("known: customer, traffic"), "{help}");
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let text = edited(
        "basis = { customer = \"contract\" }",
        "basis = { kund = \"contract\" }",
    )
    .replace("keep-while = \"invoice-unpaid\"", "keep-while = \"unpaid\"");
    let report = check(&SourceFile::new("policy.toml", text), TODAY);
    assert_eq!(report.count(Severity::Error), 2, "{:?}", report.diagnostics);
}

#[test]
fn lints_judge_by_the_law_of_the_date_checked() {
    let transfers = |file: &SourceFile, day| {
        check(file, day)
            .diagnostics
            .into_iter()
            .filter(|d| d.code.contains("transfer") || d.code.contains("adequacy"))
            .collect::<Vec<_>>()
    };
    let file = SourceFile::new("policy.toml", WINSTON);
    assert_eq!(transfers(&file, date(2020, 7, 15)), vec![]);
    let on_the_day = transfers(&file, date(2020, 7, 16));
    assert_eq!(on_the_day.len(), 1);
    let message = &on_the_day[0].message;
    assert!(
        message.contains("Privacy Shield") && message.contains("Schrems II"),
        "{message}"
    );

    let dpf = SourceFile::new(
        "policy.toml",
        edited("mechanism = \"privacy-shield\"", "mechanism = \"dpf\""),
    );
    assert_eq!(
        transfers(&dpf, TODAY),
        vec![],
        "a DPF-certified transfer is lawful today"
    );
    let early = transfers(&dpf, date(2023, 7, 9));
    assert_eq!(early.len(), 1, "the DPF did not exist before 2023-07-10");
}

/// Finding 11: the old clauses count only for contracts concluded before
/// 27 September 2021 (decision (EU) 2021/914 Art. 4(4)).
#[test]
fn old_clauses_are_judged_by_the_day_the_contract_was_concluded() {
    let with = |since: &str| {
        let text = edited(
            "mechanism = \"dpf\", since = \"2023-07-10\"",
            &format!("mechanism = \"scc-2010\", since = \"{since}\""),
        );
        check(&SourceFile::new("policy.toml", text), date(2022, 6, 1))
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "invalid-transfer-mechanism")
            .map(|d| d.message)
            .filter(|m| m.contains("old standard contractual clauses"))
            .collect::<Vec<_>>()
    };
    assert_eq!(with("2021-09-26"), Vec::<String>::new());
    let late = with("2021-09-27");
    assert_eq!(late.len(), 1, "{late:?}");
    assert!(
        late[0].contains("only contracts concluded before 2021-09-27"),
        "{late:?}"
    );
}

#[test]
fn adequacy_reaches_the_european_patent_organisation_from_15_july_2025() {
    let text = edited(
        "{ country = \"US\", mechanism = \"dpf\", since = \"2023-07-10\" }",
        "{ country = \"EPO\", mechanism = \"adequacy\", since = \"2023-07-10\" }",
    );
    let file = SourceFile::new("policy.toml", text);
    let before = check(&file, date(2025, 7, 14));
    assert!(
        before
            .diagnostics
            .iter()
            .any(|d| d.code == "no-adequacy-decision"),
        "{:?}",
        before.diagnostics
    );
    let after = check(&file, date(2025, 7, 15));
    assert!(
        !after
            .diagnostics
            .iter()
            .any(|d| d.code.contains("adequacy")),
        "{:?}",
        after.diagnostics
    );
}

#[test]
fn a_confirmed_scope_silences_the_scope_warning() {
    let text = edited(
        "{ country = \"US\", mechanism = \"dpf\", since = \"2023-07-10\" }",
        "{ country = \"KR\", mechanism = \"adequacy\", since = \"2023-07-10\", within-scope = true }",
    );
    let report = check(&SourceFile::new("policy.toml", text), TODAY);
    assert!(
        !report
            .diagnostics
            .iter()
            .any(|d| d.code == "adequacy-scope"),
        "{:?}",
        report.diagnostics
    );
}

/// Finding 1: the notice may not state a safeguard that is not valid on
/// the day it is published; the Winston example names the one valid today.
#[test]
fn a_notice_stating_an_invalid_safeguard_is_unpublishable() {
    use tillit_core::Policy;
    use tillit_core::check::unpublishable;
    let winston = Policy::parse(&SourceFile::new("policy.toml", WINSTON)).unwrap();
    assert_eq!(unpublishable(&winston, TODAY), vec![]);
    // The Privacy Shield as the notice's current safeguard.
    let text = edited(", until = \"2023-07-09\"", "").replacen(
        "  { country = \"US\", mechanism = \"dpf\", since = \"2023-07-10\" },\n",
        "",
        1,
    );
    let file = SourceFile::new("policy.toml", text.clone());
    let shield = Policy::parse(&file).unwrap();
    let found = unpublishable(&shield, TODAY);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, "invalid-transfer-mechanism");
    assert_eq!(found[0].severity, Severity::Error);
    let l = found[0].locate(&file);
    assert_eq!(
        (l.line, l.column),
        position(&text, "transfers = [", "\"privacy-shield\"")
    );
    // On the last day it was valid, it could be published.
    assert_eq!(unpublishable(&shield, date(2020, 7, 15)), vec![]);
    // A replaced arrangement is history: judged by `check --at`, never
    // stated.
    let notice = tillit_core::notice::markdown(&winston, tillit_core::Lang::En);
    assert!(!notice.contains("Privacy Shield"), "{notice}");
    assert!(notice.contains("Data Privacy Framework"), "{notice}");
}

/// Finding 13 and what the notice must say (finding 3): the Winston
/// example checks with exactly the warning its published text earns.
#[test]
fn the_winston_policy_is_warned_of_its_contract_basis_for_security_only() {
    let report = check(&SourceFile::new("policy.toml", WINSTON), TODAY);
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["contract-basis-for-security"]);
    assert!(
        report.diagnostics[0]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("Guidelines 2/2019")),
        "{:?}",
        report.diagnostics
    );
}

#[test]
fn a_policy_silent_on_automated_decisions_is_warned() {
    let start = WINSTON.find("[automated-decisions]").unwrap();
    let end = start + WINSTON[start..].find("\n\n").unwrap();
    let text = format!("{}{}", &WINSTON[..start], &WINSTON[end..]);
    let report = check(&SourceFile::new("policy.toml", text), TODAY);
    let found = report
        .diagnostics
        .iter()
        .find(|d| d.code == "automated-decisions-unstated")
        .unwrap_or_else(|| panic!("{:?}", report.diagnostics));
    assert!(
        found
            .help
            .as_deref()
            .is_some_and(|h| h.contains("13(2)(f)"))
    );
    // Used, but not described: an error.
    let text = edited("used = false ", "used = true ").replacen(
        "description = { sv = \"Vid kreditupplysningar",
        "# description = { sv = \"Vid kreditupplysningar",
        1,
    );
    let report = check(&SourceFile::new("policy.toml", text), TODAY);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.code == "missing-description"),
        "{:?}",
        report.diagnostics
    );
}

#[test]
fn an_empty_file_says_what_is_missing() {
    let report = check(&SourceFile::new("policy.toml", ""), TODAY);
    assert_eq!(report.diagnostics.len(), 1);
    assert!(
        report.diagnostics[0].message.contains("missing field"),
        "{:?}",
        report.diagnostics
    );
}

#[test]
fn deeply_nested_toml_is_a_located_error_not_a_crash() {
    for text in [
        format!("format = {}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("format = {}1{}", "{a=".repeat(50_000), "}".repeat(50_000)),
    ] {
        let report = check(&SourceFile::new("policy.toml", text), TODAY);
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(report.diagnostics[0].code, "syntax");
        assert!(report.diagnostics[0].span.is_some());
    }
}

#[test]
fn one_mistake_is_reported_once() {
    // A kind with a bad category is referenced by a retention rule; a state
    // with a bad event by another; a purpose with a bad category by roles,
    // recipients and a cookie. Each mistake is one error, at its place.
    for (from, to, at) in [
        (
            "[kinds.invoice]\ncategory = \"customer\"",
            "[kinds.invoice]\ncategory = \"kund\"",
            "kund",
        ),
        (
            "opens = \"invoice-issued\"",
            "opens = \"invoice-sent\"",
            "invoice-sent",
        ),
        (
            "basis = { customer = \"legitimate-interest\", traffic = \"consent\" }\nlegitimate-interest = { sv = \"att utveckla",
            "basis = { customer = \"legitimate-interest\", trafik = \"consent\" }\nlegitimate-interest = { sv = \"att utveckla",
            "trafik",
        ),
    ] {
        let text = edited(from, to);
        let file = SourceFile::new("policy.toml", text.clone());
        let report = check(&file, TODAY);
        let found: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| d.locate(&file).to_string())
            .collect();
        assert_eq!(found.len(), 1, "{to}: {found:#?}");
        assert!(found[0].contains(&format!("`{at}`")), "{found:?}");
    }
}
