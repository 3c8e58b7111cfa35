//! `labbridge match`: proposals that close the roster's coverage gaps.
//!
//! For every enterprise on the latest roster that misses a coverage, its open needs, products
//! and industry chain become a "similar to this" search over labs and experts; each hit gets an
//! explainable score (text relevance, field overlap, programme fit for gap B, same province,
//! lab level, and a bonus for a lab when both coverages are missing, since a joint R&D centre
//! closes both). Pairs declined before, excluded by staff, or in a conflict of interest (the
//! partner shares the enterprise's own e-mail domain, or belongs to an institution that is the
//! enterprise — see [`conflict`]) are left out; experts take at most
//! 3 enterprises and labs 5 unless the registry says otherwise, minus what proposals already
//! under way use. `labbridge-matcher` then places the most required partners and, among those
//! placements, the most total score. The result is persisted as proposals (`proposed`), with a
//! forecast: the coverage report as if every proposal were accepted.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

use chrono::NaiveDate;
use labbridge_domain::Divisions;
use labbridge_domain::coverage::{self, Facts, Gap, Period};
use labbridge_domain::model::{IndustryChain, Level};
use labbridge_domain::proposal::{
    ActorKind, DeclineReason, ProposalAction, ProposalStatus, transition,
};
use labbridge_matcher::{Demand, Problem, SCORE_SCALE};
use labbridge_search::{Kind, Request, SearchIndex};
use labbridge_store::entity::{proposal, proposal_event};
use labbridge_store::{ProposalChange, RosterEntry, Store};
use serde::{Deserialize, Serialize};

use crate::coverage::{CoverageReport, facts_of, report, report_of_facts};
use crate::{App, Result};

/// Candidates looked at per enterprise.
const CANDIDATES: usize = 20;
/// A need shorter than this (in characters, all of an enterprise's open needs together) is
/// widened through the industry ↔ discipline bridge.
const SHORT_NEED_CHARS: usize = 20;

/// Default capacities when the registry gives none.
const EXPERT_CAPACITY: u32 = 3;
const LAB_CAPACITY: u32 = 5;

/// How to run the matcher.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchOptions {
    /// Compute, write nothing.
    pub dry_run: bool,
    /// Fairness mode: the highest quality floor every proposal clears while as many required
    /// partners are placed, then the most score above it.
    pub fair: bool,
    /// Town balance: when not every required partner can be placed, enterprises in towns with
    /// lower coverage come first (before score).
    pub balance_towns: bool,
}

/// Town balance: a town's priority is 10 × its share of enterprises not yet covered, so a town
/// at 20% coverage (8) goes before one at 60% (4).
fn town_priority(rate: f64) -> u32 {
    ((1.0 - rate.clamp(0.0, 1.0)) * 10.0).round() as u32
}

/// How a score was made (each part already weighted; they add up to the score).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreParts {
    /// Text relevance of the partner to the enterprise's needs and products (0–0.55).
    pub relevance: f64,
    /// Share of the partner's fields named by the enterprise (0–0.15).
    pub fields: f64,
    /// An expert in a talent programme or open to an enterprise post, for gap B (0 or 0.10).
    pub programme: f64,
    /// Same province as the county (0 or 0.05).
    pub province: f64,
    /// Lab level: national 0.10, provincial 0.07, municipal 0.04, county 0.02.
    pub level: f64,
    /// A lab for an enterprise missing both coverages: one joint centre closes both (0 or 0.10).
    pub both: f64,
}

/// Why a proposal was made (a pair staff excluded without a proposal has none of these).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Reasons {
    /// Words of the enterprise's needs found in the partner's profile.
    pub matched_terms: Vec<String>,
    /// What the enterprise misses, and why (Chinese labels).
    pub gaps: Vec<String>,
    /// Which coverages the partnership would close (`A`, `B`).
    pub closes: Vec<String>,
    /// The score's parts.
    pub parts: ScoreParts,
    /// A renewal (续签): the enterprise is covered today but this partnership ends before the
    /// year does, so the same partner is proposed first.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub renewal: bool,
    /// The industry ↔ discipline bridge that links the two, when the partner's fields fall in
    /// a discipline serving the enterprise's industry: `行业 C3252 铝压延加工 ↔ 学科 冶金工程技术`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bridge: Option<String>,
}

/// One proposal, for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposalView {
    /// The enterprise's id.
    pub enterprise_id: String,
    /// Its name.
    pub enterprise: String,
    /// Its town.
    pub town: String,
    /// Its industry chain (Chinese).
    pub industry: String,
    /// `lab` or `expert`.
    pub partner_kind: String,
    /// The partner's id.
    pub partner_id: String,
    /// The partner's name.
    pub partner: String,
    /// The partner's institution.
    pub institution: String,
    /// The coverages the enterprise misses: `A`, `B` or `AB`.
    pub gap: String,
    /// The score, 0–1.
    pub score: f64,
    /// Why.
    pub reasons: Reasons,
}

/// What a run of the matcher did.
#[derive(Debug, Clone, Serialize)]
pub struct MatchReport {
    /// The roster year.
    pub year: i32,
    /// Enterprises on the roster missing a coverage.
    pub enterprises_with_gaps: usize,
    /// Enterprises covered today whose cooperation ends before the year does, offered a
    /// renewal with the same partner first.
    pub renewals: usize,
    /// Those for which no candidate was found at all.
    pub without_candidates: usize,
    /// Candidate pairs left out as conflicts of interest.
    pub conflicts: usize,
    /// Required partners placed / asked for.
    pub required_placed: u64,
    /// Required partners asked for.
    pub required_total: u64,
    /// The proposals, best first per enterprise.
    pub proposals: Vec<ProposalView>,
    /// Coverage today.
    pub before: CoverageReport,
    /// Coverage if every proposal were accepted.
    pub forecast: CoverageReport,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The fairness mode's floor: every proposal scores at least this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<f64>,
    /// Town balance: each town's priority (higher goes first when partners are short).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub town_priorities: Option<Vec<(String, u32)>>,
    /// Seconds the whole run took.
    pub seconds: f64,
}

struct Partner {
    kind: Kind,
    /// The (non-public) domain of its e-mail, for conflicts of interest.
    mail_domain: Option<String>,
    id: String,
    name: String,
    institution: String,
    fields: Vec<String>,
    province: Option<String>,
    capacity: u32,
    level: Option<Level>,
    programme_fit: bool,
}

struct Candidate {
    partner: usize,
    score: f64,
    reasons: Reasons,
}

