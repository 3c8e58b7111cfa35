//! The search evaluation: a labelled query set (`eval/search.json`) run against labbridge's
//! search and against a naive baseline (BM25 over single characters), reporting nDCG@10,
//! recall@10 and MRR@10.
//!
//! The registry is built in memory from the demo county plus the file's hand-written corpus,
//! through the ordinary import path, so the evaluation sees exactly what a user's search sees.

use std::collections::HashMap;
use std::path::Path;

use labbridge_search::baseline::BaselineIndex;
use labbridge_search::{Document, Kind, Request, SearchIndex};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::import::{ImportKind, Progress, Row};
use crate::{App, Error, Result, Settings};

#[derive(Debug, Deserialize)]
struct EvalFile {
    corpus: Vec<Value>,
    queries: Vec<EvalQuery>,
}

#[derive(Debug, Deserialize)]
struct EvalQuery {
    query: String,
    set: String,
    relevant: Vec<Judgment>,
}

#[derive(Debug, Deserialize)]
struct Judgment {
    topic: Option<String>,
    institution: Option<String>,
    id: Option<String>,
    grade: u32,
}

/// Averages of one engine over one set of queries.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Queries averaged.
    pub queries: usize,
    /// Mean nDCG@10 (gain 2^grade − 1).
    pub ndcg_at_10: f64,
    /// Mean recall@10, relative to min(10, number of relevant documents).
    pub recall_at_10: f64,
    /// Mean reciprocal rank of the first relevant document within the top 10.
    pub mrr_at_10: f64,
}

/// One query's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryScore {
    /// The query.
    pub query: String,
    /// Its set (`demo` or `written`).
    pub set: String,
    /// labbridge's nDCG@10.
    pub labbridge: f64,
    /// The baseline's nDCG@10.
    pub baseline: f64,
}

/// The evaluation's result.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvalReport {
    /// labbridge by set (`all`, `demo`, `written`).
    pub labbridge: Vec<(String, Metrics)>,
    /// The character-unigram baseline by set.
    pub baseline: Vec<(String, Metrics)>,
    /// Per query.
    pub per_query: Vec<QueryScore>,
}

/// nDCG@10, recall@10 and reciprocal rank of one ranking.
type Scores = (f64, f64, f64);

