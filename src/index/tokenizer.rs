//! The BM25 analyzer: words and code identifiers, lowercased and stemmed.
//!
//! An identifier is indexed whole and by its parts, so `useEffect` yields
//! `useeffect`, `use`, `effect` and `spawn_blocking` yields `spawn_blocking`,
//! `spawn`, `blocking`: a query can name the API exactly or in words.
//!
//! Names (titles and breadcrumbs) are also split where words run together
//! without a case change or `_` (`savetxt` → `save`, `txt`; `dropna` →
//! `drop`, `na`), by an English word-frequency model, so that a query that
//! says "save … text file" meets `numpy.savetxt` by name. Only the index side
//! splits: a query's `savetxt` still matches the whole name.

use tantivy::tokenizer::{
    Language, LowerCaser, Stemmer, StopWordFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// Name under which the analyzer is registered with tantivy.
pub const ANALYZER: &str = "twinmcp";

/// Shorter words are never split as compounds (`isin` is, `sum` is not).
const MIN_COMPOUND_LEN: usize = 4;

/// Tokens longer than this (hashes, base64, minified code) are not indexed.
const MAX_TOKEN_LEN: usize = 48;

/// Name of the analyzer of the name fields (titles, breadcrumbs).
pub const NAMES_ANALYZER: &str = "twinmcp_names";

/// Builds the analyzer used for every text field and for queries.
pub fn analyzer() -> TextAnalyzer {
    build(IdentifierTokenizer { compounds: false })
}

/// The analyzer of names: [`analyzer`]'s tokens, and the words run together
/// in lowercase compounds.
pub fn names_analyzer() -> TextAnalyzer {
    build(IdentifierTokenizer { compounds: true })
}

fn build(tokenizer: IdentifierTokenizer) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(LowerCaser)
        .filter(StopWordFilter::new(Language::English).expect("English stop words are built in"))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Splits text into words and identifiers, emitting identifier parts too.
#[derive(Clone, Default)]
pub struct IdentifierTokenizer {
    compounds: bool,
}

pub struct IdentifierTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for IdentifierTokenizer {
    type TokenStream<'a> = IdentifierTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> IdentifierTokenStream {
        let mut tokens = Vec::new();
        split_identifiers(text, self.compounds, |from, to, word| {
            let position = tokens.len();
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: word.to_owned(),
                position_length: 1,
            });
        });
        IdentifierTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for IdentifierTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Calls `emit(from, to, text)` for every word and, for compound identifiers,
/// for each of their parts after the whole.
pub fn split_identifiers(text: &str, compounds: bool, mut emit: impl FnMut(usize, usize, &str)) {
    let mut start = None;
    let bytes_end = text.len();
    let flush = |from: usize, to: usize, emit: &mut dyn FnMut(usize, usize, &str)| {
        let word = text[from..to].trim_matches('_');
        if word.is_empty() || word.len() > MAX_TOKEN_LEN {
            return;
        }
        let from = from + text[from..to].find(word).unwrap_or(0);
        let to = from + word.len();
        emit(from, to, word);
        let parts = identifier_parts(word);
        if parts.len() > 1 {
            for &(a, b) in &parts {
                emit(from + a, from + b, &word[a..b]);
            }
        }
        for (a, b) in parts.into_iter().filter(|_| compounds) {
            for (c, d) in compound_parts(&word[a..b]) {
                emit(from + a + c, from + a + d, &word[a + c..a + d]);
            }
        }
    };
    for (i, c) in text.char_indices() {
        let is_word = c.is_alphanumeric() || c == '_';
        match (is_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                flush(s, i, &mut emit);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        flush(s, bytes_end, &mut emit);
    }
}

/// Byte ranges of the words run together in a lowercase compound
/// (`savetxt` → `save`, `txt`; `fillna` → `fill`, `na`), or none when it
/// reads as one word or splits only into fragments.
fn compound_parts(word: &str) -> Vec<(usize, usize)> {
    if word.len() < MIN_COMPOUND_LEN || !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return Vec::new();
    }
    let pieces = wordninja::DEFAULT_MODEL.split(word);
    if pieces.len() < 2 || pieces.len() > 4 || pieces.iter().any(|p| p.len() < 2) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut at = 0;
    for p in &pieces {
        out.push((at, at + p.len()));
        at += p.len();
    }
    out
}

/// Byte ranges of the parts of an identifier: split at `_` and at case
/// changes (`HTTPServer` → `HTTP`, `Server`; `useEffect` → `use`, `Effect`).
fn identifier_parts(word: &str) -> Vec<(usize, usize)> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        if c == '_' {
            if let Some(s) = start.take() {
                parts.push((s, i));
            }
            continue;
        }
        if let Some(s) = start {
            let prev = chars[k - 1].1;
            let next = chars.get(k + 1).map(|x| x.1);
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_uppercase()
                    && c.is_uppercase()
                    && next.is_some_and(char::is_lowercase));
            if boundary {
                parts.push((s, i));
                start = Some(i);
            }
        } else {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        parts.push((s, word.len()));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(text: &str) -> Vec<String> {
        let mut a = analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn identifiers_are_indexed_whole_and_by_parts() {
        assert_eq!(analyze("useEffect"), ["useeffect", "use", "effect"]);
        assert_eq!(
            analyze("tokio::task::spawn_blocking"),
            ["tokio", "task", "spawn_block", "spawn", "block"]
        );
        assert_eq!(analyze("HTTPServer"), ["httpserver", "http", "server"]);
    }

    #[test]
    fn names_split_words_run_together() {
        let mut a = names_analyzer();
        let mut stream = a.token_stream("numpy.savetxt DataFrame.dropna to_pickle");
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        assert_eq!(
            out,
            [
                "numpi", "num", "py", "savetxt", "save", "txt", "datafram", "data", "frame",
                "dropna", "drop", "na", "to_pickl", "pickl"
            ]
        );
        // Queries and the other fields keep compounds whole.
        assert_eq!(analyze("savetxt"), ["savetxt"]);
        // Fragments (`kwargs` → `k`, …) and plain words are not split.
        assert!(compound_parts("kwargs").is_empty());
        assert!(compound_parts("concatenate").is_empty());
        assert!(compound_parts("Savetxt").is_empty());
    }

    #[test]
    fn prose_is_stemmed_and_stop_words_dropped() {
        assert_eq!(
            analyze("How do I configure the routes?"),
            ["how", "do", "i", "configur", "rout"]
        );
    }

    #[test]
    fn huge_tokens_are_skipped() {
        let blob = "a".repeat(100);
        assert_eq!(analyze(&format!("x {blob} y")), ["x", "y"]);
    }
}
