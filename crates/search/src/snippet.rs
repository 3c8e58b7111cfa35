//! Highlighted snippets: the part of a bio that shows why it matched, with the query's words in
//! `<em>`.
//!
//! tantivy's `SnippetGenerator` re-tokenises every hit's text with the field's analyser; with
//! jieba that was the largest single cost of a search (ten bios cut per request). The query's
//! words, their alternatives and, for words the dictionary does not know, their bigrams are
//! already known, so one multi-pattern scan of the folded text finds every place to highlight.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::query::Plan;
use crate::text::fold;

/// Characters in a snippet.
const SNIPPET_CHARS: usize = 90;
/// Characters of context kept before the first highlight.
const LEAD_CHARS: usize = 12;

/// Finds a plan's words in texts.
#[derive(Debug, Clone)]
pub struct Highlighter {
    matcher: Option<AhoCorasick>,
}

impl Highlighter {
    /// A highlighter for the words of a plan (and their alternatives).
    pub fn new(plan: &Plan) -> Self {
        let mut patterns: Vec<&str> = Vec::new();
        for word in &plan.words {
            patterns.push(&word.text);
            patterns.extend(word.alternatives.iter().map(|(text, _)| text.as_str()));
            patterns.extend(word.bigrams.iter().map(String::as_str));
        }
        patterns.retain(|pattern| !pattern.trim().is_empty());
        patterns.sort_unstable();
        patterns.dedup();
        let matcher = if patterns.is_empty() {
            None
        } else {
            // Built for each request and run over ten bios: a contiguous NFA builds in a
            // fraction of a DFA's time and searches texts this short as fast.
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(&patterns)
                .ok()
        };
        Self { matcher }
    }

    /// Escaped HTML of the best window of `text` (the one with the most highlights), the
    /// matches in `<em>`; the start of the text when nothing matches.
    pub fn snippet(&self, text: &str) -> String {
        let folded = fold(text);
        // Matches as byte ranges of the original text.
        let matches: Vec<(usize, usize)> = self
            .matcher
            .as_ref()
            .map(|matcher| {
                matcher
                    .find_iter(&folded.text)
                    .map(|found| (folded.origin[found.start()], folded.origin[found.end()]))
                    .filter(|(start, end)| start < end)
                    .collect()
            })
            .unwrap_or_default();
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(offset, _)| offset)
            .chain([text.len()])
            .collect();
        let char_at = |byte: usize| boundaries.partition_point(|&offset| offset < byte);
        let total_chars = boundaries.len() - 1;
        // The window starting a little before the match that gathers the most matches after it.
        let mut best = (0usize, 0usize);
        for (index, &(start, _)) in matches.iter().enumerate() {
            let first = char_at(start);
            let reach = boundaries[(first + SNIPPET_CHARS).min(total_chars)];
            let count = matches[index..]
                .iter()
                .take_while(|(_, end)| *end <= reach)
                .count();
            if count > best.1 {
                best = (first, count);
            }
        }
        let first_char = if best.1 == 0 {
            0
        } else {
            lead_start(text, &boundaries, best.0)
        };
        let last_char = (first_char + SNIPPET_CHARS).min(total_chars);
        let (window_start, window_end) = (boundaries[first_char], boundaries[last_char]);
        let mut html = String::with_capacity(window_end - window_start + 32);
        let mut cursor = window_start;
        for &(start, end) in &matches {
            if start < cursor || end > window_end {
                continue;
            }
            escape_into(&text[cursor..start], &mut html);
            html.push_str("<em>");
            escape_into(&text[start..end], &mut html);
            html.push_str("</em>");
            cursor = end;
        }
        escape_into(&text[cursor..window_end], &mut html);
        // Highlights that touch read as one (`<em>铝合金</em><em>热处理</em>`).
        html.replace("</em><em>", "")
    }
}

/// Whether a character ends a word for sure: punctuation (Chinese or not) or a space.
fn breaks_words(character: char) -> bool {
    character.is_whitespace()
        || character.is_ascii_punctuation()
        || matches!(
            character,
            '。' | '，'
                | '、'
                | '；'
                | '：'
                | '？'
                | '！'
                | '（'
                | '）'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '《'
                | '》'
                | '【'
                | '】'
                | '…'
                | '—'
        )
}