fn scores(ranked: &[String], grades: &HashMap<String, u32>) -> Scores {
    let gain = |grade: u32| f64::from((1u32 << grade.min(10)) - 1);
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(rank, key)| gain(grades.get(key).copied().unwrap_or(0)) / ((rank + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u32> = grades
        .values()
        .copied()
        .filter(|grade| *grade > 0)
        .collect();
    ideal.sort_unstable_by(|left, right| right.cmp(left));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(rank, grade)| gain(*grade) / ((rank + 2) as f64).log2())
        .sum();
    let relevant = grades.values().filter(|grade| **grade > 0).count();
    let found = ranked
        .iter()
        .take(10)
        .filter(|key| grades.get(*key).is_some_and(|grade| *grade > 0))
        .count();
    let recall = if relevant == 0 {
        0.0
    } else {
        found as f64 / relevant.min(10) as f64
    };
    let reciprocal = ranked
        .iter()
        .take(10)
        .position(|key| grades.get(key).is_some_and(|grade| *grade > 0))
        .map_or(0.0, |rank| 1.0 / (rank + 1) as f64);
    (
        if idcg > 0.0 { dcg / idcg } else { 0.0 },
        recall,
        reciprocal,
    )
}

fn average(rows: &[Scores]) -> Metrics {
    let count = rows.len().max(1) as f64;
    Metrics {
        queries: rows.len(),
        ndcg_at_10: rows.iter().map(|row| row.0).sum::<f64>() / count,
        recall_at_10: rows.iter().map(|row| row.1).sum::<f64>() / count,
        mrr_at_10: rows.iter().map(|row| row.2).sum::<f64>() / count,
    }
}

fn grades_of(query: &EvalQuery, documents: &[Document]) -> HashMap<String, u32> {
    let mut grades: HashMap<String, u32> = HashMap::new();
    for judgment in &query.relevant {
        for document in documents {
            let Some(kind) = document.kind else { continue };
            let matches = match (&judgment.id, &judgment.topic) {
                (Some(id), _) => *id == document.id,
                (None, Some(topic)) => {
                    let unit = match kind {
                        Kind::Lab => Some(document.name.as_str()),
                        Kind::Expert => document.lab.as_deref(),
                        _ => None,
                    };
                    let in_topic = unit.is_some_and(|unit| unit.starts_with(topic.as_str()));
                    let at = judgment
                        .institution
                        .as_ref()
                        .is_none_or(|wanted| document.institution.as_ref() == Some(wanted));
                    in_topic && at
                }
                (None, None) => false,
            };
            if matches {
                let grade = grades
                    .entry(format!("{}:{}", kind.name(), document.id))
                    .or_insert(0);
                *grade = (*grade).max(judgment.grade);
            }
        }
    }
    grades
}

/// Runs the evaluation file against a fresh in-memory registry.
pub async fn evaluate(file: &Path) -> Result<EvalReport> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        path: file.display().to_string(),
        source,
    })?;
    let eval: EvalFile = serde_json::from_str(&text)
        .map_err(|error| Error::Invalid(format!("{}: {error}", file.display())))?;
    let scratch = std::env::temp_dir().join(format!("labbridge-eval-{}", std::process::id()));
    let settings = Settings {
        data_dir: scratch.clone(),
        database_url: Some("sqlite::memory:".to_owned()),
        county: None,
        addr: "127.0.0.1:0".to_owned(),
        staff_token: None,
        ..Settings::default()
    };
    let app = App::open(settings).await?;
    app.load_demo(2026, Progress::Hidden).await?;
    for (kind, name) in [(ImportKind::Labs, "lab"), (ImportKind::Experts, "expert")] {
        let rows: Vec<Row> = eval
            .corpus
            .iter()
            .filter(|value| value["kind"] == name)
            .enumerate()
            .map(|(index, value)| Row {
                number: index + 1,
                cells: value
                    .as_object()
                    .map(|object| {
                        object
                            .clone()
                            .into_iter()
                            .filter(|(key, _)| key != "kind")
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        app.import_rows(kind, "eval corpus", rows, Vec::new(), Progress::Hidden)
            .await?;
    }
    let documents = app.search_documents().await?.documents;
    let index = SearchIndex::in_memory().map_err(Error::Search)?;
    index
        .rebuild(documents.clone(), None, |_| {})
        .map_err(Error::Search)?;
    let baseline = BaselineIndex::build(&documents).map_err(Error::Search)?;
    let _ = std::fs::remove_dir_all(&scratch);

    let mut by_set: HashMap<String, (Vec<Scores>, Vec<Scores>)> = HashMap::new();
    let mut per_query = Vec::new();
    for query in &eval.queries {
        let grades = grades_of(query, &documents);
        let request = Request {
            text: query.query.clone(),
            limit: 10,
            ..Request::default()
        };
        let ours: Vec<String> = index
            .search(&request)
            .map_err(Error::Search)?
            .hits
            .iter()
            .map(|hit| format!("{}:{}", hit.kind.name(), hit.id))
            .collect();
        let naive = baseline.search(&query.query, 10).map_err(Error::Search)?;
        let ours_scores = scores(&ours, &grades);
        let naive_scores = scores(&naive, &grades);
        for set in ["all", query.set.as_str()] {
            let entry = by_set.entry(set.to_owned()).or_default();
            entry.0.push(ours_scores);
            entry.1.push(naive_scores);
        }
        per_query.push(QueryScore {
            query: query.query.clone(),
            set: query.set.clone(),
            labbridge: ours_scores.0,
            baseline: naive_scores.0,
        });
    }
    let mut sets: Vec<String> = by_set.keys().cloned().collect();
    sets.sort_by_key(|set| (set != "all", set.clone()));
    Ok(EvalReport {
        labbridge: sets
            .iter()
            .map(|set| (set.clone(), average(&by_set[set].0)))
            .collect(),
        baseline: sets
            .iter()
            .map(|set| (set.clone(), average(&by_set[set].1)))
            .collect(),
        per_query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_a_perfect_and_an_empty_ranking() {
        let grades: HashMap<String, u32> = [("a".to_owned(), 3), ("b".to_owned(), 1)]
            .into_iter()
            .collect();
        let perfect = scores(&["a".to_owned(), "b".to_owned()], &grades);
        assert!(
            (perfect.0 - 1.0).abs() < 1e-12
                && (perfect.1 - 1.0).abs() < 1e-12
                && (perfect.2 - 1.0).abs() < 1e-12
        );
        let swapped = scores(&["b".to_owned(), "a".to_owned()], &grades);
        assert!(swapped.0 < 1.0 && (swapped.2 - 1.0).abs() < 1e-12);
        let late = scores(&["x".to_owned(), "y".to_owned(), "a".to_owned()], &grades);
        assert!((late.2 - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(scores(&[], &grades), (0.0, 0.0, 0.0));
    }
}
