//! The proposal loop: review, sending, answers by link, evidence, reminders — each a use case
//! that owns its transaction.
//!
//! Every change of a proposal goes through [`App`]'s private `advance`: the domain's
//! transition table decides the next status (a refused action is a `Conflict` naming both),
//! the store writes the row and one event of the audit trail, and the mail the change causes
//! is queued in the outbox in the same transaction. So a crash either keeps the change with
//! its mail or neither.
//!
//! The partner is asked first (approve → mail with an answer link); on their acceptance the
//! enterprise is asked; when both accepted, each side gets the other's contact (PIPL art. 23:
//! never before the partner consented) and the partnership waits for staff to record its
//! evidence, which makes it count for coverage at once.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use labbridge_domain::model::{IndustryChain, Level, PartnershipKind};
use labbridge_domain::proposal::{ActorKind, DeclineReason, Party, ProposalStatus, transition};
use labbridge_notify::letters::{self, Lang, Letter, ProposalFacts};
use labbridge_store::entity::{
    answer_link, enterprise, outbox, partnership, proposal, proposal_event, rd_institution,
};
use labbridge_store::{ConnectionTrait, MailStatus, NewMail, ProposalChange, Store};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::matching::{Reasons, StoredProposal};
use crate::{App, Error, Result};

/// The longest note or reason kept (a decline note, a staff reason).
pub const NOTE_LIMIT: usize = 2_000;

pub use labbridge_domain::proposal::ProposalAction;
pub use labbridge_notify::Lang as LetterLang;

/// Who acts on a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// What kind of actor.
    pub kind: ActorKind,
    /// Who: a staff login, `cli`, `api-token`, `outbox`, a link's party.
    pub name: String,
}

impl Actor {
    /// A staff member (or the command line, or the staff API token).
    pub fn staff(login: &str) -> Self {
        Self {
            kind: ActorKind::Staff,
            name: login.to_owned(),
        }
    }

    /// An enterprise user (signed in to the portal, or with a personal API token).
    pub fn enterprise(login: &str) -> Self {
        Self {
            kind: ActorKind::Enterprise,
            name: login.to_owned(),
        }
    }

    /// The system (the matcher, the clock).
    pub fn system(what: &str) -> Self {
        Self {
            kind: ActorKind::System,
            name: what.to_owned(),
        }
    }
}

/// What a person answers through a link.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AnswerForm {
    /// `accept` or `decline`.
    #[serde(default)]
    pub decision: String,
    /// A decline reason code (required on decline).
    #[serde(default)]
    pub reason: String,
    /// Free text.
    #[serde(default)]
    pub note: String,
}

/// A validated answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Accepts (`true`) or declines.
    pub accept: bool,
    /// Why, on a decline.
    pub reason: Option<DeclineReason>,
    /// Free text.
    pub note: Option<String>,
}

impl AnswerForm {
    /// Checks the form: a decision, and a reason code on a decline.
    pub fn validate(&self) -> Result<Answer> {
        let note = clean_note(&self.note)?;
        match self.decision.trim() {
            "accept" => Ok(Answer {
                accept: true,
                reason: None,
                note,
            }),
            "decline" => {
                if self.reason.trim().is_empty() {
                    return Err(Error::Invalid(
                        "请选择谢绝原因 (a reason is required to decline)".to_owned(),
                    ));
                }
                let reason = DeclineReason::parse(&self.reason)
                    .map_err(|error| Error::Invalid(error.to_string()))?;
                Ok(Answer {
                    accept: false,
                    reason: Some(reason),
                    note,
                })
            }
            _ => Err(Error::Invalid(
                "请选择接受或谢绝 (decision must be accept or decline)".to_owned(),
            )),
        }
    }
}

fn clean_note(raw: &str) -> Result<Option<String>> {
    // The limit counts what was sent, as the API document states it.
    if raw.chars().count() > NOTE_LIMIT {
        return Err(Error::Invalid(format!(
            "the note has more than {NOTE_LIMIT} characters"
        )));
    }
    let note = raw.trim();
    Ok((!note.is_empty()).then(|| note.to_owned()))
}

/// What an answer link leads to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum LinkState {
    /// Waiting for this party's answer.
    Open,
    /// Used already (the proposal's status says how it was answered).
    Used,
    /// Past its date.
    Expired,
    /// The proposal no longer waits for this party (withdrawn, answered by another link …).
    Closed,
}

/// An answer page's content.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerView {
    /// Whose link it is.
    pub party: Party,
    /// Whether it can still be answered.
    pub state: LinkState,
    /// The proposal's status.
    pub status: ProposalStatus,
    /// What the proposal is about.
    pub facts: ProposalFacts,
    /// Until when the link is valid.
    pub expires_at: DateTime<Utc>,
    /// The language to show it in.
    pub lang: Lang,
}

/// The evidence of a partnership, recorded by staff.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// 技术开发合同 / 技术转让合同 / 技术咨询合同 / 技术服务合同 / 联合实验室 / 共建研发中心 /
    /// 院士工作站 / 科技特派员 (label or code).
    #[schema(schema_with = crate::openapi::partnership_kind)]
    pub kind: String,
    /// The contract's number.
    #[serde(default)]
    #[schema(schema_with = evidence_text)]
    pub contract_number: Option<String>,
    /// 技术合同登记号, where the contract was registered.
    #[serde(default)]
    #[schema(schema_with = evidence_text)]
    pub registration_number: Option<String>,
    /// First day (YYYY-MM-DD).
    #[schema(schema_with = crate::openapi::day)]
    pub valid_from: String,
    /// Last day (YYYY-MM-DD), if any; not before `valid_from` (else 422).
    #[serde(default)]
    #[schema(schema_with = crate::openapi::optional_day)]
    pub valid_to: Option<String>,
    /// For a jointly built R&D centre: its recognition level (国家级 … 县级).
    #[serde(default)]
    #[schema(schema_with = crate::openapi::optional_level)]
    pub centre_level: Option<String>,
    /// … its recognition number.
    #[serde(default)]
    #[schema(schema_with = evidence_text)]
    pub centre_number: Option<String>,
    /// … the day it was recognised (YYYY-MM-DD): this makes it the enterprise's R&D institution.
    /// Required (else 422) for a 共建研发中心 given a level or number.
    #[serde(default)]
    #[schema(schema_with = crate::openapi::optional_day)]
    pub centre_recognized_on: Option<String>,
    /// … its review date.
    #[serde(default)]
    #[schema(schema_with = crate::openapi::optional_day)]
    pub centre_review_due: Option<String>,
    /// R&D staff the enterprise has now (with the centre: at least 1 for coverage B).
    #[serde(default)]
    pub rd_staff: Option<u32>,
}

