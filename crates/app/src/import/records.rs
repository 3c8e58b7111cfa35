//! Validating rows into registry records, kind by kind, collecting every problem.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use indicatif::ProgressBar;
use labbridge_domain::model::{
    IndustryChain, Level, NeedKind, NeedStatus, PartnerKind, PartnershipKind, RdInstitutionKind,
};
use labbridge_domain::text::{parse_bool, parse_date, split_list};
use labbridge_domain::{County, CreditCode, Divisions, Institutions};
use labbridge_store::entity::{
    enterprise, expert, lab, need, offer, partnership, program, rd_institution,
};
use labbridge_store::{DatabaseTransaction, EnterpriseRecord, ExpertRecord, RecordKind, Store};
use serde::Serialize;
use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use super::{ImportKind, Problem, Row};
use crate::{App, Result};

/// A validated record, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// An enterprise with its R&D institutions.
    Enterprise(EnterpriseRecord),
    /// A technical need.
    Need(need::Model),
    /// A lab.
    Lab(lab::Model),
    /// An expert with programme ids.
    Expert(ExpertRecord),
    /// A talent programme.
    Program(program::Model),
    /// A partnership.
    Partnership(partnership::Model),
    /// A technology offer.
    Offer(offer::Model),
}

impl Prepared {
    /// Returns the record's id.
    pub fn id(&self) -> &str {
        match self {
            Prepared::Enterprise(record) => &record.enterprise.id,
            Prepared::Need(model) => &model.id,
            Prepared::Lab(model) => &model.id,
            Prepared::Expert(record) => &record.expert.id,
            Prepared::Program(model) => &model.id,
            Prepared::Partnership(model) => &model.id,
            Prepared::Offer(model) => &model.id,
        }
    }

    /// Returns the hash of the record's content.
    pub fn content_hash(&self) -> &str {
        match self {
            Prepared::Enterprise(record) => &record.enterprise.content_hash,
            Prepared::Need(model) => &model.content_hash,
            Prepared::Lab(model) => &model.content_hash,
            Prepared::Expert(record) => &record.expert.content_hash,
            Prepared::Program(model) => &model.content_hash,
            Prepared::Partnership(model) => &model.content_hash,
            Prepared::Offer(model) => &model.content_hash,
        }
    }
}

/// What validation needs from the registry: ids that references may point to.
#[derive(Debug, Default)]
pub(super) struct Context {
    county: Option<&'static County>,
    credit_codes: HashMap<String, String>,
    enterprises: HashSet<String>,
    labs: HashSet<String>,
    experts: HashSet<String>,
    programs: Vec<(String, String)>,
}

impl Context {
    pub(super) async fn load(app: &App, kind: ImportKind) -> Result<Self> {
        let store: &Store = &app.store;
        let ids = |hashes: HashMap<String, String>| hashes.into_keys().collect::<HashSet<_>>();
        let mut context = Context {
            county: app.county().await?,
            ..Context::default()
        };
        match kind {
            ImportKind::Enterprises => context.credit_codes = store.credit_codes().await?,
            ImportKind::Needs => {
                context.enterprises = ids(store.content_hashes(RecordKind::Enterprises).await?)
            }
            ImportKind::Experts => {
                context.labs = ids(store.content_hashes(RecordKind::Labs).await?);
                context.programs = store.program_names().await?;
            }
            ImportKind::Partnerships => {
                context.enterprises = ids(store.content_hashes(RecordKind::Enterprises).await?);
                context.labs = ids(store.content_hashes(RecordKind::Labs).await?);
                context.experts = ids(store.content_hashes(RecordKind::Experts).await?);
            }
            ImportKind::Labs | ImportKind::Programs | ImportKind::Offers => {}
        }
        Ok(context)
    }
}

/// Reads one row's fields, recording each problem against the row.
struct Fields<'a> {
    row: &'a Row,
    problems: &'a mut Vec<Problem>,
}

