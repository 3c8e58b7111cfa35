//! From a user's text to a tantivy query, built by hand rather than by tantivy's QueryParser
//! (which turns a multi-token word into a strict phrase and treats `:` and quotes as syntax).
//!
//! The text is folded and cut into coarse words; every word becomes terms of one flat
//! disjunction: the word itself in every text field (with per-field boosts), its synonyms and
//! full names at a lower weight, its inner words (铝合金 → 合金) at a lower weight still and only
//! in the short fields (name, fields), and its character bigrams in the bigram field when the
//! dictionary does not know it. Any word may match; BM25 ranks documents that match more of
//! them first. When there are several words, a phrase of them (slop of a few characters) adds a
//! bonus — applied by `crate::phrase` to the best candidates only, since a phrase query over
//! every document costs more than the rest of the search.
//!
//! Why this shape (measured on 100,000 documents, docs/BENCHMARKS.md; quality on eval/, docs/EVAL.md):
//! requiring half of the words of a short query (a minimum-match over per-word unions), inner
//! words in the long bio field and phrase queries over every document each cost more than the
//! term disjunction itself, and the first two did not improve the labelled evaluation.

use std::collections::HashMap;

use jieba_rs::Jieba;
use labbridge_domain::Institutions;
use tantivy::Term;
use tantivy::query::{BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::schema::{Fields, aliases, is_material, is_stopword, synonyms};
use crate::text::{Cut, RunKind, analyse, fold, loose_units, runs};

/// Queries longer than this many characters are cut (a pasted page is not a better query).
const MAX_QUERY_CHARS: usize = 400;
/// At most this many words are used for "similar to" searches.
const MAX_SIMILAR_WORDS: usize = 16;

/// One word of the query and its alternatives.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The word as cut.
    pub text: String,
    /// Alternatives with their weight relative to the word (inner words, synonyms, full names).
    pub alternatives: Vec<(String, f32)>,
    /// Character bigrams of the word (for the bigram field).
    pub bigrams: Vec<String>,
    /// Weight of the whole clause (term frequency in similar mode).
    pub weight: f32,
    /// Whether the word names an institution (a university or its short form): it is looked
    /// for where a document's institution is, and a bio that names it (a degree, a past post)
    /// is weaker evidence.
    pub institution: bool,
}

/// The analysed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Words, in order.
    pub words: Vec<Word>,
    /// Han words for the phrase bonus, with their compacted character offsets.
    pub phrase: Vec<(usize, String)>,
}

fn word(jieba: &Jieba, text: &str, weight: f32) -> Word {
    let mut alternatives: Vec<(String, f32)> = Vec::new();
    let mut institution = false;
    let add = |alternative: String, weight: f32, alternatives: &mut Vec<(String, f32)>| {
        if alternative != text
            && !alternatives
                .iter()
                .any(|(existing, _)| *existing == alternative)
        {
            alternatives.push((alternative, weight));
        }
    };
    let is_han = runs(text)
        .first()
        .is_some_and(|run| run.kind == RunKind::Han);
    for piece in analyse(jieba, text, Cut::Search) {
        if piece.text.chars().count() >= 2 || !is_han {
            add(piece.text, 0.4, &mut alternatives);
        }
    }
    if let Some(others) = synonyms().get(text) {
        for other in others {
            add(fold(other).text, 0.8, &mut alternatives);
        }
    }
    if let Some(full) = aliases().get(text) {
        institution = true;
        add(fold(full).text, 1.0, &mut alternatives);
    } else if Institutions::embedded().university(text).is_some() {
        institution = true;
    }
    // Bigrams rescue words the dictionary does not know; a known word needs none, and each
    // extra clause costs query time.
    let bigrams = if is_han && !jieba.has_word(text) {
        analyse(jieba, text, Cut::Bigrams)
            .into_iter()
            .map(|piece| piece.text)
            .collect()
    } else {
        Vec::new()
    };
    Word {
        text: text.to_owned(),
        alternatives,
        bigrams,
        weight,
        institution,
    }
}

/// Analyses a typed query with the shared dictionary.
#[cfg(test)]
pub fn plan(raw: &str) -> Plan {
    plan_with(&crate::text::jieba(), raw)
}

