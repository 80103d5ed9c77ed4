//! AsciiDoc: sections from `=` titles (and two-line titles underlined with
//! `=-~^+`), listing and literal blocks kept whole as code, each labeled
//! list entry (`--onto <newbase>::`) an entry of its own, inline markup
//! rendered as plain text.
//!
//! A small hand parser of line-level structure, as for reStructuredText.
//! Comments, attribute entries, conditionals, includes and passthrough
//! blocks are not text. A page written as a manual page (a NAME section
//! saying `git-rebase - Reapply commits…`) opens every breadcrumb with its
//! title and that line, as manual pages in roff do.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::{BlockKind, Document, Section};

/// Parses AsciiDoc into sections.
pub fn parse_asciidoc(source: &str) -> Document {
    let lines: Vec<&str> = source.lines().collect();
    let mut p = Parser::default();
    let mut i = 0;
    while i < lines.len() {
        i = p.step(&lines, i);
    }
    p.finish()
}

#[derive(Default)]
struct Parser {
    title: Option<String>,
    /// Section titles open, by level (1 for `==`).
    headings: Vec<(usize, String)>,
    /// The labeled list entry being described, and whether its description
    /// may still go on (no blank line since, or a `+` continuation).
    entry: Option<String>,
    entry_open: bool,
    /// `[source,python]`, `[verse]`: the style of the next block.
    style: Option<String>,
    attributes: HashMap<String, String>,
    /// What the NAME section says, for a page written as a manual page.
    name_line: Option<String>,
    sections: Vec<Section>,
}

impl Parser {
    /// Reads the construct at line `i`; returns the line after it.
    fn step(&mut self, lines: &[&str], i: usize) -> usize {
        let line = lines[i].trim_end();
        let n = i as u32 + 1;
        if line.trim().is_empty() {
            // A blank line ends an entry's first paragraph; only a `+`
            // continuation or an indented paragraph goes on with it.
            self.entry_open = false;
            return i + 1;
        }
        if let Some(end) = delimited_end(lines, i, "////") {
            return end;
        }
        if line.starts_with("//") {
            return i + 1;
        }
        if is_directive(line) {
            return i + 1;
        }
        if let Some(caps) = ATTRIBUTE.captures(line) {
            self.attributes
                .insert(caps[1].to_owned(), caps[2].trim().to_owned());
            return i + 1;
        }
        if line == "+" {
            self.entry_open = self.entry.is_some();
            return i + 1;
        }
        if line.starts_with('[') && line.ends_with(']') && !line.starts_with("[[[") {
            let inner = line.trim_start_matches('[').trim_end_matches(']');
            if !inner.starts_with('#') && !line.starts_with("[[") {
                self.style = Some(inner.to_owned());
            }
            return i + 1;
        }
        if let Some((level, title)) = heading(line) {
            self.set_heading(level, &title, n, n);
            return i + 1;
        }
        if let Some((level, title)) = two_line_heading(lines, i) {
            self.set_heading(level, &title, n, n + 1);
            return i + 2;
        }
        // A block title (`.Example`) names the block after it.
        if line.starts_with('.')
            && line.len() > 1
            && !line.starts_with("..")
            && !line[1..].starts_with(char::is_whitespace)
        {
            let title = self.render(&line[1..]);
            self.push(BlockKind::Prose, title, n, n);
            return i + 1;
        }
        for fence in ["----", "....", "```", "++++", "|==="] {
            if line.starts_with(fence) {
                let open = if fence == "```" { "```" } else { line };
                if fence != "```" && !is_delimiter(line) {
                    continue;
                }
                return self.delimited(lines, i, open, fence);
            }
        }
        // Example, sidebar, quote and open blocks: their content is read
        // as if they were not there.
        if is_delimiter(line) && matches!(&line[..1], "=" | "*" | "_") || line == "--" {
            self.style = None;
            return i + 1;
        }
        if let Some(caps) = TERM.captures(line) {
            // Named by its words: `` `drop` `` is the entry `drop`.
            let term = self.render(caps[1].trim()).replace('`', "");
            let rest = caps.get(3).map_or("", |m| m.as_str()).trim().to_owned();
            // Consecutive terms (`-i::` then `--interactive::`) share one entry.
            let (term, from) = match (&self.entry, self.entry_open, self.last_is_bare_entry()) {
                (Some(prev), true, true) => {
                    let joined = format!("{prev}, {term}");
                    let from = self.sections.pop().map_or(n, |s| s.blocks[0].start_line);
                    (joined, from)
                }
                _ => (term, n),
            };
            self.set_entry(term, from, n);
            if !rest.is_empty() {
                let text = self.render(&rest);
                self.push(BlockKind::Prose, text, n, n);
            }
            return i + 1;
        }
        let indented = line.starts_with([' ', '\t']);
        let end = paragraph_end(lines, i);
        // A trailing ` +` is a hard line break.
        let body: Vec<&str> = lines[i..end]
            .iter()
            .map(|l| l.trim().trim_end_matches(" +"))
            .collect();
        let style = self.style.take();
        let literal_style = style
            .as_deref()
            .is_some_and(|s| s == "verse" || s == "literal" || s.starts_with("source"));
        if literal_style || (indented && !self.entry_open) {
            let text = format!("```\n{}\n```", self.render_code(&dedent(&lines[i..end])));
            self.push(BlockKind::Code { lang: None }, text, n, end as u32);
        } else {
            let text = self.render(&body.join(" "));
            if self.name_line.is_none()
                && self
                    .headings
                    .last()
                    .is_some_and(|(l, t)| *l == 1 && t.eq_ignore_ascii_case("name"))
            {
                self.name_line = Some(text.clone());
            }
            self.push(BlockKind::Prose, text, n, end as u32);
        }
        end
    }

