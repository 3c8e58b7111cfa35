//! The naive baseline for the evaluation: BM25 over single characters, one text field, the
//! query's characters OR-ed together — what a CJK search without segmentation does.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{TextAnalyzer, Token, Tokenizer};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

use crate::text::Tokens;
use crate::{Document, Kind, Result};

/// One token per character; Latin letters and digits are lower-cased single characters too.
#[derive(Clone, Default)]
pub struct CharTokenizer {
    tokens: Vec<Token>,
}

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = Tokens<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens<'a> {
        self.tokens.clear();
        for (position, (offset, character)) in text
            .char_indices()
            .filter(|(_, character)| character.is_alphanumeric())
            .enumerate()
        {
            self.tokens.push(Token {
                offset_from: offset,
                offset_to: offset + character.len_utf8(),
                position,
                text: character.to_lowercase().collect(),
                position_length: 1,
            });
        }
        Tokens::new(&mut self.tokens)
    }
}

/// A character-unigram BM25 index.
pub struct BaselineIndex {
    reader: IndexReader,
    text: tantivy::schema::Field,
    key: tantivy::schema::Field,
}

impl BaselineIndex {
    /// Indexes the documents (experts, labs and programmes only).
    pub fn build(documents: &[Document]) -> Result<Self> {
        let mut builder = Schema::builder();
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("chars")
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let text = builder.add_text_field("text", options);
        let key = builder.add_text_field("key", STRING | STORED);
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register(
            "chars",
            TextAnalyzer::builder(CharTokenizer::default()).build(),
        );
        let mut writer: tantivy::IndexWriter = index.writer(64 * 1024 * 1024)?;
        for document in documents {
            let Some(kind) = document.kind.filter(|kind| *kind != Kind::Need) else {
                continue;
            };
            let mut out = TantivyDocument::default();
            out.add_text(key, format!("{}:{}", kind.name(), document.id));
            let all = [
                document.name.as_str(),
                document.institution.as_deref().unwrap_or_default(),
                &document.fields.join(" "),
                &document.programs.join(" "),
                document.lab.as_deref().unwrap_or_default(),
                &document.body,
            ]
            .join(" ");
            out.add_text(text, all);
            writer.add_document(out)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(Self { reader, text, key })
    }

    /// Returns the top `limit` documents as `kind:id`.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<String>> {
        let mut seen = Vec::new();
        let clauses: Vec<(Occur, Box<dyn Query>)> = query
            .chars()
            .filter(|character| character.is_alphanumeric())
            .map(|character| character.to_lowercase().collect::<String>())
            .filter(|character| {
                let fresh = !seen.contains(character);
                seen.push(character.clone());
                fresh
            })
            .map(|character| {
                let term = Term::from_field_text(self.text, &character);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>,
                )
            })
            .collect();
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut keys = Vec::with_capacity(top.len());
        for (_, address) in top {
            let document: TantivyDocument = searcher.doc(address)?;
            if let Some(key) = document
                .get_first(self.key)
                .and_then(|value| value.as_str())
            {
                keys.push(key.to_owned());
            }
        }
        Ok(keys)
    }
}
