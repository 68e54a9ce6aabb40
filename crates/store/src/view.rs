//! What a role may see of a subject (P20, need to know): the one place
//! that filters a subject's file, for the CLI's `subject show --as` and
//! the API's `GET /v1/subjects/{id}` alike.

use serde::Serialize;
use serde_json::Value;
use tillit_core::policy::Role;

use crate::SubjectFile;

/// How much of a file was left out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Withheld {
    pub records: usize,
    pub consents: usize,
    pub objections: usize,
    pub holds: usize,
    pub disclosures: usize,
}

/// `file` as `role` may see it; all of it when no role is named. A role
/// that administers sees everything. Any other sees the records and
/// disclosures of the categories it needs to know, the consents and
/// objections of the purposes it serves, the lifecycle events and
/// restrictions (they govern what it may do), and no holds.
pub fn seen_by(file: &SubjectFile, role: Option<&Role>) -> (SubjectFile, Withheld) {
    let Some(role) = role.filter(|r| !r.administers) else {
        return (file.clone(), Withheld::default());
    };
    let mut seen = file.clone();
    seen.records.retain(|r| role.sees(&r.category));
    seen.disclosures
        .retain(|d| d.categories.iter().any(|c| role.sees(c)));
    seen.consents.retain(|c| role.serves(&c.purpose));
    seen.objections.retain(|o| role.serves(&o.purpose));
    seen.holds.clear();
    let withheld = Withheld {
        records: file.records.len() - seen.records.len(),
        consents: file.consents.len() - seen.consents.len(),
        objections: file.objections.len() - seen.objections.len(),
        holds: file.holds.len(),
        disclosures: file.disclosures.len() - seen.disclosures.len(),
    };
    (seen, withheld)
}

/// [`seen_by`] as JSON: the file with its identifiers (a personnummer in
/// full only to a role that `sees-personnummer`, else masked) and, for a
/// role that does not administer, what was `withheld`.
pub fn shown_to(file: &SubjectFile, role: Option<&Role>) -> Value {
    let (seen, withheld) = seen_by(file, role);
    let reveal = role.is_some_and(|r| r.sees_personnummer);
    let identifiers: serde_json::Map<String, Value> = seen
        .subject
        .identifiers
        .iter()
        .map(|i| (i.kind().to_owned(), i.shown(reveal).into()))
        .collect();
    let mut out = serde_json::to_value(&seen).unwrap_or_default();
    if let Some(subject) = out.get_mut("subject").and_then(Value::as_object_mut) {
        subject.insert("identifiers".into(), identifiers.into());
    }
    if let (Some(r), Some(o)) = (role, out.as_object_mut())
        && !r.administers
    {
        o.insert(
            "withheld".into(),
            serde_json::to_value(withheld).unwrap_or_default(),
        );
    }
    out
}
