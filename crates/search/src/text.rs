//! Chinese text analysis: normalisation, segmentation and the two tantivy tokenizers.
//!
//! What goes wrong in Chinese search (../shared/SEARCH-NOTES.md) decides the shape here:
//! - Width and case are folded *before* segmenting (jieba does not fold ＡＢＣ１２３), with a
//!   map back to the original byte offsets so highlights land on the original text.
//! - Traditional characters are folded to simplified ones (OpenCC's t2s phrase and character
//!   tables): material from Hong Kong, Taiwan and older documents writes 齒輪、電鍍、企業, and a
//!   search for 齿轮 must find it, and the other way round. The conversion keeps one character
//!   for one, so the map back to the original offsets holds.
//! - Chinese runs are cut by jieba in search mode (coarse words plus their inner words) with
//!   the HMM off, so 处理 finds 热处理 and new words do not become long inconsistent tokens.
//! - Latin/digit runs are identifiers: `6061-T6` is indexed whole, by part (`6061`, `t6`) and
//!   joined (`6061t6`), so every way a grade is typed finds it.
//! - Whitespace and punctuation never become tokens.
//! - Positions are character offsets, so a phrase of coarse words matches the same words in a
//!   document whatever inner words the index also holds.
//! - The dictionary is shared behind an `Arc`: tantivy clones a tokenizer for each use.
//! - The dictionary learns from the registry ([`vocabulary`]): a `fields` entry such as 辊弯成形
//!   or 高熵合金, which jieba's own dictionary cuts into loose characters, becomes a word, so a
//!   query for it is one precise term instead of a common remainder. The learned words are
//!   stored with the index (its checkpoint) because its documents were cut with them; a
//!   change that teaches a new word rebuilds the index.

use std::sync::{Arc, OnceLock};

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use jieba_rs::Jieba;
use labbridge_domain::Institutions;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The shared segmenter: jieba's dictionary plus the domain words and university names.
pub fn jieba() -> Arc<Jieba> {
    static JIEBA: OnceLock<Arc<Jieba>> = OnceLock::new();
    JIEBA
        .get_or_init(|| {
            let mut jieba = Jieba::new();
            for line in crate::schema::user_dictionary().lines() {
                let mut parts = line.split_whitespace();
                if let Some(word) = parts.next() {
                    let frequency = parts.next().and_then(|raw| raw.parse().ok());
                    jieba.add_word(word, frequency, None);
                }
            }
            for university in Institutions::embedded().universities() {
                jieba.add_word(&university.name, Some(500), None);
            }
            for short in crate::schema::aliases().keys() {
                jieba.add_word(short, Some(500), None);
            }
            Arc::new(jieba)
        })
        .clone()
}

/// The most words an index learns (a county's registry teaches a few hundred).
pub const MAX_LEARNED: usize = 20_000;

/// The shared segmenter plus words learned from the registry; the shared one itself when
/// there are none.
pub fn jieba_with(learned: &[String]) -> Arc<Jieba> {
    if learned.is_empty() {
        return jieba();
    }
    let mut extended = (*jieba()).clone();
    for word in learned {
        // No frequency: jieba suggests one high enough that the word is cut whole.
        extended.add_word(word, None, None);
    }
    Arc::new(extended)
}

/// Runs of 2 to [`MAX_UNIT_CHARS`] characters that jieba leaves loose in folded Han text
/// (激光熔覆 → 熔覆): the parts of a compound the dictionary lacks.
fn loose_runs(jieba: &Jieba, folded: &str, out: &mut Vec<String>) {
    for run in runs(folded) {
        if run.kind != RunKind::Han {
            continue;
        }
        let mut pending = String::new();
        let flush = |pending: &mut String, out: &mut Vec<String>| {
            if (2..=MAX_UNIT_CHARS).contains(&pending.chars().count()) {
                out.push(std::mem::take(pending));
            }
            pending.clear();
        };
        for token in jieba.cut(&folded[run.start..run.end], false) {
            if token.word.chars().count() == 1 && binds(token.word) {
                pending.push_str(token.word);
            } else {
                flush(&mut pending, out);
            }
        }
        flush(&mut pending, out);
    }
}