/// Mail services anyone can use: a shared domain there says nothing about an employer.
const PUBLIC_MAIL: [&str; 20] = [
    "qq.com",
    "vip.qq.com",
    "foxmail.com",
    "163.com",
    "vip.163.com",
    "126.com",
    "yeah.net",
    "sina.com",
    "sina.cn",
    "sohu.com",
    "139.com",
    "189.cn",
    "aliyun.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "yahoo.com",
    "yahoo.com.cn",
];

/// The domain of an address, unless it is a public mail service.
pub fn mail_domain(email: &str) -> Option<String> {
    let (_, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.').to_lowercase();
    (!domain.is_empty() && !PUBLIC_MAIL.contains(&domain.as_str())).then_some(domain)
}

/// Why a pair is a conflict of interest, if it is: the partner's e-mail is on the enterprise's
/// own mail domain (see [`mail_domain`]) — they work for it — or the partner's institution is
/// the enterprise itself (its own lab, registered under its name). Either way the proposal would
/// not be a cooperation with an outside university or institute.
pub fn conflict(
    enterprise_name: &str,
    enterprise_domain: Option<&str>,
    partner_domain: Option<&str>,
    partner_institution: &str,
) -> Option<String> {
    if let (Some(ours), Some(theirs)) = (enterprise_domain, partner_domain)
        && (ours == theirs || theirs.ends_with(&format!(".{ours}")))
    {
        return Some(format!("same e-mail domain {ours}"));
    }
    let name = enterprise_name.trim();
    if !name.is_empty() && partner_institution.contains(name) {
        return Some(format!(
            "institution {partner_institution} is the enterprise"
        ));
    }
    None
}

/// Puts every partner with a known institution in that institution's group, so the matcher
/// gives an enterprise at most one partner of each (a lab and an expert of one university
/// count as the same). Blank and placeholder institutions (未知 …) limit nothing.
fn group_by_institution(problem: &mut Problem, partners: &[Partner]) -> Result<()> {
    let mut groups: HashMap<String, u32> = HashMap::new();
    for (position, partner) in partners.iter().enumerate() {
        let name = crate::search::institution_key(&partner.institution);
        if labbridge_domain::is_unknown_institution(&name) {
            continue;
        }
        let next = groups.len() as u32;
        let group = *groups.entry(name).or_insert(next);
        problem
            .group(position, group)
            .map_err(|error| crate::Error::Invalid(error.to_string()))?;
    }
    Ok(())
}

/// Two-character words too general to tie a partner's field to a discipline (材料 is in half
/// the materials disciplines' names).
const GENERAL_PAIRS: [&str; 16] = [
    "材料", "工艺", "设备", "技术", "工程", "加工", "科学", "其他", "学科", "及其", "制造", "应用",
    "系统", "基础", "理论", "方法",
];

/// The bridge's reason for a partner: the first discipline (closest first) whose name, or a
/// sub-discipline's, shares a specific two-character word with one of the partner's fields
/// (热处理 and 热处理工艺与设备, 铝合金 and 有色金属及其合金, 铝冶金 and 有色金属冶金).
fn bridge_reason(
    bridged: &labbridge_domain::classification::Bridged,
    fields: &[String],
) -> Option<String> {
    let pairs: Vec<String> = fields
        .iter()
        .flat_map(|field| {
            let characters: Vec<char> = field.chars().collect();
            characters
                .windows(2)
                .map(|pair| pair.iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .filter(|pair| {
            pair.chars().all(labbridge_domain::text::is_cjk)
                && !GENERAL_PAIRS.contains(&pair.as_str())
        })
        .collect();
    let related = |name: &str| pairs.iter().any(|pair| name.contains(pair.as_str()));
    let list = labbridge_domain::classification::disciplines();
    bridged
        .disciplines
        .iter()
        .find(|discipline| {
            related(&discipline.name)
                || list
                    .children(&discipline.code)
                    .any(|child| related(&child.name))
        })
        .map(|discipline| bridged.reason(discipline))
}

fn gap_code(assessment: &coverage::Assessment) -> &'static str {
    match (assessment.cooperation, assessment.institution_and_staff) {
        (false, false) => "AB",
        (false, true) => "A",
        _ => "B",
    }
}

/// The coverages a partnership with this partner closes for an enterprise with these gaps:
/// any partnership gives A; a lab (a joint R&D centre with seconded researchers) also gives B;
/// an expert taking a post gives B when R&D staff was all B lacked.
fn closes(partner: &Partner, assessment: &coverage::Assessment) -> Vec<String> {
    let mut closed = Vec::new();
    if !assessment.cooperation {
        closed.push("A".to_owned());
    }
    let staff_only = assessment.gaps.iter().all(|gap| {
        matches!(
            gap,
            Gap::NoRdStaff
                | Gap::NoCooperation
                | Gap::CooperationExpired
                | Gap::CooperationNotStarted
        )
    });
    if !assessment.institution_and_staff
        && (partner.kind == Kind::Lab || (partner.programme_fit && staff_only))
    {
        closed.push("B".to_owned());
    }
    closed
}

fn highlighted_terms(snippet: &str) -> Vec<String> {
    snippet
        .split("<em>")
        .skip(1)
        .filter_map(|part| part.split_once("</em>").map(|(term, _)| term.to_owned()))
        .collect()
}

fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

impl App {
    /// Runs the matcher over the latest roster; writes the proposals unless `dry_run`.
    pub async fn run_matcher(
        &self,
        index: &SearchIndex,
        today: NaiveDate,
        options: MatchOptions,
    ) -> Result<MatchReport> {
        self.run_matcher_reporting(index, today, options, &|_, _, _| {})
            .await
    }

    /// [`App::run_matcher`], telling `progress` each stage (`candidates`, `assignment`,
    /// `writing`) with how far it got (done, total).
    pub async fn run_matcher_reporting(
        &self,
        index: &SearchIndex,
        today: NaiveDate,
        options: MatchOptions,
        progress: &(dyn Fn(&str, usize, usize) + Sync),
    ) -> Result<MatchReport> {
        let dry_run = options.dry_run;
        // Partners an enterprise with a gap wants at least and at most (settings).
        let (min_partners, max_partners) = (self.settings.min_partners, self.settings.max_partners);
        let started = Instant::now();
        let store = &self.store;
        let year = store
            .roster_years()
            .await?
            .first()
            .copied()
            .unwrap_or_else(|| chrono::Datelike::year(&today));
        let reference_date = coverage::reference_date(year, today);
        let roster = store.roster(year).await?;
        let before = report(year, reference_date, &roster);
        let divisions = Divisions::embedded();

        let mut needs_by_enterprise: HashMap<String, Vec<String>> = HashMap::new();
        for need in store.needs_since(None).await? {
            if matches!(need.status.as_str(), "open" | "in_progress") {
                let fields = crate::search::list_field(&need.fields).join(" ");
                needs_by_enterprise
                    .entry(need.enterprise_id)
                    .or_default()
                    .push(format!(
                        "{} {} {} {} {}",
                        need.title, need.title, fields, fields, need.description
                    ));
            }
        }
        let existing = store.proposals().await?;
        let history = PairHistory::of(
            &existing,
            chrono::Utc::now(),
            self.settings.hold_days,
            self.settings.busy_days,
        );
        let refused = &history.refused;
        let kept_by_enterprise = &history.kept_by_enterprise;
        let kept_by_partner = &history.kept_by_partner;

        let memberships = store.expert_programs().await?;
        let mut partners: Vec<Partner> = Vec::new();
        let mut partner_index: HashMap<(Kind, String), usize> = HashMap::new();
        for lab in store.labs_since(None).await? {
            let used = kept_by_partner.get(&lab.id).copied().unwrap_or(0)
                + history.busy.get(&lab.id).copied().unwrap_or(0);
            partner_index.insert((Kind::Lab, lab.id.clone()), partners.len());
            partners.push(Partner {
                kind: Kind::Lab,
                fields: crate::search::list_field(&lab.fields),
                capacity: capacity(lab.capacity, LAB_CAPACITY).saturating_sub(used),
                level: lab
                    .level
                    .as_deref()
                    .and_then(|code| Level::parse(code).ok()),
                programme_fit: false,
                mail_domain: lab.email.as_deref().and_then(mail_domain),
                id: lab.id,
                name: lab.name,
                institution: lab.institution,
                province: lab.province,
            });
        }
        for expert in store.experts_since(None).await? {
            let used = kept_by_partner.get(&expert.id).copied().unwrap_or(0)
                + history.busy.get(&expert.id).copied().unwrap_or(0);
            let in_programme = memberships
                .get(&expert.id)
                .is_some_and(|programs| !programs.is_empty());
            partner_index.insert((Kind::Expert, expert.id.clone()), partners.len());
            partners.push(Partner {
                kind: Kind::Expert,
                fields: crate::search::list_field(&expert.fields),
                capacity: capacity(expert.capacity, EXPERT_CAPACITY).saturating_sub(used),
                level: None,
                programme_fit: in_programme || expert.open_to_post,
                mail_domain: expert.email.as_deref().and_then(mail_domain),
                id: expert.id,
                name: expert.name,
                institution: expert.institution,
                province: expert.province,
            });
        }

        struct Seeker<'a> {
            entry: &'a RosterEntry,
            assessment: coverage::Assessment,
            candidates: Vec<Candidate>,
            /// Covered today, at risk: one partner keeps it covered (the same one, first).
            renewal: bool,
        }
        let mut seekers: Vec<Seeker> = Vec::new();
        let mut without_candidates = 0;
        let mut conflicts = 0;
        let mut renewal_seekers = 0;
        for (done, entry) in roster.iter().enumerate() {
            if done % 16 == 0 {
                progress("candidates", done, roster.len());
            }
            let facts = facts_of(entry);
            let mut assessment = coverage::assess(&facts, reference_date);
            // Coverage at risk: covered today, but cooperation ends before the year does. The
            // partners whose terms end are proposed again first (a renewal, 续签).
            let mut renewals: Vec<(usize, NaiveDate)> = Vec::new();
            if assessment.covered() {
                let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(reference_date);
                if coverage::assess(&facts, year_end).cooperation {
                    continue;
                }
                for partnership in &entry.partnerships {
                    let Some(end) = partnership.valid_to else {
                        continue;
                    };
                    if end < reference_date || end >= year_end {
                        continue;
                    }
                    let kind = match partnership.partner_kind.as_str() {
                        "lab" => Kind::Lab,
                        "expert" => Kind::Expert,
                        _ => continue,
                    };
                    if refused.contains(&(entry.enterprise.id.clone(), partnership.partner.clone()))
                    {
                        continue;
                    }
                    if let Some(&partner) = partner_index.get(&(kind, partnership.partner.clone()))
                        && !renewals.iter().any(|(known, _)| *known == partner)
                    {
                        renewals.push((partner, end));
                    }
                }
                if renewals.is_empty() {
                    continue;
                }
                assessment = coverage::Assessment {
                    cooperation: false,
                    institution_and_staff: true,
                    gaps: vec![Gap::CooperationExpired],
                };
            }
            let enterprise = &entry.enterprise;
            let enterprise_domain = enterprise.contact_email.as_deref().and_then(mail_domain);
            let chain = IndustryChain::parse(&enterprise.industry).unwrap_or(IndustryChain::Other);
            let products = crate::search::list_field(&enterprise.products).join(" ");
            let mut text = needs_by_enterprise
                .get(&enterprise.id)
                .map(|needs| needs.join(" "))
                .unwrap_or_default();
            // A need too short to match on its own is widened with the disciplines that serve
            // the enterprise's industry (the industry ↔ discipline bridge).
            let bridged = enterprise
                .industry_code
                .as_deref()
                .and_then(labbridge_domain::classification::bridge);
            let widen = bridged
                .as_ref()
                .filter(|_| text.chars().count() < SHORT_NEED_CHARS)
                .map(|bridged| bridged.vocabulary().join(" "));
            text.push_str(&format!(" {products} {products} {}", chain.label()));
            let query_text = match &widen {
                Some(words) => format!("{text} {words}"),
                None => text.clone(),
            };
            let province = divisions
                .county(&enterprise.county_code)
                .ok()
                .map(|county| county.province.clone());
            let results = index
                .search(&Request {
                    text: query_text,
                    kinds: vec![Kind::Lab, Kind::Expert],
                    limit: CANDIDATES,
                    similar: true,
                    ..Request::default()
                })
                .map_err(crate::Error::Search)?;
            let best = results
                .hits
                .first()
                .map_or(1.0, |hit| f64::from(hit.score).max(f64::EPSILON));
            let mut candidates = Vec::new();
            for hit in &results.hits {
                let Some(&partner) = partner_index.get(&(hit.kind, hit.id.clone())) else {
                    continue;
                };
                if refused.contains(&(enterprise.id.clone(), hit.id.clone())) {
                    continue;
                }
                let details = &partners[partner];
                if conflict(
                    &enterprise.name,
                    enterprise_domain.as_deref(),
                    details.mail_domain.as_deref(),
                    &details.institution,
                )
                .is_some()
                {
                    conflicts += 1;
                    continue;
                }
                // A partner that closes none of the enterprise's gaps does not serve coverage
                // (an expert for an enterprise that only lacks an R&D institution).
                let closed = closes(details, &assessment);
                if closed.is_empty() {
                    continue;
                }
                let named: Vec<&String> = details
                    .fields
                    .iter()
                    .filter(|field| text.contains(field.as_str()))
                    .collect();
                let missing_b = !assessment.institution_and_staff;
                let parts = ScoreParts {
                    relevance: round4(0.55 * f64::from(hit.score) / best),
                    fields: round4(if details.fields.is_empty() {
                        0.0
                    } else {
                        0.15 * named.len() as f64 / details.fields.len() as f64
                    }),
                    programme: if missing_b && details.kind == Kind::Expert && details.programme_fit
                    {
                        0.10
                    } else {
                        0.0
                    },
                    province: if province.is_some() && details.province == province {
                        0.05
                    } else {
                        0.0
                    },
                    level: match details.level {
                        Some(Level::National) => 0.10,
                        Some(Level::Provincial) => 0.07,
                        Some(Level::Municipal) => 0.04,
                        Some(Level::County) => 0.02,
                        None => 0.0,
                    },
                    both: if gap_code(&assessment) == "AB" && details.kind == Kind::Lab {
                        0.10
                    } else {
                        0.0
                    },
                };
                let score = round4(
                    (parts.relevance
                        + parts.fields
                        + parts.programme
                        + parts.province
                        + parts.level
                        + parts.both)
                        .clamp(0.0001, 1.0),
                );
                let mut terms: BTreeSet<String> =
                    highlighted_terms(&hit.snippet).into_iter().collect();
                terms.extend(named.into_iter().cloned());
                candidates.push(Candidate {
                    partner,
                    score,
                    reasons: Reasons {
                        matched_terms: terms.into_iter().collect(),
                        gaps: assessment
                            .gaps
                            .iter()
                            .map(|gap| gap.label().to_owned())
                            .collect(),
                        closes: closed,
                        parts,
                        renewal: false,
                        bridge: bridged
                            .as_ref()
                            .and_then(|bridged| bridge_reason(bridged, &details.fields)),
                    },
                });
            }
            if !renewals.is_empty() {
                renewal_seekers += 1;
                candidates.retain(|candidate| {
                    !renewals
                        .iter()
                        .any(|(partner, _)| *partner == candidate.partner)
                });
                for (partner, end) in renewals.iter().rev() {
                    candidates.insert(
                        0,
                        Candidate {
                            partner: *partner,
                            score: 1.0,
                            reasons: Reasons {
                                matched_terms: Vec::new(),
                                gaps: vec![format!("合作将于 {end} 到期，建议续签")],
                                closes: vec!["A".to_owned()],
                                parts: ScoreParts::default(),
                                renewal: true,
                                bridge: None,
                            },
                        },
                    );
                }
            }
            if candidates.is_empty() {
                without_candidates += 1;
            }
            seekers.push(Seeker {
                entry,
                assessment,
                candidates,
                renewal: !renewals.is_empty(),
            });
        }

        progress("assignment", 0, seekers.len());
        let demands = seekers
            .iter()
            .map(|seeker| {
                let kept = kept_by_enterprise
                    .get(&seeker.entry.enterprise.id)
                    .copied()
                    .unwrap_or(0);
                if seeker.renewal {
                    let wanted = u32::from(kept == 0);
                    return Demand {
                        min: wanted,
                        max: Some(wanted),
                    };
                }
                Demand {
                    min: min_partners.saturating_sub(kept),
                    max: Some(
                        max_partners
                            .saturating_sub(kept)
                            .max(min_partners.saturating_sub(kept)),
                    ),
                }
            })
            .collect();
        let capacities = partners.iter().map(|partner| partner.capacity).collect();
        let mut problem = Problem::new(demands, capacities)
            .map_err(|error| crate::Error::Invalid(error.to_string()))?;
        let town_priorities = options.balance_towns.then(|| {
            before
                .by_town
                .iter()
                .map(|row| {
                    (
                        row.town.clone().unwrap_or_default(),
                        town_priority(row.rate),
                    )
                })
                .collect::<Vec<_>>()
        });
        if let Some(priorities) = &town_priorities {
            let by_town: HashMap<&str, u32> = priorities
                .iter()
                .map(|(town, priority)| (town.as_str(), *priority))
                .collect();
            for (position, seeker) in seekers.iter().enumerate() {
                let priority = by_town
                    .get(seeker.entry.enterprise.town.as_str())
                    .copied()
                    .unwrap_or(0);
                problem
                    .prioritize(position, priority)
                    .map_err(|error| crate::Error::Invalid(error.to_string()))?;
            }
        }
        if self.settings.one_per_institution {
            group_by_institution(&mut problem, &partners)?;
        }
        for (position, seeker) in seekers.iter().enumerate() {
            for candidate in &seeker.candidates {
                let units = (candidate.score * f64::from(SCORE_SCALE)).round() as u32;
                problem
                    .candidate(position, candidate.partner, units.clamp(1, SCORE_SCALE))
                    .map_err(|error| crate::Error::Invalid(error.to_string()))?;
            }
        }
        let (assignment, floor) = if options.fair {
            let fair = labbridge_matcher::solve_fair(&problem);
            (
                fair.assignment,
                Some(f64::from(fair.floor) / f64::from(SCORE_SCALE)),
            )
        } else {
            (labbridge_matcher::solve(&problem), None)
        };

        let mut proposals = Vec::new();
        let mut forecast_facts: Vec<Facts> = roster.iter().map(facts_of).collect();
        let position_in_roster: HashMap<&str, usize> = roster
            .iter()
            .enumerate()
            .map(|(position, entry)| (entry.enterprise.id.as_str(), position))
            .collect();
        for &(seeker_position, partner_position) in &assignment.pairs {
            let seeker = &seekers[seeker_position as usize];
            let partner = &partners[partner_position as usize];
            let Some(candidate) = seeker
                .candidates
                .iter()
                .find(|candidate| candidate.partner == partner_position as usize)
            else {
                continue;
            };
            let enterprise = &seeker.entry.enterprise;
            if let Some(&position) = position_in_roster.get(enterprise.id.as_str()) {
                accept(
                    &mut forecast_facts[position],
                    &candidate.reasons.closes,
                    reference_date,
                );
            }
            proposals.push(ProposalView {
                enterprise_id: enterprise.id.clone(),
                enterprise: enterprise.name.clone(),
                town: enterprise.town.clone(),
                industry: IndustryChain::parse(&enterprise.industry)
                    .unwrap_or(IndustryChain::Other)
                    .label()
                    .to_owned(),
                partner_kind: partner.kind.name().to_owned(),
                partner_id: partner.id.clone(),
                partner: partner.name.clone(),
                institution: partner.institution.clone(),
                gap: gap_code(&seeker.assessment).to_owned(),
                score: candidate.score,
                reasons: candidate.reasons.clone(),
            });
        }
        proposals.sort_by(|left, right| {
            left.enterprise_id
                .cmp(&right.enterprise_id)
                .then(right.score.total_cmp(&left.score))
        });
        let forecast = report_of_facts(
            year,
            reference_date,
            roster
                .iter()
                .map(|entry| crate::coverage::group_key(&entry.enterprise))
                .zip(forecast_facts),
        );
        if !dry_run {
            progress("writing", 0, proposals.len());
            let now = chrono::Utc::now();
            let rows = proposals
                .iter()
                .map(|view| proposal::Model {
                    id: 0,
                    enterprise_id: view.enterprise_id.clone(),
                    partner_kind: view.partner_kind.clone(),
                    partner_id: view.partner_id.clone(),
                    gap: view.gap.clone(),
                    score: view.score,
                    reasons: serde_json::to_string(&view.reasons).unwrap_or_default(),
                    status: ProposalStatus::Proposed.code().to_owned(),
                    created_at: now,
                    updated_at: now,
                    decline_reason: None,
                    note: None,
                    partnership_id: None,
                    reminders: 0,
                    contacted_at: None,
                    escalated_at: None,
                })
                .collect();
            self.replace_proposed(&existing, rows, now).await?;
        }
        Ok(MatchReport {
            year,
            enterprises_with_gaps: seekers.len() - renewal_seekers,
            renewals: renewal_seekers,
            without_candidates,
            conflicts,
            required_placed: assignment.required_units,
            required_total: assignment.required_total,
            proposals,
            before,
            forecast,
            dry_run,
            floor,
            town_priorities,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// What earlier proposals of each pair and partner say about the next run.
#[derive(Debug, Default)]
pub struct PairHistory {
    /// (enterprise, partner) pairs not to propose: excluded or rejected by staff, declined with
    /// 方向不符 or 已有合作 (for good), or with another reason within the hold period.
    pub refused: HashSet<(String, String)>,
    /// Places each enterprise holds in proposals under way and partnerships.
    pub kept_by_enterprise: HashMap<String, u32>,
    /// Places each partner holds.
    pub kept_by_partner: HashMap<String, u32>,
    /// Capacity each partner lost to 精力不足 declines within the busy period.
    pub busy: HashMap<String, u32>,
}

impl PairHistory {
    /// Reads the proposals as of `now`, with the hold and busy periods in days.
    pub fn of(
        rows: &[proposal::Model],
        now: chrono::DateTime<chrono::Utc>,
        hold_days: u32,
        busy_days: u32,
    ) -> Self {
        let mut history = Self::default();
        let hold_since = now - chrono::Duration::days(i64::from(hold_days));
        let busy_since = now - chrono::Duration::days(i64::from(busy_days));
        for row in rows {
            let Ok(status) = ProposalStatus::parse(&row.status) else {
                continue;
            };
            let pair = (row.enterprise_id.clone(), row.partner_id.clone());
            if status.holds_capacity() {
                *history
                    .kept_by_enterprise
                    .entry(row.enterprise_id.clone())
                    .or_default() += 1;
                *history
                    .kept_by_partner
                    .entry(row.partner_id.clone())
                    .or_default() += 1;
                // A pair under way is not proposed a second time.
                history.refused.insert(pair);
                continue;
            }
            match status {
                ProposalStatus::Excluded | ProposalStatus::Rejected => {
                    history.refused.insert(pair);
                }
                ProposalStatus::DeclinedByPartner | ProposalStatus::DeclinedByEnterprise => {
                    let reason = row
                        .decline_reason
                        .as_deref()
                        .and_then(|code| DeclineReason::parse(code).ok())
                        .unwrap_or(DeclineReason::Other);
                    let effect = reason.effect();
                    if effect.exclude_pair || (effect.hold_pair && row.updated_at >= hold_since) {
                        history.refused.insert(pair);
                    }
                    if effect.lower_capacity
                        && status == ProposalStatus::DeclinedByPartner
                        && row.updated_at >= busy_since
                    {
                        *history.busy.entry(row.partner_id.clone()).or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        history
    }
}

fn creation_event(
    row: &proposal::Model,
    actor: &str,
    reason: Option<String>,
) -> proposal_event::Model {
    proposal_event::Model {
        id: 0,
        proposal_id: row.id,
        from_status: None,
        to_status: row.status.clone(),
        action: ProposalAction::Propose.code().to_owned(),
        actor_kind: if actor == "matcher" {
            ActorKind::System.code().to_owned()
        } else {
            ActorKind::Staff.code().to_owned()
        },
        actor: actor.to_owned(),
        reason,
        created_at: row.created_at,
    }
}

impl App {
    /// A matcher re-run: the proposals still awaiting review are superseded (kept, with an
    /// event each) and the new ones inserted, in one transaction.
    async fn replace_proposed(
        &self,
        existing: &[proposal::Model],
        rows: Vec<proposal::Model>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let superseded: Vec<&proposal::Model> = existing
            .iter()
            .filter(|row| row.status == ProposalStatus::Proposed.code())
            .collect();
        let next = transition(ProposalStatus::Proposed, ProposalAction::Supersede)
            .map_err(|error| crate::Error::Conflict(error.to_string()))?;
        let transaction = self.store.begin().await?;
        let ids: Vec<i64> = superseded.iter().map(|row| row.id).collect();
        Store::set_proposal_statuses(&transaction, &ids, next, now).await?;
        let mut events: Vec<proposal_event::Model> = superseded
            .iter()
            .map(|row| proposal_event::Model {
                id: 0,
                proposal_id: row.id,
                from_status: Some(ProposalStatus::Proposed.code().to_owned()),
                to_status: next.code().to_owned(),
                action: ProposalAction::Supersede.code().to_owned(),
                actor_kind: ActorKind::System.code().to_owned(),
                actor: "matcher".to_owned(),
                reason: Some("a later run of labbridge match".to_owned()),
                created_at: now,
            })
            .collect();
        let stored = Store::insert_proposals(&transaction, rows).await?;
        events.extend(
            stored
                .iter()
                .map(|row| creation_event(row, "matcher", None)),
        );
        Store::insert_events(&transaction, events).await?;
        transaction.commit().await?;
        Ok(())
    }
}

/// A stored proposal, with the names people need.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredProposal {
    /// Its id.
    pub id: i64,
    /// The enterprise's id.
    pub enterprise_id: String,
    /// The enterprise's name.
    pub enterprise: String,
    /// The enterprise's town.
    pub town: String,
    /// `lab` or `expert`.
    pub partner_kind: String,
    /// The partner's id.
    pub partner_id: String,
    /// The partner's name.
    pub partner: String,
    /// The partner's institution.
    pub institution: String,
    /// The coverages the enterprise missed: `A`, `B` or `AB`.
    pub gap: String,
    /// The score, 0–1.
    pub score: f64,
    /// A `ProposalStatus` code: `proposed`, `approved`, `rejected`, `sent`,
    /// `accepted_by_partner`, `declined_by_partner`, `accepted`, `declined_by_enterprise`,
    /// `active`, `withdrawn`, `expired`, `superseded`, `excluded`.
    pub status: String,
    /// The decline reason code, after a decline.
    pub decline_reason: Option<String>,
    /// The decliner's or staff's note.
    pub note: Option<String>,
    /// The partnership made from it, once active.
    pub partnership_id: Option<String>,
    /// Reminders sent for the awaited answer.
    pub reminders: i32,
    /// When its status last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Why (matched terms, gaps, what it closes, score parts).
    #[schema(value_type = Object)]
    pub reasons: serde_json::Value,
    /// When the matcher made it.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A pair staff exclude from matching.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
pub struct Exclusion {
    /// The enterprise's id.
    pub enterprise_id: String,
    /// `lab` or `expert`.
    #[schema(schema_with = crate::openapi::excluded_partner_kind)]
    pub partner_kind: String,
    /// The partner's id.
    pub partner_id: String,
    /// Why (a conflict of interest, a past dispute …); kept with the row.
    #[serde(default)]
    #[schema(schema_with = exclusion_reason)]
    pub reason: Option<String>,
}

fn exclusion_reason() -> utoipa::openapi::Object {
    crate::openapi::optional_text(crate::proposals::NOTE_LIMIT)
}

impl App {
    /// Excludes a pair from matching: it is never proposed again, and a proposal of it still
    /// `proposed` is withdrawn. Returns the row and whether it was excluded already.
    pub async fn exclude(
        &self,
        exclusion: &Exclusion,
        actor: &crate::proposals::Actor,
    ) -> Result<(StoredProposal, bool)> {
        let enterprise_id = exclusion.enterprise_id.trim();
        let partner_id = exclusion.partner_id.trim();
        let reason = exclusion.reason.as_deref().unwrap_or_default();
        if reason.chars().count() > crate::proposals::NOTE_LIMIT {
            return Err(crate::Error::Invalid(format!(
                "reason: at most {} characters",
                crate::proposals::NOTE_LIMIT
            )));
        }
        let reason = reason.trim();
        let Some(enterprise) = self.store.enterprise(enterprise_id).await? else {
            return Err(crate::Error::NotFound(format!(
                "no enterprise '{enterprise_id}'"
            )));
        };
        let kind = labbridge_domain::model::PartnerKind::parse(exclusion.partner_kind.trim())
            .ok()
            .filter(|kind| *kind != labbridge_domain::model::PartnerKind::Institution)
            .ok_or_else(|| {
                crate::Error::Invalid(format!(
                    "partner_kind '{}' is not one of lab, expert",
                    exclusion.partner_kind.trim()
                ))
            })?;
        let partner = match kind {
            labbridge_domain::model::PartnerKind::Lab => {
                self.store.lab(partner_id).await?.map(|lab| lab.name)
            }
            _ => self
                .store
                .expert(partner_id)
                .await?
                .map(|expert| expert.name),
        };
        if partner.is_none() {
            return Err(crate::Error::NotFound(format!(
                "no {} '{partner_id}'",
                kind.code()
            )));
        }
        let now = chrono::Utc::now();
        let note = format!("{reason}（{}）", actor.name);
        let added = serde_json::json!({ "excluded_by_staff": reason, "excluded_by": actor.name });
        let transaction = self.store.begin().await?;
        let existing =
            Store::proposals_of_pair(&transaction, enterprise_id, kind.code(), partner_id).await?;
        if let Some(row) = existing
            .iter()
            .find(|row| row.status == ProposalStatus::Excluded.code())
        {
            let row = row.clone();
            transaction.commit().await?;
            return Ok((self.stored_row(row, &enterprise).await?, true));
        }
        let row = if let Some(row) = existing
            .into_iter()
            .find(|row| row.status == ProposalStatus::Proposed.code())
        {
            // The matcher's reasons stay, with the staff's added beside them.
            let merged = match serde_json::from_str::<serde_json::Value>(&row.reasons) {
                Ok(serde_json::Value::Object(mut kept)) => {
                    if let serde_json::Value::Object(added) = added {
                        kept.extend(added);
                    }
                    serde_json::Value::Object(kept).to_string()
                }
                _ => added.to_string(),
            };
            let from = ProposalStatus::Proposed;
            let to = transition(from, ProposalAction::Exclude)
                .map_err(|error| crate::Error::Conflict(error.to_string()))?;
            let id = row.id;
            let stored = Store::set_proposal_status(
                &transaction,
                row,
                to,
                ProposalChange {
                    note: Some(note.clone()),
                    reasons: Some(merged),
                    ..ProposalChange::default()
                },
                now,
            )
            .await?;
            Store::insert_events(
                &transaction,
                vec![proposal_event::Model {
                    id: 0,
                    proposal_id: id,
                    from_status: Some(from.code().to_owned()),
                    to_status: to.code().to_owned(),
                    action: ProposalAction::Exclude.code().to_owned(),
                    actor_kind: actor.kind.code().to_owned(),
                    actor: actor.name.clone(),
                    reason: Some(reason.to_owned()).filter(|reason| !reason.is_empty()),
                    created_at: now,
                }],
            )
            .await?;
            stored
        } else {
            let mut stored = Store::insert_proposals(
                &transaction,
                vec![proposal::Model {
                    id: 0,
                    enterprise_id: enterprise_id.to_owned(),
                    partner_kind: kind.code().to_owned(),
                    partner_id: partner_id.to_owned(),
                    gap: String::new(),
                    score: 0.0,
                    reasons: added.to_string(),
                    status: ProposalStatus::Excluded.code().to_owned(),
                    created_at: now,
                    updated_at: now,
                    decline_reason: None,
                    note: Some(note.clone()),
                    partnership_id: None,
                    reminders: 0,
                    contacted_at: None,
                    escalated_at: None,
                }],
            )
            .await?;
            let row = stored
                .pop()
                .ok_or_else(|| crate::Error::Conflict("the exclusion was not stored".to_owned()))?;
            Store::insert_events(
                &transaction,
                vec![creation_event(
                    &row,
                    &actor.name,
                    Some(reason.to_owned()).filter(|reason| !reason.is_empty()),
                )],
            )
            .await?;
            row
        };
        transaction.commit().await?;
        Ok((self.stored_row(row, &enterprise).await?, false))
    }

    pub(crate) async fn stored_row(
        &self,
        row: proposal::Model,
        enterprise: &labbridge_store::entity::enterprise::Model,
    ) -> Result<StoredProposal> {
        let (partner, institution) = if row.partner_kind == "lab" {
            self.store
                .lab(&row.partner_id)
                .await?
                .map(|lab| (lab.name, lab.institution))
                .unwrap_or_default()
        } else {
            self.store
                .expert(&row.partner_id)
                .await?
                .map(|expert| (expert.name, expert.institution))
                .unwrap_or_default()
        };
        Ok(stored(
            row,
            enterprise.name.clone(),
            enterprise.town.clone(),
            partner,
            institution,
        ))
    }

    /// The proposals to one enterprise with names, best first (its portal's read: one query
    /// for the rows and one lookup per partner, however many proposals the county holds).
    pub async fn enterprise_proposals(&self, enterprise_id: &str) -> Result<Vec<StoredProposal>> {
        let Some(enterprise) = self.store.enterprise(enterprise_id).await? else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::new();
        for row in self.store.proposals_of_enterprise(enterprise_id).await? {
            rows.push(self.stored_row(row, &enterprise).await?);
        }
        rows.sort_by(|left, right| {
            right
                .score
                .total_cmp(&left.score)
                .then(left.id.cmp(&right.id))
        });
        Ok(rows)
    }

    /// Lists the proposals, optionally of one status, best first per enterprise.
    pub async fn proposals(&self, status: Option<&str>) -> Result<Vec<StoredProposal>> {
        if let Some(status) = status {
            ProposalStatus::parse(status)
                .map_err(|error| crate::Error::Invalid(error.to_string()))?;
        }
        let enterprises = self.store.enterprise_names().await?;
        let experts = self.store.expert_names().await?;
        let labs = self.store.lab_names().await?;
        let institutions = self.store.partner_institutions().await?;
        let mut rows: Vec<StoredProposal> = self
            .store
            .proposals()
            .await?
            .into_iter()
            .filter(|row| status.is_none_or(|status| row.status == status.trim()))
            .map(|row| {
                let names = if row.partner_kind == "lab" {
                    &labs
                } else {
                    &experts
                };
                let (enterprise, town) = enterprises
                    .get(&row.enterprise_id)
                    .cloned()
                    .unwrap_or_default();
                let partner = names.get(&row.partner_id).cloned().unwrap_or_default();
                let institution = institutions
                    .get(&(row.partner_kind.clone(), row.partner_id.clone()))
                    .cloned()
                    .unwrap_or_default();
                stored(row, enterprise, town, partner, institution)
            })
            .collect();
        rows.sort_by(|left, right| {
            left.enterprise_id
                .cmp(&right.enterprise_id)
                .then(right.score.total_cmp(&left.score))
                .then(left.id.cmp(&right.id))
        });
        Ok(rows)
    }
}

/// One page of the staff desk: the page's proposals, the tabs' counts, the towns to filter by.
#[derive(Debug, Clone, PartialEq)]
pub struct Desk {
    /// The page's proposals, enterprises in pinyin order, each one's best first.
    pub rows: Vec<StoredProposal>,
    /// How many proposals each tab holds under the filters.
    pub counts: labbridge_store::DeskCounts,
    /// How many the chosen tab holds (every page).
    pub matching: u64,
    /// The towns of the latest roster, in pinyin order.
    pub towns: Vec<String>,
}

impl App {
    /// One page of the desk: the database filters, counts and orders; only the page's
    /// proposals are read, with their names.
    pub async fn desk(
        &self,
        query: &labbridge_store::DeskQuery,
        tab: Option<&labbridge_store::DeskTab>,
        offset: u64,
        limit: u64,
    ) -> Result<Desk> {
        use labbridge_store::DeskTab;
        let counts = self.store.desk_counts(query).await?;
        let matching = match tab {
            None => counts.all,
            Some(DeskTab::Silent) => counts.silent,
            Some(DeskTab::FollowUp) => counts.follow_up,
            Some(DeskTab::Status(status)) => counts
                .by_status
                .iter()
                .find(|(code, _)| code == status)
                .map_or(0, |(_, count)| *count),
        };
        let rows = self
            .store
            .desk_rows(query, tab, offset, limit)
            .await?
            .into_iter()
            .map(|row| {
                stored(
                    row.proposal,
                    row.enterprise,
                    row.town,
                    row.partner,
                    row.institution,
                )
            })
            .collect();
        // The filter offers the towns of the latest roster (kept under the coverage stamp).
        let (year, _) = self.latest_roster(crate::today()).await?;
        let mut towns: Vec<String> = self
            .roster_towns(year)
            .await?
            .into_iter()
            .map(|(_, name)| name)
            .filter(|name| !name.is_empty())
            .collect();
        towns.sort_by_cached_key(|town| crate::sort::pinyin_key(town));
        towns.dedup();
        Ok(Desk {
            rows,
            counts,
            matching,
            towns,
        })
    }

    /// One proposal with its names, if it exists.
    pub async fn stored_proposal(&self, id: i64) -> Result<Option<StoredProposal>> {
        let Some(row) = labbridge_store::Store::proposal(self.store.connection(), id).await? else {
            return Ok(None);
        };
        let enterprise = self.store.enterprise(&row.enterprise_id).await?;
        let (name, town) = enterprise
            .map(|enterprise| (enterprise.name, enterprise.town))
            .unwrap_or_default();
        let names = self
            .partner_names(vec![(row.partner_kind.clone(), row.partner_id.clone())])
            .await?;
        let partner = names
            .get(&(row.partner_kind.clone(), row.partner_id.clone()))
            .cloned()
            .unwrap_or_default();
        Ok(Some(stored(row, name, town, partner, String::new())))
    }
}

fn stored(
    row: proposal::Model,
    enterprise: String,
    town: String,
    partner: String,
    institution: String,
) -> StoredProposal {
    StoredProposal {
        enterprise,
        town,
        partner,
        institution,
        reasons: serde_json::from_str(&row.reasons).unwrap_or_default(),
        id: row.id,
        enterprise_id: row.enterprise_id,
        partner_kind: row.partner_kind,
        partner_id: row.partner_id,
        gap: row.gap,
        score: row.score,
        status: row.status,
        decline_reason: row.decline_reason,
        note: row.note,
        partnership_id: row.partnership_id,
        reminders: row.reminders,
        updated_at: row.updated_at,
        created_at: row.created_at,
    }
}

fn capacity(registry: Option<i32>, default: u32) -> u32 {
    registry
        .and_then(|value| u32::try_from(value).ok())
        .unwrap_or(default)
}

/// Adds to an enterprise's facts what accepting a proposal would: a partnership from the
/// reference date (A), and for B a recognised joint centre with one R&D person.
fn accept(facts: &mut Facts, closes: &[String], day: NaiveDate) {
    let period = Period {
        from: day,
        to: None,
    };
    if closes.iter().any(|code| code == "A") {
        facts.partnerships.push(period);
    }
    if closes.iter().any(|code| code == "B") {
        facts.institutions.push(period);
        facts.rd_staff = facts.rd_staff.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The conflict of an enterprise and a partner, as the matcher asks it.
    fn check(
        name: &str,
        email: Option<&str>,
        partner_email: Option<&str>,
        institution: &str,
    ) -> Option<String> {
        conflict(
            name,
            email.and_then(mail_domain).as_deref(),
            partner_email.and_then(mail_domain).as_deref(),
            institution,
        )
    }

    fn row(
        partner: &str,
        status: ProposalStatus,
        reason: Option<DeclineReason>,
        days_ago: i64,
    ) -> proposal::Model {
        let now = chrono::Utc::now();
        proposal::Model {
            id: 0,
            enterprise_id: "e".into(),
            partner_kind: "expert".into(),
            partner_id: partner.into(),
            gap: "A".into(),
            score: 0.5,
            reasons: "{}".into(),
            status: status.code().into(),
            created_at: now,
            updated_at: now - chrono::Duration::days(days_ago),
            decline_reason: reason.map(|reason| reason.code().to_owned()),
            note: None,
            partnership_id: None,
            reminders: 0,
            contacted_at: None,
            escalated_at: None,
        }
    }

    #[test]
    fn decline_reasons_feed_the_next_run() {
        use DeclineReason as R;
        use ProposalStatus as S;
        let rows = [
            row(
                "mismatch",
                S::DeclinedByPartner,
                Some(R::DirectionMismatch),
                400,
            ),
            row(
                "together",
                S::DeclinedByEnterprise,
                Some(R::AlreadyCooperating),
                400,
            ),
            row("early", S::DeclinedByPartner, Some(R::NotReady), 30),
            row(
                "early-long-ago",
                S::DeclinedByPartner,
                Some(R::NotReady),
                200,
            ),
            row("busy", S::DeclinedByPartner, Some(R::NoCapacity), 10),
            row("busy", S::DeclinedByPartner, Some(R::NoCapacity), 20),
            row(
                "busy-long-ago",
                S::DeclinedByPartner,
                Some(R::NoCapacity),
                100,
            ),
            row("unclear", S::DeclinedByPartner, Some(R::NeedUnclear), 5),
            row("sent", S::Sent, None, 1),
            row("superseded", S::Superseded, None, 1),
            row("rejected", S::Rejected, None, 1),
        ];
        let history = PairHistory::of(&rows, chrono::Utc::now(), 180, 90);
        let refused = |partner: &str| {
            history
                .refused
                .contains(&("e".to_owned(), partner.to_owned()))
        };
        assert!(refused("mismatch") && refused("together"), "for good");
        assert!(
            refused("early") && !refused("early-long-ago"),
            "held for the hold period"
        );
        assert!(
            refused("unclear") && refused("busy"),
            "other reasons hold the pair too"
        );
        assert!(refused("sent") && refused("rejected"));
        assert!(!refused("superseded"), "a replaced proposal says nothing");
        assert_eq!(
            history.busy.get("busy"),
            Some(&2),
            "each 精力不足 lowers capacity by one"
        );
        assert_eq!(
            history.busy.get("busy-long-ago"),
            None,
            "only within the busy period"
        );
        assert_eq!(history.kept_by_partner.get("sent"), Some(&1));
        assert_eq!(history.kept_by_enterprise.get("e"), Some(&1));
    }

    #[test]
    fn the_bridge_names_the_discipline_a_partners_fields_fall_in() {
        let fields = |list: &[&str]| {
            list.iter()
                .map(|field| (*field).to_owned())
                .collect::<Vec<_>>()
        };
        let aluminium = labbridge_domain::classification::bridge("C3252").expect("bridged");
        assert_eq!(
            bridge_reason(&aluminium, &fields(&["铝冶金", "熔铸"])).as_deref(),
            Some("行业 C3252 铝压延加工 ↔ 学科 冶金工程技术")
        );
        assert_eq!(
            bridge_reason(&aluminium, &fields(&["高强铝合金"])).as_deref(),
            Some("行业 C3252 铝压延加工 ↔ 学科 金属材料")
        );
        // 材料 alone is too general; a pharmacist relates to nothing here.
        assert_eq!(bridge_reason(&aluminium, &fields(&["复合材料"])), None);
        assert_eq!(
            bridge_reason(&aluminium, &fields(&["药物合成", "制剂"])),
            None
        );
        let parts = labbridge_domain::classification::bridge("C3670").expect("bridged");
        assert_eq!(
            bridge_reason(&parts, &fields(&["冲压", "焊接"])).as_deref(),
            Some("行业 C3670 汽车零部件及配件制造 ↔ 学科 机械制造工艺与设备")
        );
    }

    #[test]
    fn conflicts_of_interest() {
        let firm = ("山东华建铝业集团有限公司", Some("rd@huajian-al.com"));
        // Same employer domain, also a sub-domain, in any case.
        assert!(check(firm.0, firm.1, Some("li@huajian-al.com"), "山东大学").is_some());
        assert!(check(firm.0, firm.1, Some("li@RD.Huajian-AL.com"), "山东大学").is_some());
        // The enterprise's own lab.
        assert!(check(firm.0, firm.1, None, "山东华建铝业集团有限公司技术中心").is_some());
        // A university colleague is no conflict; neither is a shared public mailbox.
        assert!(check(firm.0, firm.1, Some("li@sdu.edu.cn"), "山东大学").is_none());
        let public = ("临朐某机械有限公司", Some("boss@163.com"));
        assert!(check(public.0, public.1, Some("prof@163.com"), "山东理工大学").is_none());
        // Missing or malformed addresses never count.
        assert!(check(public.0, public.1, Some("not an address"), "山东理工大学").is_none());
        assert!(check("", None, Some("@"), "").is_none());
    }
}