fn value_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(text) => text.trim().to_owned(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Array(items) => items
            .iter()
            .filter_map(value_text)
            .collect::<Vec<_>>()
            .join("；"),
        Value::Object(_) => return None,
    };
    (!text.is_empty()).then_some(text)
}

impl Fields<'_> {
    fn problem(&mut self, field: &str, reason: impl Into<String>) {
        self.problems
            .push(Problem::row(self.row.number, Some(field), reason.into()));
    }

    fn optional(&mut self, field: &str) -> Option<String> {
        let value = self.row.cells.get(field)?;
        if value.is_object() {
            self.problem(field, "expected text, got an object");
            return None;
        }
        value_text(value)
    }

    fn required(&mut self, field: &str) -> Option<String> {
        let text = self.optional(field);
        if text.is_none() && !matches!(self.row.cells.get(field), Some(Value::Object(_))) {
            self.problem(field, "missing");
        }
        text
    }

    fn list(&mut self, field: &str) -> Vec<String> {
        match self.row.cells.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(value_text)
                .flat_map(|item| split_list(&item))
                .collect(),
            Some(other) => value_text(other)
                .map(|text| split_list(&text))
                .unwrap_or_default(),
        }
    }

    fn parsed<T>(
        &mut self,
        field: &str,
        required: bool,
        parse: impl FnOnce(&str) -> labbridge_domain::Result<T>,
    ) -> Option<T> {
        let text = if required {
            self.required(field)
        } else {
            self.optional(field)
        }?;
        match parse(&text) {
            Ok(value) => Some(value),
            Err(error) => {
                self.problem(field, error.to_string());
                None
            }
        }
    }

    fn boolean(&mut self, field: &str, required: bool) -> Option<bool> {
        match self.row.cells.get(field) {
            Some(Value::Bool(flag)) => Some(*flag),
            _ => self.parsed(field, required, parse_bool),
        }
    }

    fn integer(
        &mut self,
        field: &str,
        required: bool,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i32> {
        let text = if required {
            self.required(field)
        } else {
            self.optional(field)
        }?;
        let number = text.parse::<i64>().ok().or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|number| number.fract() == 0.0)
                .map(|number| number as i64)
        });
        match number {
            Some(number) if range.contains(&number) => i32::try_from(number).ok(),
            Some(number) => {
                self.problem(
                    field,
                    format!(
                        "{number} is out of range ({}–{})",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
            None => {
                self.problem(field, format!("'{text}' is not a whole number"));
                None
            }
        }
    }

    fn date(&mut self, field: &str, required: bool) -> Option<NaiveDate> {
        self.parsed(field, required, parse_date)
    }

    fn email(&mut self, field: &str) -> Option<String> {
        let email = self.optional(field)?;
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }) && !email.contains(char::is_whitespace);
        if !valid {
            self.problem(field, format!("'{email}' is not an e-mail address"));
            return None;
        }
        Some(email)
    }

    fn province(&mut self, field: &str) -> Option<String> {
        let raw = self.optional(field)?;
        match Divisions::embedded().province(&raw) {
            Some(province) => Some(province.to_owned()),
            None => {
                self.problem(field, format!("'{raw}' is not a province"));
                None
            }
        }
    }
}

fn content_hash<T: Serialize>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    format!("{:016x}", xxh3_64(&bytes))
}

fn encode_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// Validates rows one at a time, remembering what later rows are checked against (ids and
/// credit codes seen): a file can be checked as it streams, without holding its rows.
pub(super) struct Preparer<'a> {
    kind: ImportKind,
    context: &'a Context,
    seen_ids: HashMap<String, usize>,
    seen_codes: HashMap<String, (usize, String)>,
    now: DateTime<Utc>,
}

impl<'a> Preparer<'a> {
    pub(super) fn new(kind: ImportKind, context: &'a Context) -> Self {
        Self {
            kind,
            context,
            seen_ids: HashMap::new(),
            seen_codes: HashMap::new(),
            now: Utc::now(),
        }
    }

