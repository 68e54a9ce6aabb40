//! Findings of the policy checker, located in the policy file.
//!
//! A diagnostic carries a byte span; line and column are computed against the
//! [`SourceFile`] only when a finding is shown, so the checker never has to
//! think in lines.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// A byte range in a policy file.
pub type Span = Range<usize>;

/// A policy file's name and text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and column (in characters) of a byte offset. An
    /// offset past the end, or inside a character, is clamped.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..)
            .unwrap_or("")
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .count();
        (line, column + 1)
    }

    /// The text of the 1-based line, without its line break.
    pub fn line(&self, line: usize) -> &str {
        let start = self.line_starts.get(line.wrapping_sub(1)).copied();
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        start
            .and_then(|s| self.text.get(s..end))
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One finding: an error that makes the policy unusable, or a lint warning
/// measured against the law.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable kebab-case name, e.g. `unknown-reference`.
    pub code: &'static str,
    /// Lowercase, without a final period.
    pub message: String,
    /// Where in the file; `None` only for a finding about the whole file.
    pub span: Option<Span>,
    /// A short note at the span.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: Some(span),
            label: None,
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same finding, as an error that stops what would act on it.
    pub fn into_error(self) -> Self {
        Diagnostic {
            severity: Severity::Error,
            ..self
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The finding with its place in `file` resolved, ready to print or
    /// serialise.
    pub fn locate(&self, file: &SourceFile) -> LocatedDiagnostic {
        let (line, column) = self
            .span
            .as_ref()
            .map_or((1, 1), |span| file.line_col(span.start));
        LocatedDiagnostic {
            file: file.name().to_owned(),
            line,
            column,
            severity: self.severity,
            code: self.code,
            message: self.message.clone(),
            label: self.label.clone(),
            help: self.help.clone(),
            source_line: file.line(line).to_owned(),
        }
    }
}

/// A diagnostic with its file, line and column: what `check --json` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocatedDiagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    pub source_line: String,
}

impl fmt::Display for LocatedDiagnostic {
    /// One line, `file:line:col: severity[code]: message`, the form editors
    /// and scripts parse.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}[{}]: {}",
            self.file, self.line, self.column, self.severity, self.code, self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let f = SourceFile::new("p.toml", "a = 1\nnamn = \"åäö\" x\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(6), (2, 1));
        // `x` comes after three two-byte characters.
        let x = f.text().find('x').unwrap_or(0);
        assert_eq!(f.line_col(x), (2, 14));
        assert_eq!(f.line(2), "namn = \"åäö\" x");
        assert_eq!(f.line_col(10_000), (3, 1));
        assert_eq!(f.line(99), "");
    }
}