/// Most characters of a contract, registration or centre number.
pub const EVIDENCE_TEXT_LIMIT: usize = 200;

fn evidence_text() -> utoipa::openapi::Object {
    crate::openapi::optional_text(EVIDENCE_TEXT_LIMIT)
}

/// Which proposals a bulk action did and did not move.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BulkOutcome {
    /// Moved.
    pub done: Vec<i64>,
    /// Not moved, with why.
    pub skipped: Vec<Skipped>,
}

/// A proposal a bulk action left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Skipped {
    /// The proposal.
    pub id: i64,
    /// Why.
    pub reason: String,
}

/// One event of a proposal's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    /// The status before (none for a row made by an exclusion).
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// The action.
    pub action: String,
    /// `staff`, `partner_link`, `enterprise_link`, `system`.
    pub actor_kind: String,
    /// Who.
    pub actor: String,
    /// Why, if given.
    pub reason: Option<String>,
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
}

/// A mail of the outbox, for staff.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MailView {
    /// Its id.
    pub id: i64,
    /// What it is.
    pub kind: String,
    /// To whom.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// `pending`, `sent`, `dead`.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The SMTP server's last answer, on failure.
    pub last_error: Option<String>,
    /// The proposal it is about.
    pub proposal_id: Option<i64>,
    /// When queued.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When the server accepted it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<DateTime<Utc>>,
    /// When it is tried next (pending).
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: DateTime<Utc>,
}

impl From<outbox::Model> for MailView {
    fn from(row: outbox::Model) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            recipient: row.recipient,
            subject: row.subject,
            status: row.status,
            attempts: row.attempts,
            last_error: row.last_error,
            proposal_id: row.proposal_id,
            created_at: row.created_at,
            sent_at: row.sent_at,
            next_attempt_at: row.next_attempt_at,
        }
    }
}

/// A proposal with its timeline and mail.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProposalDetail {
    /// The proposal.
    pub proposal: StoredProposal,
    /// Every transition, oldest first.
    pub events: Vec<TimelineEvent>,
    /// Its mail, oldest first.
    pub mail: Vec<MailView>,
}

/// What a tick of the clock did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    /// Reminders queued.
    pub reminders: usize,
    /// Escalations to staff queued.
    pub escalations: usize,
    /// Proposals and partnerships expired.
    pub expired: usize,
    /// Digests queued.
    pub digests: usize,
}

/// Mail kinds.
pub mod kinds {
    /// The proposal to the partner (its delivery marks the proposal sent).
    pub const PARTNER_PROPOSAL: &str = labbridge_notify::PARTNER_PROPOSAL;
    /// A reminder to the partner.
    pub const PARTNER_REMINDER: &str = "partner_reminder";
    /// The question to the enterprise.
    pub const ENTERPRISE_ASK: &str = "enterprise_ask";
    /// A reminder to the enterprise.
    pub const ENTERPRISE_REMINDER: &str = "enterprise_reminder";
    /// The other side's contact.
    pub const CONTACTS: &str = "contacts";
    /// No answer: to staff.
    pub const ESCALATION: &str = "escalation";
    /// The weekly digest.
    pub const DIGEST: &str = "digest";
    /// A test message.
    pub const TEST: &str = "test";
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Returns the SHA-256 of an answer token, as stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.trim().as_bytes()))
}

/// Everything a letter about a proposal needs, loaded once for a batch.
struct Context {
    enterprises: HashMap<String, enterprise::Model>,
    needs: HashMap<String, Vec<String>>,
    labs: HashMap<String, labbridge_store::entity::lab::Model>,
    experts: HashMap<String, labbridge_store::entity::expert::Model>,
    /// The configured county, if any (else each enterprise's own).
    county: Option<String>,
}

/// The name of a county by its code (an enterprise's `county_code`), or 本县.
fn county_of(code: &str) -> String {
    labbridge_domain::Divisions::embedded()
        .county(code)
        .map(|county| county.name.clone())
        .unwrap_or_else(|_| "本县".to_owned())
}

struct Contact {
    name: String,
    institution: String,
    email: Option<String>,
}

impl Context {
    fn partner(&self, row: &proposal::Model) -> Contact {
        if row.partner_kind == labbridge_domain::model::PartnerKind::Lab.code() {
            self.labs.get(&row.partner_id).map_or_else(
                || Contact {
                    name: row.partner_id.clone(),
                    institution: String::new(),
                    email: None,
                },
                |lab| Contact {
                    name: lab.name.clone(),
                    institution: lab.institution.clone(),
                    email: lab.email.clone(),
                },
            )
        } else {
            self.experts.get(&row.partner_id).map_or_else(
                || Contact {
                    name: row.partner_id.clone(),
                    institution: String::new(),
                    email: None,
                },
                |expert| Contact {
                    name: expert.name.clone(),
                    institution: expert.institution.clone(),
                    email: expert.email.clone(),
                },
            )
        }
    }

    fn facts(&self, row: &proposal::Model) -> ProposalFacts {
        let reasons: Reasons = serde_json::from_str(&row.reasons).unwrap_or_default();
        let partner = self.partner(row);
        let enterprise = self.enterprises.get(&row.enterprise_id);
        ProposalFacts {
            county: self.county.clone().unwrap_or_else(|| {
                enterprise.map_or_else(|| "本县".to_owned(), |e| county_of(&e.county_code))
            }),
            enterprise: enterprise.map_or_else(|| row.enterprise_id.clone(), |e| e.name.clone()),
            town: enterprise.map(|e| e.town.clone()).unwrap_or_default(),
            industry: enterprise
                .map(|e| {
                    IndustryChain::parse(&e.industry)
                        .unwrap_or(IndustryChain::Other)
                        .label()
                        .to_owned()
                })
                .unwrap_or_default(),
            products: enterprise
                .map(|e| crate::search::list_field(&e.products).join("、"))
                .unwrap_or_default(),
            needs: self
                .needs
                .get(&row.enterprise_id)
                .cloned()
                .unwrap_or_default(),
            partner: partner.name,
            institution: partner.institution,
            renewal: reasons
                .renewal
                .then(|| reasons.gaps.first().cloned().unwrap_or_default()),
            matched_terms: reasons.matched_terms,
            closes: reasons.closes,
        }
    }
}

