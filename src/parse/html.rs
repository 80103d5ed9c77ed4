//! HTML documentation as the generators write it: Sphinx, rustdoc, javadoc,
//! texinfo (GNU manuals), mdBook, and pages written by hand.
//!
//! html5ever's tokenizer reads the page (entities, raw-text elements, line
//! numbers); a small walk over its tokens keeps the page's own content and
//! leaves out what frames it (`<head>`, `<nav>`, `<footer>`, scripts, the
//! generators' sidebars and permalink marks). Where the page marks its main
//! content (`<main>`, `role="main"`), only that is read.
//!
//! A page becomes one section per heading, as Markdown does. A definition
//! term with an `id` (Sphinx's `.. function::` and `.. option::`, texinfo's
//! `@deffn`, a glossary entry) is an API entry of its own, named by its
//! qualified name or its first words, and never joined with its neighbours.
//! `<pre>` is code (with the language its class names), a table row one
//! line of cells. A template (Jinja, Django, ERB: `{% … %}`, `{{ … }}` in
//! its text or attributes) is a program, not a document, and gives nothing.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

use super::{BlockKind, Document, Section};

/// Parses an HTML page into sections; a template gives none.
pub fn parse_html(source: &str) -> Document {
    let events = tokenize(source);
    if is_template(&events) {
        return Document::default();
    }
    let main_only = events.iter().any(|e| match e {
        Event::Start(tag) => tag.is_main(),
        _ => false,
    });
    let mut page = Page {
        main_only,
        ..Page::default()
    };
    for event in events {
        match event {
            Event::Start(tag) => page.start(tag),
            Event::End(name, line) => page.end(&name, line),
            Event::Text(text, line) => page.text(&text, line),
        }
    }
    page.finish()
}

/// What the tokenizer reports, in source order, each with its line number.
#[derive(Debug)]
enum Event {
    Start(StartTag),
    End(String, u32),
    Text(String, u32),
}

#[derive(Debug)]
struct StartTag {
    name: String,
    id: Option<String>,
    class: String,
    role: String,
    hidden: bool,
    /// `<meta name="generator" content="…">`'s content.
    generator: Option<String>,
    /// Attribute values, only to tell templates from pages.
    values: Vec<String>,
    self_closing: bool,
    line: u32,
}

impl StartTag {
    fn is_main(&self) -> bool {
        self.name == "main" || self.role == "main"
    }

    fn has_class(&self, wanted: &str) -> bool {
        self.class.split_ascii_whitespace().any(|c| c == wanted)
    }
}

#[derive(Default)]
struct Collector {
    events: RefCell<Vec<Event>>,
}

impl TokenSink for Collector {
    type Handle = ();

    fn process_token(&self, token: Token, line: u64) -> TokenSinkResult<()> {
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        let mut events = self.events.borrow_mut();
        match token {
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                if tag.kind == TagKind::EndTag {
                    events.push(Event::End(name, line));
                    return TokenSinkResult::Continue;
                }
                let attr = |wanted: &str| {
                    tag.attrs
                        .iter()
                        .find(|a| (*a.name.local).eq_ignore_ascii_case(wanted))
                        .map(|a| a.value.to_string())
                };
                let generator = (name == "meta")
                    .then(|| attr("name"))
                    .flatten()
                    .filter(|n| n.eq_ignore_ascii_case("generator"))
                    .and_then(|_| attr("content"));
                let raw = match name.as_str() {
                    "script" => Some(RawKind::ScriptData),
                    "style" | "xmp" | "iframe" | "noembed" | "noframes" => Some(RawKind::Rawtext),
                    "title" | "textarea" => Some(RawKind::Rcdata),
                    _ => None,
                };
                events.push(Event::Start(StartTag {
                    id: attr("id").filter(|id| !id.trim().is_empty()),
                    class: attr("class").unwrap_or_default().to_ascii_lowercase(),
                    role: attr("role").unwrap_or_default().to_ascii_lowercase(),
                    hidden: attr("hidden").is_some()
                        || attr("aria-hidden").is_some_and(|v| v == "true"),
                    generator,
                    values: tag.attrs.iter().map(|a| a.value.to_string()).collect(),
                    self_closing: tag.self_closing,
                    name,
                    line,
                }));
                match raw {
                    Some(kind) if !tag.self_closing => TokenSinkResult::RawData(kind),
                    _ => TokenSinkResult::Continue,
                }
            }
            Token::CharacterTokens(text) => {
                match events.last_mut() {
                    Some(Event::Text(last, at)) => {
                        last.push_str(&text);
                        *at = line;
                    }
                    _ => events.push(Event::Text(text.to_string(), line)),
                }
                TokenSinkResult::Continue
            }
            _ => TokenSinkResult::Continue,
        }
    }
}

