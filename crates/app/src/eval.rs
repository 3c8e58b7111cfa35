//! The search evaluation: a labelled query set (`eval/search.json`), in classes, run against
//! labbridge's search and against baselines, reporting nDCG@10, recall@10, recall@50 and MRR@10
//! per class.
//!
//! The registry is built in memory from the demo county plus the file's hand-written corpus,
//! through the ordinary import path, so the evaluation sees exactly what a user's search sees.
//! Two baselines: a character-unigram BM25 built in (`labbridge_search::baseline`), and any
//! number of outside engines. For those the documents and queries are exported to a folder,
//! a command is run on it, and the rankings it writes there are read back: the jieba-BM25
//! baseline (`eval/jieba_bm25.py`, Python jieba + bm25s) shares no code with labbridge.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use labbridge_search::baseline::BaselineIndex;
use labbridge_search::{Document, Kind, Request, SearchIndex};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::import::{ImportKind, Progress, Row};
use crate::{App, Error, Result, Settings};

/// How deep rankings are read (recall@50).
const DEPTH: usize = 50;

#[derive(Debug, Deserialize)]
struct EvalFile {
    corpus: Vec<Value>,
    queries: Vec<EvalQuery>,
}

#[derive(Debug, Deserialize)]
struct EvalQuery {
    query: String,
    /// The query's class (keyword, phrased, written, traditional, unknown, institution).
    #[serde(rename = "set")]
    class: String,
    relevant: Vec<Judgment>,
}

#[derive(Debug, Deserialize)]
struct Judgment {
    topic: Option<String>,
    institution: Option<String>,
    id: Option<String>,
    grade: u32,
}

/// Rankings written by an outside engine.
#[derive(Debug, Deserialize)]
struct ExternalRuns {
    engine: String,
    runs: HashMap<String, Vec<String>>,
}

/// What to run besides labbridge and the built-in baseline.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// A folder to export the documents and queries to (kept afterwards).
    pub export: Option<PathBuf>,
    /// Outside engines: each command is run with the export folder as its last argument and
    /// writes `ENGINE.json` (`{"engine", "runs": {query: [kind:id …]}}`) into it.
    pub external: Vec<String>,
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
    /// Mean recall@50, relative to min(50, number of relevant documents).
    pub recall_at_50: f64,
    /// Mean reciprocal rank of the first relevant document within the top 10.
    pub mrr_at_10: f64,
}

/// One query's nDCG@10 by engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryScore {
    /// The query.
    pub query: String,
    /// Its class.
    pub class: String,
    /// nDCG@10 by engine, in the report's engine order.
    pub ndcg_at_10: Vec<f64>,
    /// Recall@50 by engine.
    pub recall_at_50: Vec<f64>,
}

/// One engine's averages by class (`all` first).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EngineReport {
    /// `labbridge`, `unigram` or an outside engine's name.
    pub engine: String,
    /// Averages by class.
    pub classes: Vec<(String, Metrics)>,
}

/// The evaluation's result.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EvalReport {
    /// Engines, labbridge first.
    pub engines: Vec<EngineReport>,
    /// Per query.
    pub per_query: Vec<QueryScore>,
}

/// A class where labbridge falls below an engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    /// The engine ahead.
    pub engine: String,
    /// The class.
    pub class: String,
    /// `nDCG@10` or `recall@50`.
    pub metric: &'static str,
    /// labbridge's figure.
    pub ours: f64,
    /// The engine's figure.
    pub theirs: f64,
}

impl EvalReport {
    /// The classes where labbridge is below `engine` on nDCG@10 or recall@50 (the gate of
    /// `tests/run`); an unknown engine is an error, so a gate can never pass by a typo.
    pub fn shortfalls(&self, engine: &str) -> Result<Vec<Shortfall>> {
        let find = |name: &str| self.engines.iter().find(|report| report.engine == name);
        let ours = find("labbridge").ok_or_else(|| Error::Invalid("no labbridge run".into()))?;
        let theirs =
            find(engine).ok_or_else(|| Error::Invalid(format!("no run of the engine {engine}")))?;
        let mut shortfalls = Vec::new();
        for (class, mine) in &ours.classes {
            let Some((_, other)) = theirs.classes.iter().find(|(name, _)| name == class) else {
                continue;
            };
            for (metric, a, b) in [
                ("nDCG@10", mine.ndcg_at_10, other.ndcg_at_10),
                ("recall@50", mine.recall_at_50, other.recall_at_50),
            ] {
                if a < b - 1e-9 {
                    shortfalls.push(Shortfall {
                        engine: engine.to_owned(),
                        class: class.clone(),
                        metric,
                        ours: a,
                        theirs: b,
                    });
                }
            }
        }
        Ok(shortfalls)
    }
}