impl App {
    async fn context(&self, rows: &[proposal::Model]) -> Result<Context> {
        let store = &self.store;
        let mut enterprises = HashMap::new();
        for id in rows.iter().map(|row| row.enterprise_id.as_str()) {
            if !enterprises.contains_key(id)
                && let Some(found) = store.enterprise(id).await?
            {
                enterprises.insert(id.to_owned(), found);
            }
        }
        let mut needs: HashMap<String, Vec<String>> = HashMap::new();
        for need in store.needs_since(None).await? {
            // Confidential needs never leave the bureau; closed ones are not the point.
            if need.confidential
                || !enterprises.contains_key(&need.enterprise_id)
                || !matches!(need.status.as_str(), "open" | "in_progress")
            {
                continue;
            }
            let description: String = need.description.chars().take(120).collect();
            let description = description.trim_end_matches(['。', '；', ';', '.', ' ']);
            needs
                .entry(need.enterprise_id.clone())
                .or_default()
                .push(format!("{}：{}", need.title, description));
        }
        let lab_ids: Vec<String> = rows
            .iter()
            .filter(|row| row.partner_kind == labbridge_domain::model::PartnerKind::Lab.code())
            .map(|row| row.partner_id.clone())
            .collect();
        let expert_ids: Vec<String> = rows
            .iter()
            .filter(|row| row.partner_kind != labbridge_domain::model::PartnerKind::Lab.code())
            .map(|row| row.partner_id.clone())
            .collect();
        let labs = store
            .labs_by_ids(&lab_ids)
            .await?
            .into_iter()
            .map(|lab| (lab.id.clone(), lab))
            .collect();
        let experts = store
            .experts_by_ids(&expert_ids)
            .await?
            .into_iter()
            .map(|expert| (expert.id.clone(), expert))
            .collect();
        let county = self.settings.county()?.map(|county| county.name.clone());
        Ok(Context {
            enterprises,
            needs,
            labs,
            experts,
            county,
        })
    }

    /// Moves one proposal by an action, writing its event; the caller's transaction decides
    /// what else commits with it.
    async fn advance(
        connection: &impl ConnectionTrait,
        row: proposal::Model,
        action: ProposalAction,
        actor: &Actor,
        reason: Option<String>,
        change: ProposalChange,
        now: DateTime<Utc>,
    ) -> Result<proposal::Model> {
        let from = ProposalStatus::parse(&row.status).map_err(|error| {
            Error::Invalid(format!("proposal {}: stored status: {error}", row.id))
        })?;
        let to = transition(from, action)
            .map_err(|error| Error::Conflict(format!("proposal {}: {error}", row.id)))?;
        let id = row.id;
        let stored = Store::set_proposal_status(connection, row, to, change, now).await?;
        Store::insert_events(
            connection,
            vec![proposal_event::Model {
                id: 0,
                proposal_id: id,
                from_status: Some(from.code().to_owned()),
                to_status: to.code().to_owned(),
                action: action.code().to_owned(),
                actor_kind: actor.kind.code().to_owned(),
                actor: actor.name.clone(),
                reason,
                created_at: now,
            }],
        )
        .await?;
        Ok(stored)
    }

    /// Makes an answer link for a party; returns its URL and expiry. Only the hash is kept.
    async fn new_link(
        &self,
        connection: &impl ConnectionTrait,
        proposal_id: i64,
        party: Party,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>)> {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let token = hex(&bytes);
        let expires_at = now + Duration::days(i64::from(self.settings.answer_days));
        Store::insert_answer_link(
            connection,
            answer_link::Model {
                token_hash: token_hash(&token),
                proposal_id,
                party: party.code().to_owned(),
                expires_at,
                used_at: None,
                created_at: now,
            },
        )
        .await?;
        let url = format!(
            "{}/answer/{token}",
            self.settings.base_url.trim_end_matches('/')
        );
        Ok((url, expires_at))
    }

    async fn queue(
        connection: &impl ConnectionTrait,
        kind: &str,
        recipient: &str,
        letter: &Letter,
        proposal_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let rendered = letter
            .render()
            .map_err(|error| Error::Invalid(error.to_string()))?;
        Ok(Store::enqueue(
            connection,
            NewMail {
                kind: kind.to_owned(),
                recipient: recipient.to_owned(),
                subject: rendered.subject,
                text: rendered.text,
                html: Some(rendered.html),
                proposal_id,
            },
            now,
        )
        .await?)
    }

    /// Approves proposals awaiting review: each gets an answer link and its mail to the partner,
    /// in one transaction. Proposals in another status, or whose partner has no address, are
    /// skipped with the reason.
    pub async fn approve(&self, ids: &[i64], actor: &Actor) -> Result<BulkOutcome> {
        let now = Utc::now();
        let rows = Store::proposals_by_ids(self.store.connection(), ids).await?;
        let context = self.context(&rows).await?;
        let mut outcome = BulkOutcome::default();
        let found: std::collections::HashSet<i64> = rows.iter().map(|row| row.id).collect();
        for id in ids.iter().filter(|id| !found.contains(id)) {
            outcome.skipped.push(Skipped {
                id: *id,
                reason: format!("no proposal {id}"),
            });
        }
        let transaction = self.store.begin().await?;
        for row in rows {
            let id = row.id;
            if row.status != ProposalStatus::Proposed.code() {
                outcome.skipped.push(Skipped {
                    id,
                    reason: format!("proposal {id} is {}, not awaiting review", row.status),
                });
                continue;
            }
            let partner = context.partner(&row);
            let Some(email) = partner
                .email
                .clone()
                .filter(|email| !email.trim().is_empty())
            else {
                outcome.skipped.push(Skipped {
                    id,
                    reason: format!(
                        "{} has no e-mail address: contact them another way",
                        partner.name
                    ),
                });
                continue;
            };
            let facts = context.facts(&row);
            let (url, expires_at) = self.new_link(&transaction, id, Party::Partner, now).await?;
            let letter = letters::partner_proposal(
                &facts,
                &url,
                &china_day(expires_at).to_string(),
                Lang::for_name(&partner.institution),
                0,
            );
            Self::queue(
                &transaction,
                kinds::PARTNER_PROPOSAL,
                &email,
                &letter,
                Some(id),
                now,
            )
            .await?;
            Self::advance(
                &transaction,
                row,
                ProposalAction::Approve,
                actor,
                None,
                ProposalChange {
                    contacted_at: Some(now),
                    reset_reminders: true,
                    ..ProposalChange::default()
                },
                now,
            )
            .await?;
            outcome.done.push(id);
        }
        transaction.commit().await?;
        Ok(outcome)
    }

