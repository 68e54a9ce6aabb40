//! tillit's core: the policy model, its checker and the rendered notice.
//!
//! **Architecture invariant:** this crate is pure. It knows nothing of SQL,
//! HTTP, files or the clock: it takes the policy's text and the date to
//! judge at as arguments, and returns values. Adapters (the CLI, later the
//! server) read files and the clock and hand them in.

pub mod access;
pub mod case;
pub mod check;
pub mod decide;
pub mod diagnostic;
pub mod identity;
pub mod ledger;
pub mod legal;
pub mod notice;
pub mod period;
pub mod policy;
pub mod retention;
pub mod rights;
pub mod ropa;
pub mod text;
pub mod visit;

pub use diagnostic::{Diagnostic, LocatedDiagnostic, Severity, SourceFile, Span};
pub use policy::Policy;
pub use text::{Lang, Text};
