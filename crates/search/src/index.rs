//! The [`SearchIndex`]: opening (and deciding when to rebuild), writing, and searching.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use jieba_rs::Jieba;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::query;
use crate::schema::{self, BIGRAMS, Fields, WORDS};
use crate::snippet::Highlighter;
use crate::text::{ChineseTokenizer, MAX_LEARNED, jieba_with};
use crate::{Error, Result};

/// What can be searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An expert.
    Expert,
    /// A lab or research centre.
    Lab,
    /// A talent programme.
    Program,
    /// An enterprise's technical need (staff only).
    Need,
    /// A technology offer (科技成果).
    Offer,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Expert,
        Kind::Lab,
        Kind::Program,
        Kind::Need,
        Kind::Offer,
    ];

    /// Returns the API name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Expert => "expert",
            Kind::Lab => "lab",
            Kind::Program => "program",
            Kind::Need => "need",
            Kind::Offer => "offer",
        }
    }

    /// Parses the API name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == raw.trim())
    }
}

/// One thing to index, derived from a registry record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Its kind.
    pub kind: Option<Kind>,
    /// The registry id.
    pub id: String,
    /// Name (a need's title).
    pub name: String,
    /// Institution.
    pub institution: Option<String>,
    /// Title (教授 …).
    pub title: Option<String>,
    /// Fields and keywords.
    pub fields: Vec<String>,
    /// Bio or description.
    pub body: String,
    /// Programme names.
    pub programs: Vec<String>,
    /// Lab name.
    pub lab: Option<String>,
    /// Level.
    pub level: Option<String>,
    /// Province.
    pub province: Option<String>,
}

/// Filters that narrow a search (all must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    /// Institution, exact.
    pub institution: Option<String>,
    /// Province, exact.
    pub province: Option<String>,
    /// Programme name, exact.
    pub program: Option<String>,
    /// Level, exact.
    pub level: Option<String>,
    /// Field or keyword, exact.
    pub field: Option<String>,
}

/// A search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Request {
    /// The user's text, as typed; any text is valid. Empty browses.
    pub text: String,
    /// Kinds to return; empty means experts, labs, programmes and offers (never needs).
    pub kinds: Vec<Kind>,
    /// Filters.
    pub filters: Filters,
    /// Page size (at most 100).
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Whether to count facets.
    pub facets: bool,
    /// Treat the text as a long description ("similar to this need") rather than a query.
    pub similar: bool,
}

/// One hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Its kind.
    pub kind: Kind,
    /// The registry id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Institution.
    pub institution: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Relevance score.
    pub score: f32,
    /// Escaped HTML with the matches in `<em>`.
    pub snippet: String,
    /// Fields and keywords.
    pub fields: Vec<String>,
    /// Programme names.
    pub programs: Vec<String>,
    /// Province.
    pub province: Option<String>,
    /// Level.
    pub level: Option<String>,
}

/// A facet value and how many matching documents carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    /// The value.
    pub value: String,
    /// Matching documents with it.
    pub count: u64,
}

/// Facet counts over all matching documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// By kind.
    pub kind: Vec<FacetCount>,
    /// By institution (top 20).
    pub institution: Vec<FacetCount>,
    /// By province.
    pub province: Vec<FacetCount>,
    /// By programme.
    pub program: Vec<FacetCount>,
    /// By level.
    pub level: Vec<FacetCount>,
    /// By field (top 20).
    pub field: Vec<FacetCount>,
}

/// The answer to a [`Request`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Results {
    /// Matching documents.
    pub total: usize,
    /// The page of hits.
    pub hits: Vec<Hit>,
    /// Facet counts, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
}

/// What the index last saw of the registry, committed with the index itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The schema and dictionary version the index was built with.
    pub version: String,
    /// The registry's change mark the index is up to date with (opaque to this crate).
    pub watermark: Option<String>,
    /// The words the dictionary learned from the registry when the index was built (see
    /// [`vocabulary_of`]); its documents were cut with them, so queries must be too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learned: Vec<String>,
}

/// How an index was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// It exists and matches this version: follow changes from its checkpoint.
    Current,
    /// It is missing, corrupt or of another version and was reset: rebuild it from the registry.
    NeedsRebuild,
}

/// The search index.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Option<Mutex<IndexWriter>>,
    fields: Fields,
    path: Option<PathBuf>,
    cache: Mutex<ResultCache>,
    /// The learned words the documents are cut with (committed with every checkpoint).
    learned: RwLock<Arc<Vec<String>>>,
    /// The dictionary queries are cut with: the one the searchable documents were cut with.
    /// A rebuild that learns new words swaps it only once its documents are committed.
    querying: RwLock<Arc<Jieba>>,
}