/// The words a registry teaches the dictionary, sorted: each `fields` entry the dictionary
/// cuts into pieces with a loose character among them (搅拌摩擦焊 → 搅拌/摩擦/焊), whole, when
/// it is 2 to 8 Han characters; and the loose runs inside those entries and inside lab names
/// (铝灰, 熔覆), so an inner part stays findable once the whole is one word. Known words and
/// everything else are left alone: an entry the dictionary already cuts into words needs
/// nothing, and a lab's full name as one word would hide its own inner words.
pub fn vocabulary<'a>(
    fields: impl IntoIterator<Item = &'a str>,
    names: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let jieba = jieba();
    let mut words = Vec::new();
    for entry in fields {
        let folded = fold(entry.trim()).text;
        let characters = folded.chars().count();
        if !(2..=8).contains(&characters) || !folded.chars().all(is_han) || jieba.has_word(&folded)
        {
            continue;
        }
        let has_loose = jieba
            .cut(&folded, false)
            .iter()
            .any(|token| token.word.chars().count() == 1 && binds(token.word));
        if has_loose {
            loose_runs(&jieba, &folded, &mut words);
            words.push(folded);
        }
    }
    for name in names {
        loose_runs(&jieba, &fold(name).text, &mut words);
    }
    words.sort_unstable();
    words.dedup();
    words.retain(|word| !jieba.has_word(word));
    words.truncate(MAX_LEARNED);
    words
}

/// Text folded for analysis, with each folded byte's offset in the original.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// Width-folded, lower-cased text.
    pub text: String,
    /// `origin[i]` is the original byte offset of folded byte `i`; one extra entry at the end.
    pub origin: Vec<usize>,
}

/// Folds full-width forms to half-width, upper case to lower case and traditional characters
/// to simplified ones.
pub fn fold(raw: &str) -> Folded {
    simplify(fold_width(raw))
}

fn fold_width(raw: &str) -> Folded {
    let mut text = String::with_capacity(raw.len());
    let mut origin = Vec::with_capacity(raw.len() + 1);
    for (offset, character) in raw.char_indices() {
        let folded = match character {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => {
                char::from_u32(character as u32 - 0xFEE0).unwrap_or(character)
            }
            other => other,
        };
        // Han characters and CJK punctuation have no case: they skip the Unicode case tables,
        // which every snippet's bio would otherwise pass through character by character.
        if folded.is_ascii() || matches!(folded, '\u{3000}'..='\u{9FFF}') {
            let lower = folded.to_ascii_lowercase();
            text.push(lower);
            origin.extend(std::iter::repeat_n(offset, lower.len_utf8()));
            continue;
        }
        for lower in folded.to_lowercase() {
            let before = text.len();
            text.push(lower);
            origin.extend(std::iter::repeat_n(offset, text.len() - before));
        }
    }
    origin.push(raw.len());
    Folded { text, origin }
}

/// The Basic Multilingual Plane's characters the conversion changes, as a bit set.
struct Convertible(Vec<u64>);

impl Convertible {
    fn of(converter: &OpenCC) -> Self {
        let mut bits = vec![0u64; 0x10000 / 64];
        let mut buffer = [0; 4];
        for code in (0x3400..=0x9FFF).chain(0xF900..=0xFAFF) {
            let Some(character) = char::from_u32(code) else {
                continue;
            };
            let text = character.encode_utf8(&mut buffer);
            if converter.convert(text) != *text {
                bits[code as usize / 64] |= 1 << (code % 64);
            }
        }
        Self(bits)
    }

    /// Whether the conversion may change this character (any Han character beyond the Basic
    /// Multilingual Plane is converted to find out: they are rare).
    fn holds(&self, character: char) -> bool {
        let code = character as usize;
        match self.0.get(code / 64) {
            Some(word) => word & (1 << (code % 64)) != 0,
            None => is_han(character),
        }
    }
}

