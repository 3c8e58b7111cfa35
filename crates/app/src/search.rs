//! Keeping the search index in step with the registry, and the searches that need both.
//!
//! The registry is the truth. A process that owns the index directory opens it with
//! [`App::open_index`] (rebuilding it when it is missing, corrupt or outdated, otherwise catching
//! up from its checkpoint) and then runs an [`IndexFollower`], which polls the registry for rows
//! changed since the last look — writes by this process, the command line or another machine —
//! and commits them to the index in one batch. Another process that only reads (the
//! `labbridge search` command while a server runs) opens the index read-only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use labbridge_domain::is_unknown_institution;
use labbridge_domain::model::Level;
use labbridge_search::{Document, Kind, Opened, Request, Results, SearchIndex};
use labbridge_store::entity::{expert, lab, need, offer, program};
use labbridge_store::{Searchable, Store};
use serde::Serialize;
use tracing::{info, warn};

use crate::import::Progress;
use crate::{App, Error, Result};

/// How far back each poll looks again, to catch transactions that committed late with an
/// earlier timestamp; rows already indexed at the same version are skipped.
const LOOKBACK: Duration = Duration::from_secs(30);

/// Decodes a stored list column (fields, products).
pub fn list_field(raw: &str) -> Vec<String> {
    Store::decode_list("", "fields", raw).unwrap_or_default()
}

/// Returns the Chinese label of a stored level code (`provincial` → 省级).
pub fn level_label(code: &str) -> String {
    Level::parse(code)
        .map(|level| level.label().to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

struct Lookups {
    lab_names: HashMap<String, String>,
    program_names: HashMap<String, String>,
    memberships: HashMap<String, Vec<String>>,
}

fn expert_document(model: &expert::Model, lookups: &Lookups) -> Document {
    let programs = lookups
        .memberships
        .get(&model.id)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| lookups.program_names.get(id).cloned())
                .collect()
        })
        .unwrap_or_default();
    Document {
        kind: Some(Kind::Expert),
        id: model.id.clone(),
        name: model.name.clone(),
        institution: known_institution(&model.institution),
        title: model.title.clone(),
        fields: list_field(&model.fields),
        body: model.bio.clone().unwrap_or_default(),
        programs,
        lab: model
            .lab_id
            .as_ref()
            .and_then(|id| lookups.lab_names.get(id).cloned()),
        level: None,
        province: model.province.clone(),
    }
}

fn lab_document(model: &lab::Model) -> Document {
    Document {
        kind: Some(Kind::Lab),
        id: model.id.clone(),
        name: model.name.clone(),
        institution: known_institution(&model.institution),
        title: None,
        fields: list_field(&model.fields),
        body: model.description.clone().unwrap_or_default(),
        programs: Vec::new(),
        lab: None,
        level: model.level.clone(),
        province: model.province.clone(),
    }
}

/// A technology offer: its holder is kept as the hit's title, and its patent number is part of
/// the body, so a search for ZL2023… finds it.
fn offer_document(model: &offer::Model) -> Document {
    let mut body = model.description.clone().unwrap_or_default();
    if let Some(patent) = &model.patent {
        body.push_str("\n专利 ");
        body.push_str(patent);
    }
    Document {
        kind: Some(Kind::Offer),
        id: model.id.clone(),
        name: model.name.clone(),
        institution: known_institution(&model.institution),
        title: model.holder.clone(),
        fields: list_field(&model.fields),
        body,
        ..Document::default()
    }
}

fn program_document(model: &program::Model) -> Document {
    Document {
        kind: Some(Kind::Program),
        id: model.id.clone(),
        name: model.name.clone(),
        body: model.description.clone().unwrap_or_default(),
        level: Some(level_label(&model.level)),
        ..Document::default()
    }
}

fn need_document(model: &need::Model) -> Document {
    Document {
        kind: Some(Kind::Need),
        id: model.id.clone(),
        name: model.title.clone(),
        fields: list_field(&model.fields),
        body: model.description.clone(),
        ..Document::default()
    }
}

/// Documents changed since a time, with each one's key and version.
#[derive(Debug, Default)]
pub struct Changes {
    /// The documents.
    pub documents: Vec<Document>,
    /// `kind:id` and `updated_at` of each document.
    pub versions: Vec<(String, DateTime<Utc>)>,
}