/// Analyses a typed query with this dictionary (the index's, which may have learned words).
pub fn plan_with(jieba: &Jieba, raw: &str) -> Plan {
    let truncated: String = raw.chars().take(MAX_QUERY_CHARS).collect();
    let folded = fold(&truncated).text;
    let mut texts: Vec<String> = Vec::new();
    let mut phrase = Vec::new();
    let mut offset = 0;
    for run in runs(&folded) {
        let run_text = &folded[run.start..run.end];
        match run.kind {
            RunKind::Word => texts.push(run_text.to_owned()),
            RunKind::Han => {
                let tokens = jieba.cut(run_text, false);
                for token in &tokens {
                    texts.push(token.word.to_owned());
                    if !is_stopword(token.word) && token.word.chars().count() > 1 {
                        phrase.push((offset, token.word.to_owned()));
                        offset += token.word.chars().count();
                    }
                }
                // A compound the dictionary lacks comes out as loose characters: their run is
                // one word, as the index holds it.
                let units = loose_units(
                    run_text,
                    tokens.iter().map(|token| (token.word, token.start)),
                );
                texts.extend(units.into_iter().map(|unit| unit.text));
            }
        }
    }
    // Function words and single Han characters (想, 做, 的 …) carry little meaning next to real
    // words; keep them only when nothing else is left. One-character materials (铝, 钛) are words.
    let is_han_single = |text: &str| {
        text.chars().count() == 1
            && !is_material(text)
            && runs(text)
                .first()
                .is_some_and(|run| run.kind == RunKind::Han)
    };
    let content: Vec<String> = texts
        .iter()
        .filter(|text| !is_stopword(text) && !is_han_single(text))
        .cloned()
        .collect();
    let chosen = if content.is_empty() { texts } else { content };
    let mut seen = Vec::new();
    let words: Vec<Word> = chosen
        .into_iter()
        .filter(|text| {
            let fresh = !seen.contains(text);
            seen.push(text.clone());
            fresh
        })
        .map(|text| word(jieba, &text, 1.0))
        .collect();
    if phrase.len() < 2 {
        phrase.clear();
    }
    Plan { words, phrase }
}

/// Analyses a long description (a need) into its most telling words, with the shared
/// dictionary.
#[cfg(test)]
pub fn plan_similar(raw: &str) -> Plan {
    plan_similar_with(&crate::text::jieba(), raw)
}

/// Analyses a long description with this dictionary.
pub fn plan_similar_with(jieba: &Jieba, raw: &str) -> Plan {
    let folded = fold(raw).text;
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for run in runs(&folded) {
        let run_text = &folded[run.start..run.end];
        let pieces: Vec<String> = match run.kind {
            RunKind::Word => vec![run_text.to_owned()],
            RunKind::Han => jieba
                .cut(run_text, false)
                .into_iter()
                .map(|token| token.word.to_owned())
                .collect(),
        };
        for piece in pieces {
            if is_stopword(&piece) || piece.chars().count() < 2 {
                continue;
            }
            let count = counts.entry(piece.clone()).or_insert(0);
            if *count == 0 {
                order.push(piece);
            }
            *count += 1;
        }
    }
    // Longer words are more specific (热处理 over 工艺); frequent words matter more.
    let mut ranked: Vec<(String, f32)> = order
        .into_iter()
        .map(|text| {
            let score = counts[&text] as f32 * (text.chars().count() as f32).min(5.0);
            (text, score)
        })
        .collect();
    ranked.sort_by(|left, right| right.1.total_cmp(&left.1));
    ranked.truncate(MAX_SIMILAR_WORDS);
    let top = ranked.first().map_or(1.0, |(_, score)| *score);
    let words = ranked
        .into_iter()
        .map(|(text, score)| word(jieba, &text, 0.5 + score / top))
        .collect();
    Plan {
        words,
        phrase: Vec::new(),
    }
}

fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let query = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    Box::new(BoostQuery::new(Box::new(query), boost))
}