    /// Validates one row: its record, or `None` with its problems recorded.
    pub(super) fn prepare(&mut self, row: &Row, problems: &mut Vec<Problem>) -> Option<Prepared> {
        let before = problems.len();
        let mut fields = Fields { row, problems };
        let id = fields.required("id");
        if let Some(id) = &id {
            if id.chars().count() > 128 || id.chars().any(char::is_control) {
                fields.problem(
                    "id",
                    "an id has at most 128 characters and no control characters",
                );
            } else if let Some(first) = self.seen_ids.get(id) {
                fields.problem("id", format!("duplicate id '{id}' (first on row {first})"));
            } else {
                self.seen_ids.insert(id.clone(), row.number);
            }
        }
        let context = self.context;
        let record = match self.kind {
            ImportKind::Programs => prepare_program(&mut fields),
            ImportKind::Labs => prepare_lab(&mut fields),
            ImportKind::Experts => prepare_expert(&mut fields, context),
            ImportKind::Enterprises => {
                prepare_enterprise(&mut fields, context, &mut self.seen_codes, id.as_deref())
            }
            ImportKind::Needs => prepare_need(&mut fields, context),
            ImportKind::Partnerships => prepare_partnership(&mut fields, context),
            ImportKind::Offers => prepare_offer(&mut fields),
        };
        if problems.len() > before {
            return None;
        }
        let (id, mut record) = (id?, record?);
        stamp(&mut record, id, self.now);
        Some(record)
    }
}

/// Validates every row; returns the records of the valid ones and records problems.
pub(super) fn prepare(
    kind: ImportKind,
    context: &Context,
    rows: Vec<Row>,
    problems: &mut Vec<Problem>,
    bar: &ProgressBar,
) -> Vec<Prepared> {
    let mut preparer = Preparer::new(kind, context);
    let mut prepared = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        if index % 1024 == 0 {
            bar.set_position(index as u64);
        }
        prepared.extend(preparer.prepare(row, problems));
    }
    bar.set_position(rows.len() as u64);
    prepared
}

/// Sets the id, the content hash (of everything but hash and time) and the update time.
fn stamp(record: &mut Prepared, id: String, now: DateTime<Utc>) {
    match record {
        Prepared::Enterprise(record) => {
            record.enterprise.id = id;
            record.enterprise.content_hash =
                content_hash(&(&record.enterprise, &record.institutions));
            record.enterprise.updated_at = now;
        }
        Prepared::Expert(record) => {
            record.expert.id = id;
            record.expert.content_hash = content_hash(&(&record.expert, &record.programs));
            record.expert.updated_at = now;
        }
        Prepared::Need(model) => {
            model.id = id;
            model.content_hash = content_hash(model);
            model.updated_at = now;
        }
        Prepared::Lab(model) => {
            model.id = id;
            model.content_hash = content_hash(model);
            model.updated_at = now;
        }
        Prepared::Program(model) => {
            model.id = id;
            model.content_hash = content_hash(model);
            model.updated_at = now;
        }
        Prepared::Partnership(model) => {
            model.id = id;
            model.content_hash = content_hash(model);
            model.updated_at = now;
        }
        Prepared::Offer(model) => {
            model.id = id;
            model.content_hash = content_hash(model);
            model.updated_at = now;
        }
    }
}

fn prepare_program(fields: &mut Fields) -> Option<Prepared> {
    let name = fields.required("name");
    let level = fields.parsed("level", true, Level::parse);
    let description = fields.optional("description");
    Some(Prepared::Program(program::Model {
        id: String::new(),
        name: name?,
        level: level?.code().to_owned(),
        description,
        content_hash: String::new(),
        updated_at: epoch(),
    }))
}

