//! A synthetic company for demonstrations and benchmarks: customers whose
//! contracts start and end, invoices paid on time, late or never, vouchers,
//! newsletter consents given and withdrawn, page views, a few disclosures
//! to processors and one authority request.
//!
//! The same seed, size and end time give the same ledger, row for row
//! (pseudonyms aside, which are random by design). Everything goes through
//! the policy's checks and the [`Writer`], like any other write. It needs a
//! policy with the Winston example's ids.

use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use tillit_core::Policy;
use tillit_core::identity::{Email, Identifier, Personnummer, Phone, SubjectId};
use tillit_core::ledger::{
    ConsentChange, InputError, NewDisclosure, NewEvent, NewObjection, NewRecord, NewSubject,
    RecordRequest, RestrictionGround,
};
use tillit_core::notice;

use crate::{Ledger, StoreError, Writer};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    pub subjects: u64,
    pub seed: u64,
    /// The company's history ends here and spans the four years before.
    pub until: ZonedDateTime,
}

/// A small, fast, reproducible generator (SplitMix64); not for secrets.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i).copied().unwrap_or("")
    }
}

const FIRST: &[&str] = &[
    "anna", "erik", "maria", "lars", "karin", "johan", "sara", "anders", "emma", "per", "elin",
    "nils", "ida", "olof", "frida", "gustav",
];
const LAST: &[&str] = &[
    "andersson",
    "johansson",
    "karlsson",
    "nilsson",
    "eriksson",
    "larsson",
    "olsson",
    "persson",
    "svensson",
    "gustafsson",
    "lindberg",
    "holm",
];
const STREETS: &[&str] = &[
    "Storgatan",
    "Kungsgatan",
    "Drottninggatan",
    "Sveavägen",
    "Järnvägsgatan",
];
const CITIES: &[&str] = &["Stockholm", "Göteborg", "Malmö", "Uppsala", "Umeå", "Luleå"];

/// What was generated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub subjects: u64,
    pub records: u64,
    pub lifecycle_events: u64,
    pub consents: u64,
    pub disclosures: u64,
}

const DAY: i64 = 86_400;

/// Subjects per transaction.
const BATCH: u64 = 500;