fn tokenize(source: &str) -> Vec<Event> {
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(source));
    let tokenizer = Tokenizer::new(Collector::default(), TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.events.into_inner()
}

/// Template syntax in the page's text (outside code, where docs show it)
/// or in an attribute (`href="{{ url_for('index') }}"`).
fn is_template(events: &[Event]) -> bool {
    let marked = |s: &str| {
        let pairs = [("{%", "%}"), ("{{", "}}"), ("<%", "%>")];
        pairs.iter().any(|(open, close)| {
            s.find(open)
                .is_some_and(|at| s[at + open.len()..].contains(close))
        })
    };
    let mut in_code = 0usize;
    for event in events {
        match event {
            Event::Start(tag) => {
                if tag.values.iter().any(|v| marked(v)) {
                    return true;
                }
                if is_code_tag(&tag.name) && !tag.self_closing {
                    in_code += 1;
                }
            }
            Event::End(name, _) if is_code_tag(name) => in_code = in_code.saturating_sub(1),
            Event::Text(text, _) if in_code == 0 && marked(text) => return true,
            _ => {}
        }
    }
    false
}

fn is_code_tag(name: &str) -> bool {
    is_inline_code(name) || matches!(name, "pre" | "script" | "style")
}

/// Code set in a paragraph's text: rendered between backticks.
fn is_inline_code(name: &str) -> bool {
    matches!(name, "code" | "tt" | "kbd" | "samp")
}

/// Elements without an end tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
            | "param"
    )
}

/// Elements that end the text before them and start a new block; `<p>`,
/// `<li>`, `<dt>`, `<dd>` and the table's parts among them close themselves,
/// so they are boundaries, never kept open.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "dd"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "ul"
    ) || heading_level(name).is_some()
}

/// Boundaries that are never kept on the stack of open elements.
fn closes_itself(name: &str) -> bool {
    matches!(
        name,
        "p" | "li" | "dt" | "dd" | "tr" | "td" | "th" | "tbody" | "thead" | "tfoot" | "option"
    )
}

fn heading_level(name: &str) -> Option<usize> {
    match name.as_bytes() {
        [b'h', d @ b'1'..=b'6'] => Some(usize::from(d - b'0')),
        _ => None,
    }
}

/// Classes of the generators' frames: permalink marks, sidebars, the bars
/// of links to the next and previous pages.
const FRAME_CLASSES: &[&str] = &[
    "headerlink",
    "copiable-anchor",
    "sphinxsidebar",
    "sphinxsidebarwrapper",
    "related",
    "rst-footer-buttons",
    "wy-nav-side",
    "bd-sidebar",
    "bd-sidebar-primary",
    "bd-sidebar-secondary",
    "nav-panel",
    "breadcrumbs",
    "skip-link",
    "rightside",
    "anchor",
];

/// Whether a heading names an API entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    No,
    /// It shows the entry's signature (rustdoc).
    Signature,
    /// It is the name of the member its section documents (javadoc).
    Member,
}

/// One open element: what the walk needs to know of it.
#[derive(Debug)]
struct Open {
    name: String,
    /// Neither it nor anything in it is the page's content.
    frame: bool,
    main: bool,
    /// javadoc's section of one member's details.
    detail: bool,
    /// A code language named by its class (`language-python`, Sphinx's
    /// `highlight-python`).
    lang: Option<String>,
}

#[derive(Default)]
struct Page {
    main_only: bool,
    /// A texinfo page: its `div.header` is the bar of links to its neighbours.
    texinfo: bool,
    open: Vec<Open>,
    title: Option<String>,
    first_h1: Option<String>,
    /// (level, text) of the headings above the current point.
    headings: Vec<(usize, String)>,
    /// (depth of its `<dl>` on the open stack, name) of the entries above
    /// the current point.
    items: Vec<(usize, String)>,
    sections: Vec<Section>,
    /// The paragraph being read, and its first and last lines.
    para: String,
    para_lines: Option<(u32, u32)>,
    /// A heading being read: its level, first line, and whether it names
    /// an entry.
    heading: Option<(usize, u32, Entry)>,
    /// A definition term being read: its `id`, its first line.
    term: Option<(Option<String>, u32)>,
    /// A `<pre>` being read: its text, first line and language.
    pre: Option<(String, u32, Option<String>)>,
    /// Inside `<title>` in the head.
    in_title: bool,
    title_text: String,
    /// Open inline code elements in the paragraph.
    inline_code: usize,
    /// The cells of the table row being read so far.
    in_row: bool,
    last_line: u32,
}

