//! The phrase bonus, applied to a page's candidates after the term search.
//!
//! A tantivy `PhraseQuery` in the main query is evaluated over every document that holds all of
//! the phrase's words — and its `seek` runs on to the next match, so it cannot cheaply be asked
//! about a few documents either. Here each candidate's positions are read straight from the
//! postings (a skip-list seek per term and candidate), the words are matched in order within
//! [`PHRASE_SLOP`] characters, and the bonus is the BM25 of the phrase frequency, as tantivy
//! scores a phrase. On 100,000 documents this keeps the bonus and halves the cost of a search
//! (docs/BENCHMARKS.md).

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::Bm25Weight;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, DocSet, Searcher, Term};

use crate::Result;
use crate::query::{PHRASE_SLOP, Plan, phrase_fields};
use crate::schema::Fields;

/// How often the phrase occurs in a document, given each word's normalised positions (position
/// minus the word's offset in the query), each list ascending: a chain through the words where
/// each next word is at most `slop` after the previous one.
fn phrase_frequency(positions: &[Vec<u32>], slop: u32) -> u32 {
    let Some((first, rest)) = positions.split_first() else {
        return 0;
    };
    let mut count = 0;
    for &start in first {
        let mut reached = vec![start];
        for next in rest {
            let following: Vec<u32> = next
                .iter()
                .copied()
                .filter(|&position| {
                    reached
                        .iter()
                        .any(|&previous| position >= previous && position - previous <= slop)
                })
                .collect();
            if following.is_empty() {
                reached.clear();
                break;
            }
            reached = following;
        }
        if !reached.is_empty() {
            count += 1;
        }
    }
    count
}

/// Adds the phrase bonus of `plan` to each candidate that holds the phrase, and re-sorts by
/// score (ties by address). Candidates without it keep their score.
pub fn add_bonus(
    searcher: &Searcher,
    fields: &Fields,
    plan: &Plan,
    mut candidates: Vec<(f32, DocAddress)>,
) -> Result<Vec<(f32, DocAddress)>> {
    if plan.phrase.len() < 2 || candidates.is_empty() {
        return Ok(candidates);
    }
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&position| candidates[position].1);
    for (field, boost) in phrase_fields(fields) {
        let terms: Vec<Term> = plan
            .phrase
            .iter()
            .map(|(_, text)| Term::from_field_text(field, text))
            .collect();
        // A word no document holds in this field: no phrase here.
        if terms
            .iter()
            .any(|term| searcher.doc_freq(term).map_or(true, |count| count == 0))
        {
            continue;
        }
        let weight = Bm25Weight::for_terms(searcher, &terms)?.boost_by(boost);
        let mut segment: Option<(
            u32,
            Vec<SegmentPostings>,
            tantivy::fieldnorm::FieldNormReader,
        )> = None;
        let mut buffer = Vec::new();
        for &position in &order {
            let address = candidates[position].1;
            if segment
                .as_ref()
                .is_none_or(|(ordinal, _, _)| *ordinal != address.segment_ord)
            {
                let reader = searcher.segment_reader(address.segment_ord);
                let inverted = reader.inverted_index(field)?;
                let mut postings = Vec::with_capacity(terms.len());
                for term in &terms {
                    match inverted
                        .read_postings(term, IndexRecordOption::WithFreqsAndPositions)
                        .map_err(tantivy::TantivyError::from)?
                    {
                        Some(list) => postings.push(list),
                        None => break,
                    }
                }
                segment = Some((
                    address.segment_ord,
                    postings,
                    reader.get_fieldnorms_reader(field)?,
                ));
            }
            let Some((_, postings, norms)) = segment.as_mut() else {
                continue;
            };
            if postings.len() < terms.len() {
                continue;
            }
            let doc: DocId = address.doc_id;
            let mut words = Vec::with_capacity(postings.len());
            for (list, (offset, _)) in postings.iter_mut().zip(&plan.phrase) {
                // Candidates ascend within a segment, so each list only moves forward.
                if list.doc() > doc || list.seek(doc) != doc {
                    break;
                }
                buffer.clear();
                list.positions(&mut buffer);
                let offset = u32::try_from(*offset).unwrap_or(u32::MAX);
                words.push(
                    buffer
                        .iter()
                        .filter_map(|&at| at.checked_sub(offset))
                        .collect::<Vec<u32>>(),
                );
            }
            if words.len() < terms.len() {
                continue;
            }
            let frequency = phrase_frequency(&words, PHRASE_SLOP);
            if frequency > 0 {
                candidates[position].0 += weight.score(norms.fieldnorm_id(doc), frequency);
            }
        }
    }
    candidates.sort_by(|left, right| right.0.total_cmp(&left.0).then(left.1.cmp(&right.1)));
    Ok(candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_words_in_order_within_the_slop() {
        // 铝合金 at 0, 热处理 at 3 (normalised 0): adjacent.
        assert_eq!(phrase_frequency(&[vec![0], vec![0]], 3), 1);
        // Two characters between them: within a slop of 3.
        assert_eq!(phrase_frequency(&[vec![0], vec![2]], 3), 1);
        // Too far, or in the wrong order.
        assert_eq!(phrase_frequency(&[vec![0], vec![9]], 3), 0);
        assert_eq!(phrase_frequency(&[vec![5], vec![1]], 3), 0);
        // Twice in one text; a three-word chain that breaks at the last word.
        assert_eq!(phrase_frequency(&[vec![0, 20], vec![1, 21]], 3), 2);
        assert_eq!(phrase_frequency(&[vec![0], vec![1], vec![30]], 3), 0);
        assert_eq!(phrase_frequency(&[], 3), 0);
    }
}
