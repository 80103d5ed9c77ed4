//! Manual pages in roff: the man macros (`.TH`, `.SH`, `.SS`, `.TP`, `.IP`,
//! `.nf`) and mdoc's (`.Dt`, `.Sh`, `.Ss`, `.Bl`/`.It`, `.Bd`), as written
//! by hand, by help2man, pod2man, asciidoctor and DocBook.
//!
//! A page becomes one section per heading, and each tagged paragraph (an
//! option, a command, an environment variable) an entry of its own under
//! it, as an API item is (never joined with its neighbours). Every
//! section's breadcrumb opens with the page's name and its NAME line
//! (`git-rebase(1) — Reapply commits on top of another base tip`), so what
//! the command is for counts wherever a query lands on its page.
//! Formatting requests, registers, conditionals and macro definitions are
//! not text and are left out; escapes render as the characters they stand for.

use super::{BlockKind, Document, Section};

/// Parses a manual page into sections; a file named like one that holds
/// no roff (a numbered log, data) gives no sections.
pub fn parse_man(source: &str) -> Document {
    if !looks_like_roff(source) {
        return Document::default();
    }
    let mut page = Page::default();
    let lines: Vec<&str> = source.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let n = i as u32 + 1;
        let line = lines[i];
        i += 1;
        match control(line) {
            None => page.text(line, n),
            Some((name, args)) => {
                // Definitions and ignored blocks run to a line `..`; a
                // conditional's braced body to its closing `\}`.
                if matches!(name, "de" | "de1" | "am" | "am1" | "ig") {
                    while i < lines.len() && lines[i].trim_end() != ".." {
                        i += 1;
                    }
                    i += 1;
                } else if matches!(name, "if" | "ie" | "el" | "while") {
                    if args.contains("\\{") && !args.contains("\\}") {
                        while i < lines.len() && !lines[i].contains("\\}") {
                            i += 1;
                        }
                        i += 1;
                    }
                } else {
                    page.request(name, args, n);
                }
            }
        }
    }
    page.finish()
}

/// Whether one of the first lines with text is a request or a macro.
fn looks_like_roff(source: &str) -> bool {
    source
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(50)
        .any(|l| {
            control(l).is_some_and(|(name, _)| {
                name == "\\\"" || name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            })
        })
}

/// A control line's request or macro name and the rest of the line;
/// `None` for a text line. Comments (`.\"`) come back as the name `\"`.
fn control(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('.').or_else(|| line.strip_prefix('\''))?;
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.starts_with("\\\"") || rest.starts_with("\\#") {
        return Some(("\\\"", ""));
    }
    let end = rest.find([' ', '\t']).unwrap_or(rest.len());
    Some((&rest[..end], rest[end..].trim_start()))
}

#[derive(Default)]
struct Page {
    /// `.TH`'s or `.Dt`'s name and section: `git-rebase(1)`.
    name: Option<String>,
    /// mdoc's `.Nm` name, repeated by a later bare `.Nm`.
    nm: Option<String>,
    /// What the NAME section says the page is about.
    summary: Option<String>,
    heading: Option<String>,
    subheading: Option<String>,
    tag: Option<String>,
    /// `.RS` depth, and the depth at which the current tag's body began.
    depth: usize,
    tag_depth: Option<usize>,
    /// The next text line is a heading (`.SH` alone) or a tag (`.TP`).
    next: Next,
    para: Vec<String>,
    para_lines: (u32, u32),
    /// Inside `.nf`/`.EX`/`.Vb`/`.Bd -literal`: the lines so far, from line.
    literal: Option<(Vec<String>, u32)>,
    /// mdoc lists open (`.Bl`): whether each one's items are tags.
    lists: Vec<bool>,
    sections: Vec<Section>,
}

#[derive(Default, PartialEq)]
enum Next {
    #[default]
    Text,
    Heading(u8),
    Tag,
}

impl Page {
    fn text(&mut self, line: &str, n: u32) {
        let rendered = render(line);
        self.add_text(rendered, n);
    }