/// The traditional-to-simplified converter, built once from the tables compiled into the
/// binary, with the characters it changes; `None` (folding skipped, logged) if the tables
/// cannot be loaded.
fn simplifier() -> Option<&'static (OpenCC, Convertible)> {
    static T2S: OnceLock<Option<(OpenCC, Convertible)>> = OnceLock::new();
    T2S.get_or_init(|| {
        let converter = OpenCC::from_config(BuiltinConfig::T2s)
            .inspect_err(|error| tracing::error!(%error, "traditional-to-simplified tables"))
            .ok()?;
        let convertible = Convertible::of(&converter);
        Some((converter, convertible))
    })
    .as_ref()
}

/// Folds traditional characters to simplified ones, character for character. A phrase rule
/// that changes the length (rare) is not taken: such a text is converted one character at a
/// time instead, so every folded character still has its original offset.
fn simplify(folded: Folded) -> Folded {
    let Some((converter, traditional)) = simplifier() else {
        return folded;
    };
    // Most text has no character the tables convert: one pass over a bit set spares it the
    // conversion (a snippet folds every hit's bio).
    if !folded
        .text
        .chars()
        .any(|character| traditional.holds(character))
    {
        return folded;
    }
    let converted = converter.convert(&folded.text);
    if converted == folded.text {
        return folded;
    }
    let mut text = String::with_capacity(converted.len());
    let mut origin = Vec::with_capacity(converted.len() + 1);
    let mut push = |character: char, from: usize| {
        text.push(character);
        origin.extend(std::iter::repeat_n(from, character.len_utf8()));
    };
    if converted.chars().count() == folded.text.chars().count() {
        for ((offset, _), character) in folded.text.char_indices().zip(converted.chars()) {
            push(character, folded.origin[offset]);
        }
    } else {
        for (offset, character) in folded.text.char_indices() {
            let single = if is_han(character) {
                let mut buffer = [0; 4];
                let converted = converter.convert(character.encode_utf8(&mut buffer));
                let mut characters = converted.chars();
                match (characters.next(), characters.next()) {
                    (Some(simple), None) => simple,
                    _ => character,
                }
            } else {
                character
            };
            push(single, folded.origin[offset]);
        }
    }
    origin.push(folded.origin.last().copied().unwrap_or(0));
    Folded { text, origin }
}

/// Returns whether a character belongs to a Chinese run.
fn is_han(character: char) -> bool {
    matches!(character as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF)
}

/// Returns whether a character belongs to an identifier run (letters and digits of any
/// script but Han, joined by `-`, `.`, `_`, `/`).
fn is_word(character: char) -> bool {
    character.is_alphanumeric() && !is_han(character)
}

fn is_joiner(character: char) -> bool {
    matches!(character, '-' | '.' | '_' | '/' | '+')
}

/// A run of folded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// Chinese characters.
    Han,
    /// Letters and digits (an identifier, a grade, an English word).
    Word,
}

/// A run with its byte range in the folded text and the character index it starts at.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// Han or Word.
    pub kind: RunKind,
    /// Start byte in the folded text.
    pub start: usize,
    /// End byte in the folded text.
    pub end: usize,
    /// Character index of the start.
    pub char_start: usize,
}

/// Splits folded text into Han runs and identifier runs, skipping everything else.
pub fn runs(text: &str) -> Vec<Run> {
    let mut runs = Vec::new();
    let characters: Vec<(usize, char)> = text.char_indices().collect();
    let mut index = 0;
    while index < characters.len() {
        let (start, character) = characters[index];
        let kind = if is_han(character) {
            RunKind::Han
        } else if is_word(character) {
            RunKind::Word
        } else {
            index += 1;
            continue;
        };
        let char_start = index;
        let mut end_index = index + 1;
        while end_index < characters.len() {
            let next = characters[end_index].1;
            let continues = match kind {
                RunKind::Han => is_han(next),
                RunKind::Word => {
                    is_word(next)
                        || (is_joiner(next)
                            && characters
                                .get(end_index + 1)
                                .is_some_and(|(_, after)| is_word(*after)))
                }
            };
            if !continues {
                break;
            }
            end_index += 1;
        }
        let end = characters
            .get(end_index)
            .map_or(text.len(), |(offset, _)| *offset);
        runs.push(Run {
            kind,
            start,
            end,
            char_start,
        });
        index = end_index;
    }
    runs
}

/// A token before it becomes a tantivy token: folded text, character position, folded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The token text.
    pub text: String,
    /// Character position.
    pub position: usize,
    /// Start byte in the folded text.
    pub start: usize,
    /// End byte in the folded text.
    pub end: usize,
}