impl Page {
    fn hidden(&self) -> bool {
        self.open.iter().any(|o| o.frame) || (self.main_only && !self.open.iter().any(|o| o.main))
    }

    fn start(&mut self, tag: StartTag) {
        self.last_line = tag.line;
        let name = tag.name.as_str();
        if let Some(generator) = &tag.generator {
            let g = generator.to_ascii_lowercase();
            self.texinfo |= g.starts_with("makeinfo") || g.starts_with("texi2any");
        }
        if name == "title" && !tag.self_closing && self.title.is_none() {
            self.in_title = true;
            self.title_text.clear();
        }
        if self.pre.is_some() {
            // Markup inside `<pre>` (highlighting spans) is not structure.
            if name == "br" {
                self.pre_text("\n");
            }
            if name == "code"
                && let Some(lang) = code_lang(&tag.class)
                && let Some((_, _, slot @ None)) = &mut self.pre
            {
                *slot = Some(lang);
            }
            self.push_open(&tag);
            return;
        }
        if self.hidden() {
            self.push_open(&tag);
            return;
        }
        if self.in_cell(name) {
            // A cell's paragraphs and lists are one cell of its row.
            if is_block(name) && !self.para.ends_with([' ', '\n']) && !self.para.is_empty() {
                self.para.push(' ');
            }
            self.push_open(&tag);
            return;
        }
        if is_block(name) {
            self.end_inline_parts(tag.line);
        }
        if let Some(level) = heading_level(name) {
            // rustdoc shows a signature as the heading (`code-header`);
            // javadoc heads each member's `section.detail` with its name.
            let entry = if tag.has_class("code-header") {
                Entry::Signature
            } else if self.open.last().is_some_and(|o| o.detail) {
                Entry::Member
            } else {
                Entry::No
            };
            self.heading = Some((level, tag.line, entry));
        } else if name == "dt" {
            self.term = Some((tag.id.clone(), tag.line));
        } else if name == "pre" {
            let lang = code_lang(&tag.class).or_else(|| self.inherited_lang());
            self.pre = Some((String::new(), tag.line, lang));
        } else if name == "li" {
            self.para.push_str("- ");
        } else if name == "br" {
            self.para.push('\n');
        } else if matches!(name, "td" | "th") {
            if self.in_row && !self.para.trim().is_empty() {
                self.para.push_str(" | ");
            }
        } else if name == "tr" {
            self.in_row = true;
        } else if is_inline_code(name) && self.term.is_none() {
            if self.heading.is_none() {
                self.para.push('`');
            }
            self.inline_code += 1;
        }
        self.push_open(&tag);
    }

    fn push_open(&mut self, tag: &StartTag) {
        let name = tag.name.as_str();
        if is_void(name) || tag.self_closing || closes_itself(name) {
            return;
        }
        let in_article = self
            .open
            .iter()
            .any(|o| o.main || o.name == "article" || o.name == "main");
        let frame = matches!(
            name,
            "head"
                | "script"
                | "style"
                | "noscript"
                | "template"
                | "nav"
                | "footer"
                | "svg"
                | "math"
                | "button"
                | "select"
                | "iframe"
                | "object"
                | "form"
        ) || (name == "header" && !in_article)
            || matches!(
                tag.role.as_str(),
                "navigation" | "banner" | "contentinfo" | "search"
            )
            || tag.hidden
            || FRAME_CLASSES.iter().any(|c| tag.has_class(c))
            // rustdoc's copies of other types' docs: the methods a type
            // gets through `Deref` (all of `str`'s), and the blanket and
            // auto trait impls every type has.
            || tag.id.as_deref().is_some_and(|id| {
                matches!(id, "synthetic-implementations-list" | "blanket-implementations-list")
                    || (name == "div" && id.starts_with("deref-methods-"))
            })
            || (self.texinfo && name == "div" && tag.has_class("header"));
        self.open.push(Open {
            name: tag.name.clone(),
            frame,
            main: tag.is_main(),
            detail: name == "section" && tag.has_class("detail"),
            lang: code_lang(&tag.class),
        });
    }

