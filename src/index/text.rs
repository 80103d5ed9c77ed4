//! The BM25 text index of one build (tantivy).
//!
//! Fields: `title` (document title and path), `breadcrumb`, `body` (prose and
//! code) and `code` (code only); all use the identifier-aware analyzer, and
//! the two name fields also split words run together (`savetxt`). A query's
//! terms go through the base analyzer only. A query
//! is a disjunction of its terms over the fields, weighted per field, so user
//! input never goes through a query syntax that could reject it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term, doc};

use super::IndexError;
use super::tokenizer::{ANALYZER, NAMES_ANALYZER, analyzer, names_analyzer};

/// Per-field weights for query terms. Dev set, BM25 alone, mrr@10: title 1
/// and breadcrumb 2 gave 0.613-0.625; title 0.5 and breadcrumb 1 give 0.685
/// (an identifier part in a path or heading is weaker evidence than it looks).
const FIELD_WEIGHTS: [(&str, f32); 4] = [
    ("title", 0.5),
    ("breadcrumb", 1.0),
    ("body", 1.0),
    ("code", 0.6),
];

#[derive(Clone, Copy)]
struct Fields {
    chunk_id: Field,
    title: Field,
    breadcrumb: Field,
    body: Field,
    code: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let names = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(NAMES_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        chunk_id: builder.add_i64_field("chunk_id", INDEXED | STORED | FAST),
        title: builder.add_text_field("title", names.clone()),
        breadcrumb: builder.add_text_field("breadcrumb", names),
        body: builder.add_text_field("body", text.clone()),
        code: builder.add_text_field("code", text),
    };
    (builder.build(), fields)
}

/// Writes the text index of a new build.
pub struct TextIndexWriter {
    writer: tantivy::IndexWriter,
    fields: Fields,
    path: PathBuf,
}

impl TextIndexWriter {
    pub fn create(dir: &Path) -> Result<TextIndexWriter, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let (schema, fields) = schema();
        let err = |source| IndexError::Text {
            path: dir.to_owned(),
            source,
        };
        let index = Index::create_in_dir(dir, schema).map_err(err)?;
        index.tokenizers().register(ANALYZER, analyzer());
        index
            .tokenizers()
            .register(NAMES_ANALYZER, names_analyzer());
        let writer = index.writer_with_num_threads(1, 64 << 20).map_err(err)?;
        Ok(TextIndexWriter {
            writer,
            fields,
            path: dir.to_owned(),
        })
    }

    pub fn add(
        &mut self,
        chunk_id: i64,
        title: &str,
        breadcrumb: &str,
        body: &str,
        code: &str,
    ) -> Result<(), IndexError> {
        let f = self.fields;
        self.writer
            .add_document(doc!(
                f.chunk_id => chunk_id,
                f.title => title,
                f.breadcrumb => breadcrumb,
                f.body => body,
                f.code => code,
            ))
            .map_err(|source| IndexError::Text {
                path: self.path.clone(),
                source,
            })?;
        Ok(())
    }

    pub fn commit(mut self) -> Result<(), IndexError> {
        let err = |source| IndexError::Text {
            path: self.path.clone(),
            source,
        };
        self.writer.commit().map_err(err)?;
        self.writer
            .wait_merging_threads()
            .map_err(|source| IndexError::Text {
                path: self.path.clone(),
                source,
            })?;
        Ok(())
    }
}

/// A read-only, memory-mapped text index.
pub struct TextIndex {
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
}