    fn add_text(&mut self, rendered: String, n: u32) {
        if let Some((lines, _)) = &mut self.literal {
            lines.push(rendered);
            return;
        }
        match std::mem::take(&mut self.next) {
            Next::Heading(level) => return self.set_heading(level, rendered, n),
            Next::Tag => return self.set_tag(rendered, n),
            Next::Text => {}
        }
        if rendered.trim().is_empty() {
            return;
        }
        if self.para.is_empty() {
            self.para_lines.0 = n;
        }
        self.para_lines.1 = n;
        self.para.push(rendered.trim().to_owned());
    }

    fn request(&mut self, name: &str, args: &str, n: u32) {
        let literal = self.literal.is_some();
        match name {
            "TH" | "Dt" => {
                let args = split_args(args);
                if let Some(title) = args.first().map(|a| render(a)) {
                    let title = if title.chars().any(|c| c.is_lowercase()) {
                        title
                    } else {
                        title.to_lowercase()
                    };
                    self.name = Some(match args.get(1) {
                        Some(section) => format!("{title}({})", render(section).to_lowercase()),
                        None => title,
                    });
                }
            }
            "SH" | "Sh" | "SS" | "Ss" => {
                let level = if name.starts_with('S') && name.ends_with(['H', 'h']) {
                    1
                } else {
                    2
                };
                let text = self.inline(name, args);
                if text.trim().is_empty() {
                    self.flush();
                    self.next = Next::Heading(level);
                } else {
                    self.set_heading(level, text, n);
                }
            }
            // Vertical space only: a tagged paragraph's body goes on.
            "Sp" | "sp" if !literal => self.flush(),
            "PP" | "P" | "LP" | "HP" | "Pp" | "Lp" if !literal => {
                self.flush();
                self.end_tag();
            }
            "TP" | "TQ" => {
                self.flush();
                self.end_tag();
                self.next = Next::Tag;
            }
            "IP" => {
                self.flush();
                self.end_tag();
                let tag = split_args(args)
                    .first()
                    .map(|a| render(a))
                    .unwrap_or_default();
                if is_tag(&tag) {
                    self.set_tag(tag, n);
                } else if !tag.trim().is_empty() {
                    self.para_lines = (n, n);
                    self.para.push(format!("{} ", tag.trim()));
                }
            }
            "RS" => {
                // A one-line paragraph followed by an indented block is a
                // term and its description (asciidoctor's and DocBook's
                // option lists).
                if self.tag.is_none() && self.para.len() == 1 && is_tag(&self.para[0]) {
                    let tag = self.para.pop().unwrap_or_default();
                    let line = self.para_lines.0;
                    self.set_tag(tag, line);
                    self.tag_depth = Some(self.depth + 1);
                } else {
                    self.flush();
                }
                self.depth += 1;
            }
            "RE" => {
                self.flush();
                if self.tag_depth == Some(self.depth) {
                    self.tag = None;
                    self.tag_depth = None;
                }
                self.depth = self.depth.saturating_sub(1);
            }
            "nf" | "EX" | "Vb" | "Dl" if !literal => {
                self.flush();
                if name == "Dl" {
                    let text = self.inline(name, args);
                    self.push_code(vec![text], n, n);
                } else {
                    self.literal = Some((Vec::new(), n));
                }
            }
            "Bd" if !literal => {
                self.flush();
                if args.contains("-literal") || args.contains("-unfilled") {
                    self.literal = Some((Vec::new(), n));
                }
            }
            "fi" | "EE" | "Ve" | "Ed" => {
                if let Some((lines, from)) = self.literal.take() {
                    self.push_code(lines, from, n);
                } else {
                    self.flush();
                }
            }
            "br" if literal => self.add_text(String::new(), n),
            // A line break inside a paragraph (help2man's synopsis lines).
            "br" if !self.para.is_empty() => self.para.push("\n".to_owned()),
            "br" => {}
            "Bl" => {
                self.flush();
                self.lists.push(
                    ["-tag", "-ohang", "-inset", "-hang", "-diag"]
                        .iter()
                        .any(|k| args.contains(k)),
                );
            }
            "El" => {
                self.flush();
                if self.lists.pop() == Some(true) {
                    self.tag = None;
                }
            }
            "It" => {
                self.flush();
                let text = self.inline(name, args);
                if self.lists.last() == Some(&true) {
                    if text.trim().is_empty() {
                        self.next = Next::Tag;
                    } else {
                        self.set_tag(text, n);
                    }
                } else {
                    self.para_lines = (n, n);
                    let bullet = if text.trim().is_empty() { "•" } else { &text };
                    self.para.push(format!("{bullet} "));
                }
            }
            "Nm" => {
                if self.nm.is_none()
                    && let Some(first) = split_args(args).first()
                {
                    self.nm = Some(render(first));
                }
                let text = self.inline(name, args);
                self.add_text(text, n);
            }
            "Nd" => {
                let text = format!("— {}", self.inline(name, args));
                self.add_text(text, n);
            }
            "so" => {
                let target = render(args.trim());
                self.add_text(format!("See {target}."), n);
            }
            // Text in fonts (man), and mdoc's macros that carry text.
            "B" | "I" | "SM" | "SB" | "BR" | "RB" | "BI" | "IB" | "IR" | "RI" | "SY" | "OP"
            | "UR" | "MT" | "D1" | "Op" | "Fl" | "Ar" | "Cm" | "Ic" | "Li" | "Pa" | "Ev" | "Va"
            | "Dv" | "Er" | "Xr" | "Em" | "Sy" | "Dq" | "Sq" | "Pq" | "Aq" | "Bq" | "Ql" | "Qq"
            | "No" | "Ns" | "Fn" | "Fa" | "Ft" | "Fd" | "In" | "Lk" | "Mt" | "Tn" | "Ux" | "Bx"
            | "At" | "Oo" | "Oc" | "Ta" | "Ap" | "St" | "Ms" | "Ad" | "An" | "Cd" | "Ot" | "Vt"
            | "Lb" | "Rs" | "Re" | "%A" | "%T" | "%B" | "%J" | "%D" | "%N" | "%V" | "%P" | "%O" => {
                if args.trim().is_empty() && matches!(name, "B" | "I" | "SM" | "SB") {
                    return; // the font applies to the next line
                }
                let text = self.inline(name, args);
                self.add_text(text, n);
            }
            // Formatting, registers, strings, index entries, comments.
            _ => {}
        }
    }

