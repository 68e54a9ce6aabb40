//! Page views on a real ledger, SQLite and PostgreSQL: addresses masked
//! whatever the caller hands in, visitors counted per day without their
//! consent ids, and the retention sweep erasing views 26 months after
//! collection (on PostgreSQL, whole months as partitions).

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests"
)]

mod support;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use support::{TestDb, policy};
use tillit_core::identity::SubjectId;
use tillit_core::retention::Schedule;
use tillit_core::visit::{PageView, Screen};
use tillit_store::retention::{self, SweepOptions};
use tillit_store::visits::{PageDay, Visit};

on_both_backends!(
    page_views_are_kept_masked_and_counted_by_visitor,
    the_sweep_erases_page_views_26_months_after_collection,
);

fn stockholm() -> TimeZone {
    TimeZone::get("Europe/Stockholm").unwrap()
}

fn noon(day: &str) -> Timestamp {
    let d: Date = day.parse().unwrap();
    d.at(12, 0, 0, 0)
        .to_zoned_datetime(stockholm())
        .unwrap()
        .timestamp()
}

fn visit(day: &str, path: &str, address: &str, visitor: &str) -> Visit {
    Visit {
        at: noon(day),
        day: day.parse().unwrap(),
        view: PageView::new(path, None, Some(Screen::Large), Some("sv"), None).unwrap(),
        address: address.parse().unwrap(),
        visitor: SubjectId::parse(visitor).unwrap(),
    }
}

fn page_views_are_kept_masked_and_counted_by_visitor(db: &TestDb) {
    let mut ledger = db.open();
    let mut views = Vec::new();
    // 130 views (two multi-row inserts and a remainder), from six
    // visitors on one day, one visitor the next.
    for i in 0..130 {
        views.push(visit(
            "2026-11-24",
            if i % 2 == 0 { "/" } else { "/kontakt" },
            &format!("203.0.113.{}", i % 250),
            &format!("v-{}", i % 6),
        ));
    }
    views.push(visit(
        "2026-11-25",
        "/",
        "2001:db8:85a3::8a2e:370:7334",
        "v-0",
    ));
    let n = ledger
        .write(noon("2026-11-25"), |w| w.add_page_views(&views))
        .unwrap();
    assert_eq!(n, 131);
    let stats = ledger
        .page_views("2026-11-24".parse().unwrap(), "2026-11-25".parse().unwrap())
        .unwrap();
    let day = |d: &str| d.parse::<Date>().unwrap();
    assert_eq!(
        stats,
        [
            PageDay {
                day: day("2026-11-24"),
                path: "/".into(),
                views: 65,
                visitors: 3
            },
            PageDay {
                day: day("2026-11-24"),
                path: "/kontakt".into(),
                views: 65,
                visitors: 3
            },
            PageDay {
                day: day("2026-11-25"),
                path: "/".into(),
                views: 1,
                visitors: 1
            },
        ]
    );
    // Only masked addresses, no consent id, and one salt: today's.
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM page_views WHERE address NOT IN ('203.0.113.0', '2001:db8:85a3::')"),
        0
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM visitor_salts"), 1);
    assert!(ledger.verify_audit(&mut |_| {}).unwrap().is_intact());
}

fn the_sweep_erases_page_views_26_months_after_collection(db: &TestDb) {
    let policy = policy();
    let schedule = Schedule::new(&policy, stockholm());
    let mut ledger = db.open();
    let views = [
        visit("2024-08-31", "/", "198.51.100.7", "v-1"),
        visit("2024-09-24", "/", "198.51.100.7", "v-1"),
        visit("2024-09-25", "/", "198.51.100.7", "v-1"),
        visit("2024-09-26", "/", "198.51.100.7", "v-1"),
        visit("2026-11-25", "/", "198.51.100.7", "v-1"),
    ];
    ledger
        .write(noon("2026-11-25"), |w| w.add_page_views(&views))
        .unwrap();
    let options = |dry_run| SweepOptions {
        at: noon("2026-11-25"),
        batch: 100,
        dry_run,
        purge: true,
    };
    // Due on the day 26 months after: 2024-09-25 and before.
    let plan = retention::sweep(&mut ledger, &schedule, options(true), &mut |_, _| {}).unwrap();
    assert_eq!(plan.handled["website-visits"].values().sum::<u64>(), 3);
    assert_eq!(
        ledger.page_view_count().unwrap(),
        5,
        "a dry run changes nothing"
    );
    let done = retention::sweep(&mut ledger, &schedule, options(false), &mut |_, _| {}).unwrap();
    assert_eq!(done.handled["website-visits"].values().sum::<u64>(), 3);
    let left = ledger
        .page_views("2024-01-01".parse().unwrap(), "2026-12-31".parse().unwrap())
        .unwrap();
    let days: Vec<String> = left.iter().map(|d| d.day.to_string()).collect();
    assert_eq!(days, ["2024-09-26", "2026-11-25"]);
    if matches!(db, TestDb::Postgres { .. }) {
        // August 2024 went as a whole partition; September stays, for its
        // last days.
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'page_views_202408'"),
            0
        );
        assert_eq!(
            db.scalar("SELECT COUNT(*) FROM pg_tables WHERE tablename = 'page_views_202409'"),
            1
        );
    }
    assert!(ledger.verify_audit(&mut |_| {}).unwrap().is_intact());
}