impl TextIndex {
    pub fn open(dir: &Path) -> Result<TextIndex, IndexError> {
        let err = |source| IndexError::Text {
            path: dir.to_owned(),
            source,
        };
        let index = Index::open_in_dir(dir).map_err(err)?;
        index.tokenizers().register(ANALYZER, analyzer());
        index
            .tokenizers()
            .register(NAMES_ANALYZER, names_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(err)?;
        Ok(TextIndex {
            reader,
            fields: schema().1,
            path: dir.to_owned(),
        })
    }

    /// The `limit` best chunks for `query` by BM25: (chunk id, score).
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<(i64, f32)>, IndexError> {
        match self.query(query) {
            Some(query) => self.top(&query, limit),
            None => Ok(Vec::new()),
        }
    }

    /// The BM25 scores for `query` of the chunks `ids` that match any of
    /// its terms (the others score nothing), as `search` would give them.
    pub fn scores_of(&self, query: &str, ids: &[i64]) -> Result<Vec<(i64, f32)>, IndexError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let Some(query) = self.query(query) else {
            return Ok(Vec::new());
        };
        let only = TermSetQuery::new(
            ids.iter()
                .map(|&id| Term::from_field_i64(self.fields.chunk_id, id)),
        );
        // The set selects and adds nothing to the score.
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(query) as Box<dyn Query>),
            (Occur::Must, Box::new(BoostQuery::new(Box::new(only), 0.0))),
        ]);
        self.top(&query, ids.len())
    }

    /// How many chunks mention each of `names` in their body (tantivy's
    /// document frequency of the name's whole-identifier term, its longest
    /// token); 0 for a name that is no term.
    pub fn name_frequencies(&self, names: &[&str]) -> Result<Vec<u64>, IndexError> {
        let searcher = self.reader.searcher();
        let mut a = analyzer();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let mut stream = a.token_stream(name);
            let mut longest = String::new();
            while let Some(t) = stream.next() {
                if t.text.len() > longest.len() {
                    longest = t.text.clone();
                }
            }
            if longest.is_empty() {
                out.push(0);
                continue;
            }
            let term = Term::from_field_text(self.fields.body, &longest);
            out.push(
                searcher
                    .doc_freq(&term)
                    .map_err(|source| IndexError::Text {
                        path: self.path.clone(),
                        source,
                    })?,
            );
        }
        Ok(out)
    }

    /// The query of `text`'s terms over every field, weighted per field;
    /// `None` when it has no terms.
    fn query(&self, text: &str) -> Option<BooleanQuery> {
        let terms = query_terms(text);
        if terms.is_empty() {
            return None;
        }
        let f = self.fields;
        let fields = [f.title, f.breadcrumb, f.body, f.code];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &terms {
            for (field, (_, weight)) in fields.iter().zip(FIELD_WEIGHTS) {
                let q = TermQuery::new(
                    Term::from_field_text(*field, term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), weight)),
                ));
            }
        }
        Some(BooleanQuery::new(clauses))
    }

    fn top(&self, query: &dyn Query, limit: usize) -> Result<Vec<(i64, f32)>, IndexError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let err = |source| IndexError::Text {
            path: self.path.clone(),
            source,
        };
        let top = searcher
            .search(query, &TopDocs::with_limit(limit.max(1)).order_by_score())
            .map_err(err)?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(err)?;
            if let Some(id) = doc.get_first(f.chunk_id).and_then(|v| v.as_i64()) {
                out.push((id, score));
            }
        }
        Ok(out)
    }
}

/// The distinct analyzed terms of a query.
fn query_terms(query: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut stream = a.token_stream(query);
    let mut terms = BTreeSet::new();
    while let Some(t) = stream.next() {
        terms.insert(t.text.clone());
    }
    terms.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_outside_the_top_list_get_the_scores_search_would_give() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = TextIndexWriter::create(dir.path()).unwrap();
        let bodies = [
            "fill missing values in a frame",
            "missing values are dropped",
            "values of a column",
            "nothing in common here",
        ];
        for (id, body) in bodies.iter().enumerate() {
            writer.add(id as i64, "t", "b", body, "").unwrap();
        }
        writer.commit().unwrap();
        let index = TextIndex::open(dir.path()).unwrap();
        let all = index.search("fill missing values", 10).unwrap();
        assert_eq!(all.len(), 3, "{all:?}");
        let top = index.search("fill missing values", 1).unwrap();
        let rest: Vec<i64> = [1, 2, 3].into();
        let scored = index.scores_of("fill missing values", &rest).unwrap();
        // The chunk without a query term scores nothing; the others as in `all`.
        assert_eq!(scored.len(), 2, "{scored:?}");
        for (id, score) in scored.iter().chain(&top) {
            let expected = all.iter().find(|h| h.0 == *id).unwrap().1;
            assert!(
                (score - expected).abs() < 1e-5,
                "{id}: {score} vs {expected}"
            );
        }
        assert!(index.scores_of("fill", &[]).unwrap().is_empty());
        assert!(index.scores_of("the", &rest).unwrap().is_empty());
    }
}