/// How Han runs are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Coarse words and their inner words (indexing, recall).
    Search,
    /// Coarse words only (phrases).
    Words,
    /// Overlapping character bigrams (single characters for one-character runs).
    Bigrams,
}

fn identifier_pieces(run_text: &str, run: &Run, pieces: &mut Vec<Piece>) {
    pieces.push(Piece {
        text: run_text.to_owned(),
        position: run.char_start,
        start: run.start,
        end: run.end,
    });
    if !run_text.contains(is_joiner) {
        return;
    }
    let mut offset = 0;
    let mut char_offset = 0;
    for part in run_text.split(is_joiner) {
        if !part.is_empty() {
            pieces.push(Piece {
                text: part.to_owned(),
                position: run.char_start + char_offset,
                start: run.start + offset,
                end: run.start + offset + part.len(),
            });
        }
        offset += part.len() + 1;
        char_offset += part.chars().count() + 1;
    }
    let joined: String = run_text
        .chars()
        .filter(|character| !is_joiner(*character))
        .collect();
    pieces.push(Piece {
        text: joined,
        position: run.char_start,
        start: run.start,
        end: run.end,
    });
}

fn han_pieces(jieba: &Jieba, run_text: &str, run: &Run, cut: Cut, pieces: &mut Vec<Piece>) {
    match cut {
        Cut::Bigrams => {
            let characters: Vec<(usize, char)> = run_text.char_indices().collect();
            if characters.len() == 1 {
                pieces.push(Piece {
                    text: run_text.to_owned(),
                    position: run.char_start,
                    start: run.start,
                    end: run.end,
                });
                return;
            }
            for (index, window) in characters.windows(2).enumerate() {
                let (start, first) = window[0];
                let (second_start, second) = window[1];
                let end = second_start + second.len_utf8();
                pieces.push(Piece {
                    text: format!("{first}{second}"),
                    position: run.char_start + index,
                    start: run.start + start,
                    end: run.start + end,
                });
            }
        }
        Cut::Search | Cut::Words => {
            let tokens = if cut == Cut::Search {
                jieba.cut_for_search(run_text, false)
            } else {
                jieba.cut(run_text, false)
            };
            if cut == Cut::Search {
                let units = loose_units(
                    run_text,
                    tokens.iter().map(|token| (token.word, token.start)),
                );
                pieces.extend(units.into_iter().map(|unit| Piece {
                    text: unit.text,
                    position: run.char_start + unit.char_start,
                    start: run.start + unit.bytes.start,
                    end: run.start + unit.bytes.end,
                }));
            }
            for token in tokens {
                pieces.push(Piece {
                    text: token.word.to_owned(),
                    position: run.char_start + token.start,
                    start: run.start + token.byte_start,
                    end: run.start + token.byte_end,
                });
            }
        }
    }
}

/// The longest run of loose characters kept as one unit.
const MAX_UNIT_CHARS: usize = 6;

/// Returns whether a single character can be part of a compound the dictionary lacks (a
/// function word such as 的 or 与 never is).
pub fn binds(character: &str) -> bool {
    !crate::schema::is_stopword(character)
}

/// A unit of loose characters, in characters and bytes of its Han run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The characters.
    pub text: String,
    /// Character index in the run.
    pub char_start: usize,
    /// Byte range in the run.
    pub bytes: std::ops::Range<usize>,
}

