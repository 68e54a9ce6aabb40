//! Showing the checker's findings: miette's annotated snippets for people,
//! JSON for scripts.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use tillit_core::{Diagnostic, Severity, SourceFile};

/// Renders findings as annotated snippets of the policy file, each headed
/// by its code and located as `[file:line:col]`.
pub fn render(file: &SourceFile, diagnostics: &[Diagnostic], to_terminal: bool) -> String {
    let theme = if to_terminal && std::env::var_os("NO_COLOR").is_none() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    if !to_terminal {
        // Off a terminal, a fixed width: the same file gives the same text.
        handler = handler.with_width(100);
    }
    let mut out = String::new();
    for d in diagnostics {
        let mut m = MietteDiagnostic::new(d.message.clone())
            .with_code(d.code)
            .with_severity(match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            });
        if let Some(help) = &d.help {
            m = m.with_help(help.clone());
        }
        if let Some(span) = &d.span {
            let len = span.end.saturating_sub(span.start).max(1);
            m = m.with_label(LabeledSpan::new(d.label.clone(), span.start, len));
        }
        let report = miette::Report::new(m)
            .with_source_code(NamedSource::new(file.name(), file.text().to_owned()));
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            out.push_str(&format!("  {}\n", d.message));
        }
        out.push('\n');
    }
    out
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}