    /// The text of a macro line: man's font macros join their arguments
    /// (alternating ones without spaces), mdoc's are rendered as words.
    fn inline(&self, name: &str, args: &str) -> String {
        let words = split_args(args);
        let rendered = || words.iter().map(|w| render(w));
        match name {
            "BR" | "RB" | "BI" | "IB" | "IR" | "RI" => rendered().collect(),
            "OP" => format!("[{}]", rendered().collect::<Vec<_>>().join(" ")),
            "SH" | "SS" | "B" | "I" | "SM" | "SB" | "SY" | "UR" | "MT" => {
                rendered().collect::<Vec<_>>().join(" ")
            }
            "Sh" | "Ss" | "It" | "Nd" | "D1" | "Dl" => self.mdoc(&words),
            _ => {
                let mut all = vec![name.to_owned()];
                all.extend(words);
                self.mdoc(&all)
            }
        }
    }

    /// Renders mdoc words, where callable macros (`Fl`, `Ar`, `Xr`, `Op`…)
    /// shape the words after them.
    fn mdoc(&self, words: &[String]) -> String {
        let mut out = String::new();
        let mut glue = false;
        let mut i = 0;
        while i < words.len() {
            let w = words[i].as_str();
            i += 1;
            let piece = match w {
                "Fl" => {
                    push_word(&mut out, "-", glue);
                    glue = true;
                    continue;
                }
                "Ns" | "Ap" => {
                    glue = true;
                    if w == "Ap" {
                        out.push('\'');
                    }
                    continue;
                }
                "Xr" => {
                    let page = words.get(i).map(|s| render(s)).unwrap_or_default();
                    let section = words.get(i + 1).map(|s| render(s)).unwrap_or_default();
                    i += 2;
                    format!("{page}({section})")
                }
                "Nm" if words.get(i).is_none_or(|next| is_mdoc_macro(next)) => {
                    self.nm.clone().unwrap_or_default()
                }
                "Op" | "Dq" | "Sq" | "Pq" | "Aq" | "Bq" | "Qq" | "Brq" => {
                    let (open, close) = match w {
                        "Op" | "Bq" => ("[", "]"),
                        "Dq" => ("“", "”"),
                        "Sq" => ("‘", "’"),
                        "Pq" => ("(", ")"),
                        "Aq" => ("<", ">"),
                        "Brq" => ("{", "}"),
                        _ => ("\"", "\""),
                    };
                    let inner = self.mdoc(&words[i..]);
                    i = words.len();
                    format!("{open}{inner}{close}")
                }
                "Oo" => {
                    push_word(&mut out, "[", glue);
                    glue = true;
                    continue;
                }
                "Oc" => {
                    out.push(']');
                    continue;
                }
                "Ta" => " | ".to_owned(),
                "Ux" => "UNIX".to_owned(),
                "Bx" => "BSD".to_owned(),
                "At" => "AT&T UNIX".to_owned(),
                _ if is_mdoc_macro(w) => continue,
                _ => render(w),
            };
            if is_closing(&piece) {
                out.push_str(&piece);
            } else {
                push_word(&mut out, &piece, glue);
            }
            glue = false;
        }
        out
    }