impl Changes {
    fn push(&mut self, document: Document, updated_at: DateTime<Utc>) {
        let kind = document.kind.map_or("", Kind::name);
        self.versions
            .push((format!("{kind}:{}", document.id), updated_at));
        self.documents.push(document);
    }
}

/// An institution and how strong it is in a subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstitutionStrength {
    /// The institution.
    pub institution: String,
    /// The mean relevance of its best [`STRENGTH_DEPTH`] experts and labs (a missing one counts
    /// as 0): depth counts up to that many, but not beyond, so a large institution cannot win on
    /// the number of weak matches.
    pub score: f32,
    /// Matching experts.
    pub experts: usize,
    /// Matching labs.
    pub labs: usize,
    /// Its best-matching experts and labs (names).
    pub top: Vec<String>,
}

impl App {
    async fn lookups(&self) -> Result<Lookups> {
        let store = &self.store;
        Ok(Lookups {
            lab_names: store.lab_names().await?,
            program_names: store.program_names().await?.into_iter().collect(),
            memberships: store.expert_programs().await?,
        })
    }

    /// Returns every searchable record of the registry as a document, with its version.
    pub async fn search_documents(&self) -> Result<Changes> {
        let mut changes = self.search_documents_except_experts().await?;
        let lookups = self.lookups().await?;
        for model in self.store.experts_since(None).await? {
            changes.push(expert_document(&model, &lookups), model.updated_at);
        }
        Ok(changes)
    }

    async fn search_documents_except_experts(&self) -> Result<Changes> {
        let store = &self.store;
        let mut changes = Changes::default();
        for model in store.programs_since(None).await? {
            changes.push(program_document(&model), model.updated_at);
        }
        for model in store.labs_since(None).await? {
            changes.push(lab_document(&model), model.updated_at);
        }
        for model in store.needs_since(None).await? {
            changes.push(need_document(&model), model.updated_at);
        }
        for model in store.offers_since(None).await? {
            changes.push(offer_document(&model), model.updated_at);
        }
        Ok(changes)
    }

    /// Returns the searchable records changed at or after `since` whose version `seen` does
    /// not hold yet. Only their ids and versions are read first, so polling a window that
    /// holds a large import costs little once that import is indexed.
    pub async fn search_changes(
        &self,
        since: DateTime<Utc>,
        seen: &HashMap<String, DateTime<Utc>>,
    ) -> Result<Changes> {
        let store = &self.store;
        let mut unseen: HashMap<Searchable, Vec<String>> = HashMap::new();
        for (table, kind) in [
            (Searchable::Programs, Kind::Program),
            (Searchable::Labs, Kind::Lab),
            (Searchable::Experts, Kind::Expert),
            (Searchable::Needs, Kind::Need),
            (Searchable::Offers, Kind::Offer),
        ] {
            for (id, updated_at) in store.versions_since(table, since).await? {
                if seen.get(&format!("{}:{id}", kind.name())) != Some(&updated_at) {
                    unseen.entry(table).or_default().push(id);
                }
            }
        }
        let mut changes = Changes::default();
        if unseen.is_empty() {
            return Ok(changes);
        }
        let ids = |table| unseen.get(&table).map(Vec::as_slice).unwrap_or_default();
        for model in store.programs_by_ids(ids(Searchable::Programs)).await? {
            changes.push(program_document(&model), model.updated_at);
        }
        for model in store.labs_by_ids(ids(Searchable::Labs)).await? {
            changes.push(lab_document(&model), model.updated_at);
        }
        let experts = ids(Searchable::Experts);
        if !experts.is_empty() {
            let lookups = self.lookups().await?;
            for model in store.experts_by_ids(experts).await? {
                changes.push(expert_document(&model, &lookups), model.updated_at);
            }
        }
        for model in store.needs_by_ids(ids(Searchable::Needs)).await? {
            changes.push(need_document(&model), model.updated_at);
        }
        for model in store.offers_by_ids(ids(Searchable::Offers)).await? {
            changes.push(offer_document(&model), model.updated_at);
        }
        Ok(changes)
    }

    /// Opens the index of the data directory for writing: rebuilds it when needed, otherwise
    /// catches up with the registry. Fails when another process owns it.
    pub async fn open_index(&self, progress: Progress) -> Result<Arc<SearchIndex>> {
        Ok(self.open_index_followed(progress).await?.index.clone())
    }

