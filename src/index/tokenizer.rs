//! The BM25 analyzer: words and code identifiers, lowercased and stemmed.
//!
//! An identifier is indexed whole and by its parts, so `useEffect` yields
//! `useeffect`, `use`, `effect` and `spawn_blocking` yields `spawn_blocking`,
//! `spawn`, `blocking`: a query can name the API exactly or in words.

use tantivy::tokenizer::{
    Language, LowerCaser, Stemmer, StopWordFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// Name under which the analyzer is registered with tantivy.
pub const ANALYZER: &str = "twinmcp";

/// Tokens longer than this (hashes, base64, minified code) are not indexed.
const MAX_TOKEN_LEN: usize = 48;

/// Builds the analyzer used for every text field and for queries.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(IdentifierTokenizer)
        .filter(LowerCaser)
        .filter(StopWordFilter::new(Language::English).expect("English stop words are built in"))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Splits text into words and identifiers, emitting identifier parts too.
#[derive(Clone, Default)]
pub struct IdentifierTokenizer;

pub struct IdentifierTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for IdentifierTokenizer {
    type TokenStream<'a> = IdentifierTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> IdentifierTokenStream {
        let mut tokens = Vec::new();
        split_identifiers(text, |from, to, word| {
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
pub fn split_identifiers(text: &str, mut emit: impl FnMut(usize, usize, &str)) {
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
            for (a, b) in parts {
                emit(from + a, from + b, &word[a..b]);
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