    fn set_heading(&mut self, level: u8, text: String, n: u32) {
        self.flush();
        self.tag = None;
        self.tag_depth = None;
        let text = text.trim().to_owned();
        if level == 1 {
            self.heading = Some(text.clone());
            self.subheading = None;
        } else {
            self.subheading = Some(text.clone());
        }
        self.push_block(BlockKind::Heading, text, n, n);
    }

    fn set_tag(&mut self, text: String, n: u32) {
        self.flush();
        let text = text.trim().to_owned();
        if text.is_empty() {
            return;
        }
        self.tag = Some(text.clone());
        self.tag_depth = None;
        // An entry of its own, never joined with its neighbours: the
        // option a query asks about is answered by itself.
        self.push_block(BlockKind::Item, format!("`{text}`"), n, n);
    }

    /// A tagged paragraph ends where another or a plain one begins, unless
    /// the tag's body is indented (`.RS`) and goes on.
    fn end_tag(&mut self) {
        if self.tag_depth.is_none() {
            self.tag = None;
        }
    }

    fn flush(&mut self) {
        if let Some((lines, from)) = self.literal.take() {
            let to = from + lines.len() as u32;
            self.push_code(lines, from, to);
        }
        if self.para.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.para).join(" ");
        let text = text
            .split('\n')
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        if self.heading.as_deref().is_some_and(is_name_heading) && self.summary.is_none() {
            self.summary = Some(text.clone());
        }
        let (from, to) = self.para_lines;
        self.push_block(BlockKind::Prose, text, from, to);
    }

    fn push_code(&mut self, lines: Vec<String>, from: u32, to: u32) {
        let body = lines.join("\n");
        let body = body.trim_matches('\n');
        if body.trim().is_empty() {
            return;
        }
        self.push_block(
            BlockKind::Code { lang: None },
            format!("```\n{body}\n```"),
            from,
            to,
        );
    }

    /// Adds a block to the section its headings and tag name, opening a new
    /// section where those changed.
    fn push_block(&mut self, kind: BlockKind, text: String, from: u32, to: u32) {
        let breadcrumb: Vec<String> = [&self.heading, &self.subheading, &self.tag]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        super::push_block(&mut self.sections, breadcrumb, kind, text, (from, to));
    }

    fn finish(mut self) -> Document {
        self.flush();
        let mut name = self.name.clone().or_else(|| self.nm.clone());
        // DocBook cuts `.TH` names short (`GIT-GET-TAR-COMMI`): the NAME
        // line's first name, where it goes on from there, is the whole one.
        if let (Some(full), Some((title, section))) = (
            self.summary
                .as_deref()
                .and_then(super::split_name_line)
                .and_then(|(names, _)| names.split(',').next())
                .map(str::trim),
            name.as_deref().and_then(|n| n.rsplit_once('(')),
        ) && full.len() > title.len()
            && full.to_lowercase().starts_with(&title.to_lowercase())
        {
            name = Some(format!("{full}({section}"));
        }
        // "git-rebase - Reapply commits…": the words after the dash.
        let about = self
            .summary
            .as_deref()
            .map(|s| match super::split_name_line(s) {
                Some((_, about)) => about.to_owned(),
                None => s.trim().trim_start_matches('—').trim().to_owned(),
            });
        let root = match (&name, &about) {
            (Some(name), Some(about)) if !about.is_empty() => Some(format!("{name} — {about}")),
            (Some(name), _) => Some(name.clone()),
            (None, Some(about)) if !about.is_empty() => Some(about.clone()),
            _ => None,
        };
        let mut sections = self.sections;
        if let Some(root) = &root {
            for section in &mut sections {
                section.breadcrumb.insert(0, root.clone());
            }
        }
        Document {
            title: root,
            sections,
        }
    }
}