    /// Inside a table row, where only the table's own parts end the row.
    fn in_cell(&self, name: &str) -> bool {
        self.in_row
            && !matches!(name, "tr" | "table" | "thead" | "tbody" | "tfoot" | "pre")
            && heading_level(name).is_none()
            && !matches!(name, "td" | "th" | "br")
            && !is_inline_code(name)
    }

    fn inherited_lang(&self) -> Option<String> {
        self.open.iter().rev().find_map(|o| o.lang.clone())
    }

    fn end(&mut self, name: &str, line: u32) {
        self.last_line = line;
        if name == "title" && self.in_title {
            self.in_title = false;
            let title = collapse(&self.title_text);
            if !title.is_empty() {
                self.title = Some(title);
            }
        }
        if self.pre.is_some() {
            if name == "pre" {
                self.end_pre(line);
            } else {
                self.pop_open(name);
                return;
            }
        }
        if !self.hidden() {
            if is_inline_code(name) && self.inline_code > 0 {
                self.inline_code -= 1;
                if self.heading.is_none() && self.term.is_none() {
                    self.para.push('`');
                }
            } else if heading_level(name).is_some() && self.heading.is_some() {
                self.end_heading(line);
            } else if name == "dt" && self.term.is_some() {
                self.end_term(line);
            } else if matches!(name, "tr" | "table") {
                self.flush();
                self.in_row = false;
            } else if is_block(name) && !self.in_cell(name) {
                self.end_inline_parts(line);
            }
        }
        self.pop_open(name);
    }

    /// Closes the innermost open `name` and all inside it; an end tag with
    /// nothing open to close is ignored.
    fn pop_open(&mut self, name: &str) {
        if let Some(at) = self.open.iter().rposition(|o| o.name == name) {
            self.open.truncate(at);
            let depth = self.open.len();
            self.items.retain(|(d, _)| *d < depth);
        }
    }

    fn text(&mut self, text: &str, line: u32) {
        let first = line.saturating_sub(text.matches('\n').count() as u32);
        self.last_line = line;
        if self.in_title {
            self.title_text.push_str(text);
            return;
        }
        if self.pre.is_some() {
            if !self.hidden() {
                self.pre_text(text);
            }
            return;
        }
        if self.hidden() || text.trim().is_empty() {
            if !self.para.is_empty() && !self.para.ends_with([' ', '\n']) {
                self.para.push(' ');
            }
            return;
        }
        if text.starts_with(char::is_whitespace)
            && !self.para.is_empty()
            && !self.para.ends_with([' ', '\n', '`'])
        {
            self.para.push(' ');
        }
        self.para.push_str(&collapse(text));
        if text.ends_with(char::is_whitespace) {
            self.para.push(' ');
        }
        let from = self.para_lines.map_or(first.max(1), |(from, _)| from);
        self.para_lines = Some((from, line.max(from)));
    }

    fn pre_text(&mut self, text: &str) {
        if let Some((body, _, _)) = &mut self.pre {
            body.push_str(text);
        }
    }

    /// Ends what a block boundary ends: a heading or term left open, and
    /// the paragraph.
    fn end_inline_parts(&mut self, line: u32) {
        if self.heading.is_some() {
            self.end_heading(line);
        }
        if self.term.is_some() {
            self.end_term(line);
        }
        self.flush();
    }

    fn take_para(&mut self) -> (String, (u32, u32)) {
        let text = std::mem::take(&mut self.para);
        let lines = self
            .para_lines
            .take()
            .unwrap_or((self.last_line, self.last_line));
        self.inline_code = 0;
        (text, lines)
    }

    fn end_heading(&mut self, line: u32) {
        let Some((level, from, entry)) = self.heading.take() else {
            return;
        };
        let (text, _) = self.take_para();
        let text = clean_mark(&collapse(&text));
        if text.is_empty() {
            return;
        }
        // A function's signature as its heading (`pub fn parse(text: &str)`):
        // an entry named by the function.
        let (name, kind, text) =
            if (entry == Entry::Signature && text.contains('(')) || entry == Entry::Member {
                (entry_name("", &text), BlockKind::Item, format!("`{text}`"))
            } else {
                if level == 1 && self.first_h1.is_none() {
                    self.first_h1 = Some(text.clone());
                }
                (text.clone(), BlockKind::Heading, text)
            };
        while self.headings.last().is_some_and(|(l, _)| *l >= level) {
            self.headings.pop();
        }
        self.headings.push((level, name));
        self.items.clear();
        self.push_block(kind, text, (from, line));
    }