    /// A delimited block from line `i` to its closing `open` line.
    fn delimited(&mut self, lines: &[&str], i: usize, open: &str, fence: &str) -> usize {
        let close = |l: &str| {
            if fence == "```" {
                l.trim_end() == "```"
            } else {
                l.trim_end() == open
            }
        };
        let end = (i + 1..lines.len())
            .find(|&j| close(lines[j]))
            .unwrap_or(lines.len());
        let body = &lines[(i + 1).min(end)..end];
        let style = self.style.take();
        let (from, to) = (i as u32 + 1, (end + 1).min(lines.len()) as u32);
        match fence {
            "++++" => {}
            "|===" => {
                let rows: Vec<String> = body
                    .iter()
                    .map(|l| l.trim())
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        l.split('|')
                            .map(|c| self.render(c.trim()))
                            .filter(|c| !c.is_empty())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    })
                    .collect();
                if !rows.is_empty() {
                    self.push(BlockKind::Prose, rows.join("\n"), from, to);
                }
            }
            _ => {
                let lang = if fence == "```" {
                    Some(lines[i].trim_start_matches('`').trim().to_owned())
                } else {
                    style.as_deref().and_then(|s| {
                        let mut parts = s.split(',').map(str::trim);
                        (parts.next() == Some("source"))
                            .then(|| parts.next().map(str::to_owned))
                            .flatten()
                    })
                }
                .filter(|l| !l.is_empty());
                let text = format!(
                    "```{}\n{}\n```",
                    lang.as_deref().unwrap_or(""),
                    self.render_code(&body.join("\n"))
                );
                self.push(BlockKind::Code { lang }, text, from, to);
            }
        }
        end + 1
    }

    fn set_heading(&mut self, level: usize, title: &str, from: u32, to: u32) {
        let title = self.render(title);
        self.entry = None;
        self.entry_open = false;
        self.style = None;
        if level == 0 {
            if self.title.is_none() {
                self.title = Some(title.clone());
            }
            self.headings.clear();
        } else {
            while self.headings.last().is_some_and(|(l, _)| *l >= level) {
                self.headings.pop();
            }
            self.headings.push((level, title.clone()));
        }
        self.push(BlockKind::Heading, title, from, to);
    }

    fn set_entry(&mut self, term: String, from: u32, to: u32) {
        self.entry = Some(term.clone());
        self.entry_open = true;
        self.push(BlockKind::Item, format!("`{term}`"), from, to);
    }

    /// Whether the last section is an entry with nothing but its term yet.
    fn last_is_bare_entry(&self) -> bool {
        self.sections
            .last()
            .is_some_and(|s| s.blocks.len() == 1 && s.blocks[0].kind == BlockKind::Item)
    }

    fn breadcrumb(&self) -> Vec<String> {
        let mut crumbs: Vec<String> = self.title.iter().cloned().collect();
        crumbs.extend(self.headings.iter().map(|(_, t)| t.clone()));
        crumbs.extend(self.entry.iter().cloned());
        crumbs
    }

    fn push(&mut self, kind: BlockKind, text: String, from: u32, to: u32) {
        if text.trim().is_empty() {
            return;
        }
        let breadcrumb = self.breadcrumb();
        super::push_block(&mut self.sections, breadcrumb, kind, text, (from, to));
    }

    /// Inline markup as plain text: `` `code` `` stays, emphasis marks go,
    /// links and cross references become their text, attributes their values.
    fn render(&self, text: &str) -> String {
        let text = self.resolve_attributes(text);
        let text = MACRO.replace_all(&text, |c: &Captures<'_>| {
            let (name, target, attrs) = (&c[1], &c[2], c[3].split(',').next().unwrap_or(""));
            let attrs = attrs.trim().trim_matches('"');
            match name {
                "link" | "xref" | "mailto" | "image" | "http" | "https" | "ftp" | "irc" => {
                    let target = if matches!(name, "http" | "https" | "ftp" | "irc") {
                        format!("{name}:{target}")
                    } else {
                        target.to_owned()
                    };
                    if attrs.is_empty() {
                        target
                    } else {
                        attrs.to_owned()
                    }
                }
                "kbd" | "btn" | "menu" | "footnote" | "pass" | "stem" | "latexmath" => {
                    format!("{target}{}", c[3].trim())
                }
                _ if attrs.is_empty() => target.to_owned(),
                _ => format!("{target}({attrs})"),
            }
        });
        let text = XREF.replace_all(&text, |c: &Captures<'_>| {
            c.get(2)
                .map_or_else(|| c[1].to_owned(), |t| t.as_str().trim().to_owned())
        });
        let text = STRONG.replace_all(&text, |c: &Captures<'_>| {
            c.iter()
                .skip(1)
                .flatten()
                .next()
                .map_or_else(String::new, |m| m.as_str().to_owned())
        });
        let text = EMPHASIS.replace_all(&text, "$1$2");
        let text = text.replace("+++", "");
        let text = ESCAPE.replace_all(&text, "$1");
        text.trim().to_owned()
    }

    /// A listing's text: attribute references resolved, nothing else touched.
    fn render_code(&self, text: &str) -> String {
        self.resolve_attributes(text).into_owned()
    }

    /// `{name}` replaced by the value of the attribute the file defines;
    /// an undefined one stays as written.
    fn resolve_attributes<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        ATTRIBUTE_REF.replace_all(text, |c: &Captures<'_>| {
            self.attributes
                .get(&c[1])
                .cloned()
                .unwrap_or_else(|| c[0].to_owned())
        })
    }

    fn finish(mut self) -> Document {
        // "git-rebase - Reapply commits…": the words after the dash.
        let about = self
            .name_line
            .as_deref()
            .and_then(super::split_name_line)
            .map(|(_, about)| about.to_owned());
        if let (Some(title), Some(about)) = (&self.title, about) {
            let root = format!("{title} — {about}");
            for section in &mut self.sections {
                if section.breadcrumb.first() == Some(title) {
                    section.breadcrumb[0] = root.clone();
                }
            }
            self.title = Some(root);
        }
        Document {
            title: self.title,
            sections: self.sections,
        }
    }
}

static ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^:([A-Za-z0-9_][A-Za-z0-9_-]*!?):(.*)$").expect("valid"));
static ATTRIBUTE_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([A-Za-z0-9_][A-Za-z0-9_-]*)\}").expect("valid"));
/// A labeled list term: `term::`, `term:::`, `term;;`, then maybe its text.
static TERM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\S.*?)(:{2,4}|;;)(?:\s+(.*))?$").expect("valid"));
/// Inline macros: `link:url[text]`, `xref:page.adoc[text]`, `kbd:[Ctrl+C]`,
/// `https://host/path[text]`, a project's own (`linkgit:git-log[1]`).
static MACRO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([a-z][a-z0-9_-]*):(\S*?)\[([^\]\n]*)\]").expect("valid"));
static XREF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<<([^,>]+)(?:,([^>]*))?>>").expect("valid"));
static STRONG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\*\*(\S(?:[^*]*\S)?)\*\*|__(\S(?:[^_]*\S)?)__|##(\S(?:[^#]*\S)?)##")
        .expect("valid")
});
/// Constrained `*strong*`, `_emphasis_`, `#mark#`: at word boundaries only.
static EMPHASIS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[\s(\[,;])[*_#](\S(?:[^*_#\n]*[^\s*_#])?)[*_#]").expect("valid")
});
static ESCAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\([*_`#{}<>\[\]+.\\-])").expect("valid"));

/// An `=`-style section title: level 0 for the document title (`= Title`),
/// `#` accepted as Markdown writes it.
fn heading(line: &str) -> Option<(usize, String)> {
    let marks = line.chars().take_while(|&c| c == '=' || c == '#').count();
    if marks == 0 || marks > 6 {
        return None;
    }
    let first = line.chars().next()?;
    if !line[..marks].chars().all(|c| c == first) {
        return None;
    }
    let rest = &line[marks..];
    if !rest.starts_with(' ') || rest.trim().is_empty() {
        return None;
    }
    Some((
        marks - 1,
        rest.trim().trim_end_matches(['=', '#', ' ']).to_owned(),
    ))
}

/// A two-line title at line `i`: text, then an underline of `=-~^+` about
/// as long (within two characters), not itself a delimiter line's partner.
fn two_line_heading(lines: &[&str], i: usize) -> Option<(usize, String)> {
    let title = lines[i].trim_end();
    let under = lines.get(i + 1)?.trim_end();
    let c = under.chars().next()?;
    let level = "=-~^+".find(c)?;
    if under.len() < 2 || !under.chars().all(|x| x == c) {
        return None;
    }
    if title.starts_with([' ', '\t', '.', '[', '/', '*', '-', '|', '+'])
        || title.ends_with("::")
        || (i > 0 && !lines[i - 1].trim().is_empty())
    {
        return None;
    }
    let (t, u) = (title.chars().count(), under.chars().count());
    (t.abs_diff(u) <= 2).then(|| (level, title.trim().to_owned()))
}

/// A delimiter line: four or more of one character (`----`, `====`).
fn is_delimiter(line: &str) -> bool {
    if line.starts_with("|===") {
        return line[1..].chars().all(|c| c == '=');
    }
    let mut chars = line.chars();
    let Some(c) = chars.next() else {
        return false;
    };
    line.len() >= 4 && "-.=*_+/".contains(c) && chars.all(|x| x == c)
}

/// The end of a comment block (`////` … `////`) opening at line `i`.
fn delimited_end(lines: &[&str], i: usize, open: &str) -> Option<usize> {
    let line = lines[i].trim_end();
    if !line.starts_with(open) || !is_delimiter(line) {
        return None;
    }
    let close = (i + 1..lines.len())
        .find(|&j| lines[j].trim_end() == line)
        .unwrap_or(lines.len());
    Some(close + 1)
}

/// End (exclusive) of the paragraph starting at line `i`: the next blank
/// line, or a line that opens something else.
fn paragraph_end(lines: &[&str], i: usize) -> usize {
    let mut end = i + 1;
    while end < lines.len() {
        let l = lines[end].trim_end();
        if l.trim().is_empty()
            || l == "+"
            || is_delimiter(l)
            || heading(l).is_some()
            || (l.starts_with('[') && l.ends_with(']'))
            || TERM.is_match(l) && !l.starts_with([' ', '\t'])
            || l.starts_with("//")
            || is_list_item(l)
            || is_directive(l)
        {
            break;
        }
        end += 1;
    }
    end
}

/// A conditional or an include (`ifdef::attr[]`, `include::part.adoc[]`).
fn is_directive(line: &str) -> bool {
    ["ifdef::", "ifndef::", "ifeval::", "endif::", "include::"]
        .iter()
        .any(|p| line.starts_with(p))
        && line.ends_with(']')
}

/// A list item's first line: `* a`, `- a`, `. a`, `** a`, `1. a`.
fn is_list_item(line: &str) -> bool {
    let t = line.trim_start();
    let marks = t
        .chars()
        .take_while(|c| matches!(c, '*' | '-' | '.'))
        .count();
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    (marks > 0 && t[marks..].starts_with(' ')) || (digits > 0 && t[digits..].starts_with(". "))
}

fn dedent(lines: &[&str]) -> String {
    let min = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| super::indent_of(l))
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| super::dedent_line(l, min).trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::super::testing::{text_of, titles};
    use super::*;

    #[test]
    fn a_manual_page_in_asciidoc_has_sections_and_entries() {
        // Laid out as git's documentation is written.
        let page = "frob-sync(1)
============

NAME
----
frob-sync - Copy knob settings between machines

SYNOPSIS
--------
[verse]
'frob sync' [-p | --preview] [--from <host>] <host>...

OPTIONS
-------
-p::
--preview::
\tList the knobs that would change. Nothing
\tis copied.
+
Use it before a first sync.

--from <host>::
\tWhere the settings are read, see linkgit:frob-hosts[5].
\tDefaults to `localhost`.

EXAMPLES
--------
------------
$ frob sync -p host2
------------
";
        let doc = parse_asciidoc(page);
        let root = "frob-sync(1) — Copy knob settings between machines";
        assert_eq!(doc.title.as_deref(), Some(root));
        assert_eq!(
            titles(&doc),
            [
                "",
                "NAME",
                "SYNOPSIS",
                "OPTIONS",
                "OPTIONS > -p, --preview",
                "OPTIONS > --from <host>",
                "EXAMPLES",
            ]
        );
        assert_eq!(doc.sections[4].breadcrumb[0], root);
        assert_eq!(doc.sections[4].blocks[0].start_line, 15);
        assert_eq!(
            text_of(&doc, "-p, --preview"),
            "`-p, --preview`\nList the knobs that would change. Nothing is copied.\n\
             Use it before a first sync."
        );
        assert_eq!(
            text_of(&doc, "--from <host>"),
            "`--from <host>`\nWhere the settings are read, see frob-hosts(5). \
             Defaults to `localhost`."
        );
        assert_eq!(
            text_of(&doc, "SYNOPSIS"),
            "SYNOPSIS\n```\n'frob sync' [-p | --preview] [--from <host>] <host>...\n```"
        );
        assert_eq!(
            text_of(&doc, "EXAMPLES"),
            "EXAMPLES\n```\n$ frob sync -p host2\n```"
        );
        let from = &doc.sections[5];
        assert_eq!(
            (from.blocks[0].start_line, from.blocks[1].end_line),
            (22, 24)
        );
    }

    #[test]
    fn guides_keep_titles_listings_tables_and_links() {
        let page = "= Knob Guide
:product: Frob
:toc:

// A comment.
////
A comment block.
////

== Installing

Install {product} with the package manager.
See link:https://frob.example/download[the download page] and <<tuning,Tuning>>.

[source,python]
.Turning a knob
----
import frob
frob.turn(\"volume\", 11)
----

ifdef::backend-html5[]
Only in HTML.
endif::[]

=== Tuning

|===
| Knob | Default
| volume | 5
|===

NOTE: Knobs turn *at once* and _quietly_.

++++
<div>raw</div>
++++
";
        let doc = parse_asciidoc(page);
        assert_eq!(doc.title.as_deref(), Some("Knob Guide"));
        assert_eq!(titles(&doc), ["", "Installing", "Installing > Tuning"]);
        let install = text_of(&doc, "Installing");
        assert_eq!(
            install,
            "Installing\nInstall Frob with the package manager. \
             See the download page and Tuning.\nTurning a knob\n\
             ```python\nimport frob\nfrob.turn(\"volume\", 11)\n```\nOnly in HTML."
        );
        assert_eq!(
            text_of(&doc, "Tuning"),
            "Tuning\nKnob | Default\nvolume | 5\nNOTE: Knobs turn at once and quietly."
        );
        let code = &doc.sections[1].blocks[3];
        assert_eq!(
            code.kind,
            BlockKind::Code {
                lang: Some("python".into())
            }
        );
        assert_eq!((code.start_line, code.end_line), (17, 20));
    }

    #[test]
    fn unclosed_blocks_and_odd_lines_do_not_panic() {
        for text in [
            "----\nnever closed",
            "////",
            "=",
            "== ",
            "x\n=",
            "[source",
            "|===\n| a",
            "term::",
            "::",
            "{a}{b}",
            "link:[",
            "```",
        ] {
            parse_asciidoc(text);
        }
    }
}