    /// Approves every proposal awaiting review.
    pub async fn approve_all(&self, actor: &Actor) -> Result<BulkOutcome> {
        let ids: Vec<i64> =
            Store::proposals_in(self.store.connection(), &[ProposalStatus::Proposed])
                .await?
                .into_iter()
                .map(|row| row.id)
                .collect();
        self.approve(&ids, actor).await
    }

    /// Applies one staff action with a reason (reject, withdraw, undo an exclusion).
    pub async fn staff_action(
        &self,
        id: i64,
        action: ProposalAction,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<StoredProposal> {
        let reason = clean_note(reason.unwrap_or_default())?;
        if action == ProposalAction::Reject && reason.is_none() {
            return Err(Error::Invalid("a rejection needs a reason".to_owned()));
        }
        if !matches!(
            action,
            ProposalAction::Reject | ProposalAction::Withdraw | ProposalAction::Unexclude
        ) {
            return Err(Error::Invalid(format!(
                "'{action}' is not a staff action here"
            )));
        }
        let now = Utc::now();
        let transaction = self.store.begin().await?;
        let Some(row) = Store::proposal(&transaction, id).await? else {
            return Err(Error::NotFound(format!("no proposal {id}")));
        };
        // A pair staff excluded by hand (no matcher proposal behind it) has nothing to go back
        // to: undoing it withdraws the exclusion instead.
        let action = if action == ProposalAction::Unexclude && row.gap.is_empty() {
            ProposalAction::Withdraw
        } else {
            action
        };
        let stored = if action == ProposalAction::Withdraw
            && row.status == ProposalStatus::Excluded.code()
        {
            let from = row.status.clone();
            let stored = Store::set_proposal_status(
                &transaction,
                row,
                ProposalStatus::Withdrawn,
                ProposalChange::default(),
                now,
            )
            .await?;
            Store::insert_events(
                &transaction,
                vec![proposal_event::Model {
                    id: 0,
                    proposal_id: id,
                    from_status: Some(from),
                    to_status: ProposalStatus::Withdrawn.code().to_owned(),
                    action: ProposalAction::Unexclude.code().to_owned(),
                    actor_kind: actor.kind.code().to_owned(),
                    actor: actor.name.clone(),
                    reason: reason.clone(),
                    created_at: now,
                }],
            )
            .await?;
            stored
        } else {
            Self::advance(
                &transaction,
                row,
                action,
                actor,
                reason.clone(),
                ProposalChange {
                    note: reason,
                    ..ProposalChange::default()
                },
                now,
            )
            .await?
        };
        transaction.commit().await?;
        self.stored_one(stored).await
    }

    async fn stored_one(&self, row: proposal::Model) -> Result<StoredProposal> {
        let Some(enterprise) = self.store.enterprise(&row.enterprise_id).await? else {
            return Err(Error::NotFound(format!(
                "no enterprise '{}'",
                row.enterprise_id
            )));
        };
        self.stored_row(row, &enterprise).await
    }

    /// A proposal with its timeline and mail.
    pub async fn proposal_detail(&self, id: i64) -> Result<ProposalDetail> {
        let Some(row) = Store::proposal(self.store.connection(), id).await? else {
            return Err(Error::NotFound(format!("no proposal {id}")));
        };
        let proposal = self.stored_one(row).await?;
        let events = Store::events_of(self.store.connection(), id)
            .await?
            .into_iter()
            .map(|event| TimelineEvent {
                from: event.from_status,
                to: event.to_status,
                action: event.action,
                actor_kind: event.actor_kind,
                actor: event.actor,
                reason: event.reason,
                at: event.created_at,
            })
            .collect();
        let mail = self
            .store
            .mail_of_proposal(id)
            .await?
            .into_iter()
            .map(MailView::from)
            .collect();
        Ok(ProposalDetail {
            proposal,
            events,
            mail,
        })
    }

    /// What an answer link shows (a GET: changes nothing).
    pub async fn answer_view(&self, token: &str) -> Result<AnswerView> {
        let (link, row) = self.link(token).await?;
        let party = Party::parse(&link.party).map_err(|error| Error::Invalid(error.to_string()))?;
        let status = ProposalStatus::parse(&row.status)
            .map_err(|error| Error::Invalid(error.to_string()))?;
        let now = Utc::now();
        let state = if link.used_at.is_some() {
            LinkState::Used
        } else if link.expires_at <= now {
            LinkState::Expired
        } else if status.awaits() != Some(party) {
            LinkState::Closed
        } else {
            LinkState::Open
        };
        let context = self.context(std::slice::from_ref(&row)).await?;
        let facts = context.facts(&row);
        let lang = match party {
            Party::Partner => Lang::for_name(&facts.institution),
            Party::Enterprise => Lang::Zh,
        };
        Ok(AnswerView {
            party,
            state,
            status,
            facts,
            expires_at: link.expires_at,
            lang,
        })
    }

    async fn link(&self, token: &str) -> Result<(answer_link::Model, proposal::Model)> {
        let token = token.trim();
        let unknown =
            || Error::NotFound("这个答复链接无效 (this answer link is not valid)".to_owned());
        if token.len() != 64 || !token.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(unknown());
        }
        let Some(link) = Store::answer_link(self.store.connection(), &token_hash(token)).await?
        else {
            return Err(unknown());
        };
        let Some(row) = Store::proposal(self.store.connection(), link.proposal_id).await? else {
            return Err(unknown());
        };
        Ok((link, row))
    }

