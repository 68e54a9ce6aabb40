//! The parser on arbitrary input: never a panic; always a policy or errors
//! that each point inside the file. Valid results go on through the lints
//! and every renderer, which must not panic either.
#![allow(clippy::panic, clippy::indexing_slicing, reason = "tests fail loudly")]

use jiff::civil::Date;
use proptest::prelude::*;
use tillit_core::check::check;
use tillit_core::policy::Policy;
use tillit_core::{Lang, SourceFile, notice, ropa};

const WINSTON: &str = include_str!("../../../examples/winston/policy.toml");

fn assert_ok_or_located(text: &str, at: Date) {
    let file = SourceFile::new("policy.toml", text);
    let report = check(&file, at);
    match &report.policy {
        Some(policy) => {
            for lang in Lang::ALL {
                let _ = notice::markdown(policy, lang);
                let _ = notice::html(policy, lang);
                let _ = notice::json(policy, lang);
                let _ = ropa::record(policy, lang).to_csv(lang);
            }
            assert!(report.diagnostics.iter().all(|d| !d.is_error()));
        }
        None => {
            assert!(
                !report.diagnostics.is_empty(),
                "a rejected policy names at least one error"
            );
            assert!(report.diagnostics.iter().any(|d| d.is_error()));
        }
    }
    for d in &report.diagnostics {
        let span = d
            .span
            .clone()
            .unwrap_or_else(|| panic!("unlocated finding: {d:?}"));
        assert!(
            span.start <= span.end && span.end <= text.len(),
            "span {span:?} outside {} bytes: {d:?}",
            text.len()
        );
        let located = d.locate(&file);
        assert!(located.line >= 1 && located.column >= 1);
        assert!(
            located.line <= text.lines().count().max(1) + 1,
            "line {} of {}",
            located.line,
            text.lines().count()
        );
        assert!(!d.message.is_empty());
    }
}

/// An edit of the Winston policy.
#[derive(Debug, Clone)]
enum Edit {
    Delete {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        text: String,
    },
    DuplicateLine {
        line: usize,
    },
    SwapLines {
        a: usize,
        b: usize,
    },
    /// Replace one quoted value with another string.
    ReplaceQuoted {
        nth: usize,
        with: String,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), "[\\[\\]{}=\",a-z0-9 .#\\n-]{1,12}")
            .prop_map(|(at, text)| Edit::Insert { at, text }),
        any::<usize>().prop_map(|line| Edit::DuplicateLine { line }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines { a, b }),
        (
            any::<usize>(),
            prop_oneof![
                Just(String::new()),
                Just("customer".to_owned()),
                Just("traffic".to_owned()),
                Just("marketing".to_owned()),
                Just("consent".to_owned()),
                Just("contract-end".to_owned()),
                Just("0 months after collection".to_owned()),
                Just("at contract-end".to_owned()),
                Just("99999 years".to_owned()),
                Just("02-29".to_owned()),
                Just("XX".to_owned()),
                Just("session".to_owned()),
                "\\PC{0,12}",
            ]
        )
            .prop_map(|(nth, with)| Edit::ReplaceQuoted { nth, with }),
    ]
}

fn floor_boundary(s: &str, at: usize) -> usize {
    let mut at = at % (s.len() + 1);
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, e: &Edit) -> String {
    let mut s = text.to_owned();
    match e {
        Edit::Delete { at, len } => {
            let start = floor_boundary(&s, *at);
            let end = floor_boundary(&s, (start + len).min(s.len()));
            if start < end {
                s.replace_range(start..end, "");
            }
        }
        Edit::Insert { at, text } => {
            let at = floor_boundary(&s, *at);
            s.insert_str(at, text);
        }
        Edit::DuplicateLine { line } => {
            let mut lines: Vec<&str> = s.lines().collect();
            let i = line % lines.len().max(1);
            if let Some(l) = lines.get(i).copied() {
                lines.insert(i, l);
            }
            s = lines.join("\n");
        }
        Edit::SwapLines { a, b } => {
            let mut lines: Vec<&str> = s.lines().collect();
            let n = lines.len().max(1);
            lines.swap(a % n, b % n);
            s = lines.join("\n");
        }
        Edit::ReplaceQuoted { nth, with } => {
            let quotes: Vec<usize> = s.match_indices('"').map(|(i, _)| i).collect();
            let pairs = quotes.len() / 2;
            if pairs > 0 {
                let k = nth % pairs;
                let (open, close) = (quotes[2 * k], quotes[2 * k + 1]);
                let escaped = with.replace('\\', "\\\\").replace('"', "\\\"");
                s.replace_range(open + 1..close, &escaped);
            }
        }
    }
    s
}

fn date() -> impl Strategy<Value = Date> {
    (1990i16..2100, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap_or_default())
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=100000 for a deeper search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_is_a_policy_or_located_errors(text in "\\PC{0,300}", at in date()) {
        assert_ok_or_located(&text, at);
    }

    #[test]
    fn toml_shaped_text_is_a_policy_or_located_errors(
        text in "((\\[{1,2}[a-z.\\-]{0,16}\\]{1,2}|[a-z\\-]{1,14} = (\"[^\"\\n]{0,12}\"|[0-9]{1,3}|true|\\{ ?\\}|\\[\\]|\\{ sv = \"a\", en = \"b\" \\}))\\n){0,24}",
        at in date(),
    ) {
        assert_ok_or_located(&text, at);
    }

    #[test]
    fn edited_winston_policies_are_policies_or_located_errors(edits in prop::collection::vec(edit(), 1..6), at in date()) {
        let text = edits.iter().fold(WINSTON.to_owned(), |t, e| apply(&t, e));
        assert_ok_or_located(&text, at);
    }
}

#[test]
fn the_winston_policy_itself_resolves() {
    assert!(Policy::parse(&SourceFile::new("policy.toml", WINSTON)).is_ok());
}