/// The institution of a lab or an expert: normalised, or the explicit unknown (未知) when the
/// source gives none or a placeholder (不详, 其他 …).
fn institution(
    fields: &mut Fields,
) -> Option<(labbridge_domain::Institution, Option<&'static str>)> {
    let unknown = labbridge_domain::Institution {
        name: labbridge_domain::UNKNOWN_INSTITUTION.to_owned(),
        university: false,
    };
    let institution = match fields.optional("institution") {
        Some(raw) if !labbridge_domain::is_unknown_institution(&raw) => {
            match Institutions::embedded().normalize(&raw) {
                Ok(institution) => institution,
                Err(error) => {
                    fields.problem("institution", error.to_string());
                    return None;
                }
            }
        }
        _ => unknown,
    };
    let institutions = Institutions::embedded();
    let province = institutions
        .university(&institution.name)
        .and_then(|university| institutions.province_of(university));
    Some((institution, province))
}

fn prepare_lab(fields: &mut Fields) -> Option<Prepared> {
    let name = fields.required("name");
    let institution = institution(fields);
    let level = fields.optional("level");
    let lab_fields = fields.list("fields");
    let description = fields.optional("description");
    let province = fields.province("province");
    let email = fields.email("email");
    let capacity = fields.integer("capacity", false, 0..=1000);
    let (institution, university_province) = institution?;
    Some(Prepared::Lab(lab::Model {
        id: String::new(),
        name: name?,
        at_university: institution.university,
        institution: institution.name,
        level,
        fields: encode_list(&lab_fields),
        description,
        province: province.or(university_province.map(str::to_owned)),
        email,
        capacity,
        content_hash: String::new(),
        updated_at: epoch(),
    }))
}

/// A technology offer: a technology market's listing often names only its holder, so the
/// institution may be blank (the explicit unknown).
fn prepare_offer(fields: &mut Fields) -> Option<Prepared> {
    let name = fields.required("name");
    let institution = institution(fields);
    let holder = fields.optional("holder");
    let offer_fields = fields.list("fields");
    let description = fields.optional("description");
    let patent = fields.optional("patent");
    let price = fields.optional("price");
    let (institution, _) = institution?;
    Some(Prepared::Offer(offer::Model {
        id: String::new(),
        name: name?,
        institution: institution.name,
        holder,
        fields: encode_list(&offer_fields),
        description,
        patent,
        price,
        content_hash: String::new(),
        updated_at: epoch(),
    }))
}

fn prepare_expert(fields: &mut Fields, context: &Context) -> Option<Prepared> {
    let name = fields.required("name");
    let institution = institution(fields);
    let title = fields.optional("title");
    let expert_fields = fields.list("fields");
    let bio = fields.optional("bio");
    let mut programs = Vec::new();
    for reference in fields.list("programs") {
        if context.programs.iter().any(|(id, _)| *id == reference) {
            programs.push(reference);
            continue;
        }
        let by_name: Vec<&String> = context
            .programs
            .iter()
            .filter(|(_, name)| *name == reference)
            .map(|(id, _)| id)
            .collect();
        match by_name.as_slice() {
            [id] => programs.push((*id).clone()),
            [] => fields.problem(
                "programs",
                format!("unknown programme '{reference}' (import programs first)"),
            ),
            _ => fields.problem(
                "programs",
                format!("programme name '{reference}' is ambiguous; use its id"),
            ),
        }
    }
    programs.sort();
    programs.dedup();
    let lab_id = fields.optional("lab");
    if let Some(lab_id) = &lab_id
        && !context.labs.contains(lab_id)
    {
        fields.problem("lab", format!("unknown lab '{lab_id}' (import labs first)"));
    }
    let province = fields.province("province");
    let email = fields.email("email");
    let capacity = fields.integer("capacity", false, 0..=1000);
    let open_to_post = fields.boolean("open_to_post", false).unwrap_or(false);
    let (institution, university_province) = institution?;
    Some(Prepared::Expert(ExpertRecord {
        expert: expert::Model {
            id: String::new(),
            name: name?,
            at_university: institution.university,
            institution: institution.name,
            title,
            fields: encode_list(&expert_fields),
            bio,
            lab_id,
            province: province.or(university_province.map(str::to_owned)),
            email,
            capacity,
            open_to_post,
            content_hash: String::new(),
            updated_at: epoch(),
        },
        programs,
    }))
}