/// nDCG@10, recall@10, reciprocal rank and recall@50 of one ranking.
type Scores = (f64, f64, f64, f64);

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
    let recall = |depth: usize| {
        let found = ranked
            .iter()
            .take(depth)
            .filter(|key| grades.get(*key).is_some_and(|grade| *grade > 0))
            .count();
        if relevant == 0 {
            0.0
        } else {
            found as f64 / relevant.min(depth) as f64
        }
    };
    let reciprocal = ranked
        .iter()
        .take(10)
        .position(|key| grades.get(key).is_some_and(|grade| *grade > 0))
        .map_or(0.0, |rank| 1.0 / (rank + 1) as f64);
    (
        if idcg > 0.0 { dcg / idcg } else { 0.0 },
        recall(10),
        reciprocal,
        recall(DEPTH),
    )
}

fn average(rows: &[Scores]) -> Metrics {
    let count = rows.len().max(1) as f64;
    Metrics {
        queries: rows.len(),
        ndcg_at_10: rows.iter().map(|row| row.0).sum::<f64>() / count,
        recall_at_10: rows.iter().map(|row| row.1).sum::<f64>() / count,
        mrr_at_10: rows.iter().map(|row| row.2).sum::<f64>() / count,
        recall_at_50: rows.iter().map(|row| row.3).sum::<f64>() / count,
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

/// The text an outside engine indexes for a document: every searchable field, joined.
fn plain_text(document: &Document) -> String {
    let mut parts: Vec<&str> = vec![document.name.as_str()];
    parts.extend(document.institution.as_deref());
    parts.extend(document.lab.as_deref());
    parts.extend(document.fields.iter().map(String::as_str));
    parts.extend(document.programs.iter().map(String::as_str));
    parts.push(document.body.as_str());
    parts.join(" ")
}

fn key_of(document: &Document) -> Option<String> {
    document
        .kind
        .map(|kind| format!("{}:{}", kind.name(), document.id))
}

fn write_lines(path: &Path, lines: impl Iterator<Item = Value>) -> Result<()> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    for line in lines {
        writeln!(out, "{line}").map_err(io)?;
    }
    out.flush().map_err(io)
}

/// Writes the documents and queries an outside engine needs.
fn export(folder: &Path, documents: &[Document], queries: &[EvalQuery]) -> Result<()> {
    std::fs::create_dir_all(folder).map_err(|source| Error::Io {
        path: folder.display().to_string(),
        source,
    })?;
    write_lines(
        &folder.join("documents.jsonl"),
        // What a search returns by default: experts, labs and programmes (not needs).
        documents.iter().filter_map(|document| {
            if document.kind == Some(Kind::Need) {
                return None;
            }
            let key = key_of(document)?;
            Some(serde_json::json!({"key": key, "text": plain_text(document)}))
        }),
    )?;
    write_lines(
        &folder.join("queries.jsonl"),
        queries
            .iter()
            .map(|query| serde_json::json!({"query": query.query, "class": query.class})),
    )
}

/// Runs each outside engine's command on the export folder and reads the rankings they wrote
/// (rankings left from an earlier run in a kept folder are removed first).
fn run_external(folder: &Path, commands: &[String]) -> Result<Vec<ExternalRuns>> {
    for stale in json_files(folder)? {
        std::fs::remove_file(&stale).map_err(|source| Error::Io {
            path: stale.display().to_string(),
            source,
        })?;
    }
    for command in commands {
        let mut words = command.split_whitespace();
        let program = words
            .next()
            .ok_or_else(|| Error::Invalid("an empty --external command".into()))?;
        let status = std::process::Command::new(program)
            .args(words)
            .arg(folder)
            .status()
            .map_err(|source| Error::Io {
                path: program.to_owned(),
                source,
            })?;
        if !status.success() {
            return Err(Error::Invalid(format!("{command} failed: {status}")));
        }
    }
    json_files(folder)?
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            serde_json::from_str(&text)
                .map_err(|error| Error::Invalid(format!("{}: {error}", path.display())))
        })
        .collect()
}

fn json_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(folder).map_err(|source| Error::Io {
        path: folder.display().to_string(),
        source,
    })?;
    Ok(entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect())
}