/// Answers to recent requests, valid for one searcher generation (any commit the reader
/// loads empties it). Popular searches repeat — the same few materials and processes across
/// a county's enterprises — and an answer from here costs microseconds instead of a pass over
/// the posting lists.
struct ResultCache {
    generation: u64,
    entries: lru::LruCache<Request, Results>,
}

/// Requests whose answers are kept.
const CACHED_REQUESTS: usize = 1024;

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SearchIndex")
            .field("path", &self.path)
            .field("writable", &self.writer.is_some())
            .finish()
    }
}

/// The writer's indexing arena, split between its threads.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

fn register_tokenizers(index: &Index, jieba: Arc<Jieba>) {
    index.tokenizers().register(
        WORDS,
        TextAnalyzer::builder(ChineseTokenizer::words_with(jieba)).build(),
    );
    index.tokenizers().register(
        BIGRAMS,
        TextAnalyzer::builder(ChineseTokenizer::bigrams()).build(),
    );
}

impl SearchIndex {
    /// Creates an index in memory (tests, tools).
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        Self::finish(index, fields, None, true, Vec::new())
    }

    /// Opens the index in a directory for writing, creating or resetting it when it is
    /// missing, corrupt or of another version. Fails with [`Error::Busy`] when another process
    /// holds the writer.
    pub fn open(path: &Path) -> Result<(Self, Opened)> {
        std::fs::create_dir_all(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let (schema, fields) = schema::build();
        let existing = Self::open_existing(path);
        if let Some((index, _)) = &existing
            && let Err(tantivy::TantivyError::LockFailure(_, _)) =
                index.writer::<TantivyDocument>(WRITER_MEMORY)
        {
            return Err(Error::Busy(path.display().to_string()));
        }
        // Checked only now that this process holds the writer: a command that finds a server
        // running reads nothing twice, and only the writer can repair what it finds.
        let current = existing.filter(|(index, checkpoint)| {
            checkpoint.version == schema::version()
                && index.schema() == schema
                && Self::undamaged(path, index, true)
        });
        let (index, opened, learned) = match current {
            Some((index, checkpoint)) => (index, Opened::Current, checkpoint.learned),
            None => {
                tracing::info!(path = %path.display(), "search index missing, corrupt or outdated; recreating it");
                Self::reset_directory(path)?;
                let directory =
                    MmapDirectory::open(path).map_err(|error| Error::Tantivy(error.into()))?;
                (
                    Index::create(directory, schema, tantivy::IndexSettings::default())?,
                    Opened::NeedsRebuild,
                    Vec::new(),
                )
            }
        };
        Ok((
            Self::finish(index, fields, Some(path.to_path_buf()), true, learned)?,
            opened,
        ))
    }

    /// Opens an existing index for reading only (another process owns the writer).
    pub fn open_read_only(path: &Path) -> Result<Option<Self>> {
        let (schema, fields) = schema::build();
        match Self::open_existing(path) {
            Some((index, checkpoint))
                if checkpoint.version == schema::version()
                    && index.schema() == schema
                    && Self::undamaged(path, &index, false) =>
            {
                Ok(Some(Self::finish(
                    index,
                    fields,
                    Some(path.to_path_buf()),
                    false,
                    checkpoint.learned,
                )?))
            }
            _ => Ok(None),
        }
    }

    fn open_existing(path: &Path) -> Option<(Index, Checkpoint)> {
        let index = Index::open_in_dir(path).ok()?;
        let payload = index.load_metas().ok()?.payload?;
        let checkpoint: Checkpoint = serde_json::from_str(&payload).ok()?;
        Some((index, checkpoint))
    }

    /// Whether every segment the index lists opens (a missing or truncated file fails here, as
    /// it would later in the middle of serving) and, with `checksums`, every file's checksum
    /// matches (a flipped bit; this reads the whole index, so only the writer does it, once
    /// when it opens). The index is derived from the registry, so a damaged one is simply
    /// rebuilt; this is what lets `open` tell that it must be.
    fn undamaged(path: &Path, index: &Index, checksums: bool) -> bool {
        let damage = || -> std::result::Result<(), String> {
            for segment in index
                .searchable_segments()
                .map_err(|error| error.to_string())?
            {
                tantivy::SegmentReader::open(&segment)
                    .map_err(|error| format!("segment {}: {error}", segment.id().uuid_string()))?;
            }
            if !checksums {
                return Ok(());
            }
            let damaged = index
                .validate_checksum()
                .map_err(|error| error.to_string())?;
            match damaged.iter().next() {
                Some(file) => Err(format!(
                    "{} file(s) with a wrong checksum, e.g. {}",
                    damaged.len(),
                    file.display()
                )),
                None => Ok(()),
            }
        };
        match damage() {
            Ok(()) => true,
            Err(damage) => {
                tracing::warn!(path = %path.display(), %damage, "search index damaged");
                false
            }
        }
    }

    fn reset_directory(path: &Path) -> Result<()> {
        let entries = std::fs::read_dir(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        for entry in entries.flatten() {
            let entry_path = entry.path();
            let removed = if entry_path.is_dir() {
                std::fs::remove_dir_all(&entry_path)
            } else {
                std::fs::remove_file(&entry_path)
            };
            removed.map_err(|source| Error::Io {
                path: entry_path.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }

    fn finish(
        index: Index,
        fields: Fields,
        path: Option<PathBuf>,
        writable: bool,
        learned: Vec<String>,
    ) -> Result<Self> {
        let jieba = jieba_with(&learned);
        register_tokenizers(&index, jieba.clone());
        let writer = if writable {
            match index.writer(WRITER_MEMORY) {
                Ok(writer) => Some(Mutex::new(writer)),
                Err(tantivy::TantivyError::LockFailure(_, _)) => {
                    return Err(Error::Busy(
                        path.map(|path| path.display().to_string())
                            .unwrap_or_default(),
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        } else {
            None
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer,
            fields,
            path,
            cache: Mutex::new(ResultCache {
                generation: u64::MAX,
                entries: lru::LruCache::new(
                    std::num::NonZeroUsize::new(CACHED_REQUESTS)
                        .unwrap_or(std::num::NonZeroUsize::MIN),
                ),
            }),
            learned: RwLock::new(Arc::new(learned)),
            querying: RwLock::new(jieba),
        })
    }

    /// The words the index's dictionary learned from the registry.
    pub fn learned(&self) -> Arc<Vec<String>> {
        self.learned
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Whether these documents teach a word the index has not learned: then it must be rebuilt
    /// (with [`vocabulary_of`] the whole registry) for the documents it holds to be cut like
    /// the new ones. Never once the index knows [`MAX_LEARNED`] words.
    pub fn teaches_new_words(&self, documents: &[Document]) -> bool {
        let learned = self.learned();
        learned.len() < MAX_LEARNED
            && vocabulary_of(documents)
                .iter()
                .any(|word| learned.binary_search(word).is_err())
    }

    fn querying(&self) -> Arc<Jieba> {
        self.querying
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Returns the checkpoint of the last commit.
    pub fn checkpoint(&self) -> Checkpoint {
        self.index
            .load_metas()
            .ok()
            .and_then(|metas| metas.payload)
            .and_then(|payload| serde_json::from_str(&payload).ok())
            .unwrap_or_default()
    }

    /// Returns the number of indexed documents.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Returns whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>> {
        let writer = self.writer.as_ref().ok_or(Error::ReadOnly)?;
        Ok(writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    fn to_tantivy(&self, document: &Document) -> Option<TantivyDocument> {
        let fields = &self.fields;
        let kind = document.kind?;
        let mut out = TantivyDocument::default();
        out.add_text(fields.key, format!("{}:{}", kind.name(), document.id));
        out.add_text(fields.kind, kind.name());
        out.add_text(fields.id, &document.id);
        out.add_text(fields.name, &document.name);
        out.add_facet(fields.facets, Facet::from_path(["kind", kind.name()]));
        if let Some(institution) = &document.institution {
            out.add_text(fields.institution, institution);
            out.add_facet(
                fields.facets,
                Facet::from_path(["institution", institution.as_str()]),
            );
        }
        if let Some(title) = &document.title {
            out.add_text(fields.title, title);
        }
        for field in &document.fields {
            out.add_text(fields.fields, field);
            out.add_text(fields.bigrams, field);
            out.add_facet(fields.facets, Facet::from_path(["field", field.as_str()]));
        }
        out.add_text(fields.body, &document.body);
        for program in &document.programs {
            out.add_text(fields.programs, program);
            out.add_facet(
                fields.facets,
                Facet::from_path(["program", program.as_str()]),
            );
        }
        if let Some(lab) = &document.lab {
            out.add_text(fields.lab, lab);
        }
        if let Some(level) = &document.level {
            out.add_text(fields.level, level);
            out.add_facet(fields.facets, Facet::from_path(["level", level.as_str()]));
        }
        if let Some(province) = &document.province {
            out.add_text(fields.province, province);
            out.add_facet(
                fields.facets,
                Facet::from_path(["province", province.as_str()]),
            );
        }
        out.add_text(fields.bigrams, &document.name);
        out.add_text(fields.bigrams, &document.body);
        Some(out)
    }

    fn commit(&self, writer: &mut IndexWriter, watermark: Option<String>) -> Result<()> {
        let checkpoint = Checkpoint {
            version: schema::version(),
            watermark,
            learned: self.learned().as_ref().clone(),
        };
        let payload = serde_json::to_string(&checkpoint).unwrap_or_default();
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Replaces the whole index with these documents, committing once at the end. `learned`
    /// is what the dictionary learns first ([`vocabulary_of`] the documents, or the same
    /// computed from the registry): the documents are cut with it, and queries are once they
    /// are committed.
    pub fn rebuild(
        &self,
        learned: Vec<String>,
        documents: impl IntoIterator<Item = Document>,
        watermark: Option<String>,
        mut progress: impl FnMut(u64),
    ) -> Result<u64> {
        let mut writer = self.writer()?;
        let jieba = jieba_with(&learned);
        register_tokenizers(&self.index, jieba.clone());
        *self
            .learned
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(learned);
        // Merging is done once at the end; background merges would race with it.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let outcome = self.fill(&mut writer, documents, watermark, &mut progress);
        writer.set_merge_policy(Box::new(LogMergePolicy::default()));
        let added = outcome?;
        *self
            .querying
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = jieba;
        progress(added);
        Ok(added)
    }

    fn fill(
        &self,
        writer: &mut IndexWriter,
        documents: impl IntoIterator<Item = Document>,
        watermark: Option<String>,
        progress: &mut impl FnMut(u64),
    ) -> Result<u64> {
        writer.delete_all_documents()?;
        let mut added = 0;
        for document in documents {
            if let Some(tantivy_document) = self.to_tantivy(&document) {
                writer.add_document(tantivy_document)?;
                added += 1;
                if added % 1000 == 0 {
                    progress(added);
                }
            }
        }
        self.commit(writer, watermark)?;
        // One segment answers a query with one pass over each posting list; the several that
        // parallel indexing leaves would each pay the query's set-up again.
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            match writer.merge(&segments).wait() {
                Ok(_) => self.reader.reload()?,
                Err(error) => tracing::warn!(%error, "could not merge the rebuilt index"),
            }
        }
        Ok(added)
    }

    /// Commits nothing new but a new watermark (after a rebuild whose watermark was only known
    /// once every document had been read).
    pub fn set_watermark(&self, watermark: Option<String>) -> Result<()> {
        let mut writer = self.writer()?;
        self.commit(&mut writer, watermark)
    }

    /// Adds or replaces documents (by kind and id) and commits with a new watermark.
    pub fn upsert(&self, documents: &[Document], watermark: Option<String>) -> Result<()> {
        let mut writer = self.writer()?;
        for document in documents {
            let Some(kind) = document.kind else { continue };
            writer.delete_term(Term::from_field_text(
                self.fields.key,
                &format!("{}:{}", kind.name(), document.id),
            ));
            if let Some(tantivy_document) = self.to_tantivy(document) {
                writer.add_document(tantivy_document)?;
            }
        }
        self.commit(&mut writer, watermark)
    }

    /// Searches (answering from the cache when the same request was answered since the last
    /// commit the reader loaded).
    pub fn search(&self, request: &Request) -> Result<Results> {
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        {
            let mut cache = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if cache.generation != generation {
                cache.entries.clear();
                cache.generation = generation;
            }
            if let Some(results) = cache.entries.get(request) {
                return Ok(results.clone());
            }
        }
        let results = self.run(&searcher, request)?;
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.generation == generation {
            cache.entries.put(request.clone(), results.clone());
        }
        Ok(results)
    }

    /// Searches without the cache (what a request nobody asked before costs).
    pub fn search_uncached(&self, request: &Request) -> Result<Results> {
        self.run(&self.reader.searcher(), request)
    }

    fn run(&self, searcher: &tantivy::Searcher, request: &Request) -> Result<Results> {
        let jieba = self.querying();
        let plan = if request.similar {
            query::plan_similar_with(&jieba, &request.text)
        } else {
            query::plan_with(&jieba, &request.text)
        };
        let text = query::build(&plan, &self.fields);
        let browsing = text.is_none();
        let minimum_should = usize::from(!browsing);
        let mut clauses = text.unwrap_or_default();
        let kinds: Vec<Kind> = if request.kinds.is_empty() {
            vec![Kind::Expert, Kind::Lab, Kind::Program, Kind::Offer]
        } else {
            request.kinds.clone()
        };
        // Kinds are left out rather than required: excluding the few needs costs a scan of a
        // short posting list, while requiring "expert or lab or programme" would intersect
        // nearly every document with the text's disjunction.
        for kind in Kind::ALL {
            if !kinds.contains(&kind) {
                clauses.push((Occur::MustNot, self.facet_query("kind", kind.name())));
            }
        }
        let filters = &request.filters;
        for (facet, value) in [
            ("institution", &filters.institution),
            ("province", &filters.province),
            ("program", &filters.program),
            ("level", &filters.level),
            ("field", &filters.field),
        ] {
            if let Some(value) = value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
            {
                clauses.push((
                    Occur::Must,
                    Box::new(BoostQuery::new(self.facet_query(facet, value), 0.0)),
                ));
            }
        }
        if browsing {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        let final_query = BooleanQuery::with_minimum_required_clauses(clauses, minimum_should);
        let limit = request.limit.clamp(1, 100);
        let offset = request.offset.min(10_000);
        // With a phrase bonus to add, fetch some more candidates than the page shows: the bonus
        // may lift one of them onto the page.
        let fetched = if plan.phrase.len() >= 2 {
            offset + limit + RESCORED_EXTRA
        } else {
            offset + limit
        };
        let top = TopDocs::with_limit(fetched).order_by_score();
        let (top_docs, total, facet_counts) = if request.facets {
            let mut facets = FacetCollector::for_field("facets");
            for name in [
                "/kind",
                "/institution",
                "/province",
                "/program",
                "/level",
                "/field",
            ] {
                facets.add_facet(name);
            }
            let (top_docs, total, counts) = searcher.search(&final_query, &(top, Count, facets))?;
            (top_docs, total, Some(counts))
        } else {
            let (top_docs, total) = searcher.search(&final_query, &(top, Count))?;
            (top_docs, total, None)
        };
        let top_docs = crate::phrase::add_bonus(searcher, &self.fields, &plan, top_docs)?;
        let highlighter = Highlighter::new(&plan);
        let mut hits = Vec::with_capacity(limit);
        for (score, address) in top_docs.into_iter().skip(offset).take(limit) {
            let document: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&document, score, &highlighter));
        }
        let facets = facet_counts.map(|counts| Facets {
            kind: facet_values(&counts, "/kind", 10),
            institution: facet_values(&counts, "/institution", 20),
            province: facet_values(&counts, "/province", 40),
            program: facet_values(&counts, "/program", 20),
            level: facet_values(&counts, "/level", 20),
            field: facet_values(&counts, "/field", 20),
        });
        Ok(Results {
            total,
            hits,
            facets,
        })
    }

    fn facet_query(&self, facet: &str, value: &str) -> Box<dyn Query> {
        let term = Term::from_facet(self.fields.facets, &Facet::from_path([facet, value]));
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    }

    fn hit(&self, document: &TantivyDocument, score: f32, highlighter: &Highlighter) -> Hit {
        let fields = &self.fields;
        let text = |field| {
            document
                .get_first(field)
                .and_then(|value| value.as_str())
                .map(str::to_owned)
        };
        let all = |field| {
            document
                .get_all(field)
                .filter_map(|value| value.as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        let snippet = highlighter.snippet(&text(fields.body).unwrap_or_default());
        Hit {
            kind: text(fields.kind)
                .as_deref()
                .and_then(Kind::parse)
                .unwrap_or(Kind::Expert),
            id: text(fields.id).unwrap_or_default(),
            name: text(fields.name).unwrap_or_default(),
            institution: text(fields.institution),
            title: text(fields.title),
            score,
            snippet,
            fields: all(fields.fields),
            programs: all(fields.programs),
            province: text(fields.province),
            level: text(fields.level),
        }
    }

    /// The floor for benchmarks: the text's words OR-ed as bare term queries on the body field,
    /// top documents by score, nothing else (no boosts, phrases, snippets or stored fields).
    pub fn bare_term_search(&self, text: &str, limit: usize) -> Result<Vec<DocAddress>> {
        let plan = query::plan_with(&self.querying(), text);
        let clauses: Vec<(Occur, Box<dyn Query>)> = plan
            .words
            .iter()
            .map(|word| {
                let term = Term::from_field_text(self.fields.body, &word.text);
                (
                    Occur::Should,
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) as Box<dyn Query>,
                )
            })
            .collect();
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        Ok(top.into_iter().map(|(_, address)| address).collect())
    }
}

/// The words documents teach the dictionary ([`crate::text::vocabulary`]): the `fields` of
/// experts and labs, and lab names (a lab's own, an expert's lab).
pub fn vocabulary_of(documents: &[Document]) -> Vec<String> {
    let partners = || {
        documents
            .iter()
            .filter(|document| matches!(document.kind, Some(Kind::Expert | Kind::Lab)))
    };
    crate::text::vocabulary(
        partners().flat_map(|document| document.fields.iter().map(String::as_str)),
        partners().filter_map(|document| match document.kind {
            Some(Kind::Lab) => Some(document.name.as_str()),
            _ => document.lab.as_deref(),
        }),
    )
}

/// Candidates beyond the page that the phrase bonus re-scores.
const RESCORED_EXTRA: usize = 40;

fn facet_values(
    counts: &tantivy::collector::FacetCounts,
    facet: &str,
    limit: usize,
) -> Vec<FacetCount> {
    counts
        .top_k(facet, limit)
        .into_iter()
        .map(|(facet, count)| FacetCount {
            value: facet
                .to_path()
                .last()
                .map(|segment| (*segment).to_owned())
                .unwrap_or_default(),
            count,
        })
        .collect()
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    crate::snippet::escape_into(text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expert(id: &str, name: &str, institution: &str, fields: &[&str], body: &str) -> Document {
        Document {
            kind: Some(Kind::Expert),
            id: id.to_owned(),
            name: name.to_owned(),
            institution: Some(institution.to_owned()),
            fields: fields.iter().map(|field| (*field).to_owned()).collect(),
            body: body.to_owned(),
            province: Some("北京市".to_owned()),
            ..Document::default()
        }
    }

    fn index() -> SearchIndex {
        let index = SearchIndex::in_memory().expect("index");
        index
            .rebuild(
                Vec::new(),
                vec![
                    expert(
                        "x1",
                        "王伟",
                        "北京科技大学",
                        &["铝合金", "热处理"],
                        "主要从事6061-T6铝合金热处理和时效研究。",
                    ),
                    expert(
                        "x2",
                        "李娜",
                        "中国药科大学",
                        &["药物合成"],
                        "主要从事小分子药物合成研究。",
                    ),
                    expert(
                        "x3",
                        "张强",
                        "吉林大学",
                        &["轻量化", "压铸"],
                        "研究汽车铝合金一体化压铸与轻量化设计。",
                    ),
                    Document {
                        kind: Some(Kind::Need),
                        id: "n1".into(),
                        name: "铝合金热处理攻关".into(),
                        body: "热处理".into(),
                        ..Document::default()
                    },
                ],
                Some("w1".into()),
                |_| {},
            )
            .expect("rebuild");
        index
    }

    fn ids(results: &Results) -> Vec<&str> {
        results.hits.iter().map(|hit| hit.id.as_str()).collect()
    }

    fn search(index: &SearchIndex, text: &str) -> Results {
        index
            .search(&Request {
                text: text.to_owned(),
                limit: 10,
                ..Request::default()
            })
            .expect("search")
    }

    #[test]
    fn finds_by_chinese_words_grades_and_aliases() {
        let index = index();
        assert_eq!(ids(&search(&index, "铝合金热处理"))[0], "x1");
        assert_eq!(ids(&search(&index, "6061")), ["x1"]);
        assert_eq!(ids(&search(&index, "T6 热处理"))[0], "x1");
        assert_eq!(ids(&search(&index, "北科大"))[0], "x1");
        assert_eq!(
            ids(&search(&index, "处理"))[0],
            "x1",
            "inner words are found"
        );
        assert!(
            ids(&search(&index, "减重")).contains(&"x3"),
            "synonyms expand"
        );
    }

    #[test]
    fn the_phrase_bonus_ranks_words_together_first_and_pages_stay_consistent() {
        let index = SearchIndex::in_memory().expect("index");
        // Same words, same length; only "apart" separates them by more than the slop.
        let together = "研究铝合金热处理工艺，兼顾表面质量与生产效率的提升问题。";
        let apart = "研究铝合金材料的表面质量与生产效率，兼顾热处理工艺问题。";
        let mut documents = Vec::new();
        for number in 0..30 {
            let body = if number % 2 == 0 { apart } else { together };
            documents.push(expert(
                &format!("x{number:02}"),
                "专家",
                "某大学",
                &[],
                body,
            ));
        }
        index
            .rebuild(Vec::new(), documents, None, |_| {})
            .expect("rebuild");
        let page = |offset: usize, limit: usize| {
            index
                .search_uncached(&Request {
                    text: "铝合金 热处理".to_owned(),
                    limit,
                    offset,
                    ..Request::default()
                })
                .expect("search")
        };
        let all = page(0, 30);
        assert_eq!(all.total, 30);
        let first: Vec<&str> = all.hits[..15].iter().map(|hit| hit.id.as_str()).collect();
        assert!(
            first
                .iter()
                .all(|id| id[1..].parse::<u32>().is_ok_and(|n| n % 2 == 1)),
            "the fifteen with the words together come first: {first:?}"
        );
        assert!(all.hits[14].score > all.hits[15].score);
        // Pages cut the same ranking.
        let second = page(10, 10);
        let ids: Vec<&str> = second.hits.iter().map(|hit| hit.id.as_str()).collect();
        let expected: Vec<&str> = all.hits[10..20].iter().map(|hit| hit.id.as_str()).collect();
        assert_eq!(ids, expected);
    }

    #[test]
    fn needs_are_hidden_unless_asked_for() {
        let index = index();
        assert!(!ids(&search(&index, "铝合金热处理")).contains(&"n1"));
        let staff = index
            .search(&Request {
                text: "热处理".into(),
                kinds: vec![Kind::Need],
                limit: 10,
                ..Request::default()
            })
            .expect("search");
        assert_eq!(ids(&staff), ["n1"]);
    }

    #[test]
    fn snippets_are_escaped_and_highlighted() {
        let index = index();
        let results = search(&index, "热处理");
        assert!(
            results.hits[0].snippet.contains("<em>热处理</em>"),
            "{}",
            results.hits[0].snippet
        );
        assert_eq!(escape("<b>&"), "&lt;b&gt;&amp;");
    }

    #[test]
    fn the_dictionary_learns_compounds_from_fields_and_keeps_them() {
        // jieba's own dictionary cuts 辊弯成形 into 辊/弯/成形: once an expert's fields teach
        // it, it is one word, and a document that only shapes (成形) ranks far below.
        let documents = vec![
            expert(
                "x1",
                "王伟",
                "北京科技大学",
                &["辊弯成形"],
                "光伏支架的连续成形。",
            ),
            expert(
                "x2",
                "李强",
                "山东大学",
                &["冲压成形"],
                "冲压成形、挤压成形与成形极限，轧辊修复。",
            ),
        ];
        let learned = vocabulary_of(&documents);
        assert!(learned.contains(&"辊弯成形".to_owned()), "{learned:?}");
        let ratio = |results: &Results| {
            assert_eq!(ids(results), ["x1", "x2"]);
            results.hits[1].score / results.hits[0].score
        };
        let directory = tempfile::tempdir().expect("directory");
        let learned_ratio = {
            let (index, _) = SearchIndex::open(directory.path()).expect("open");
            assert!(index.teaches_new_words(&documents));
            index
                .rebuild(learned.clone(), documents.clone(), None, |_| {})
                .expect("rebuild");
            assert!(!index.teaches_new_words(&documents));
            ratio(&search(&index, "辊弯成形"))
        };
        assert!(learned_ratio < 0.5, "{learned_ratio}");
        // The words are kept with the index: reopened, it cuts queries the same way.
        let (index, opened) = SearchIndex::open(directory.path()).expect("reopen");
        assert_eq!(opened, Opened::Current);
        assert_eq!(index.learned().as_ref(), &learned);
        assert_eq!(index.checkpoint().learned, learned);
        assert_eq!(ratio(&search(&index, "辊弯成形")), learned_ratio);
        // Without the learned word the shaping document comes closer.
        let unlearned = SearchIndex::in_memory().expect("index");
        unlearned
            .rebuild(Vec::new(), documents, None, |_| {})
            .expect("rebuild");
        let unlearned_ratio = ratio(&search(&unlearned, "辊弯成形"));
        assert!(
            unlearned_ratio > learned_ratio,
            "{unlearned_ratio} {learned_ratio}"
        );
    }

    #[test]
    fn snippets_of_words_with_inner_words_do_not_panic() {
        // Regression: 深度学习 is cut 深度, 学习, 深度学习; out-of-order offsets made tantivy's
        // fragment search underflow.
        let index = SearchIndex::in_memory().expect("index");
        let body =
            "主要从事深度学习、图像识别、储能电池材料和电机噪声振动抑制等方向的研究。".repeat(6);
        index
            .rebuild(
                Vec::new(),
                vec![expert("x1", "王伟", "山东大学", &["深度学习"], &body)],
                None,
                |_| {},
            )
            .expect("rebuild");
        for query in ["深度学习图像识别", "储能电池材料", "电机噪声振动抑制"]
        {
            let results = search(&index, query);
            assert!(
                results.hits[0].snippet.contains("<em>"),
                "{query}: {}",
                results.hits[0].snippet
            );
        }
    }

    #[test]
    fn filters_facets_and_browsing() {
        let index = index();
        let filtered = index
            .search(&Request {
                text: "铝合金".into(),
                filters: Filters {
                    institution: Some("吉林大学".into()),
                    ..Filters::default()
                },
                limit: 10,
                facets: true,
                ..Request::default()
            })
            .expect("search");
        assert_eq!(ids(&filtered), ["x3"]);
        let facets = filtered.facets.expect("facets");
        assert_eq!(
            facets.institution,
            [FacetCount {
                value: "吉林大学".into(),
                count: 1
            }]
        );
        let browse = index
            .search(&Request {
                limit: 10,
                ..Request::default()
            })
            .expect("browse");
        assert_eq!(browse.total, 3);
    }

    #[test]
    fn upsert_replaces_and_checkpoint_is_committed() {
        let index = index();
        assert_eq!(index.checkpoint().watermark.as_deref(), Some("w1"));
        index
            .upsert(
                &[expert(
                    "x2",
                    "李娜",
                    "中国药科大学",
                    &["压铸"],
                    "转向研究压铸模具。",
                )],
                Some("w2".into()),
            )
            .expect("upsert");
        assert_eq!(index.len(), 4);
        assert!(ids(&search(&index, "压铸模具")).contains(&"x2"));
        assert!(!ids(&search(&index, "药物合成")).contains(&"x2"));
        assert_eq!(index.checkpoint().watermark.as_deref(), Some("w2"));
    }

    #[test]
    fn directory_index_rebuilds_when_missing_or_corrupt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, opened) = SearchIndex::open(dir.path()).expect("open");
        assert_eq!(opened, Opened::NeedsRebuild);
        first
            .rebuild(
                Vec::new(),
                vec![expert("x1", "王伟", "北京科技大学", &["铝合金"], "铝合金")],
                None,
                |_| {},
            )
            .expect("rebuild");
        assert!(
            matches!(SearchIndex::open(dir.path()), Err(Error::Busy(_))),
            "one writer per directory"
        );
        assert!(
            SearchIndex::open_read_only(dir.path())
                .expect("read")
                .is_some()
        );
        drop(first);
        let (_, opened) = SearchIndex::open(dir.path()).expect("reopen");
        assert_eq!(opened, Opened::Current);
        std::fs::write(dir.path().join("meta.json"), b"not json").expect("corrupt");
        let (reopened, opened) = SearchIndex::open(dir.path()).expect("reopen corrupt");
        assert_eq!(opened, Opened::NeedsRebuild);
        assert!(reopened.is_empty());
    }

    /// A segment file that is missing, cut short or has a flipped byte is found when the index
    /// is opened, which then asks for a rebuild instead of failing later.
    #[test]
    fn a_damaged_segment_is_found_at_open() {
        type Damage = fn(&std::path::Path);
        let damages: [(&str, Damage); 3] = [
            ("missing", |file| {
                std::fs::remove_file(file).expect("remove")
            }),
            ("truncated", |file| {
                let bytes = std::fs::read(file).expect("read");
                std::fs::write(file, &bytes[..bytes.len() / 2]).expect("truncate");
            }),
            ("flipped", |file| {
                let mut bytes = std::fs::read(file).expect("read");
                let middle = bytes.len() / 3;
                bytes[middle] ^= 0x5a;
                std::fs::write(file, bytes).expect("flip");
            }),
        ];
        for extension in ["idx", "store", "term", "fast"] {
            for (name, damage) in damages {
                let dir = tempfile::tempdir().expect("tempdir");
                {
                    let (index, _) = SearchIndex::open(dir.path()).expect("open");
                    index
                        .rebuild(
                            Vec::new(),
                            (0..50)
                                .map(|n| {
                                    expert(
                                        &format!("x{n}"),
                                        "王伟",
                                        "北京科技大学",
                                        &["铝合金"],
                                        "铝合金 热处理 挤压",
                                    )
                                })
                                .collect::<Vec<_>>(),
                            None,
                            |_| {},
                        )
                        .expect("rebuild");
                }
                let file = std::fs::read_dir(dir.path())
                    .expect("list")
                    .flatten()
                    .map(|entry| entry.path())
                    .find(|path| path.extension().is_some_and(|found| found == extension))
                    .unwrap_or_else(|| panic!("a .{extension} file"));
                damage(&file);
                let (reopened, opened) = SearchIndex::open(dir.path())
                    .unwrap_or_else(|error| panic!("{name} .{extension}: {error}"));
                assert_eq!(opened, Opened::NeedsRebuild, "{name} .{extension}");
                assert!(reopened.is_empty(), "{name} .{extension}");
            }
        }
    }
}
