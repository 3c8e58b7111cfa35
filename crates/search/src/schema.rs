//! The index schema, its version, and the domain knowledge embedded from `index/`.

use std::collections::HashMap;
use std::sync::OnceLock;

use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use xxhash_rust::xxh3::xxh3_64;

/// The name the word tokenizer is registered under.
pub const WORDS: &str = "labbridge_words";
/// The name the bigram tokenizer is registered under.
pub const BIGRAMS: &str = "labbridge_bigrams";

/// Raised whenever the schema or the analysis changes in a way that needs a reindex (4: the
/// dictionary learns words from the registry, so an index built before must learn them).
const SCHEMA_REVISION: u32 = 4;

const USER_DICT: &str = include_str!("../../../index/user_dict.txt");
const SYNONYMS: &str = include_str!("../../../index/synonyms.txt");
const ALIASES: &str = include_str!("../../../index/aliases.txt");
const STOPWORDS: &str = include_str!("../../../index/stopwords.txt");
const MATERIALS: &str = include_str!("../../../index/materials.txt");

/// Returns the version written with the index: the schema revision and a hash of the
/// dictionaries, so editing `index/` triggers a rebuild.
pub fn version() -> String {
    let dictionaries = [USER_DICT, SYNONYMS, ALIASES, STOPWORDS, MATERIALS].concat();
    format!(
        "{SCHEMA_REVISION}-{:016x}",
        xxh3_64(dictionaries.as_bytes())
    )
}

/// The fields of the index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `kind:id`, for updates and deletes.
    pub key: Field,
    /// `expert`, `lab`, `program` or `need`.
    pub kind: Field,
    /// The registry id.
    pub id: Field,
    /// Name (title of a need).
    pub name: Field,
    /// Institution.
    pub institution: Field,
    /// Fields and keywords.
    pub fields: Field,
    /// Expert title (教授 …), stored only.
    pub title: Field,
    /// Bio or description.
    pub body: Field,
    /// Programme names.
    pub programs: Field,
    /// Lab name (experts).
    pub lab: Field,
    /// Level (labs and programmes), stored.
    pub level: Field,
    /// Province, stored.
    pub province: Field,
    /// Character bigrams of name, fields and body.
    pub bigrams: Field,
    /// Facets: /kind, /institution, /province, /program, /level, /field.
    pub facets: Field,
}

/// Builds the schema.
pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let words = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    // Bigrams only ever answer term queries: no positions.
    let bigrams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(BIGRAMS)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        kind: builder.add_text_field("kind", STRING | STORED),
        id: builder.add_text_field("id", STRING | STORED),
        name: builder.add_text_field("name", words.clone()),
        institution: builder.add_text_field("institution", words.clone()),
        fields: builder.add_text_field("fields", words.clone()),
        title: builder.add_text_field("title", STORED),
        body: builder.add_text_field("body", words.clone()),
        programs: builder.add_text_field("programs", words.clone()),
        lab: builder.add_text_field("lab", words),
        level: builder.add_text_field("level", STRING | STORED),
        province: builder.add_text_field("province", STRING | STORED),
        bigrams: builder.add_text_field("bigrams", bigrams),
        facets: builder.add_facet_field("facets", FacetOptions::default()),
    };
    (builder.build(), fields)
}

/// Synonym groups: each word maps to the other words of its groups.
pub fn synonyms() -> &'static HashMap<String, Vec<String>> {
    static SYNONYM_MAP: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    SYNONYM_MAP.get_or_init(|| {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for line in SYNONYMS
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
        {
            let group: Vec<String> = line
                .split([',', '，'])
                .map(str::trim)
                .filter(|word| !word.is_empty())
                .map(str::to_owned)
                .collect();
            for word in &group {
                let others = group.iter().filter(|other| *other != word).cloned();
                map.entry(word.clone()).or_default().extend(others);
            }
        }
        map
    })
}

/// Short forms of institutions and their full names (北科大 → 北京科技大学).
pub fn aliases() -> &'static HashMap<String, String> {
    static ALIAS_MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    ALIAS_MAP.get_or_init(|| {
        ALIASES
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(short, full)| (short.trim().to_owned(), full.trim().to_owned()))
            .filter(|(short, full)| !short.is_empty() && !full.is_empty())
            .collect()
    })
}

/// Function words left out of query clauses.
pub fn is_stopword(word: &str) -> bool {
    static STOPWORD_SET: OnceLock<Vec<&'static str>> = OnceLock::new();
    STOPWORD_SET
        .get_or_init(|| {
            STOPWORDS
                .lines()
                .map(str::trim)
                .filter(|word| !word.is_empty())
                .collect()
        })
        .contains(&word)
}

/// One-character material and element nouns (铝, 钛, 钢 …): words of their own, kept in a
/// query where other single characters are dropped.
pub fn is_material(word: &str) -> bool {
    static MATERIAL_SET: OnceLock<Vec<&'static str>> = OnceLock::new();
    MATERIAL_SET
        .get_or_init(|| {
            MATERIALS
                .lines()
                .filter(|line| !line.trim_start().starts_with('#'))
                .flat_map(str::split_whitespace)
                .collect()
        })
        .contains(&word)
}

/// The jieba user dictionary lines.
pub fn user_dictionary() -> &'static str {
    USER_DICT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionaries_parse() {
        assert!(synonyms()["铝型材"].contains(&"铝合金型材".to_owned()));
        assert!(synonyms()["铝合金型材"].contains(&"铝型材".to_owned()));
        assert_eq!(aliases()["北科大"], "北京科技大学");
        assert_eq!(aliases()["哈工大"], "哈尔滨工业大学");
        assert!(is_stopword("的") && !is_stopword("铝合金"));
        assert!(version().starts_with("4-"));
        assert!(is_material("铝") && is_material("钛") && !is_material("的"));
    }
}