fn prepare_enterprise(
    fields: &mut Fields,
    context: &Context,
    seen_codes: &mut HashMap<String, (usize, String)>,
    id: Option<&str>,
) -> Option<Prepared> {
    let name = fields.required("name");
    let credit_code = fields.parsed("credit_code", true, CreditCode::parse);
    if let (Some(code), Some(id)) = (&credit_code, id) {
        if let Some((row, other)) = seen_codes.get(code.as_str()) {
            if other != id {
                fields.problem("credit_code", format!("{code} is also on row {row}"));
            }
        } else {
            seen_codes.insert(code.as_str().to_owned(), (fields.row.number, id.to_owned()));
        }
        if let Some(holder) = context.credit_codes.get(code.as_str())
            && holder != id
        {
            fields.problem(
                "credit_code",
                format!("{code} already belongs to enterprise '{holder}'"),
            );
        }
    }
    let county = match fields.optional("county") {
        Some(raw) => match Divisions::embedded().county(&raw) {
            Ok(county) => Some(county),
            Err(error) => {
                fields.problem("county", error.to_string());
                None
            }
        },
        None if context.county.is_none() => {
            fields.problem(
                "county",
                "no county given and none configured (set LABBRIDGE_COUNTY or add a county column)",
            );
            None
        }
        None => context.county,
    };
    let town_raw = fields.required("town");
    let town = match (county, town_raw) {
        (Some(county), Some(raw)) => match Divisions::embedded().town(county, &raw) {
            Ok(town) => Some(town),
            Err(error) => {
                fields.problem("town", error.to_string());
                None
            }
        },
        _ => None,
    };
    let industry = fields.parsed("industry", true, IndustryChain::parse);
    let industry_code = fields.parsed(
        "industry_code",
        false,
        labbridge_domain::classification::industry,
    );
    let above_scale = fields.boolean("above_scale", true);
    let roster_year = fields.integer("roster_year", true, 1990..=2100);
    let products = fields.optional("products").unwrap_or_default();
    let rd_staff = fields
        .integer("rd_staff", false, 0..=1_000_000)
        .unwrap_or(0);
    let contact_email = fields.email("contact_email");
    let owner = fields.optional("owner");
    let institutions = rd_institutions(fields);
    let (county, town) = (county?, town?);
    Some(Prepared::Enterprise(EnterpriseRecord {
        enterprise: enterprise::Model {
            id: String::new(),
            name: name?,
            credit_code: credit_code?.as_str().to_owned(),
            county_code: county.code.clone(),
            town_code: town.code.clone(),
            town: town.name.clone(),
            industry: industry?.code().to_owned(),
            above_scale: above_scale?,
            roster_year: roster_year?,
            products,
            rd_staff,
            contact_email,
            owner,
            content_hash: String::new(),
            updated_at: epoch(),
            industry_code: industry_code.map(|industry| industry.code),
            sort_key: String::new(),
        },
        institutions: institutions?,
    }))
}