    /// Takes an answer through a link (the POST): uses the link, moves the proposal and queues
    /// what follows, all in one transaction. A used, expired or closed link changes nothing and
    /// says why; so does a second POST.
    pub async fn answer(&self, token: &str, answer: &Answer) -> Result<AnswerView> {
        let view = self.answer_view(token).await?;
        if view.state != LinkState::Open {
            return Ok(view);
        }
        let (link, current) = self.link(token).await?;
        // Everything the letters need is read before the transaction begins.
        let context = self.context(std::slice::from_ref(&current)).await?;
        let facts = context.facts(&current);
        let partner = context.partner(&current);
        let enterprise = context.enterprises.get(&current.enterprise_id).cloned();
        let ask_recipient = match enterprise.as_ref().and_then(|e| e.contact_email.clone()) {
            Some(email) => Some(email),
            None => {
                self.staff_address(enterprise.as_ref().and_then(|e| e.owner.as_deref()))
                    .await?
            }
        };
        let now = Utc::now();
        let transaction = self.store.begin().await?;
        // The first write: only one of two racing answers can use the link.
        if !Store::consume_answer_link(&transaction, &link.token_hash, now).await? {
            transaction.rollback().await?;
            return self.answer_view(token).await;
        }
        let Some(row) = Store::proposal(&transaction, link.proposal_id).await? else {
            return Err(Error::NotFound(format!("no proposal {}", link.proposal_id)));
        };
        let (action, actor_kind) = match (view.party, answer.accept) {
            (Party::Partner, true) => (ProposalAction::PartnerAccept, ActorKind::PartnerLink),
            (Party::Partner, false) => (ProposalAction::PartnerDecline, ActorKind::PartnerLink),
            (Party::Enterprise, true) => {
                (ProposalAction::EnterpriseAccept, ActorKind::EnterpriseLink)
            }
            (Party::Enterprise, false) => {
                (ProposalAction::EnterpriseDecline, ActorKind::EnterpriseLink)
            }
        };
        let actor = Actor {
            kind: actor_kind,
            name: match view.party {
                Party::Partner => partner.name.clone(),
                Party::Enterprise => facts.enterprise.clone(),
            },
        };
        let reason_text = answer.reason.map(|reason| match &answer.note {
            Some(note) => format!("{}：{note}", reason.label()),
            None => reason.label().to_owned(),
        });
        let id = row.id;
        let moved = Self::advance(
            &transaction,
            row,
            action,
            &actor,
            reason_text.or_else(|| answer.note.clone()),
            ProposalChange {
                decline_reason: answer.reason.map(|reason| reason.code().to_owned()),
                note: answer.note.clone(),
                contacted_at: Some(now),
                reset_reminders: true,
                ..ProposalChange::default()
            },
            now,
        )
        .await;
        let moved = match moved {
            Ok(moved) => moved,
            Err(Error::Conflict(_)) => {
                transaction.rollback().await?;
                return self.answer_view(token).await;
            }
            Err(other) => return Err(other),
        };
        match action {
            ProposalAction::PartnerAccept => {
                self.ask_enterprise(&transaction, &moved, &facts, ask_recipient.as_deref(), now)
                    .await?;
            }
            ProposalAction::EnterpriseAccept => {
                let enterprise_email = enterprise.as_ref().and_then(|e| e.contact_email.clone());
                Self::exchange_contacts(&transaction, id, &facts, &partner, enterprise_email, now)
                    .await?;
            }
            _ => {}
        }
        transaction.commit().await?;
        self.answer_view(token).await
    }

