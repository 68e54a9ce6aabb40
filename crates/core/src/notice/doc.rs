//! A small document model for the rendered notice, and its Markdown and
//! HTML forms. Building the notice once and writing it twice keeps the two
//! formats saying exactly the same thing.

use std::fmt::Write;

use crate::text::Lang;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(String),
    Link { text: String, href: String },
}

/// Paragraph content: a run of inlines.
pub type Line = Vec<Inline>;

pub fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

pub fn strong(s: impl Into<String>) -> Inline {
    Inline::Strong(s.into())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// A section heading; `id` is its anchor.
    Heading {
        level: u8,
        id: String,
        text: String,
    },
    Para(Line),
    List(Vec<Line>),
    Table {
        caption: String,
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub lang: Lang,
    pub title: String,
    pub blocks: Vec<Block>,
}

fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One Markdown table row, its cells escaped.
fn md_row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| md_escape(c)).collect();
    format!("| {} |", cells.join(" | "))
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn md_line(line: &Line) -> String {
    line.iter()
        .map(|i| match i {
            Inline::Text(t) => md_escape(t),
            Inline::Strong(t) => format!("**{}**", md_escape(t)),
            Inline::Link { text, href } => format!("[{}](<{href}>)", md_escape(text)),
        })
        .collect()
}

fn html_line(line: &Line) -> String {
    line.iter()
        .map(|i| match i {
            Inline::Text(t) => html_escape(t),
            Inline::Strong(t) => format!("<strong>{}</strong>", html_escape(t)),
            Inline::Link { text, href } => {
                format!(
                    "<a href=\"{}\">{}</a>",
                    html_escape(href),
                    html_escape(text)
                )
            }
        })
        .collect()
}

impl Document {
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n", md_escape(&self.title));
        for block in &self.blocks {
            out.push('\n');
            match block {
                Block::Heading { level, text, .. } => {
                    let _ = writeln!(
                        out,
                        "{} {}",
                        "#".repeat(usize::from(*level)),
                        md_escape(text)
                    );
                }
                Block::Para(line) => {
                    let _ = writeln!(out, "{}", md_line(line));
                }
                Block::List(items) => {
                    for item in items {
                        let _ = writeln!(out, "- {}", md_line(item));
                    }
                }
                Block::Table { head, rows, .. } => {
                    let _ = writeln!(out, "{}", md_row(head));
                    let _ = writeln!(out, "|{}", " --- |".repeat(head.len()));
                    for row in rows {
                        let _ = writeln!(out, "{}", md_row(row));
                    }
                }
            }
        }
        out
    }

    /// A standalone, accessible page: a language attribute, one `h1`,
    /// nested headings, a table of contents, captioned tables with header
    /// cells, and no JavaScript.
    pub fn to_html(&self) -> String {
        let lang = self.lang;
        let mut out = String::new();
        let _ = write!(
            out,
            "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n\
             <a class=\"skip\" href=\"#main\">{}</a>\n<main id=\"main\">\n<h1>{}</h1>\n",
            lang.tag(),
            html_escape(&self.title),
            STYLE,
            lang.pick("Hoppa till innehållet", "Skip to content"),
            html_escape(&self.title)
        );
        let toc: Vec<(&str, &str)> = self
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level: 2, id, text } => Some((id.as_str(), text.as_str())),
                _ => None,
            })
            .collect();
        let mut toc_pending = !toc.is_empty();
        let write_toc = |out: &mut String| {
            let label = lang.pick("Innehåll", "Contents");
            let _ = writeln!(
                out,
                "<nav aria-label=\"{label}\">\n<h2 class=\"toc\">{label}</h2>\n<ul>"
            );
            for (id, text) in &toc {
                let _ = writeln!(out, "<li><a href=\"#{id}\">{}</a></li>", html_escape(text));
            }
            out.push_str("</ul>\n</nav>\n");
        };
        for block in &self.blocks {
            // The contents come after the opening paragraphs, before the
            // first section.
            if toc_pending && matches!(block, Block::Heading { level: 2, .. }) {
                write_toc(&mut out);
                toc_pending = false;
            }
            match block {
                Block::Heading { level, id, text } => {
                    let _ = writeln!(
                        out,
                        "<h{level} id=\"{id}\">{}</h{level}>",
                        html_escape(text)
                    );
                }
                Block::Para(line) => {
                    let _ = writeln!(out, "<p>{}</p>", html_line(line));
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        let _ = writeln!(out, "<li>{}</li>", html_line(item));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table {
                    caption,
                    head,
                    rows,
                } => {
                    let _ = writeln!(
                        out,
                        "<table>\n<caption>{}</caption>\n<thead><tr>",
                        html_escape(caption)
                    );
                    for h in head {
                        let _ = writeln!(out, "<th scope=\"col\">{}</th>", html_escape(h));
                    }
                    out.push_str("</tr></thead>\n<tbody>\n");
                    for row in rows {
                        out.push_str("<tr>");
                        for (i, cell) in row.iter().enumerate() {
                            if i == 0 {
                                let _ = write!(out, "<th scope=\"row\">{}</th>", html_escape(cell));
                            } else {
                                let _ = write!(out, "<td>{}</td>", html_escape(cell));
                            }
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</tbody>\n</table>\n");
                }
            }
        }
        out.push_str("</main>\n</body>\n</html>\n");
        out
    }
}

const STYLE: &str = "body { font-family: system-ui, sans-serif; line-height: 1.55; color: #1a1a1a; background: #fff; margin: 0; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
h1 { font-size: 2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccc; } h3 { margin-top: 1.5rem; }
a { color: #0b4f8a; } a:focus { outline: 3px solid #f2b600; outline-offset: 2px; }
.skip { position: absolute; left: -999rem; } .skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; }
nav ul { padding-left: 1.2rem; } .toc { border: 0; font-size: 1.1rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; } caption { text-align: left; font-weight: 600; }
th, td { border: 1px solid #bbb; padding: .35rem .5rem; text-align: left; vertical-align: top; }
@media (prefers-color-scheme: dark) { body { background: #111; color: #eee; } a { color: #8cc4ff; } th, td { border-color: #555; } }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_markup_out_of_text() {
        assert_eq!(md_escape("_ga | *x*"), "\\_ga \\| \\*x\\*");
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