/// Runs the evaluation file against a fresh in-memory registry.
pub async fn evaluate(file: &Path, options: &EvalOptions) -> Result<EvalReport> {
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
    // The set judges experts, labs and programmes: the demo's technology offers stay out of
    // every engine's corpus, so none of them meets an unjudged document.
    let mut documents = app.search_documents().await?.documents;
    documents.retain(|document| document.kind != Some(Kind::Offer));
    let index = SearchIndex::in_memory().map_err(Error::Search)?;
    index
        .rebuild(
            labbridge_search::vocabulary_of(&documents),
            documents.clone(),
            None,
            |_| {},
        )
        .map_err(Error::Search)?;
    let baseline = BaselineIndex::build(&documents).map_err(Error::Search)?;
    let _ = std::fs::remove_dir_all(&scratch);

    let mut external = Vec::new();
    if options.export.is_some() || !options.external.is_empty() {
        let folder = options.export.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("labbridge-eval-runs-{}", std::process::id()))
        });
        export(&folder, &documents, &eval.queries)?;
        external = run_external(&folder, &options.external)?;
        if options.export.is_none() {
            let _ = std::fs::remove_dir_all(&folder);
        }
    }

    let mut engines: Vec<String> = vec!["labbridge".to_owned(), "unigram".to_owned()];
    engines.extend(external.iter().map(|runs| runs.engine.clone()));
    // scores[engine][class] — `all` and the query's class.
    let mut by_class: Vec<BTreeMap<String, Vec<Scores>>> = vec![BTreeMap::new(); engines.len()];
    let mut per_query = Vec::new();
    for query in &eval.queries {
        let grades = grades_of(query, &documents);
        if grades.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: the query {} judges no document of the corpus",
                file.display(),
                query.query
            )));
        }
        let request = Request {
            text: query.query.clone(),
            limit: DEPTH,
            ..Request::default()
        };
        let ours: Vec<String> = index
            .search(&request)
            .map_err(Error::Search)?
            .hits
            .iter()
            .map(|hit| format!("{}:{}", hit.kind.name(), hit.id))
            .collect();
        let mut rankings = vec![
            ours,
            baseline
                .search(&query.query, DEPTH)
                .map_err(Error::Search)?,
        ];
        for runs in &external {
            let ranking = runs.runs.get(&query.query).ok_or_else(|| {
                Error::Invalid(format!(
                    "{} has no ranking for {}",
                    runs.engine, query.query
                ))
            })?;
            rankings.push(ranking.clone());
        }
        let mut ndcg = Vec::new();
        let mut recall = Vec::new();
        for (engine, ranking) in rankings.iter().enumerate() {
            let row = scores(ranking, &grades);
            ndcg.push(row.0);
            recall.push(row.3);
            for class in ["all", query.class.as_str()] {
                by_class[engine]
                    .entry(class.to_owned())
                    .or_default()
                    .push(row);
            }
        }
        per_query.push(QueryScore {
            query: query.query.clone(),
            class: query.class.clone(),
            ndcg_at_10: ndcg,
            recall_at_50: recall,
        });
    }
    let engines = engines
        .into_iter()
        .zip(by_class)
        .map(|(engine, classes)| {
            let mut classes: Vec<(String, Metrics)> = classes
                .iter()
                .map(|(class, rows)| (class.clone(), average(rows)))
                .collect();
            classes.sort_by_key(|(class, _)| (class != "all", class.clone()));
            EngineReport { engine, classes }
        })
        .collect();
    Ok(EvalReport { engines, per_query })
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
        assert_eq!(scores(&[], &grades), (0.0, 0.0, 0.0, 0.0));
        // Found at rank 30: outside the top 10, inside the top 50.
        let mut deep: Vec<String> = (0..29).map(|rank| format!("x{rank}")).collect();
        deep.push("b".to_owned());
        let deep = scores(&deep, &grades);
        assert!(deep.1.abs() < 1e-12 && (deep.3 - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_gate_names_each_class_below_the_engine() {
        let metrics = |ndcg: f64, recall: f64| Metrics {
            queries: 1,
            ndcg_at_10: ndcg,
            recall_at_50: recall,
            ..Metrics::default()
        };
        let engine = |name: &str, classes: Vec<(&str, Metrics)>| EngineReport {
            engine: name.to_owned(),
            classes: classes
                .into_iter()
                .map(|(class, metrics)| (class.to_owned(), metrics))
                .collect(),
        };
        let report = EvalReport {
            engines: vec![
                engine(
                    "labbridge",
                    vec![
                        ("all", metrics(0.9, 0.9)),
                        ("traditional", metrics(0.5, 0.9)),
                    ],
                ),
                engine(
                    "jieba-bm25",
                    vec![
                        ("all", metrics(0.8, 0.9)),
                        ("traditional", metrics(0.6, 0.95)),
                    ],
                ),
            ],
            per_query: Vec::new(),
        };
        let shortfalls = report.shortfalls("jieba-bm25").expect("engine");
        let named: Vec<(&str, &str)> = shortfalls
            .iter()
            .map(|shortfall| (shortfall.class.as_str(), shortfall.metric))
            .collect();
        assert_eq!(
            named,
            [("traditional", "nDCG@10"), ("traditional", "recall@50")]
        );
        assert!(report.shortfalls("bm25-typo").is_err());
    }
}