    /// Both sides accepted: each gets the other's contact (the partner consented by accepting,
    /// PIPL art. 23). A side without an address is told to ask the bureau.
    async fn exchange_contacts(
        connection: &impl ConnectionTrait,
        id: i64,
        facts: &ProposalFacts,
        partner: &Contact,
        enterprise_email: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let ask_the_bureau = "请联系科技局";
        if let Some(partner_email) = &partner.email {
            let letter = letters::contacts(
                facts,
                true,
                &facts.enterprise,
                enterprise_email.as_deref().unwrap_or(ask_the_bureau),
                Lang::for_name(&partner.institution),
            );
            Self::queue(
                connection,
                kinds::CONTACTS,
                partner_email,
                &letter,
                Some(id),
                now,
            )
            .await?;
        }
        if let Some(enterprise_email) = &enterprise_email {
            let letter = letters::contacts(
                facts,
                false,
                &format!("{}（{}）", partner.name, partner.institution),
                partner.email.as_deref().unwrap_or(ask_the_bureau),
                Lang::Zh,
            );
            Self::queue(
                connection,
                kinds::CONTACTS,
                enterprise_email,
                &letter,
                Some(id),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Asks the enterprise at `recipient`: its contact address, or without one its staff
    /// member or the bureau, who can record the answer on the desk.
    async fn ask_enterprise(
        &self,
        connection: &impl ConnectionTrait,
        row: &proposal::Model,
        facts: &ProposalFacts,
        recipient: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (url, expires_at) = self
            .new_link(connection, row.id, Party::Enterprise, now)
            .await?;
        let letter = letters::enterprise_ask(facts, &url, &china_day(expires_at).to_string());
        if let Some(recipient) = recipient {
            Self::queue(
                connection,
                kinds::ENTERPRISE_ASK,
                recipient,
                &letter,
                Some(row.id),
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// The responsible staff member's address, else the bureau's.
    async fn staff_address(&self, owner: Option<&str>) -> Result<Option<String>> {
        if let Some(owner) = owner
            && let Some(account) = self.store.account_by_login(owner).await?
            && let Some(email) = account.email
        {
            return Ok(Some(email));
        }
        Ok(self.settings.bureau_email.clone())
    }

    /// Records an enterprise's answer taken by staff (by phone, in person).
    pub async fn record_enterprise_answer(
        &self,
        id: i64,
        answer: &Answer,
        actor: &Actor,
    ) -> Result<StoredProposal> {
        let now = Utc::now();
        let Some(current) = Store::proposal(self.store.connection(), id).await? else {
            return Err(Error::NotFound(format!("no proposal {id}")));
        };
        let context = self.context(std::slice::from_ref(&current)).await?;
        let facts = context.facts(&current);
        let partner = context.partner(&current);
        let action = if answer.accept {
            ProposalAction::EnterpriseAccept
        } else {
            ProposalAction::EnterpriseDecline
        };
        let transaction = self.store.begin().await?;
        let Some(row) = Store::proposal(&transaction, id).await? else {
            return Err(Error::NotFound(format!("no proposal {id}")));
        };
        let moved = Self::advance(
            &transaction,
            row,
            action,
            actor,
            answer
                .reason
                .map(|reason| reason.label().to_owned())
                .or_else(|| answer.note.clone()),
            ProposalChange {
                decline_reason: answer.reason.map(|reason| reason.code().to_owned()),
                note: answer.note.clone(),
                ..ProposalChange::default()
            },
            now,
        )
        .await?;
        if answer.accept {
            let enterprise_email = context
                .enterprises
                .get(&moved.enterprise_id)
                .and_then(|e| e.contact_email.clone());
            Self::exchange_contacts(&transaction, id, &facts, &partner, enterprise_email, now)
                .await?;
        }
        transaction.commit().await?;
        self.stored_one(moved).await
    }

    /// Records a partnership's evidence: the partnership (and, for a recognised joint centre,
    /// the enterprise's R&D institution) is written and the proposal becomes active, so the
    /// coverage report counts it at once.
    pub async fn record_evidence(
        &self,
        id: i64,
        evidence: &Evidence,
        actor: &Actor,
    ) -> Result<StoredProposal> {
        let kind = PartnershipKind::parse(&evidence.kind)
            .map_err(|error| Error::Invalid(format!("kind: {error}")))?;
        let valid_from = parse_day("valid_from", Some(&evidence.valid_from))?.ok_or_else(|| {
            Error::Invalid("valid_from: a date (YYYY-MM-DD) is required".to_owned())
        })?;
        let valid_to = parse_day("valid_to", evidence.valid_to.as_deref())?;
        if let Some(to) = valid_to
            && to < valid_from
        {
            return Err(Error::Unprocessable(format!(
                "valid_to: {to} is before valid_from {valid_from}"
            )));
        }
        let text = |value: &Option<String>, field: &str| -> Result<Option<String>> {
            if value
                .as_deref()
                .is_some_and(|value| value.chars().count() > EVIDENCE_TEXT_LIMIT)
            {
                return Err(Error::Invalid(format!(
                    "{field}: at most {EVIDENCE_TEXT_LIMIT} characters"
                )));
            }
            Ok(value
                .as_deref()
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned))
        };
        let contract_number = text(&evidence.contract_number, "contract_number")?;
        let registration_number = text(&evidence.registration_number, "registration_number")?;
        let centre_recognized_on = parse_day(
            "centre_recognized_on",
            evidence.centre_recognized_on.as_deref(),
        )?;
        let centre_review_due =
            parse_day("centre_review_due", evidence.centre_review_due.as_deref())?;
        let centre_level = match evidence
            .centre_level
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(level) => Some(
                Level::parse(level)
                    .map_err(|error| Error::Invalid(format!("centre_level: {error}")))?,
            ),
            None => None,
        };
        let centre_number = text(&evidence.centre_number, "centre_number")?;
        if kind == PartnershipKind::JointCentre
            && centre_recognized_on.is_none()
            && (centre_level.is_some() || centre_number.is_some())
        {
            return Err(Error::Unprocessable(
                "centre_recognized_on: the day the centre was recognised is required".to_owned(),
            ));
        }
        let now = Utc::now();
        let transaction = self.store.begin().await?;
        let Some(row) = Store::proposal(&transaction, id).await? else {
            return Err(Error::NotFound(format!("no proposal {id}")));
        };
        if row.status != ProposalStatus::Accepted.code() {
            return Err(Error::Conflict(format!(
                "proposal {id} is {}: evidence is recorded once both sides accepted",
                row.status
            )));
        }
        let partnership_id = format!("proposal-{id}");
        let mut summary = vec![kind.label().to_owned()];
        if let Some(number) = &contract_number {
            summary.push(format!("合同编号 {number}"));
        }
        if let Some(number) = &registration_number {
            summary.push(format!("技术合同登记号 {number}"));
        }
        Store::insert_partnership(
            &transaction,
            partnership::Model {
                id: partnership_id.clone(),
                enterprise_id: row.enterprise_id.clone(),
                partner_kind: row.partner_kind.clone(),
                partner: row.partner_id.clone(),
                kind: kind.code().to_owned(),
                valid_from,
                valid_to,
                evidence: Some(summary.join("；")),
                content_hash: format!("proposal-{id}-{}", now.timestamp()),
                updated_at: now,
                proposal_id: Some(id),
                contract_number,
                registration_number,
            },
        )
        .await?;
        if kind == PartnershipKind::JointCentre
            && let Some(recognized_on) = centre_recognized_on
        {
            let staff = i32::try_from(evidence.rd_staff.unwrap_or(1).max(1)).unwrap_or(i32::MAX);
            Store::add_rd_institution(
                &transaction,
                rd_institution::Model {
                    id: 0,
                    enterprise_id: row.enterprise_id.clone(),
                    kind: labbridge_domain::model::RdInstitutionKind::JointCentre
                        .code()
                        .to_owned(),
                    level: centre_level.map(|level| level.code().to_owned()),
                    number: centre_number,
                    recognized_on,
                    review_due: centre_review_due,
                },
                staff,
            )
            .await?;
        } else if let Some(staff) = evidence.rd_staff {
            Store::raise_rd_staff(
                &transaction,
                &row.enterprise_id,
                i32::try_from(staff).unwrap_or(i32::MAX),
            )
            .await?;
        }
        let moved = Self::advance(
            &transaction,
            row,
            ProposalAction::RecordEvidence,
            actor,
            Some(summary.join("；")),
            ProposalChange {
                partnership_id: Some(partnership_id),
                ..ProposalChange::default()
            },
            now,
        )
        .await?;
        transaction.commit().await?;
        self.stored_one(moved).await
    }

    /// Puts a dead mail back in the queue (staff's retry).
    pub async fn retry_mail(&self, id: i64) -> Result<MailView> {
        if !self.store.revive_mail(id, Utc::now()).await? {
            return match self.store.mail_by_id(id).await? {
                Some(row) => Err(Error::Conflict(format!(
                    "mail {id} is {}, not failed",
                    row.status
                ))),
                None => Err(Error::NotFound(format!("no mail {id}"))),
            };
        }
        self.store
            .mail_by_id(id)
            .await?
            .map(MailView::from)
            .ok_or_else(|| Error::NotFound(format!("no mail {id}")))
    }

    /// Lists the outbox, newest first.
    pub async fn mail(&self, status: Option<&str>, limit: u64) -> Result<Vec<MailView>> {
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Some(MailStatus::parse(raw).ok_or_else(|| {
                Error::Invalid(format!(
                    "mail status '{raw}' is not one of pending, sent, dead"
                ))
            })?),
            None => None,
        };
        Ok(self
            .store
            .mail(status, limit)
            .await?
            .into_iter()
            .map(MailView::from)
            .collect())
    }

    /// The name of the county this deployment serves ([`App::county`]).
    async fn county_name(&self) -> Result<String> {
        Ok(self
            .county()
            .await?
            .map_or_else(|| "本县".to_owned(), |county| county.name.clone()))
    }

    /// Queues `count` test mails to an address (to check the settings, or to measure).
    pub async fn queue_test_mail(&self, recipient: &str, count: u64) -> Result<Vec<i64>> {
        if recipient
            .parse::<labbridge_notify::MailboxAddress>()
            .is_err()
        {
            return Err(Error::Invalid(format!(
                "'{recipient}' is not an e-mail address"
            )));
        }
        let county = self.county_name().await?;
        let now = Utc::now();
        let transaction = self.store.begin().await?;
        let mut ids = Vec::new();
        for number in 1..=count {
            let letter = letters::test_letter(number, &county);
            ids.push(Self::queue(&transaction, kinds::TEST, recipient, &letter, None, now).await?);
        }
        transaction.commit().await?;
        Ok(ids)
    }

    /// Proposals waiting for an answer past the reminder period ("silent").
    pub async fn silent(&self, now: DateTime<Utc>) -> Result<Vec<proposal::Model>> {
        let limit = now - Duration::days(i64::from(self.settings.remind_after_days));
        Ok(Store::proposals_in(
            self.store.connection(),
            &[ProposalStatus::Sent, ProposalStatus::AcceptedByPartner],
        )
        .await?
        .into_iter()
        .filter(|row| row.updated_at <= limit)
        .collect())
    }

    /// The clock's work: reminders, then escalation to staff, then expiry, for answers that do
    /// not come; partnerships whose term ended; the weekly digest. Run by `serve` every minute
    /// and by `labbridge outbox send`.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport> {
        let mut report = TickReport::default();
        let remind_after = Duration::days(i64::from(self.settings.remind_after_days));
        let answer_period = Duration::days(i64::from(self.settings.answer_days));
        let waiting = Store::proposals_in(
            self.store.connection(),
            &[ProposalStatus::Sent, ProposalStatus::AcceptedByPartner],
        )
        .await?;
        let context = self.context(&waiting).await?;
        for row in waiting {
            let last_contact = row.contacted_at.unwrap_or(row.updated_at);
            if row.updated_at + answer_period <= now {
                let transaction = self.store.begin().await?;
                if let Some(current) = Store::proposal(&transaction, row.id).await?
                    && current.status == row.status
                {
                    Self::advance(
                        &transaction,
                        current,
                        ProposalAction::Expire,
                        &Actor::system("clock"),
                        Some(format!("{} 天无答复", self.settings.answer_days)),
                        ProposalChange::default(),
                        now,
                    )
                    .await?;
                    report.expired += 1;
                }
                transaction.commit().await?;
                continue;
            }
            if last_contact + remind_after > now {
                continue;
            }
            let party = if row.status == ProposalStatus::Sent.code() {
                Party::Partner
            } else {
                Party::Enterprise
            };
            let facts = context.facts(&row);
            let owner = context
                .enterprises
                .get(&row.enterprise_id)
                .and_then(|e| e.owner.clone());
            let escalate_to = self.staff_address(owner.as_deref()).await?;
            let remind =
                row.reminders < i32::try_from(self.settings.max_reminders).unwrap_or(i32::MAX);
            if !remind && row.escalated_at.is_some() {
                continue;
            }
            let transaction = self.store.begin().await?;
            // The first write claims the reminder; another server ticking at once gets nothing.
            if !Store::note_reminder(&transaction, row.id, row.reminders, !remind, now).await? {
                transaction.rollback().await?;
                continue;
            }
            if remind {
                let recipient = match party {
                    Party::Partner => context.partner(&row).email,
                    Party::Enterprise => context
                        .enterprises
                        .get(&row.enterprise_id)
                        .and_then(|e| e.contact_email.clone()),
                };
                if let Some(recipient) = recipient {
                    let (url, expires_at) = self.new_link(&transaction, row.id, party, now).await?;
                    let reminder = u32::try_from(row.reminders + 1).unwrap_or(1);
                    let (kind, letter) = match party {
                        Party::Partner => (
                            kinds::PARTNER_REMINDER,
                            letters::partner_proposal(
                                &facts,
                                &url,
                                &china_day(expires_at).to_string(),
                                Lang::for_name(&facts.institution),
                                reminder,
                            ),
                        ),
                        Party::Enterprise => {
                            let mut letter = letters::enterprise_ask(
                                &facts,
                                &url,
                                &china_day(expires_at).to_string(),
                            );
                            letter.subject = format!("【提醒】{}", letter.subject);
                            (kinds::ENTERPRISE_REMINDER, letter)
                        }
                    };
                    Self::queue(&transaction, kind, &recipient, &letter, Some(row.id), now).await?;
                    report.reminders += 1;
                }
            } else if let Some(recipient) = escalate_to {
                let waiting_for = match party {
                    Party::Partner => format!("合作方{}", facts.partner),
                    Party::Enterprise => format!("企业{}", facts.enterprise),
                };
                let days = (now - row.updated_at).num_days();
                let desk = format!(
                    "{}/staff/proposals/{}",
                    self.settings.base_url.trim_end_matches('/'),
                    row.id
                );
                let letter = letters::escalation(&facts, &waiting_for, days, row.reminders, &desk);
                Self::queue(
                    &transaction,
                    kinds::ESCALATION,
                    &recipient,
                    &letter,
                    Some(row.id),
                    now,
                )
                .await?;
                report.escalations += 1;
            }
            transaction.commit().await?;
        }
        // Active partnerships whose term ended.
        let today = china_day(now);
        let active =
            Store::proposals_in(self.store.connection(), &[ProposalStatus::Active]).await?;
        if !active.is_empty() {
            let ended: Vec<String> = self
                .store
                .partnerships_ending(NaiveDate::MIN, today - Duration::days(1))
                .await?
                .into_iter()
                .map(|partnership| partnership.id)
                .collect();
            for row in active.into_iter().filter(|row| {
                row.partnership_id
                    .as_ref()
                    .is_some_and(|id| ended.contains(id))
            }) {
                let transaction = self.store.begin().await?;
                Self::advance(
                    &transaction,
                    row,
                    ProposalAction::Expire,
                    &Actor::system("clock"),
                    Some("合作期限已满".to_owned()),
                    ProposalChange::default(),
                    now,
                )
                .await?;
                transaction.commit().await?;
                report.expired += 1;
            }
        }
        report.digests = self.queue_digest_if_due(now).await?;
        Ok(report)
    }

    /// Queues the weekly digest to the bureau and to every staff account with an address,
    /// unless one was queued in the last seven days.
    pub async fn queue_digest_if_due(&self, now: DateTime<Utc>) -> Result<usize> {
        if self
            .store
            .mail_queued_since(kinds::DIGEST, now - Duration::days(7))
            .await?
        {
            return Ok(0);
        }
        let mut recipients: Vec<String> = self.settings.bureau_email.iter().cloned().collect();
        for account in self.store.accounts().await? {
            if account.role == "staff"
                && let Some(email) = account.email
                && !recipients.contains(&email)
            {
                recipients.push(email);
            }
        }
        if recipients.is_empty() {
            return Ok(0);
        }
        let facts = self.digest_facts(now).await?;
        let letter = letters::digest(&facts);
        let transaction = self.store.begin().await?;
        for recipient in &recipients {
            Self::queue(&transaction, kinds::DIGEST, recipient, &letter, None, now).await?;
        }
        transaction.commit().await?;
        Ok(recipients.len())
    }

    async fn digest_facts(&self, now: DateTime<Utc>) -> Result<letters::DigestFacts> {
        let coverage = self.coverage(None, china_day(now)).await?;
        let week_ago = now - Duration::days(7);
        let last_week = self
            .coverage(Some(coverage.year), china_day(week_ago))
            .await?;
        let activated_this_week = Store::all_events(self.store.connection())
            .await?
            .into_iter()
            .filter(|event| {
                event.to_status == ProposalStatus::Active.code() && event.created_at >= week_ago
            })
            .count();
        let awaiting_review =
            Store::proposals_in(self.store.connection(), &[ProposalStatus::Proposed])
                .await?
                .len();
        let silent_rows = self.silent(now).await?;
        let context = self.context(&silent_rows).await?;
        let silent = silent_rows
            .iter()
            .map(|row| {
                let facts = context.facts(row);
                format!("{} — {}", facts.enterprise, facts.partner)
            })
            .collect();
        let today = china_day(now);
        let names = self.store.enterprise_names().await?;
        let ending = self
            .store
            .partnerships_ending(today, today + Duration::days(90))
            .await?
            .into_iter()
            .map(|partnership| {
                let name = names
                    .get(&partnership.enterprise_id)
                    .map_or(partnership.enterprise_id.clone(), |(name, _)| name.clone());
                format!(
                    "{name}（{}）",
                    partnership
                        .valid_to
                        .map(|day| day.to_string())
                        .unwrap_or_default()
                )
            })
            .collect();
        let dead_mail = self
            .store
            .mail_counts()
            .await?
            .into_iter()
            .find(|(status, _)| *status == MailStatus::Dead)
            .map_or(0, |(_, count)| count);
        Ok(letters::DigestFacts {
            county: self.county_name().await?,
            covered: coverage.covered,
            total: coverage.total,
            covered_week_ago: last_week.covered,
            activated_this_week,
            awaiting_review,
            silent,
            ending,
            dead_mail,
            desk_url: format!(
                "{}/staff/proposals",
                self.settings.base_url.trim_end_matches('/')
            ),
        })
    }

    /// The outbox worker for these settings, or why there is none.
    pub fn mail_worker(&self) -> Result<labbridge_notify::Worker> {
        let Some(url) = self
            .settings
            .smtp_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
        else {
            return Err(Error::Config(
                "LABBRIDGE_SMTP_URL is not set: mail stays queued in the outbox".to_owned(),
            ));
        };
        let timeout = std::time::Duration::from_secs(self.settings.smtp_timeout_secs.max(1));
        let mailer =
            labbridge_notify::Mailer::from_url(url, self.settings.outbox_concurrency, timeout)
                .map_err(|error| Error::Config(error.to_string()))?;
        let from: labbridge_notify::MailboxAddress = self
            .settings
            .mail_from
            .parse()
            .map_err(|error| Error::Config(format!("mail_from: {error}")))?;
        let mut settings = labbridge_notify::WorkerSettings::new(from);
        settings.lease = std::time::Duration::from_secs(self.settings.outbox_lease_secs.max(1));
        settings.send_timeout = timeout;
        settings.max_attempts = i32::try_from(self.settings.mail_max_attempts).unwrap_or(8);
        settings.backoff_base =
            std::time::Duration::from_secs(self.settings.mail_retry_secs.max(1));
        settings.concurrency = usize::try_from(self.settings.outbox_concurrency).unwrap_or(8);
        Ok(labbridge_notify::Worker::new(
            self.store.clone(),
            mailer,
            settings,
        ))
    }
}

fn parse_day(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| Error::Invalid(format!("{field}: '{raw}' is not a date (YYYY-MM-DD)"))),
    }
}

/// The calendar day in China (UTC+8) of an instant.
pub fn china_day(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}