/// Fills the ledger; `progress` is told how many subjects are done.
pub fn generate(
    ledger: &mut Ledger,
    policy: &Policy,
    spec: &Spec,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, StoreError> {
    let notice = notice::version(policy);
    let end = spec.until.timestamp();
    let mut summary = Summary::default();
    let mut first = 0;
    while first < spec.subjects {
        let last = (first + BATCH).min(spec.subjects);
        ledger.write(end, |w| {
            for i in first..last {
                let mut rng = Rng(spec.seed ^ i.wrapping_mul(0xA24B_AED4_963E_E407));
                customer(w, policy, &notice, &spec.until, i, &mut rng, &mut summary)?;
            }
            Ok(())
        })?;
        first = last;
        progress(first);
    }
    if spec.subjects > 0 {
        // One authority request, for the first customer.
        ledger.write(end, |w| {
            let d = NewDisclosure::new(
                policy,
                "authorities",
                vec![subject_id(0)?],
                &["customer".to_owned()],
                "legal-obligation",
                Some("Polismyndigheten 5000-K123456-26".to_owned()),
                end,
            )?;
            w.disclose(&d)?;
            summary.disclosures += 1;
            Ok(())
        })?;
    }
    Ok(summary)
}

/// The id of the `i`th demo subject: `c-000001` for 0.
pub fn subject_id(i: u64) -> Result<SubjectId, StoreError> {
    SubjectId::parse(&format!("c-{:06}", i + 1))
        .map_err(|e| StoreError::Input(InputError::Refused(e.to_string())))
}

/// The e-mail address of the `i`th demo subject (every one has one).
pub fn email(i: u64) -> String {
    let mut rng = Rng(i);
    format!("{}.{}{}@example.se", rng.pick(FIRST), rng.pick(LAST), i + 1)
}

fn refused(e: impl std::fmt::Display) -> StoreError {
    StoreError::Input(InputError::Refused(e.to_string()))
}

fn customer(
    w: &mut Writer<'_>,
    policy: &Policy,
    notice: &str,
    until: &ZonedDateTime,
    i: u64,
    rng: &mut Rng,
    summary: &mut Summary,
) -> Result<(), StoreError> {
    let end = until.timestamp();
    let span_days = 4 * 365;
    let at = |days_before_end: i64| -> Result<ZonedDateTime, StoreError> {
        until
            .checked_sub(SignedDuration::from_secs(days_before_end * DAY))
            .map_err(refused)
    };
    let id = subject_id(i)?;
    let joined_days_ago = i64::try_from(rng.below(span_days - 30)).unwrap_or(0) + 30;
    let joined = at(joined_days_ago)?;
    let mut identifiers = vec![Identifier::Email(Email::parse(&email(i)).map_err(refused)?)];
    if rng.chance(70) {
        identifiers.push(Identifier::Phone(
            Phone::parse(&format!("+4670{:07}", i % 10_000_000)).map_err(refused)?,
        ));
    }
    if rng.chance(60) {
        // Distinct for the first 23 million subjects: a birth day spread
        // over 65 years, and a birth number per pass through them.
        const DAYS: u64 = 23_725;
        let day = i64::try_from(i.wrapping_mul(7919) % DAYS).unwrap_or(0);
        let born = jiff::civil::Date::constant(1940, 1, 1)
            .checked_add(jiff::Span::new().days(day))
            .map_err(refused)?;
        let serial = u16::try_from((i / DAYS) % 1000).unwrap_or(0);
        identifiers.push(Identifier::Personnummer(Personnummer::from_birth(
            born, serial,
        )));
    }
    w.add_subject(&NewSubject {
        id: id.clone(),
        identifiers,
    })?;
    summary.subjects += 1;

    let mut g = Gen {
        policy,
        id: id.clone(),
        summary,
    };
    let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    g.record(
        w,
        "contact",
        "subject",
        &joined,
        None,
        serde_json::json!({ "name": name }),
    )?;

    // Most are customers with a contract; some contracts have ended.
    if rng.chance(85) {
        let contract = format!("K-{}", i + 1);
        g.event(w, "contract-start", &contract, joined.timestamp())?;
        let months = i64::try_from(rng.below(36)).unwrap_or(0) + 3;
        let ends_days_ago = joined_days_ago - months * 30;
        let ended = rng.chance(40) && ends_days_ago > 0;
        if ended {
            g.event(w, "contract-end", &contract, at(ends_days_ago)?.timestamp())?;
        }
        let active_until = if ended { ends_days_ago } else { 0 };
        let invoices = 1 + rng.below(4);
        for n in 0..invoices {
            let issued_days_ago = joined_days_ago - 30 * (i64::try_from(n).unwrap_or(0) + 1);
            if issued_days_ago <= active_until {
                break;
            }
            let invoice = format!("F-{}-{}", i + 1, n + 1);
            let issued = at(issued_days_ago)?;
            g.record(
                w,
                "invoice",
                "service-use",
                &issued,
                Some(invoice.clone()),
                serde_json::json!({ "amount_sek": 100 + rng.below(900) }),
            )?;
            g.event(w, "invoice-issued", &invoice, issued.timestamp())?;
            // 85 % on time, 10 % late, 5 % never.
            let roll = rng.below(100);
            let paid_after = if roll < 85 {
                20
            } else if roll < 95 {
                60 + i64::try_from(rng.below(60)).unwrap_or(0)
            } else {
                -1
            };
            if paid_after >= 0 && issued_days_ago - paid_after > 0 {
                let paid = at(issued_days_ago - paid_after)?;
                g.event(w, "invoice-paid", &invoice, paid.timestamp())?;
                g.record(
                    w,
                    "payment",
                    "service-use",
                    &paid,
                    Some(invoice.clone()),
                    serde_json::json!({ "method": "autogiro" }),
                )?;
                g.record(
                    w,
                    "voucher",
                    "service-use",
                    &paid,
                    Some(invoice),
                    serde_json::json!({ "verification": format!("V{}", i * 10 + n) }),
                )?;
            }
        }
    }

    // Newsletter and analytics consent, sometimes withdrawn.
    if rng.chance(35) {
        g.record(
            w,
            "newsletter",
            "subject",
            &joined,
            None,
            serde_json::json!({ "list": "nyheter" }),
        )?;
        for purpose in ["marketing", "service-development"] {
            let c = ConsentChange::new(
                policy,
                id.clone(),
                purpose,
                true,
                "web",
                notice,
                joined.timestamp(),
            )?;
            w.change_consent(&c)?;
            g.summary.consents += 1;
        }
        if rng.chance(30) {
            let when = at(joined_days_ago / 2)?.timestamp();
            let c = ConsentChange::new(
                policy,
                id.clone(),
                "marketing",
                false,
                "email-link",
                notice,
                when,
            )?;
            w.change_consent(&c)?;
            g.summary.consents += 1;
        }
    }
    if rng.chance(50) {
        for _ in 0..=rng.below(2) {
            let days =
                i64::try_from(rng.below(u64::try_from(joined_days_ago).unwrap_or(1))).unwrap_or(0);
            g.record(
                w,
                "page-view",
                "cookie",
                &at(days)?,
                None,
                serde_json::json!({ "path": rng.pick(&["/", "/priser", "/kontakt", "/om-oss"]) }),
            )?;
        }
    }
    if rng.chance(10) {
        let payload = serde_json::json!({
            "street": format!("{} {}", rng.pick(STREETS), 1 + rng.below(80)),
            "city": rng.pick(CITIES),
        });
        g.record(w, "address", "public-register", &joined, None, payload)?;
    }
    if rng.chance(2) {
        let d = NewDisclosure::new(
            policy,
            "suppliers",
            vec![id.clone()],
            &["customer".to_owned()],
            "contract",
            None,
            joined.timestamp(),
        )?;
        w.disclose(&d)?;
        g.summary.disclosures += 1;
    }
    if rng.chance(3) {
        w.object(&NewObjection::new(policy, id.clone(), "marketing", end)?)?;
    }
    if i % 500 == 7 {
        w.restrict(&id, RestrictionGround::AccuracyContested, end)?;
    }
    if i % 1000 == 3 {
        let placed = end.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let hold = tillit_core::ledger::NewHold::new(
            "legal",
            "disputed invoice",
            tillit_core::retention::HoldScope::Of {
                categories: Vec::new(),
                kinds: vec!["invoice".into(), "payment".into()],
            },
            placed.saturating_add(jiff::Span::new().years(1)),
            placed,
        )?;
        w.place_hold(&id, &hold, end)?;
    }
    Ok(())
}

/// One subject's writes, counted.
struct Gen<'p, 's> {
    policy: &'p Policy,
    id: SubjectId,
    summary: &'s mut Summary,
}

impl Gen<'_, '_> {
    fn record(
        &mut self,
        w: &mut Writer<'_>,
        kind: &str,
        source: &str,
        when: &ZonedDateTime,
        reference: Option<String>,
        payload: serde_json::Value,
    ) -> Result<(), StoreError> {
        let category = self
            .policy
            .kinds
            .get(kind)
            .map(|k| k.category.to_string())
            .unwrap_or_default();
        let r = NewRecord::new(
            self.policy,
            RecordRequest {
                subject: self.id.clone(),
                category: &category,
                kind,
                source,
                register: None,
                reference,
                accounting: false,
                payload: Some(payload),
                collected_at: when.clone(),
                dated: None,
            },
        )?;
        w.add_record(&r)?;
        self.summary.records += 1;
        Ok(())
    }

    fn event(
        &mut self,
        w: &mut Writer<'_>,
        kind: &str,
        reference: &str,
        when: Timestamp,
    ) -> Result<(), StoreError> {
        let e = NewEvent::new(self.policy, self.id.clone(), kind, reference, when)?;
        w.add_event(&e)?;
        self.summary.lifecycle_events += 1;
        Ok(())
    }
}