    /// Opens the index like [`App::open_index`] and returns the follower that keeps it in
    /// step, already knowing what the opening indexed.
    pub async fn open_index_followed(&self, progress: Progress) -> Result<IndexFollower> {
        let path = self.settings.data_dir.join("index");
        let (index, opened) = SearchIndex::open(&path).map_err(search_error)?;
        let mut follower = IndexFollower::new(Arc::new(index));
        match opened {
            Opened::NeedsRebuild => {
                let versions = self.rebuild(&follower.index, progress).await?;
                follower.remember(versions);
            }
            Opened::Current => {
                follower.step(self).await?;
            }
        }
        Ok(follower)
    }

    /// Opens the index for a search from the command line: as the writer when no server owns
    /// it (catching up first), read-only otherwise.
    pub async fn open_index_for_search(&self) -> Result<Arc<SearchIndex>> {
        match self.open_index(Progress::Terminal).await {
            Ok(index) => Ok(index),
            Err(Error::Search(labbridge_search::Error::Busy(_))) => {
                let path = self.settings.data_dir.join("index");
                SearchIndex::open_read_only(&path)
                    .map_err(search_error)?
                    .map(Arc::new)
                    .ok_or_else(|| {
                        Error::Conflict(
                            "the index is being rebuilt by the running server; try again shortly"
                                .to_owned(),
                        )
                    })
            }
            Err(other) => Err(other),
        }
    }

    /// Rebuilds the index from the whole registry.
    pub async fn rebuild_index(&self, index: &Arc<SearchIndex>, progress: Progress) -> Result<u64> {
        Ok(self.rebuild(index, progress).await?.len() as u64)
    }