/// Builds the scoring clauses of a plan (all `Should`, one of which must match), or `None`
/// when the text has no searchable word.
pub fn build(plan: &Plan, fields: &Fields) -> Option<Vec<(Occur, Box<dyn Query>)>> {
    if plan.words.is_empty() {
        return None;
    }
    let weighted_fields = [
        (fields.name, 3.0),
        (fields.fields, 2.5),
        (fields.lab, 1.5),
        (fields.institution, 1.5),
        (fields.programs, 1.5),
        (fields.body, 1.0),
    ];
    // An institution's name: its own field and the lab's name, then a bio's mention. The
    // subject of the query outweighs it, so 中南大学 氧化铝 lists alumina work elsewhere before
    // 中南大学's other subjects.
    let institution_fields = [
        (fields.institution, 3.0),
        (fields.lab, 0.5),
        (fields.body, 0.3),
    ];
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in &plan.words {
        let scale = word.weight;
        let fields_of_word: &[(Field, f32)] = if word.institution {
            &institution_fields
        } else {
            &weighted_fields
        };
        for &(field, boost) in fields_of_word {
            clauses.push((Occur::Should, term_query(field, &word.text, boost * scale)));
            // Synonyms where the subject is (name, fields, body); inner words only in the short
            // fields, where they are telling and their posting lists are short; full names of
            // institutions everywhere.
            let short_field = field == fields.name || field == fields.fields;
            let subject_field = short_field || field == fields.body;
            for (alternative, weight) in word.alternatives.iter().filter(|(_, weight)| {
                *weight >= 1.0 || (subject_field && *weight >= 0.5) || short_field
            }) {
                clauses.push((
                    Occur::Should,
                    term_query(field, alternative, boost * weight * scale),
                ));
            }
        }
        for bigram in &word.bigrams {
            clauses.push((
                Occur::Should,
                term_query(fields.bigrams, bigram, 0.3 * scale),
            ));
        }
    }
    Some(clauses)
}

/// Fields a phrase bonus is looked for in, with their boosts.
pub fn phrase_fields(fields: &Fields) -> [(Field, f32); 3] {
    [(fields.name, 2.0), (fields.fields, 1.5), (fields.body, 1.5)]
}

/// Characters a phrase's words may stray from their places in the query.
pub const PHRASE_SLOP: u32 = 3;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plans_words_stopwords_and_phrases() {
        let plan = plan("谁能帮我们做铝合金热处理？");
        let words: Vec<&str> = plan.words.iter().map(|word| word.text.as_str()).collect();
        assert!(
            words.contains(&"铝合金") && words.contains(&"热处理"),
            "{words:?}"
        );
        assert!(!words.contains(&"我们"), "{words:?}");
        assert!(plan.phrase.iter().any(|(_, text)| text == "热处理"));
    }

    #[test]
    fn aliases_and_synonyms_are_alternatives() {
        let plan = plan("北科大 铝型材");
        let alias = &plan.words[0];
        assert!(alias.institution);
        assert!(
            alias
                .alternatives
                .iter()
                .any(|(text, _)| text == "北京科技大学")
        );
        assert!(
            plan.words[1]
                .alternatives
                .iter()
                .any(|(text, _)| text == "铝合金型材")
        );
    }

    #[test]
    fn similar_mode_keeps_the_telling_words() {
        let plan = plan_similar(
            "6063铝合金型材挤压后表面出现条纹，希望优化模具设计与挤压工艺。挤压是关键。",
        );
        let first: Vec<&str> = plan
            .words
            .iter()
            .take(4)
            .map(|word| word.text.as_str())
            .collect();
        assert!(first.contains(&"挤压"), "{first:?}");
    }

    #[test]
    fn request_words_are_dropped_and_materials_and_units_kept() {
        let words = |text: &str| -> Vec<String> {
            plan(text).words.into_iter().map(|word| word.text).collect()
        };
        let polite = words("请帮忙推荐几位做钛合金研究的教授");
        assert!(polite.contains(&"钛合金".to_owned()), "{polite:?}");
        for dropped in ["帮忙", "推荐", "几位", "研究", "教授"] {
            assert!(
                !polite.contains(&dropped.to_owned()),
                "{dropped} in {polite:?}"
            );
        }
        let material = words("铝 挤压");
        assert!(material.contains(&"铝".to_owned()), "{material:?}");
        let unit = words("激光熔覆");
        assert!(
            unit.iter()
                .any(|word| word.contains("熔") && word.contains("覆")),
            "{unit:?}"
        );
        // Traditional characters plan as their simplified forms.
        assert_eq!(words("齒輪 熱處理"), words("齿轮 热处理"));
    }

    proptest! {
        #[test]
        fn any_text_plans_without_panic(text in "\\PC{0,500}") {
            let plan = plan(&text);
            prop_assert!(plan.words.iter().all(|word| !word.text.is_empty()));
            let _ = plan_similar(&text);
        }
    }
}