/// Where a snippet before the match at character `matched` starts: just after the last word
/// break within [`LEAD_CHARS`] before it, so the snippet never opens in the middle of a word;
/// the match itself when there is no break that close; the text's start when it is that close.
fn lead_start(text: &str, boundaries: &[usize], matched: usize) -> usize {
    if matched <= LEAD_CHARS {
        return 0;
    }
    let earliest = matched - LEAD_CHARS;
    (earliest..matched)
        .rev()
        .find(|&index| {
            text[boundaries[index - 1]..boundaries[index]]
                .chars()
                .next()
                .is_some_and(breaks_words)
        })
        .unwrap_or(matched)
}

/// Escapes text for HTML into `out`.
pub fn escape_into(text: &str, out: &mut String) {
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::query::plan;

    #[test]
    fn highlights_words_and_merges_neighbours() {
        let highlighter = Highlighter::new(&plan("铝合金 热处理"));
        let html = highlighter.snippet("主要从事6061-T6铝合金热处理和时效研究。");
        assert!(html.contains("<em>铝合金热处理</em>"), "{html}");
        assert!(html.starts_with("主要从事"), "{html}");
    }

    #[test]
    fn folds_width_and_case_but_shows_the_original() {
        let highlighter = Highlighter::new(&plan("6061-t6"));
        let html = highlighter.snippet("牌号６０６１-Ｔ６的时效");
        assert!(html.contains("<em>６０６１-Ｔ６</em>"), "{html}");
    }

    #[test]
    fn a_simplified_query_highlights_traditional_text_as_written() {
        let highlighter = Highlighter::new(&plan("精密齿轮 电镀"));
        let html = highlighter.snippet("研究精密齒輪的磨削，並開發無氰電鍍製程。");
        assert!(html.contains("<em>精密齒輪</em>"), "{html}");
        assert!(html.contains("<em>電鍍</em>"), "{html}");
    }

    #[test]
    fn picks_the_window_with_the_matches() {
        let filler = "其他内容。".repeat(40);
        let text = format!("{filler}本课题组研究挤压模具设计。{filler}");
        let html = Highlighter::new(&plan("挤压模具")).snippet(&text);
        assert!(html.contains("<em>挤压模具</em>"), "{html}");
        assert!(html.chars().count() < SNIPPET_CHARS + 30, "{html}");
    }

    #[test]
    fn a_snippet_opens_at_a_word_break() {
        let filler = "其他内容。".repeat(20);
        let text = format!("{filler}课题组长期从事铝合金挤压模具设计与制造研究");
        let html = Highlighter::new(&plan("挤压模具")).snippet(&text);
        assert!(html.starts_with("课题组长期从事"), "{html}");
        let latin = format!("{} aluminium extrusion dies", "word ".repeat(30));
        let html = Highlighter::new(&plan("extrusion")).snippet(&latin);
        assert!(
            html.starts_with("word ") || html.starts_with("aluminium"),
            "{html}"
        );
        // No break within the lead: the snippet starts at the match.
        let run = format!("{}挤压模具", "甲".repeat(40));
        let html = Highlighter::new(&plan("挤压模具")).snippet(&run);
        assert!(html.starts_with("<em>挤压模具</em>"), "{html}");
    }

    #[test]
    fn escapes_html_and_falls_back_to_the_start() {
        let html = Highlighter::new(&plan("<b>")).snippet("a <b> & c");
        assert!(!html.contains("<b>"), "{html}");
        assert_eq!(
            Highlighter::new(&plan("药物")).snippet("<script>"),
            "&lt;script&gt;"
        );
    }

    proptest! {
        #[test]
        fn any_text_and_query_give_a_snippet(query in "\\PC{0,40}", text in "\\PC{0,400}") {
            let html = Highlighter::new(&plan(&query)).snippet(&text);
            prop_assert!(html.matches("<em>").count() == html.matches("</em>").count());
            prop_assert!(html.chars().count() <= text.chars().count() * 6 + SNIPPET_CHARS);
        }
    }
}