fn is_name_heading(heading: &str) -> bool {
    heading.eq_ignore_ascii_case("name")
}

/// Whether a paragraph's text reads as a term (an option, a command, a
/// variable) rather than a list bullet or a sentence.
fn is_tag(text: &str) -> bool {
    let t = text.trim();
    let alnum = t.chars().filter(|c| c.is_alphanumeric()).count();
    if alnum == 0 || t.chars().count() > 80 || (t.ends_with([':', '.']) && !t.starts_with('-')) {
        return false;
    }
    // `1.`, `a)`: numbering.
    !(alnum <= 3 && t.ends_with([')', '.']))
}

fn is_mdoc_macro(word: &str) -> bool {
    matches!(
        word,
        "Ar" | "Cm"
            | "Ic"
            | "Li"
            | "Pa"
            | "Ev"
            | "Va"
            | "Dv"
            | "Er"
            | "Em"
            | "Sy"
            | "No"
            | "Fn"
            | "Fa"
            | "Ft"
            | "Fd"
            | "In"
            | "Lk"
            | "Mt"
            | "Tn"
            | "Nm"
            | "Ql"
            | "St"
            | "Ms"
            | "Ad"
            | "An"
            | "Cd"
            | "Ot"
            | "Vt"
            | "Lb"
            | "Sm"
            | "Pf"
            | "Eo"
            | "Ec"
            | "Qo"
            | "Qc"
            | "Do"
            | "Dc"
            | "So"
            | "Sc"
            | "Po"
            | "Pc"
            | "Bo"
            | "Bc"
            | "Ao"
            | "Ac"
            | "Xo"
            | "Xc"
            | "Bro"
            | "Brc"
    )
}

/// Punctuation that mdoc attaches to the word before it.
fn is_closing(piece: &str) -> bool {
    !piece.is_empty() && piece.chars().all(|c| ".,:;)]?!".contains(c))
}

/// Appends `word` to `out`, after a space unless `glue`.
fn push_word(out: &mut String, word: &str, glue: bool) {
    if !glue && !out.is_empty() && !out.ends_with([' ', '[', '(']) {
        out.push(' ');
    }
    out.push_str(word);
}

/// A macro line's arguments: words split at spaces, double quotes group
/// (`""` inside quotes is a quote).
fn split_args(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = args.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let Some(&first) = chars.peek() else {
            break;
        };
        let mut word = String::new();
        if first == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.next_if_eq(&'"').is_some() {
                        word.push('"');
                        continue;
                    }
                    break;
                }
                word.push(c);
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ' ' && *c != '\t') {
                word.push(c);
                // An escape's argument (`\ `) is part of the word.
                if c == '\\'
                    && let Some(next) = chars.next()
                {
                    word.push(next);
                }
            }
        }
        out.push(word);
    }
    out
}

/// Renders roff escapes in `text` as plain characters: fonts and sizes
/// vanish, `\-` is a hyphen, `\(em` a dash, comments end the line.
fn render(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            break;
        };
        match e {
            '"' | '#' => break,
            'f' | 'F' | 'n' | '*' | 'g' | 'k' | 'm' | 'M' | 'Y' | 'V' => {
                let name = escape_name(&mut chars);
                if e == '*' {
                    out.push_str(string_of(&name));
                }
            }
            's' => {
                // `\s+1`, `\s-2`, `\s0`, `\s(12`, `\s[12]`, `\s'12'`.
                chars.next_if(|c| *c == '+' || *c == '-');
                match chars.peek() {
                    Some('(' | '[') => {
                        escape_name(&mut chars);
                    }
                    Some('\'') => {
                        delimited(&mut chars);
                    }
                    _ => while chars.next_if(char::is_ascii_digit).is_some() {},
                }
            }
            'h' | 'v' | 'w' | 'l' | 'L' | 'o' | 'D' | 'X' | 'Z' | 'b' | 'x' | 'N' | 'R' | 'A'
            | 'B' | 'C' => {
                let inner = delimited(&mut chars);
                if e == 'o' || e == 'Z' {
                    out.push_str(&render(&inner));
                }
            }
            '(' => {
                let name: String = chars.by_ref().take(2).collect();
                out.push_str(glyph(&name));
            }
            '[' => {
                let mut name = String::new();
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                    name.push(c);
                }
                out.push_str(&bracket_glyph(&name));
            }
            'e' | '\\' => out.push('\\'),
            '-' => out.push('-'),
            ' ' | '~' | '0' => out.push(' '),
            '&' | '|' | '^' | '%' | 'c' | '{' | '}' | 'a' | 'd' | 'u' | 'r' | 'p' | 'z' | 't'
            | ':' | ',' | '/' | 'E' | '!' | '?' | 'j' | 'O' | 'S' => {}
            '\'' => out.push('´'),
            '`' => out.push('`'),
            '.' => out.push('.'),
            other => out.push(other),
        }
    }
    out
}