/// R&D institutions: a JSON array of objects, or one institution in `rd_*` columns.
fn rd_institutions(fields: &mut Fields) -> Option<Vec<rd_institution::Model>> {
    let mut found = Vec::new();
    let mut ok = true;
    match fields.row.cells.get("rd_institutions").cloned() {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                let Value::Object(object) = item else {
                    fields.problem(
                        "rd_institutions",
                        format!("item {} is not an object", index + 1),
                    );
                    ok = false;
                    continue;
                };
                let get = |key: &str| object.get(key).and_then(value_text);
                let label = format!("rd_institutions[{index}]");
                ok &= push_institution(
                    fields,
                    &label,
                    get("kind"),
                    get("level"),
                    get("number"),
                    get("recognized_on"),
                    get("review_due"),
                    &mut found,
                );
            }
        }
        Some(_) => {
            fields.problem(
                "rd_institutions",
                "expected a list of {kind, level, number, recognized_on, review_due}",
            );
            ok = false;
        }
    }
    let columns = [
        "rd_kind",
        "rd_level",
        "rd_number",
        "rd_recognized_on",
        "rd_review_due",
    ]
    .map(|column| fields.optional(column));
    if columns.iter().any(Option::is_some) {
        let [kind, level, number, recognized_on, review_due] = columns;
        ok &= push_institution(
            fields,
            "rd",
            kind,
            level,
            number,
            recognized_on,
            review_due,
            &mut found,
        );
    }
    ok.then_some(found)
}

#[allow(clippy::too_many_arguments)]
fn push_institution(
    fields: &mut Fields,
    label: &str,
    kind: Option<String>,
    level: Option<String>,
    number: Option<String>,
    recognized_on: Option<String>,
    review_due: Option<String>,
    found: &mut Vec<rd_institution::Model>,
) -> bool {
    let before = fields.problems.len();
    let field = |name: &str| {
        if label == "rd" {
            format!("rd_{name}")
        } else {
            format!("{label}.{name}")
        }
    };
    let kind = match kind.as_deref().map(RdInstitutionKind::parse) {
        Some(Ok(kind)) => Some(kind),
        Some(Err(error)) => {
            fields.problem(&field("kind"), error.to_string());
            None
        }
        None => {
            fields.problem(&field("kind"), "missing");
            None
        }
    };
    let level = match level.as_deref().map(Level::parse) {
        Some(Ok(level)) => Some(level),
        Some(Err(error)) => {
            fields.problem(&field("level"), error.to_string());
            None
        }
        None => None,
    };
    let recognized_on = match recognized_on.as_deref().map(parse_date) {
        Some(Ok(date)) => Some(date),
        Some(Err(error)) => {
            fields.problem(&field("recognized_on"), error.to_string());
            None
        }
        None => {
            fields.problem(&field("recognized_on"), "missing");
            None
        }
    };
    let review_due = match review_due.as_deref().map(parse_date) {
        Some(Ok(date)) => Some(date),
        Some(Err(error)) => {
            fields.problem(&field("review_due"), error.to_string());
            None
        }
        None => None,
    };
    if let (Some(from), Some(to)) = (recognized_on, review_due)
        && to < from
    {
        fields.problem(
            &field("review_due"),
            format!("{to} is before the recognition date {from}"),
        );
    }
    if fields.problems.len() > before {
        return false;
    }
    if let (Some(kind), Some(recognized_on)) = (kind, recognized_on) {
        found.push(rd_institution::Model {
            id: 0,
            enterprise_id: String::new(),
            kind: kind.code().to_owned(),
            level: level.map(|level| level.code().to_owned()),
            number,
            recognized_on,
            review_due,
        });
    }
    true
}

fn prepare_need(fields: &mut Fields, context: &Context) -> Option<Prepared> {
    let enterprise_id = enterprise_reference(fields, context);
    let title = fields.required("title");
    let description = fields.required("description");
    let need_fields = fields.list("fields");
    let kind = fields.parsed("kind", false, NeedKind::parse);
    let status = fields
        .parsed("status", false, NeedStatus::parse)
        .unwrap_or(NeedStatus::Open);
    let confidential = fields.boolean("confidential", false).unwrap_or(false);
    Some(Prepared::Need(need::Model {
        id: String::new(),
        enterprise_id: enterprise_id?,
        title: title?,
        description: description?,
        fields: encode_list(&need_fields),
        kind: kind.map(|kind| kind.code().to_owned()),
        status: status.code().to_owned(),
        confidential,
        content_hash: String::new(),
        updated_at: epoch(),
    }))
}