    /// Rebuilds the index and returns the version of every document it holds. The registry is
    /// read a page at a time and indexed on a blocking thread as pages arrive, so memory stays
    /// flat however many experts there are.
    async fn rebuild(
        &self,
        index: &Arc<SearchIndex>,
        progress: Progress,
    ) -> Result<Vec<(String, DateTime<Utc>)>> {
        const PAGE: u64 = 2_000;
        let started = std::time::Instant::now();
        let counts = self.store.counts().await?;
        let total = counts.experts + counts.labs + counts.programs + counts.needs + counts.offers;
        let learned = self.vocabulary().await?;
        let bar = progress.bar(usize::try_from(total).unwrap_or(usize::MAX), "indexing");
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<Document>>(2);
        let indexer = {
            let index = index.clone();
            let bar = bar.clone();
            tokio::task::spawn_blocking(move || {
                let documents = std::iter::from_fn(move || receiver.blocking_recv()).flatten();
                index.rebuild(learned, documents, None, |done| bar.set_position(done))
            })
        };
        let mut versions = Vec::new();
        let mut changes = self.search_documents_except_experts().await?;
        let lookups = self.lookups().await?;
        let mut after: Option<String> = None;
        loop {
            versions.extend(changes.versions);
            // A closed channel means the indexer failed; its error is reported below.
            if sender.send(changes.documents).await.is_err() {
                break;
            }
            let page = self.store.experts_page(after.as_deref(), PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            changes = Changes::default();
            for model in &page {
                changes.push(expert_document(model, &lookups), model.updated_at);
            }
        }
        drop(sender);
        let count = indexer
            .await
            .map_err(|error| Error::Conflict(format!("indexing stopped: {error}")))?
            .map_err(search_error)?;
        let watermark = versions.iter().map(|(_, at)| *at).max();
        index
            .set_watermark(watermark.map(|at| at.to_rfc3339()))
            .map_err(search_error)?;
        bar.finish_and_clear();
        info!(
            documents = count,
            seconds = started.elapsed().as_secs_f64(),
            "search index rebuilt"
        );
        Ok(versions)
    }

    /// The words the registry teaches the index's dictionary: the `fields` of labs and
    /// experts and the labs' names ([`labbridge_search::text::vocabulary`]).
    async fn vocabulary(&self) -> Result<Vec<String>> {
        let lists = self.store.partner_field_lists().await?;
        let names = self.store.lab_names().await?;
        tokio::task::spawn_blocking(move || {
            let fields: Vec<String> = lists.iter().flat_map(|raw| list_field(raw)).collect();
            labbridge_search::text::vocabulary(
                fields.iter().map(String::as_str),
                names.values().map(String::as_str),
            )
        })
        .await
        .map_err(|error| Error::Conflict(format!("learning words stopped: {error}")))
    }

    /// Searches the index.
    pub fn search(&self, index: &SearchIndex, request: &Request) -> Result<Results> {
        index.search(request).map_err(search_error)
    }

    /// Ranks labs and experts by how well they fit a need ("similar to this need").
    pub async fn similar_to_need(
        &self,
        index: &SearchIndex,
        need_id: &str,
        limit: usize,
    ) -> Result<Results> {
        let need = self
            .store
            .need(need_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no need '{need_id}'")))?;
        let fields = list_field(&need.fields).join(" ");
        let text = format!(
            "{} {} {} {} {}",
            need.title, need.title, fields, fields, need.description
        );
        let request = Request {
            text,
            kinds: vec![Kind::Lab, Kind::Expert],
            limit,
            similar: true,
            ..Request::default()
        };
        self.search(index, &request)
    }

    /// Ranks institutions by the relevance of their experts and labs to a subject.
    pub fn strongest_institutions(
        &self,
        index: &SearchIndex,
        text: &str,
        limit: usize,
    ) -> Result<Vec<InstitutionStrength>> {
        let mut hits = Vec::new();
        for page in 0..3 {
            let request = Request {
                text: text.to_owned(),
                kinds: vec![Kind::Expert, Kind::Lab],
                limit: 100,
                offset: page * 100,
                ..Request::default()
            };
            let results = self.search(index, &request)?;
            let last = results.hits.len() < 100;
            hits.extend(results.hits);
            if last {
                break;
            }
        }
        Ok(rank_institutions(&hits, limit))
    }
}

/// How many of an institution's best matches its strength averages.
pub const STRENGTH_DEPTH: usize = 3;

/// A record's institution for the index: none when it is unknown, so no facet or institution
/// match is made of 未知.
fn known_institution(name: &str) -> Option<String> {
    (!is_unknown_institution(name)).then(|| name.to_owned())
}

/// The name an institution is compared by: folded (width, case, traditional script), trimmed,
/// and a short form taken to its full name (北科大 → 北京科技大学).
pub fn institution_key(name: &str) -> String {
    let folded = labbridge_search::text::fold(name.trim()).text;
    let folded = folded.trim();
    labbridge_search::schema::aliases()
        .get(folded)
        .cloned()
        .unwrap_or_else(|| folded.to_owned())
}

/// Ranks institutions by the mean score of their best [`STRENGTH_DEPTH`] hits; `hits` are in
/// the search's order (best first).
fn rank_institutions(hits: &[labbridge_search::Hit], limit: usize) -> Vec<InstitutionStrength> {
    let mut by_institution: HashMap<&str, (InstitutionStrength, Vec<f32>)> = HashMap::new();
    for hit in hits {
        let Some(institution) = hit
            .institution
            .as_deref()
            .filter(|name| !is_unknown_institution(name))
        else {
            continue;
        };
        let (entry, scores) = by_institution.entry(institution).or_insert_with(|| {
            (
                InstitutionStrength {
                    institution: institution.to_owned(),
                    score: 0.0,
                    experts: 0,
                    labs: 0,
                    top: Vec::new(),
                },
                Vec::new(),
            )
        });
        scores.push(hit.score);
        match hit.kind {
            Kind::Lab => entry.labs += 1,
            _ => entry.experts += 1,
        }
        if entry.top.len() < 3 {
            entry.top.push(hit.name.clone());
        }
    }
    let mut ranked: Vec<InstitutionStrength> = by_institution
        .into_values()
        .map(|(mut entry, mut scores)| {
            scores.sort_by(|left, right| right.total_cmp(left));
            entry.score = scores.iter().take(STRENGTH_DEPTH).sum::<f32>() / STRENGTH_DEPTH as f32;
            entry
        })
        .collect();
    ranked.sort_by(|left, right| {
        right
            .score
            .total_cmp(&left.score)
            .then_with(|| left.institution.cmp(&right.institution))
    });
    ranked.truncate(limit.clamp(1, 100));
    ranked
}

fn search_error(error: labbridge_search::Error) -> Error {
    Error::Search(error)
}

/// Follows the registry: each [`IndexFollower::step`] indexes what changed since the last one.
pub struct IndexFollower {
    index: Arc<SearchIndex>,
    seen: HashMap<String, DateTime<Utc>>,
}

impl IndexFollower {
    /// Starts following from the index's checkpoint.
    pub fn new(index: Arc<SearchIndex>) -> Self {
        Self {
            index,
            seen: HashMap::new(),
        }
    }

    /// The index it keeps in step.
    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    fn watermark(&self) -> Option<DateTime<Utc>> {
        self.index
            .checkpoint()
            .watermark
            .and_then(|raw| DateTime::parse_from_rfc3339(&raw).ok())
            .map(|at| at.with_timezone(&Utc))
    }

    fn since(&self, watermark: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        watermark.map(|at| at - chrono::Duration::from_std(LOOKBACK).unwrap_or_default())
    }

    /// Records versions already indexed (those inside the lookback window; older ones are
    /// never looked at again).
    fn remember(&mut self, versions: Vec<(String, DateTime<Utc>)>) {
        let Some(floor) = self.since(self.watermark()) else {
            return;
        };
        self.seen
            .extend(versions.into_iter().filter(|(_, at)| *at >= floor));
    }

    /// Indexes the registry's changes since the last step; returns how many documents changed.
    pub async fn step(&mut self, app: &App) -> Result<usize> {
        let watermark = self.watermark();
        let since = self.since(watermark);
        let changes = match since {
            Some(since) => app.search_changes(since, &self.seen).await?,
            None => app.search_documents().await?,
        };
        let mut documents = Vec::new();
        let mut newest = watermark;
        for (document, (key, updated_at)) in changes.documents.into_iter().zip(changes.versions) {
            newest = newest.max(Some(updated_at));
            if self.seen.get(&key) == Some(&updated_at) {
                continue;
            }
            self.seen.insert(key, updated_at);
            documents.push(document);
        }
        if let Some(floor) = since {
            self.seen.retain(|_, updated_at| *updated_at >= floor);
        }
        if documents.is_empty() {
            return Ok(0);
        }
        let count = documents.len();
        if self.index.teaches_new_words(&documents) {
            // The documents already indexed were cut without the new words: cut them all
            // again, so a query finds old and new alike.
            info!(
                documents = count,
                "the registry teaches the dictionary new words; rebuilding the search index"
            );
            let versions = app.rebuild(&self.index, Progress::Hidden).await?;
            self.seen.clear();
            self.remember(versions);
            return Ok(count);
        }
        self.index
            .upsert(&documents, newest.map(|at| at.to_rfc3339()))
            .map_err(search_error)?;
        info!(documents = count, "search index followed the registry");
        Ok(count)
    }

    /// Polls forever at an interval (run it in a task).
    pub async fn run(mut self, app: App, interval: Duration) {
        loop {
            if let Err(error) = self.step(&app).await {
                warn!(%error, "search index could not follow the registry; retrying");
            }
            tokio::time::sleep(interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use labbridge_search::Hit;

    use super::*;

    fn hit(institution: &str, name: &str, score: f32) -> Hit {
        Hit {
            kind: Kind::Expert,
            id: name.to_owned(),
            name: name.to_owned(),
            institution: Some(institution.to_owned()),
            title: None,
            score,
            snippet: String::new(),
            fields: Vec::new(),
            programs: Vec::new(),
            province: None,
            level: None,
        }
    }

    #[test]
    fn a_few_strong_matches_beat_many_weak_ones_and_placeholders_are_skipped() {
        let mut hits = vec![hit("未知", "无名", 9.0), hit("其他", "某人", 8.0)];
        hits.extend([hit("小而精大学", "甲", 6.0), hit("小而精大学", "乙", 5.0)]);
        hits.extend((0..20).map(|index| hit("综合大学", &format!("丙{index}"), 1.5)));
        hits.push(hit("单人学院", "丁", 7.0));
        let ranked = rank_institutions(&hits, 10);
        let names: Vec<&str> = ranked.iter().map(|row| row.institution.as_str()).collect();
        // Summing would put 综合大学 (30.0) first.
        assert_eq!(names, ["小而精大学", "单人学院", "综合大学"]);
        assert!((ranked[0].score - 11.0 / 3.0).abs() < 1e-6);
        assert_eq!(ranked[2].experts, 20);
        assert!(is_unknown_institution(" Unknown ") && is_unknown_institution("未知单位"));
        assert_eq!(institution_key(" 北科大 "), "北京科技大学");
        assert_eq!(institution_key("清華大學"), institution_key("清华大学"));
        assert!(!is_unknown_institution("山东大学"));
    }
}