/// Joins characters jieba leaves loose into units. A compound the dictionary lacks (熔覆,
/// 锌铝镁) comes out as single characters: alone, each is too common to find anything, but
/// together they are as telling as any word. A run of 2 to 6 loose characters is one unit; a
/// lone loose character is joined to the character after it (熔 + 覆层 → 熔覆), or before it at
/// the end of a run (扩散 + 焊 → 散焊), so the index and a query make the same unit whichever
/// way jieba cut the rest. `tokens` are a cut of `run` as (text, character index).
pub fn loose_units<'a>(run: &str, tokens: impl IntoIterator<Item = (&'a str, usize)>) -> Vec<Unit> {
    let characters: Vec<(usize, char)> = run.char_indices().collect();
    let mut buffer = [0; 4];
    let binds_at = |index: usize, buffer: &mut [u8; 4]| {
        characters
            .get(index)
            .is_some_and(|(_, character)| binds(character.encode_utf8(buffer)))
    };
    let mut singles: Vec<usize> = tokens
        .into_iter()
        .filter(|(text, _)| text.chars().count() == 1 && binds(text))
        .map(|(_, position)| position)
        .filter(|position| *position < characters.len())
        .collect();
    singles.sort_unstable();
    singles.dedup();
    let unit = |from: usize, to: usize| Unit {
        text: characters[from..to]
            .iter()
            .map(|(_, character)| character)
            .collect(),
        char_start: from,
        bytes: characters[from].0..characters.get(to).map_or(run.len(), |(offset, _)| *offset),
    };
    let mut units = Vec::new();
    let mut index = 0;
    while index < singles.len() {
        let mut end = index + 1;
        while end < singles.len() && singles[end] == singles[end - 1] + 1 {
            end += 1;
        }
        let (from, to) = (singles[index], singles[end - 1] + 1);
        if (2..=MAX_UNIT_CHARS).contains(&(to - from)) {
            units.push(unit(from, to));
        } else if to - from == 1 {
            if binds_at(to, &mut buffer) {
                units.push(unit(from, to + 1));
            } else if from > 0 && binds_at(from - 1, &mut buffer) {
                units.push(unit(from - 1, to));
            }
        }
        index = end;
    }
    units
}

/// Analyses folded text into pieces.
pub fn analyse(jieba: &Jieba, folded: &str, cut: Cut) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for run in runs(folded) {
        let run_text = &folded[run.start..run.end];
        match run.kind {
            RunKind::Word => identifier_pieces(run_text, &run, &mut pieces),
            RunKind::Han => han_pieces(jieba, run_text, &run, cut, &mut pieces),
        }
    }
    // Search mode emits inner words before the word that contains them (深度, 学习, 深度学习).
    // tantivy's snippet generator assumes tokens come in offset order (a later token that ends
    // before an earlier one starts makes its fragment arithmetic underflow), so sort them.
    pieces.sort_by_key(|piece| (piece.start, piece.end));
    pieces
}

/// The tantivy tokenizer of the Chinese text fields.
#[derive(Clone)]
pub struct ChineseTokenizer {
    jieba: Arc<Jieba>,
    cut: Cut,
    tokens: Vec<Token>,
}

impl ChineseTokenizer {
    /// The word tokenizer (search-mode cut) with the shared dictionary.
    pub fn words() -> Self {
        Self::words_with(jieba())
    }

    /// The word tokenizer with this dictionary (one that learned the registry's words).
    pub fn words_with(jieba: Arc<Jieba>) -> Self {
        Self {
            jieba,
            cut: Cut::Search,
            tokens: Vec::new(),
        }
    }

    /// The bigram tokenizer (recall for words the dictionary does not know).
    pub fn bigrams() -> Self {
        Self {
            jieba: jieba(),
            cut: Cut::Bigrams,
            tokens: Vec::new(),
        }
    }
}

/// A stream over tokens already computed (both of our tokenizers analyse eagerly).
pub struct Tokens<'a> {
    tokens: &'a mut [Token],
    index: usize,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = Tokens<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens<'a> {
        self.tokens.clear();
        let folded = fold(text);
        for piece in analyse(&self.jieba, &folded.text, self.cut) {
            self.tokens.push(Token {
                offset_from: folded.origin[piece.start],
                offset_to: folded.origin[piece.end],
                position: piece.position,
                text: piece.text,
                position_length: 1,
            });
        }
        Tokens::new(&mut self.tokens)
    }
}

impl<'a> Tokens<'a> {
    /// Streams these tokens.
    pub fn new(tokens: &'a mut [Token]) -> Self {
        Self {
            tokens,
            index: usize::MAX,
        }
    }
}