    fn end_term(&mut self, line: u32) {
        let Some((id, from)) = self.term.take() else {
            return;
        };
        let (text, _) = self.take_para();
        let text = clean_mark(&collapse(&text));
        if text.is_empty() {
            return;
        }
        match id {
            Some(id) => {
                // An entry of its own, named as a query would name it.
                let name = entry_name(&id, &text);
                let depth = self
                    .open
                    .iter()
                    .rposition(|o| o.name == "dl")
                    .unwrap_or(self.open.len());
                self.items.retain(|(d, _)| *d < depth);
                self.items.push((depth, name));
                self.push_block(BlockKind::Item, format!("`{text}`"), (from, line));
            }
            None => self.push_block(BlockKind::Prose, text, (from, line)),
        }
    }

    fn end_pre(&mut self, line: u32) {
        let Some((body, from, lang)) = self.pre.take() else {
            return;
        };
        let body = body.trim_matches('\n').trim_end();
        if body.trim().is_empty() {
            return;
        }
        let tag = lang.clone().unwrap_or_default();
        self.push_block(
            BlockKind::Code { lang },
            format!("```{tag}\n{body}\n```"),
            (from, line),
        );
    }

    fn flush(&mut self) {
        let (text, (from, to)) = self.take_para();
        let text = text
            .split('\n')
            .map(collapse)
            .filter(|l| !l.is_empty() && l != "-")
            .collect::<Vec<_>>()
            .join("\n");
        if text.is_empty() {
            return;
        }
        self.push_block(BlockKind::Prose, text, (from, to));
    }

    fn push_block(&mut self, kind: BlockKind, text: String, lines: (u32, u32)) {
        let mut breadcrumb: Vec<String> = self.headings.iter().map(|(_, t)| t.clone()).collect();
        if breadcrumb.is_empty()
            && let Some(title) = &self.title
        {
            breadcrumb.push(title.clone());
        }
        breadcrumb.extend(self.items.iter().map(|(_, name)| name.clone()));
        super::push_block(&mut self.sections, breadcrumb, kind, text, lines);
    }

    fn finish(mut self) -> Document {
        let line = self.last_line;
        if self.pre.is_some() {
            self.end_pre(line);
        }
        self.end_inline_parts(line);
        Document {
            title: self.first_h1.or(self.title),
            sections: self.sections,
        }
    }
}

/// The language a class names: `language-rust`, `lang-js`, Sphinx's
/// `highlight-python3`, `brush: js`.
fn code_lang(class: &str) -> Option<String> {
    class.split_ascii_whitespace().find_map(|c| {
        let lang = c
            .strip_prefix("language-")
            .or_else(|| c.strip_prefix("lang-"))
            .or_else(|| c.strip_prefix("highlight-"))?;
        (!lang.is_empty() && !matches!(lang, "default" | "none" | "text" | "plain"))
            .then(|| lang.to_owned())
    })
}

/// Runs of white space as one space, trimmed.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A heading or term without the permalink mark a generator appends.
fn clean_mark(text: &str) -> String {
    text.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '¶' | '§' | '#' | '🔗'))
        .trim_start_matches('§')
        .trim()
        .to_owned()
}

/// What an entry is called: its `id` where that is the qualified name the
/// term shows (`json.dump` for `json.dump(obj, fp)`); else the name before
/// the parameters (`ffi_prep_cif` for `Function: ffi_status ffi_prep_cif
/// (ffi_cif *cif, …)`); else the whole term where the `id` spells it
/// (a glossary's `term-event-loop`) or it is an option (`-h, --help`);
/// else its first word (`convert` for `convert [-f FMT] FILENAME`).
fn entry_name(id: &str, term: &str) -> String {
    // Texinfo's category label: `Function: `, `Command: `, `Variable: `.
    let term = match term.split_once(": ") {
        Some((label, rest))
            if label.len() <= 30
                && label.starts_with(|c: char| c.is_ascii_uppercase())
                && label.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') =>
        {
            rest.trim()
        }
        _ => term,
    };
    // Sphinx's C domain marks its ids so (`c.PyFile_GetLine`).
    let id = match id.strip_prefix("c.") {
        Some(rest) if !term.contains(id) => rest,
        _ => id,
    };
    let identifier = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':'))
        && !id.starts_with(|c: char| c.is_ascii_digit());
    let last = id.rsplit(['.', ':']).next().unwrap_or(id);
    if identifier && !last.is_empty() && term.contains(last) {
        return id.to_owned();
    }
    if let Some((head, _)) = term.split_once('(')
        && let Some(name) = head.split_whitespace().last()
    {
        return name.trim_start_matches(['*', '&']).to_owned();
    }
    let slug = term
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase();
    if id.to_lowercase().ends_with(&slug) || term.starts_with('-') {
        let mut name: String = term.chars().take(80).collect();
        if name.len() < term.len() {
            name.push('…');
        }
        return name;
    }
    term.split_whitespace().next().unwrap_or(term).to_owned()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{text_of, titles};
    use super::*;

    const SPHINX: &str = r##"<!DOCTYPE html>