/// The name after `\f`, `\*`, `\n`: one character, `(xx` or `[name]`.
fn escape_name(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    // A register's `+`/`-` increment.
    chars.next_if(|c| *c == '+' || *c == '-');
    match chars.next() {
        Some('(') => chars.by_ref().take(2).collect(),
        Some('[') => {
            let mut name = String::new();
            for c in chars.by_ref() {
                if c == ']' {
                    break;
                }
                name.push(c);
            }
            name
        }
        Some(c) => c.to_string(),
        None => String::new(),
    }
}

/// The argument of `\w'…'` and its kind, up to the same delimiter.
fn delimited(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let Some(delim) = chars.next() else {
        return String::new();
    };
    let mut inner = String::new();
    for c in chars.by_ref() {
        if c == delim {
            break;
        }
        inner.push(c);
    }
    inner
}

/// Strings pages commonly interpolate (`\*(lq`, DocBook's `\*(Aq`,
/// pod2man's `\*(C'`); others render as nothing.
fn string_of(name: &str) -> &'static str {
    match name {
        "lq" | "L\"" => "“",
        "rq" | "R\"" => "”",
        "Aq" | "aq" | "C'" => "'",
        "C`" => "`",
        "R" => "®",
        "Tm" => "™",
        "Lq" => "“",
        "Rq" => "”",
        _ => "",
    }
}

/// Two-character glyph names (`\(em`).
fn glyph(name: &str) -> &'static str {
    match name {
        "em" => "—",
        "en" => "–",
        "hy" | "mi" | "\\-" => "-",
        "aq" => "'",
        "dq" => "\"",
        "lq" | "Lq" => "“",
        "rq" | "Rq" => "”",
        "oq" => "‘",
        "cq" => "’",
        "bu" => "•",
        "co" => "©",
        "rg" => "®",
        "tm" => "™",
        "pl" => "+",
        "mu" => "×",
        "di" => "÷",
        "<=" => "≤",
        ">=" => "≥",
        "!=" => "≠",
        "==" => "≡",
        "->" => "→",
        "<-" => "←",
        "ga" => "`",
        "aa" => "´",
        "ti" | "a~" => "~",
        "ha" | "a^" => "^",
        "rs" => "\\",
        "sl" => "/",
        "ba" | "bv" | "br" => "|",
        "lB" => "[",
        "rB" => "]",
        "lC" => "{",
        "rC" => "}",
        "la" => "⟨",
        "ra" => "⟩",
        "fm" => "′",
        "sd" => "″",
        "de" => "°",
        "ct" => "¢",
        "Po" => "£",
        "Eu" | "eu" => "€",
        "ua" => "↑",
        "da" => "↓",
        "sc" => "§",
        "ps" => "¶",
        "dg" => "†",
        "ss" => "ß",
        "+-" => "±",
        "no" => "¬",
        "ap" | "|=" => "≈",
        "**" => "∗",
        "sq" => "□",
        "ci" => "○",
        "at" => "@",
        "sh" => "#",
        "Do" => "$",
        "ul" | "ru" => "_",
        "cr" => "↵",
        _ => "",
    }
}

