//! The "two full coverages" (两个全覆盖) rule.
//!
//! The county's own counting rule is not public; this is the working definition of DESIGN.md,
//! kept in this one module so it can change in one place when the bureau says so:
//!
//! For year Y, evaluated at D = min(today, 31 Dec Y), on the roster of every enterprise with
//! `above_scale` and `roster_year` = Y:
//! - **A** (产学研合作): a partnership with `valid_from` ≤ D and (no `valid_to` or `valid_to` ≥ D);
//! - **B** (研发机构 + 研发人员): an R&D institution with `recognized_on` ≤ D and (no
//!   `review_due` or `review_due` ≥ D), and at least one R&D person;
//! - covered = A and B.
//!
//! [`assess`] also says *why* a coverage is missing, since the bureau's next step differs
//! between "never cooperated" and "the contract ran out in March".

use chrono::NaiveDate;
use serde::Serialize;

/// A period of validity: a partnership's term or an R&D institution's recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The first day it holds (a partnership's `valid_from`, a recognition's `recognized_on`).
    pub from: NaiveDate,
    /// The last day it holds (`valid_to`, `review_due`); `None` when open-ended.
    pub to: Option<NaiveDate>,
}

impl Period {
    /// Returns whether the period holds on a day.
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.from <= day && self.to.is_none_or(|to| to >= day)
    }
}

/// What the rule needs to know about one enterprise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Terms of its partnerships with labs, experts and institutions.
    pub partnerships: Vec<Period>,
    /// Recognition periods of its R&D institutions.
    pub institutions: Vec<Period>,
    /// Its number of R&D staff.
    pub rd_staff: u32,
}

/// Why a coverage is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gap {
    /// A: no partnership at all.
    NoCooperation,
    /// A: every partnership ended before the reference date.
    CooperationExpired,
    /// A: partnerships exist but none has started yet.
    CooperationNotStarted,
    /// B: no R&D institution on record.
    NoInstitution,
    /// B: every recognition lapsed (its review date passed).
    InstitutionLapsed,
    /// B: recognitions exist but none is in force yet.
    InstitutionNotYetRecognized,
    /// B: no R&D staff.
    NoRdStaff,
}

impl Gap {
    /// Returns a short Chinese explanation.
    pub fn label(self) -> &'static str {
        match self {
            Gap::NoCooperation => "无产学研合作",
            Gap::CooperationExpired => "合作已到期",
            Gap::CooperationNotStarted => "合作尚未生效",
            Gap::NoInstitution => "无研发机构",
            Gap::InstitutionLapsed => "研发机构认定已过期",
            Gap::InstitutionNotYetRecognized => "研发机构尚未认定",
            Gap::NoRdStaff => "无研发人员",
        }
    }
}

/// The two coverages of one enterprise, with the reasons for any gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// A: 产学研合作.
    pub cooperation: bool,
    /// B: an R&D institution and R&D staff.
    pub institution_and_staff: bool,
    /// Why A or B is missing; empty when covered.
    pub gaps: Vec<Gap>,
}

impl Assessment {
    /// Returns whether both coverages hold.
    pub fn covered(&self) -> bool {
        self.cooperation && self.institution_and_staff
    }
}

/// Returns the reference date of a year: the end of the year, or today if earlier.
pub fn reference_date(year: i32, today: NaiveDate) -> NaiveDate {
    let end_of_year = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    today.min(end_of_year)
}

/// Returns whether an enterprise is on the roster of a year.
pub fn on_roster(above_scale: bool, roster_year: i32, year: i32) -> bool {
    above_scale && roster_year == year
}

fn period_gap(
    periods: &[Period],
    day: NaiveDate,
    none: Gap,
    ended: Gap,
    not_started: Gap,
) -> Option<Gap> {
    if periods.iter().any(|period| period.holds_on(day)) {
        return None;
    }
    if periods.is_empty() {
        return Some(none);
    }
    if periods.iter().any(|period| period.from > day) {
        return Some(not_started);
    }
    Some(ended)
}

/// Applies the rule to one enterprise at a reference date.
pub fn assess(facts: &Facts, day: NaiveDate) -> Assessment {
    let mut gaps = Vec::new();
    let cooperation_gap = period_gap(
        &facts.partnerships,
        day,
        Gap::NoCooperation,
        Gap::CooperationExpired,
        Gap::CooperationNotStarted,
    );
    gaps.extend(cooperation_gap);
    let institution_gap = period_gap(
        &facts.institutions,
        day,
        Gap::NoInstitution,
        Gap::InstitutionLapsed,
        Gap::InstitutionNotYetRecognized,
    );
    gaps.extend(institution_gap);
    if facts.rd_staff == 0 {
        gaps.push(Gap::NoRdStaff);
    }
    Assessment {
        cooperation: cooperation_gap.is_none(),
        institution_and_staff: institution_gap.is_none() && facts.rd_staff >= 1,
        gaps,
    }
}

/// Counts of a group of enterprises (a county, a town, an industry chain).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Enterprises on the roster.
    pub total: u32,
    /// Enterprises with both coverages.
    pub covered: u32,
    /// Enterprises with A.
    pub cooperation: u32,
    /// Enterprises with B.
    pub institution_and_staff: u32,
}

impl Tally {
    /// Adds one enterprise's assessment.
    pub fn add(&mut self, assessment: &Assessment) {
        self.total += 1;
        self.covered += u32::from(assessment.covered());
        self.cooperation += u32::from(assessment.cooperation);
        self.institution_and_staff += u32::from(assessment.institution_and_staff);
    }