<html><head><title>json — JSON encoder and decoder — Python 3.11 documentation</title>
<script>var x = "<h1>not a heading</h1>";</script><style>h1 { color: red }</style></head>
<body>
<div class="related" role="navigation"><ul><li><a href="index.html">index</a></li></ul></div>
<div class="document"><div class="body" role="main">
<section id="module-json">
<h1><code class="xref">json</code> — JSON encoder and decoder<a class="headerlink" href="#module-json">¶</a></h1>
<p><a href="https://json.org">JSON</a> is a lightweight
data interchange format &amp; inspired by <code class="docutils literal"><span class="pre">JavaScript</span></code>.</p>
<div class="highlight-python3 notranslate"><div class="highlight"><pre><span></span><span class="gp">&gt;&gt;&gt; </span><span class="kn">import</span> json
<span class="gp">&gt;&gt;&gt; </span>json.dumps([1, 2])
</pre></div></div>
<section id="basic-usage">
<h2>Basic Usage<a class="headerlink" href="#basic-usage">¶</a></h2>
<dl class="py function">
<dt class="sig sig-object py" id="json.dump">
<span class="sig-prename descclassname">json.</span><span class="sig-name descname">dump</span>(<em>obj</em>, <em>fp</em>)<a class="headerlink" href="#json.dump">¶</a></dt>
<dd><p>Serialize <em>obj</em> as a JSON formatted stream to <em>fp</em>.</p>
<ul><li>first point
<li>second point</ul>
</dd></dl>
<dl class="py class">
<dt class="sig sig-object py" id="json.JSONEncoder">
<em class="property">class </em><span class="sig-prename descclassname">json.</span><span class="sig-name descname">JSONEncoder</span>(<em>*</em>, <em>skipkeys=False</em>)</dt>
<dd><p>Extensible JSON encoder.</p>
<dl class="py method">
<dt class="sig sig-object py" id="json.JSONEncoder.default">
<span class="sig-name descname">default</span>(<em>o</em>)</dt>
<dd><p>Implement this method in a subclass.</p></dd></dl>
<p>Back in the class.</p>
</dd></dl>
<table><thead><tr><th>Python</th><th>JSON</th></tr></thead>
<tbody><tr><td><p>dict</p></td><td>object</td></tr></tbody></table>
</section></section>
</div></div>
<div class="footer">© Copyright</div>
</body></html>
"##;

    #[test]
    fn sphinx_pages_keep_their_content_and_entries() {
        let doc = parse_html(SPHINX);
        assert_eq!(
            doc.title.as_deref(),
            Some("json — JSON encoder and decoder")
        );
        assert_eq!(
            titles(&doc),
            [
                "",
                "Basic Usage",
                "Basic Usage > json.dump",
                "Basic Usage > json.JSONEncoder",
                "Basic Usage > json.JSONEncoder > json.JSONEncoder.default",
                "Basic Usage > json.JSONEncoder",
                "Basic Usage",
            ]
        );
        let intro = text_of(&doc, "json — JSON encoder and decoder");
        assert!(
            intro.contains(
                "JSON is a lightweight data interchange format & inspired by `JavaScript`."
            ),
            "{intro}"
        );
        assert!(
            intro.contains("```python3\n>>> import json\n>>> json.dumps([1, 2])\n```"),
            "{intro}"
        );
        assert!(
            !intro.contains("index") && !intro.contains("not a heading"),
            "{intro}"
        );
        let dump = text_of(&doc, "json.dump");
        assert_eq!(
            dump,
            "`json.dump(obj, fp)`\nSerialize obj as a JSON formatted stream to fp.\n- first point\n- second point"
        );
        assert!(text_of(&doc, "json.JSONEncoder.default").contains("Implement this method"));
        let last = doc.sections.last().unwrap();
        assert_eq!(last.blocks[0].text, "Python | JSON");
        assert_eq!(last.blocks[1].text, "dict | object");
        assert!(!format!("{doc:?}").contains("Copyright"));
    }

    #[test]
    fn line_ranges_follow_the_source() {
        let doc = parse_html(SPHINX);
        let dump = doc
            .sections
            .iter()
            .find(|s| s.breadcrumb.last().is_some_and(|b| b == "json.dump"))
            .unwrap();
        let line =
            |needle: &str| SPHINX.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1;
        assert_eq!(dump.blocks[0].start_line, line(r#"id="json.dump""#));
        assert_eq!(dump.blocks[1].start_line, line("Serialize"));
        let last = dump.blocks.last().unwrap();
        assert_eq!(last.end_line, line("second point"));
    }

    #[test]
    fn templates_give_nothing_but_docs_may_show_template_code() {
        assert!(
            parse_html("<ul>{% for p in posts %}<li>{{ p.title }}</li>{% endfor %}</ul>")
                .sections
                .is_empty()
        );
        assert!(
            parse_html(r#"<a href="{{ url_for('index') }}">Home</a>"#)
                .sections
                .is_empty()
        );
        let doc = parse_html(
            "<h1>Templates</h1><p>Write <code>{{ name }}</code> to print a variable.</p>\
             <pre>{% if user %}Hello {{ user }}{% endif %}</pre>",
        );
        assert_eq!(doc.sections.len(), 1);
        assert!(text_of(&doc, "Templates").contains("`{{ name }}`"));
    }

    #[test]
    fn without_a_main_element_the_frames_are_left_out() {
        let doc = parse_html(
            "<html><body><nav><a>Home</a></nav><header><p>Site name</p></header>\
             <h1>Page</h1><div hidden>secret</div><p>Body <b>text</b>.</p>\
             <div aria-hidden=\"true\">ghost</div><footer>Foot</footer></body></html>",
        );
        assert_eq!(text_of(&doc, "Page"), "Page\nBody text.");
    }

    #[test]
    fn texinfo_definitions_are_entries_and_its_bar_of_links_goes() {
        let doc = parse_html(
            r#"<html><head><meta name="Generator" content="makeinfo"><title>The Basics (libffi)</title></head><body>
<div class="header"><p>Next: <a href="x.html">Simple Example</a>, Up: <a>Using libffi</a></p></div>
<h3 class="section">2.1 The Basics</h3>
<dl class="def">
<dt id="index-ffi_005fstatus"><span class="category">Function: </span><span><strong>ffi_status</strong> <em>ffi_prep_cif (ffi_cif *<var>cif</var>, ffi_abi <var>abi</var>)</em><a href='#index-ffi_005fstatus' class='copiable-anchor'> &para;</a></span></dt>
<dd><p>This initializes <var>cif</var>.</p></dd></dl>
<dl><dt>term</dt><dd>a plain definition</dd></dl>
</body></html>"#,
        );
        assert_eq!(
            titles(&doc),
            ["", "ffi_prep_cif", ""],
            "{:#?}",
            doc.sections
        );
        assert_eq!(
            text_of(&doc, "ffi_prep_cif"),
            "`Function: ffi_status ffi_prep_cif (ffi_cif *cif, ffi_abi abi)`\nThis initializes cif."
        );
        assert!(!format!("{doc:?}").contains("Simple Example"));
        assert_eq!(doc.sections[0].breadcrumb, ["2.1 The Basics"]);
        assert_eq!(doc.title.as_deref(), Some("The Basics (libffi)"));
    }

    #[test]
    fn option_entries_are_named_by_their_terms() {
        assert_eq!(
            entry_name("cmdoption-qemu-img-h", "-h, --help"),
            "-h, --help"
        );
        assert_eq!(
            entry_name(
                "json.JSONEncoder",
                "class json.JSONEncoder(*, skipkeys=False)"
            ),
            "json.JSONEncoder"
        );
        assert_eq!(
            entry_name("index-printf", "int printf(const char *format, ...)"),
            "printf"
        );
        assert_eq!(
            entry_name("json.JSONDecodeError.msg", "msg"),
            "json.JSONDecodeError.msg"
        );
        assert_eq!(
            entry_name(
                "c.PyFile_GetLine",
                "PyObject *PyFile_GetLine(PyObject *p, int n)"
            ),
            "PyFile_GetLine"
        );
        assert_eq!(
            entry_name("index-purge", "Command: lantern-purge age"),
            "lantern-purge"
        );
        assert_eq!(entry_name("term-event-loop", "event loop"), "event loop");
        assert_eq!(
            entry_name(
                "cmdoption-qemu-img-arg-convert",
                "convert [--object OBJECTDEF] FILENAME"
            ),
            "convert"
        );
    }

    #[test]
    fn rustdoc_signatures_are_entries() {
        let doc = parse_html(
            r##"<html><body><nav class="sidebar"><a>Version</a></nav><main>
<h1>Struct <span class="struct">semver::VersionReq</span><button id="copy-path">Copy item path</button></h1>
<h2 id="implementations" class="section-header">Implementations<a href="#implementations" class="anchor">§</a></h2>
<details><summary><section id="impl-VersionReq" class="impl"><h3 class="code-header">impl <a class="struct">VersionReq</a></h3></section></summary>
<details class="toggle method-toggle" open><summary><section id="method.parse" class="method"><a class="src rightside" href="../src/semver/lib.rs.html#9">Source</a><h4 class="code-header">pub fn <a href="#method.parse" class="fn">parse</a>(text: &amp;<a class="primitive">str</a>) -&gt; Result&lt;Self, Error&gt;</h4></section></summary><div class="docblock"><p>Parses a requirement such as <code>&gt;=1.2</code>.</p></div></details>
</details>
<h2 id="blanket-implementations" class="section-header">Blanket Implementations</h2><div id="blanket-implementations-list"><section id="impl-Into" class="impl"><h3 class="code-header">impl&lt;T&gt; Into for T</h3></section><h4 class="code-header">fn into(self) -&gt; U</h4></div>
</main></body></html>"##,
        );
        assert_eq!(doc.title.as_deref(), Some("Struct semver::VersionReq"));
        assert_eq!(
            titles(&doc),
            [
                "",
                "Implementations",
                "Implementations > impl VersionReq",
                "Implementations > impl VersionReq > parse",
                "Blanket Implementations"
            ],
            "{doc:#?}"
        );
        assert_eq!(
            text_of(&doc, "parse"),
            "`pub fn parse(text: &str) -> Result<Self, Error>`\nParses a requirement such as `>=1.2`."
        );
    }

    #[test]
    fn javadoc_members_are_entries() {
        let doc = parse_html(
            r##"<html><body><header role="banner"><nav>Overview</nav></header><main role="main">
<h1 title="Class Queue" class="title">Class Queue</h1>
<section class="method-details" id="method-detail"><h2>Method Details</h2>
<ul class="member-list"><li>
<section class="detail" id="requeueFailed(int)"><h3>requeueFailed</h3>
<div class="member-signature"><span class="modifiers">public</span>&nbsp;<span class="return-type">int</span>&nbsp;<span class="element-name">requeueFailed</span><wbr><span class="parameters">(int&nbsp;maxAttempts)</span></div>
<div class="block">Puts every job that failed back on the queue.</div></section></li>
<li><section class="detail" id="drain()"><h3>drain</h3>
<div class="member-signature">public&nbsp;void&nbsp;drain()</div>
<div class="block">Stops taking new jobs.</div></section></li></ul></section></main></body></html>"##,
        );
        assert_eq!(
            titles(&doc),
            [
                "",
                "Method Details",
                "Method Details > requeueFailed",
                "Method Details > drain"
            ]
        );
        assert_eq!(
            text_of(&doc, "requeueFailed"),
            "`requeueFailed`\npublic int requeueFailed(int maxAttempts)\nPuts every job that failed back on the queue."
        );
    }

    #[test]
    fn broken_markup_still_reads() {
        let doc = parse_html("<h2>A<p>one<p>two</div></span><li>three<h2>B</h2><pre>x < y");
        assert_eq!(titles(&doc), ["", ""]);
        assert_eq!(doc.sections[0].breadcrumb, ["A"]);
        assert_eq!(text_of(&doc, "A"), "A\none\ntwo\n- three");
        assert_eq!(text_of(&doc, "B"), "B\n```\nx < y\n```");
        assert!(parse_html("").sections.is_empty());
        assert!(parse_html("<html><body></body></html>").sections.is_empty());
    }
}