/// `\[name]`: a glyph name or a Unicode code point (`u00E9`).
fn bracket_glyph(name: &str) -> String {
    if let Some(hex) = name.strip_prefix('u')
        && let Ok(code) = u32::from_str_radix(hex.split('_').next().unwrap_or(""), 16)
        && let Some(c) = char::from_u32(code)
    {
        return c.to_string();
    }
    if name.chars().count() == 2 {
        return glyph(name).to_owned();
    }
    match name {
        "dq" | "quotedbl" => "\"".to_owned(),
        "aq" | "quotesingle" => "'".to_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{text_of, titles};
    use super::*;

    #[test]
    fn a_man_page_has_a_section_per_heading_and_per_option() {
        // Laid out as help2man writes pages.
        let page = r#".\" Generated for this test.
.TH FROB "1" "December 2026" "frob 3.1" "User Commands"
.SH NAME
frob \- tweak the knobs of a running service
.SH SYNOPSIS
.B frob
[\fI\,OPTION\/\fR]... [\fI\,KNOB\/\fR]...
.br
.B frob
\fB\-\-list\fR
.SH DESCRIPTION
.\" A comment in the middle.
.PP
Change KNOBs of the service on this machine.
Unless \fB\-\-dry\-run\fR or \fB\-n\fR is given, changes apply at once.
.TP
\fB\-a\fR, \fB\-\-all\fR
turn every knob, including hidden ones
.TP
\fB\-r\fR, \fB\-\-reset\fR
put knobs back to their defaults
.SS "Exit status:"
.TP
0
if every knob turned,
.PP
More at <https://frob.example/manual>
"#;
        let doc = parse_man(page);
        let root = "frob(1) — tweak the knobs of a running service";
        assert_eq!(doc.title.as_deref(), Some(root));
        assert_eq!(
            titles(&doc),
            [
                "NAME",
                "SYNOPSIS",
                "DESCRIPTION",
                "DESCRIPTION > -a, --all",
                "DESCRIPTION > -r, --reset",
                "DESCRIPTION > Exit status:",
                "DESCRIPTION > Exit status: > 0",
                "DESCRIPTION > Exit status:",
            ]
        );
        let all = &doc.sections[3];
        assert_eq!(all.breadcrumb[0], root);
        assert_eq!(all.blocks[0].kind, BlockKind::Item);
        assert_eq!(all.blocks[1].text, "turn every knob, including hidden ones");
        assert_eq!((all.blocks[0].start_line, all.blocks[1].end_line), (17, 18));
        assert_eq!(
            text_of(&doc, "DESCRIPTION"),
            "DESCRIPTION\nChange KNOBs of the service on this machine. \
             Unless --dry-run or -n is given, changes apply at once."
        );
        assert_eq!(
            text_of(&doc, "SYNOPSIS"),
            "SYNOPSIS\nfrob [OPTION]... [KNOB]...\nfrob --list"
        );
    }

    #[test]
    fn generated_pages_keep_terms_and_listings_and_drop_their_preamble() {
        // Laid out as DocBook and asciidoctor write pages.
        let page = r#"'\" t
.\"     Title: frob-sync
.TH "FROB\-SYNC" "1" "2026-12-03" "Frob 3.1" "Frob Manual"
.ie \n(.g .ds Aq \(aq
.el       .ds Aq '
.de URL
\\$2 \(laURL: \\$1 \(ra\\$3
..
.nh
.ad l
.SH "NAME"
frob-sync \- copy knob settings between machines
.SH "OPTIONS"
.PP
\-p, \-\-preview
.RS 4
List the knobs that would change\&. Nothing is copied\&.
.sp
.if n \{\
.RS 4
.\}
.nf
frob sync \-p host2
.fi
.if n \{\
.RE
.\}
.RE
.PP
\-\-from <host>
.RS 4
Where the settings are read\&.
.RE
.PP
See also the \fBKNOBS\fR section.
"#;
        let doc = parse_man(page);
        let root = "frob-sync(1) — copy knob settings between machines";
        assert_eq!(doc.title.as_deref(), Some(root));
        assert_eq!(
            titles(&doc),
            [
                "NAME",
                "OPTIONS",
                "OPTIONS > -p, --preview",
                "OPTIONS > --from <host>",
                "OPTIONS",
            ]
        );
        assert_eq!(
            text_of(&doc, "-p, --preview"),
            "`-p, --preview`\nList the knobs that would change. Nothing is copied.\n\
             ```\nfrob sync -p host2\n```"
        );
        let last = doc.sections.last().unwrap();
        assert_eq!(last.blocks[0].text, "See also the KNOBS section.");
        // The `.de` body and the string definitions are not text.
        let all: String = doc
            .sections
            .iter()
            .flat_map(|s| &s.blocks)
            .map(|b| b.text.clone())
            .collect();
        assert!(!all.contains("URL") && !all.contains("Aq"), "{all}");
    }

    #[test]
    fn mdoc_pages_render_their_macros_as_words() {
        let page = r#".Dd December 3, 2026
.Dt FROBD 8
.Os
.Sh NAME
.Nm frobd
.Nd the knob service
.Sh SYNOPSIS
.Nm frobd
.Op Fl 46dv
.Op Fl b Ar bind_address
.Ar config
.Sh DESCRIPTION
.Nm
keeps knob settings and answers frob clients, see
.Xr frob 1 .
.Bl -tag -width Ds
.It Fl L Xo
.Sm off
.Oo Ar address : Oc
.Ar port
.Sm on
.Xc
Also listen on the given TCP port.
.It Fl v
More messages.
.El
.Pp
Example:
.Bd -literal -offset indent
$ frobd -L 7300 /etc/frob.conf
.Ed
"#;
        let doc = parse_man(page);
        assert_eq!(doc.title.as_deref(), Some("frobd(8) — the knob service"));
        assert_eq!(
            titles(&doc),
            [
                "NAME",
                "SYNOPSIS",
                "DESCRIPTION",
                "DESCRIPTION > -L",
                "DESCRIPTION > -v",
                "DESCRIPTION",
            ]
        );
        assert_eq!(
            text_of(&doc, "SYNOPSIS"),
            "SYNOPSIS\nfrobd [-46dv] [-b bind_address] config"
        );
        assert_eq!(text_of(&doc, "-v"), "`-v`\nMore messages.");
        assert_eq!(
            doc.sections[2].blocks[1].text,
            "frobd keeps knob settings and answers frob clients, see frob(1)."
        );
        assert!(text_of(&doc, "-L").contains("[address:] port Also listen on the given TCP port."));
        let last = doc.sections.last().unwrap();
        assert_eq!(
            last.blocks.last().unwrap().text,
            "```\n$ frobd -L 7300 /etc/frob.conf\n```"
        );
    }

    #[test]
    fn escapes_render_as_characters() {
        assert_eq!(render(r"\fB\-\-all\fR"), "--all");
        assert_eq!(render(r"a \(em b \[em] c"), "a — b — c");
        assert_eq!(render(r"\*(lqquoted\*(rq"), "“quoted”");
        assert_eq!(render(r"caf\[u00E9] \s-1SMALL\s0 x\c"), "café SMALL x");
        assert_eq!(render(r#"text \" comment"#), "text ");
        assert_eq!(render(r"\w'abc'u end \e"), "u end \\");
        // Truncated escapes do not panic.
        for s in [r"\", r"\(", r"\[", r"\f", r"\*(", r"\s", r"\w'", r"\[u"] {
            render(s);
        }
    }

    #[test]
    fn a_name_cut_short_by_the_generator_is_taken_whole_from_the_name_line() {
        let page =
            ".TH \"FROB\\-SYNC\\-SETTI\" \"1\"\n.SH NAME\nfrob-sync-settings \\- copy knobs\n";
        let doc = parse_man(page);
        assert_eq!(
            doc.title.as_deref(),
            Some("frob-sync-settings(1) — copy knobs")
        );
        // Several names on the NAME line: the page's own name stays.
        let page = ".TH FROB 1\n.SH NAME\nfrob, unfrob \\- turn knobs\n";
        assert_eq!(
            parse_man(page).title.as_deref(),
            Some("frob(1) — turn knobs")
        );
    }

    #[test]
    fn text_without_requests_is_not_a_page() {
        assert!(
            parse_man("2024-01-01 12:00 started\n.. done\n")
                .sections
                .is_empty()
        );
    }

    #[test]
    fn a_page_that_sources_another_says_so() {
        let doc = parse_man(".so man1/git-rebase.1\n");
        assert_eq!(doc.sections.len(), 1);
        assert_eq!(doc.sections[0].blocks[0].text, "See man1/git-rebase.1.");
    }
}