impl TokenStream for Tokens<'_> {
    fn advance(&mut self) -> bool {
        self.index = self.index.wrapping_add(1);
        self.index < self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index]
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn texts(text: &str, cut: Cut) -> Vec<String> {
        analyse(&jieba(), &fold(text).text, cut)
            .into_iter()
            .map(|piece| piece.text)
            .collect()
    }

    fn assert_token(token: &Token, text: &str, position: usize, from: usize, to: usize) {
        assert_eq!(
            (
                token.text.as_str(),
                token.position,
                token.offset_from,
                token.offset_to
            ),
            (text, position, from, to)
        );
    }

    #[test]
    fn domain_words_stay_whole_and_inner_words_are_added() {
        let words = texts("活性氧化铝生产线", Cut::Search);
        assert!(words.contains(&"活性氧化铝".to_owned()), "{words:?}");
        assert!(words.contains(&"氧化铝".to_owned()), "{words:?}");
        let treatment = texts("铝合金热处理工艺", Cut::Search);
        assert!(
            treatment.contains(&"热处理".to_owned()) && treatment.contains(&"处理".to_owned()),
            "{treatment:?}"
        );
    }

    #[test]
    fn grades_are_whole_parted_and_joined() {
        let words = texts("6061-T6铝合金和Ａ３５６", Cut::Search);
        for expected in ["6061-t6", "6061", "t6", "6061t6", "铝合金", "a356"] {
            assert!(
                words.contains(&expected.to_owned()),
                "{expected} in {words:?}"
            );
        }
        assert!(
            !words.iter().any(|word| word == "-" || word == "和 "),
            "{words:?}"
        );
    }

    #[test]
    fn punctuation_and_spaces_are_not_tokens() {
        let words = texts("“铝合金”， 热处理！（T6）", Cut::Words);
        assert_eq!(words, ["铝合金", "热处理", "t6"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let mut tokenizer = ChineseTokenizer::words();
        let text = "ＡＢＣ热处理";
        let mut stream = tokenizer.token_stream(text);
        assert!(stream.advance());
        assert_token(stream.token(), "abc", 0, 0, 9);
        let mut found = Vec::new();
        while stream.advance() {
            let token = stream.token().clone();
            found.push((
                token.text.clone(),
                token.position,
                text[token.offset_from..token.offset_to].to_owned(),
            ));
        }
        assert!(
            found.contains(&("热处理".to_owned(), 3, "热处理".to_owned())),
            "{found:?}"
        );
    }

    #[test]
    fn traditional_text_folds_to_simplified_with_its_offsets() {
        let raw = "企業的齒輪塗裝與電鍍（ＡＢＣ）";
        let folded = fold(raw);
        assert_eq!(folded.text, "企业的齿轮涂装与电镀(abc)");
        assert_eq!(folded.origin.len(), folded.text.len() + 1);
        for (offset, character) in folded.text.char_indices() {
            let original = folded.origin[offset];
            assert!(raw.is_char_boundary(original), "{character} at {original}");
        }
        let at = |needle: &str| folded.text.find(needle).map(|offset| folded.origin[offset]);
        assert_eq!(at("齿轮"), raw.find("齒輪"));
        assert_eq!(at("电镀"), raw.find("電鍍"));
        let words = texts("鋁合金熱處理與齒輪", Cut::Search);
        for expected in ["铝合金", "热处理", "齿轮"] {
            assert!(
                words.contains(&expected.to_owned()),
                "{expected} in {words:?}"
            );
        }
    }

    #[test]
    fn simplified_and_mixed_text_folds_to_the_same_words() {
        for (traditional, simplified) in [
            ("攪拌摩擦焊", "搅拌摩擦焊"),
            ("激光熔覆與表面強化", "激光熔覆与表面强化"),
            ("鎂合金壓鑄件", "镁合金压铸件"),
            ("6061-T6鋁型材擠壓", "6061-t6铝型材挤压"),
        ] {
            assert_eq!(fold(traditional).text, simplified);
            assert_eq!(fold(simplified).text, simplified);
        }
    }

    #[test]
    fn the_vocabulary_is_compounds_the_dictionary_lacks() {
        let learned = vocabulary(
            [
                "高熵合金",
                "激光熔覆",
                "鐳射熔覆",
                "铝合金热处理",
                "热处理",
                "TC4钛合金",
                "一",
                "超长的字段超过八个汉字的不学",
            ],
            ["铝灰资源化利用工程技术研究中心"],
        );
        for word in ["高熵合金", "高熵", "激光熔覆", "熔覆", "镭射熔覆", "铝灰"] {
            assert!(learned.contains(&word.to_owned()), "{word}: {learned:?}");
        }
        // Words the dictionary already has or cuts into words, Latin, single characters and
        // long entries are not learned; a lab's name gives only its loose parts.
        for word in [
            "铝合金热处理",
            "热处理",
            "tc4钛合金",
            "一",
            "超长的字段超过八个汉字的不学",
            "铝灰资源化利用工程技术研究中心",
        ] {
            assert!(!learned.contains(&word.to_owned()), "{word}: {learned:?}");
        }
        assert!(learned.windows(2).all(|pair| pair[0] < pair[1]));
        let jieba = jieba_with(&learned);
        let cut: Vec<&str> = jieba
            .cut("高熵合金涂层", false)
            .iter()
            .map(|token| token.word)
            .collect();
        assert_eq!(cut[0], "高熵合金");
    }

    #[test]
    fn loose_characters_become_one_unit() {
        let units = |text: &str| -> Vec<String> {
            let jieba = jieba();
            let tokens = jieba.cut(text, false);
            loose_units(text, tokens.iter().map(|token| (token.word, token.start)))
                .into_iter()
                .map(|unit| unit.text)
                .collect()
        };
        // jieba cuts 激光/熔/覆 and 熔/覆层: both make the unit 熔覆.
        assert!(
            units("激光熔覆").contains(&"熔覆".to_owned()),
            "{:?}",
            units("激光熔覆")
        );
        assert!(
            units("激光熔覆层").contains(&"熔覆".to_owned()),
            "{:?}",
            units("激光熔覆层")
        );
        let words = texts("开展激光熔覆层研究", Cut::Search);
        assert!(words.contains(&"熔覆".to_owned()), "{words:?}");
        // A function word breaks a run and is never part of a unit.
        assert!(
            units("铜与镁").iter().all(|unit| !unit.contains('与')),
            "{:?}",
            units("铜与镁")
        );
    }

    proptest! {
        #[test]
        fn units_lie_inside_their_run(text in "[\\u{4e00}-\\u{4e80}与的]{0,12}") {
            let jieba = jieba();
            let tokens = jieba.cut(&text, false);
            for unit in loose_units(&text, tokens.iter().map(|token| (token.word, token.start))) {
                prop_assert_eq!(&text[unit.bytes.clone()], unit.text.as_str());
                prop_assert!((2..=MAX_UNIT_CHARS).contains(&unit.text.chars().count()));
            }
        }
    }

    #[test]
    fn bigrams_overlap() {
        assert_eq!(texts("轻量化", Cut::Bigrams), ["轻量", "量化"]);
        assert_eq!(texts("铝", Cut::Bigrams), ["铝"]);
    }

    proptest! {
        #[test]
        fn the_case_shortcut_folds_as_the_unicode_tables_do(text in "[\\u{0}-\\u{FFFF}]{0,40}") {
            let expected: String = text
                .chars()
                .map(|character| match character {
                    '\u{3000}' => ' ',
                    '\u{FF01}'..='\u{FF5E}' => {
                        char::from_u32(character as u32 - 0xFEE0).unwrap_or(character)
                    }
                    other => other,
                })
                .flat_map(char::to_lowercase)
                .collect();
            let folded = fold_width(&text);
            prop_assert_eq!(&folded.text, &expected);
            prop_assert_eq!(folded.origin.len(), folded.text.len() + 1);
        }
    }

    proptest! {
        #[test]
        fn any_text_tokenizes_with_valid_offsets(text in "\\PC{0,60}") {
            for cut in [Cut::Search, Cut::Words, Cut::Bigrams] {
                let mut tokenizer = ChineseTokenizer { jieba: jieba(), cut, tokens: Vec::new() };
                let mut stream = tokenizer.token_stream(&text);
                while stream.advance() {
                    let token = stream.token();
                    prop_assert!(token.offset_from <= token.offset_to && token.offset_to <= text.len());
                    prop_assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
                    prop_assert!(!token.text.trim().is_empty());
                }
            }
        }
    }
}