    /// Returns covered / total, or 0 for an empty group.
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        f64::from(self.covered) / f64::from(self.total)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(year: i32, month: u32, date: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, date).expect("valid date")
    }

    fn open(from: NaiveDate) -> Period {
        Period { from, to: None }
    }

    #[test]
    fn reference_date_is_end_of_year_or_today() {
        assert_eq!(reference_date(2025, day(2026, 11, 27)), day(2025, 12, 31));
        assert_eq!(reference_date(2026, day(2026, 11, 27)), day(2026, 11, 27));
    }

    #[test]
    fn covered_needs_both() {
        let at = day(2026, 6, 1);
        let facts = Facts {
            partnerships: vec![open(day(2025, 1, 1))],
            institutions: vec![Period {
                from: day(2020, 1, 1),
                to: Some(day(2027, 1, 1)),
            }],
            rd_staff: 3,
        };
        let assessment = assess(&facts, at);
        assert!(assessment.covered());
        assert!(assessment.gaps.is_empty());

        let no_staff = assess(
            &Facts {
                rd_staff: 0,
                ..facts.clone()
            },
            at,
        );
        assert!(no_staff.cooperation && !no_staff.institution_and_staff && !no_staff.covered());
        assert_eq!(no_staff.gaps, [Gap::NoRdStaff]);
    }

    #[test]
    fn lapsed_recognitions_and_expired_partnerships_do_not_count() {
        let at = day(2026, 6, 1);
        let facts = Facts {
            partnerships: vec![Period {
                from: day(2023, 1, 1),
                to: Some(day(2026, 5, 31)),
            }],
            institutions: vec![Period {
                from: day(2020, 1, 1),
                to: Some(day(2026, 1, 1)),
            }],
            rd_staff: 10,
        };
        let assessment = assess(&facts, at);
        assert!(!assessment.cooperation && !assessment.institution_and_staff);
        assert_eq!(
            assessment.gaps,
            [Gap::CooperationExpired, Gap::InstitutionLapsed]
        );
    }

    #[test]
    fn boundaries_are_inclusive() {
        let at = day(2026, 6, 1);
        let facts = Facts {
            partnerships: vec![Period {
                from: at,
                to: Some(at),
            }],
            institutions: vec![Period {
                from: at,
                to: Some(at),
            }],
            rd_staff: 1,
        };
        assert!(assess(&facts, at).covered());
        let future = Facts {
            partnerships: vec![open(day(2026, 6, 2))],
            ..facts
        };
        assert_eq!(assess(&future, at).gaps, [Gap::CooperationNotStarted]);
    }

    #[test]
    fn tally_counts_and_rates() {
        let at = day(2026, 6, 1);
        let covered = assess(
            &Facts {
                partnerships: vec![open(at)],
                institutions: vec![open(at)],
                rd_staff: 1,
            },
            at,
        );
        let bare = assess(&Facts::default(), at);
        let mut tally = Tally::default();
        tally.add(&covered);
        tally.add(&bare);
        tally.add(&bare);
        tally.add(&bare);
        assert_eq!(
            tally,
            Tally {
                total: 4,
                covered: 1,
                cooperation: 1,
                institution_and_staff: 1
            }
        );
        assert!((tally.rate() - 0.25).abs() < 1e-12);
        assert_eq!(Tally::default().rate(), 0.0);
    }

    fn period_strategy() -> impl Strategy<Value = Period> {
        (0i64..3000, proptest::option::of(0i64..3000)).prop_map(|(from, to)| {
            let base = day(2020, 1, 1);
            Period {
                from: base + chrono::Days::new(from as u64),
                to: to.map(|to| base + chrono::Days::new(to as u64)),
            }
        })
    }

    fn facts_strategy() -> impl Strategy<Value = Facts> {
        (
            proptest::collection::vec(period_strategy(), 0..4),
            proptest::collection::vec(period_strategy(), 0..4),
            0u32..3,
        )
            .prop_map(|(partnerships, institutions, rd_staff)| Facts {
                partnerships,
                institutions,
                rd_staff,
            })
    }

    proptest! {
        #[test]
        fn assessment_agrees_with_the_definition(facts in facts_strategy(), offset in 0u64..3000) {
            let at = day(2020, 1, 1) + chrono::Days::new(offset);
            let assessment = assess(&facts, at);
            let holds = |period: &Period| period.from <= at && period.to.is_none_or(|to| to >= at);
            prop_assert_eq!(assessment.cooperation, facts.partnerships.iter().any(holds));
            prop_assert_eq!(
                assessment.institution_and_staff,
                facts.institutions.iter().any(holds) && facts.rd_staff >= 1
            );
            prop_assert_eq!(assessment.covered(), assessment.gaps.is_empty());
        }

        #[test]
        fn adding_a_valid_partnership_never_loses_coverage(facts in facts_strategy(), offset in 0u64..3000) {
            let at = day(2020, 1, 1) + chrono::Days::new(offset);
            let before = assess(&facts, at);
            let mut more = facts.clone();
            more.partnerships.push(open(at));
            let after = assess(&more, at);
            prop_assert!(after.cooperation);
            prop_assert!(after.institution_and_staff == before.institution_and_staff);
            prop_assert!(u8::from(after.covered()) >= u8::from(before.covered()));
        }
    }
}
