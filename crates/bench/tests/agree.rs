//! Before any figure means anything: tillit, Cedar and both regorus paths
//! give the same answer to every one of the benchmark's requests.
#![allow(clippy::panic, clippy::expect_used, reason = "tests fail loudly")]

use tillit_bench::{Cedar, Engine, Fixture, RegoInterpreter, RegoVm, Tillit};

/// The benchmark's fixture: the same seed and sizes.
pub const SUBJECTS: usize = 1_000;
pub const REQUESTS: usize = 10_000;
pub const SEED: u64 = 2026;

#[test]
fn every_engine_agrees_on_all_10000_requests() {
    let f = Fixture::winston(SUBJECTS, REQUESTS, SEED).expect("fixture");
    let mut tillit = Tillit::new(&f);
    let mut peers: Vec<Box<dyn Engine>> = vec![
        Box::new(Cedar::new(&f).expect("cedar")),
        Box::new(RegoInterpreter::new(&f).expect("regorus")),
        Box::new(RegoVm::new(&f).expect("rvm")),
    ];
    let mut allowed = 0;
    let mut disagreements = Vec::new();
    for i in 0..REQUESTS {
        let ours = tillit.decide(i);
        allowed += usize::from(ours);
        for peer in &mut peers {
            if peer.decide(i) != ours {
                disagreements.push(format!(
                    "request {i} {:?}: tillit {ours} ({}), {} {}",
                    f.asks[i],
                    tillit.explain(i),
                    peer.name(),
                    !ours
                ));
            }
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first: {}",
        disagreements.len(),
        disagreements
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Every rule the Winston policy can reach is among the requests.
    let mut rules: Vec<&str> = (0..REQUESTS).map(|i| tillit.rule(i)).collect();
    rules.sort_unstable();
    rules.dedup();
    for rule in [
        "anonymised-only",
        "consent-given",
        "consent-withdrawn",
        "contract-active",
        "contract-ended",
        "direct-marketing-objection",
        "erased",
        "legal-obligation",
        "legitimate-interest",
        "no-basis-for-category",
        "no-consent",
        "no-contract",
        "no-need-to-know",
        "objection-upheld",
        "restricted",
        "undeclared-purpose",
        "unknown-role",
    ] {
        assert!(
            rules.contains(&rule),
            "no request reaches {rule}: {rules:?}"
        );
    }
    // Neither all-allow nor all-deny: the requests exercise both.
    assert!(
        (2_000..8_000).contains(&allowed),
        "{allowed} of {REQUESTS} allowed"
    );
}