fn enterprise_reference(fields: &mut Fields, context: &Context) -> Option<String> {
    let enterprise_id = fields.required("enterprise")?;
    if !context.enterprises.contains(&enterprise_id) {
        fields.problem(
            "enterprise",
            format!("unknown enterprise '{enterprise_id}' (import enterprises first)"),
        );
        return None;
    }
    Some(enterprise_id)
}

fn prepare_partnership(fields: &mut Fields, context: &Context) -> Option<Prepared> {
    let enterprise_id = enterprise_reference(fields, context);
    let partner_kind = fields.parsed("partner_kind", true, PartnerKind::parse);
    let partner_raw = fields.required("partner");
    let partner = match (partner_kind, partner_raw) {
        (Some(PartnerKind::Lab), Some(id)) if !context.labs.contains(&id) => {
            fields.problem("partner", format!("unknown lab '{id}'"));
            None
        }
        (Some(PartnerKind::Expert), Some(id)) if !context.experts.contains(&id) => {
            fields.problem("partner", format!("unknown expert '{id}'"));
            None
        }
        (Some(PartnerKind::Institution), Some(name)) => {
            match Institutions::embedded().normalize(&name) {
                Ok(institution) => Some(institution.name),
                Err(error) => {
                    fields.problem("partner", error.to_string());
                    None
                }
            }
        }
        (_, partner) => partner,
    };
    let kind = fields.parsed("kind", true, PartnershipKind::parse);
    let valid_from = fields.date("valid_from", true);
    let valid_to = fields.date("valid_to", false);
    if let (Some(from), Some(to)) = (valid_from, valid_to)
        && to < from
    {
        fields.problem("valid_to", format!("{to} is before valid_from {from}"));
    }
    let evidence = fields.optional("evidence");
    Some(Prepared::Partnership(partnership::Model {
        id: String::new(),
        enterprise_id: enterprise_id?,
        partner_kind: partner_kind?.code().to_owned(),
        partner: partner?,
        kind: kind?.code().to_owned(),
        valid_from: valid_from?,
        valid_to,
        evidence,
        content_hash: String::new(),
        updated_at: epoch(),
        proposal_id: None,
        contract_number: None,
        registration_number: None,
    }))
}

/// Writes a batch of records of one kind inside the import's transaction.
pub(super) async fn write(transaction: &DatabaseTransaction, batch: &[Prepared]) -> Result<()> {
    let mut enterprises = Vec::new();
    let mut experts = Vec::new();
    let mut needs = Vec::new();
    let mut labs = Vec::new();
    let mut programs = Vec::new();
    let mut partnerships = Vec::new();
    let mut offers = Vec::new();
    for record in batch {
        match record {
            Prepared::Enterprise(record) => {
                let mut record = record.clone();
                for institution in &mut record.institutions {
                    institution.enterprise_id = record.enterprise.id.clone();
                }
                enterprises.push(record);
            }
            Prepared::Expert(record) => experts.push(record.clone()),
            Prepared::Need(model) => needs.push(model.clone()),
            Prepared::Lab(model) => labs.push(model.clone()),
            Prepared::Program(model) => programs.push(model.clone()),
            Prepared::Partnership(model) => partnerships.push(model.clone()),
            Prepared::Offer(model) => offers.push(model.clone()),
        }
    }
    Store::upsert_programs(transaction, programs).await?;
    Store::upsert_labs(transaction, labs).await?;
    Store::upsert_experts(transaction, &experts).await?;
    Store::upsert_enterprises(transaction, &enterprises).await?;
    Store::upsert_needs(transaction, needs).await?;
    Store::upsert_partnerships(transaction, partnerships).await?;
    Store::upsert_offers(transaction, offers).await?;
    Ok(())
}
