//! Institution names, normalised so one university is one institution.
//!
//! Names come from many hands: "北京科技大学（材料学院）", "北京科技大学 材料科学与工程学院",
//! "北京科技大学(材料学院)". All are 北京科技大学 — but 北京科技大学天津学院 is another
//! institution, with its own entry in the Ministry of Education's list (see
//! `assets/SOURCES.md`). Research institutes (中国科学院金属研究所 …) are not on that list; they
//! keep their name as given, after the same bracket, width and space clean-up.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::text::{fold_width, is_cjk};
use crate::{Divisions, Error, Result};

const UNIVERSITIES_CSV: &str = include_str!("../assets/moe_regular_hei_list_2631.csv");

/// What an expert's or a lab's institution is recorded as when the source gives none (a
/// technology market's offers, an expert whose affiliation is not known): an explicit unknown
/// that rankings, facets and the one-partner-per-institution rule skip.
pub const UNKNOWN_INSTITUTION: &str = "未知";

/// Whether an institution name says nothing (blank, 未知, 不详, 其他, unknown …).
pub fn is_unknown_institution(name: &str) -> bool {
    let name = name.trim();
    const PLACEHOLDERS: [&str; 12] = [
        "", "未知", "不详", "其他", "其它", "无", "待定", "暂无", "unknown", "n/a", "none", "-",
    ];
    PLACEHOLDERS
        .iter()
        .any(|placeholder| name.eq_ignore_ascii_case(placeholder))
        || name.starts_with("未知")
}

/// Suffixes that mark the rest of a name as a unit inside a university.
const UNIT_SUFFIXES: [&str; 9] = [
    "学院",
    "系",
    "研究院",
    "研究所",
    "实验室",
    "中心",
    "学部",
    "部",
    "所",
];

/// A university from the official list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct University {
    /// Its official name.
    pub name: String,
    /// Its Ministry of Education code.
    pub moe_code: String,
    /// The city it is in, as the list gives it.
    pub city: String,
    /// 本科 or 专科.
    pub level: String,
}

/// An institution name after normalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Institution {
    /// The canonical name.
    pub name: String,
    /// Whether it is a university of the official list (otherwise an institute or other body).
    pub university: bool,
}

#[derive(Deserialize)]
struct UniversityRow {
    name: String,
    moe_code: String,
    city: String,
    level: String,
}

/// The official university list, with a name normaliser.
#[derive(Debug)]
pub struct Institutions {
    universities: Vec<University>,
    by_name: HashMap<String, usize>,
    longest_name: usize,
}

impl Institutions {
    /// Returns the embedded list, parsed once.
    pub fn embedded() -> &'static Institutions {
        static INSTITUTIONS: OnceLock<Institutions> = OnceLock::new();
        INSTITUTIONS.get_or_init(|| {
            let universities: Vec<University> =
                csv::Reader::from_reader(UNIVERSITIES_CSV.as_bytes())
                    .deserialize::<UniversityRow>()
                    .filter_map(|row| row.ok())
                    .filter(|row| !row.name.trim().is_empty() && !row.moe_code.trim().is_empty())
                    .map(|row| University {
                        name: row.name.trim().to_owned(),
                        moe_code: row.moe_code,
                        city: row.city,
                        level: row.level,
                    })
                    .collect();
            let by_name: HashMap<String, usize> = universities
                .iter()
                .enumerate()
                .map(|(index, university)| (university.name.clone(), index))
                .collect();
            let longest_name = universities
                .iter()
                .map(|university| university.name.chars().count())
                .max()
                .unwrap_or(0);
            Institutions {
                universities,
                by_name,
                longest_name,
            }
        })
    }

    /// Returns every university of the list.
    pub fn universities(&self) -> &[University] {
        &self.universities
    }

    /// Finds a university by its exact official name.
    pub fn university(&self, name: &str) -> Option<&University> {
        self.by_name
            .get(name)
            .map(|index| &self.universities[*index])
    }

    /// Returns the province of a listed university, from its city.
    pub fn province_of(&self, university: &University) -> Option<&'static str> {
        Divisions::embedded().province_of(&university.city)
    }

    /// Normalises an institution name.
    pub fn normalize(&self, raw: &str) -> Result<Institution> {
        let cleaned = clean_name(raw);
        if cleaned.is_empty() {
            return Err(Error::new("institution is empty"));
        }
        if let Some(found) = self.university(&cleaned) {
            return Ok(Institution {
                name: found.name.clone(),
                university: true,
            });
        }
        let without_brackets = strip_bracketed(&cleaned);
        if let Some(found) = self.university(&without_brackets) {
            return Ok(Institution {
                name: found.name.clone(),
                university: true,
            });
        }
        if let Some(found) = self.university_prefix(&without_brackets) {
            return Ok(Institution {
                name: found.name.clone(),
                university: true,
            });
        }
        Ok(Institution {
            name: cleaned,
            university: false,
        })
    }

    /// The longest listed university that starts the name, when the rest names a unit
    /// inside it (a school, department, institute or lab).
    fn university_prefix(&self, name: &str) -> Option<&University> {
        let characters: Vec<char> = name.chars().collect();
        let longest = self.longest_name.min(characters.len().saturating_sub(1));
        (2..=longest).rev().find_map(|length| {
            let prefix: String = characters[..length].iter().collect();
            let rest: String = characters[length..].iter().collect();
            let is_unit = UNIT_SUFFIXES.iter().any(|suffix| rest.ends_with(suffix));
            is_unit.then(|| self.university(&prefix)).flatten()
        })
    }
}

/// Folds width, unifies brackets to the full-width Chinese forms and removes spaces next to
/// Chinese characters (keeping single spaces between Latin words).
fn clean_name(raw: &str) -> String {
    let folded: Vec<char> = fold_width(raw)
        .chars()
        .map(|character| match character {
            '(' | '[' | '【' | '〔' | '［' => '（',
            ')' | ']' | '】' | '〕' | '］' => '）',
            other => other,
        })
        .collect();
    let mut cleaned = String::with_capacity(raw.len());
    let mut index = 0;
    while index < folded.len() {
        let character = folded[index];
        if character.is_whitespace() {
            let run_end = folded[index..]
                .iter()
                .position(|next| !next.is_whitespace())
                .map_or(folded.len(), |offset| index + offset);
            let before = cleaned.chars().last();
            let after = folded.get(run_end).copied();
            let keep = matches!((before, after), (Some(left), Some(right)) if !is_cjk(left) && !is_cjk(right));
            if keep {
                cleaned.push(' ');
            }
            index = run_end;
            continue;
        }
        cleaned.push(character);
        index += 1;
    }
    cleaned
}

/// Removes every bracketed part: "北京科技大学（材料学院）" → 北京科技大学.
fn strip_bracketed(name: &str) -> String {
    let mut depth = 0usize;
    let mut kept = String::with_capacity(name.len());
    for character in name.chars() {
        match character {
            '（' => depth += 1,
            '）' => depth = depth.saturating_sub(1),
            other if depth == 0 => kept.push(other),
            _ => {}
        }
    }
    kept.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn normalize(raw: &str) -> Institution {
        Institutions::embedded().normalize(raw).expect(raw)
    }

    #[test]
    fn one_university_many_spellings() {
        for raw in [
            "北京科技大学",
            "北京科技大学（材料学院）",
            "北京科技大学(材料学院)",
            " 北京科技大学 （材料学院） ",
            "北京科技大学材料科学与工程学院",
            "北京科技大学 冶金与生态工程学院",
        ] {
            assert_eq!(
                normalize(raw),
                Institution {
                    name: "北京科技大学".into(),
                    university: true
                },
                "{raw}"
            );
        }
    }

    #[test]
    fn a_listed_college_stays_itself() {
        assert_eq!(
            normalize("北京科技大学天津学院").name,
            "北京科技大学天津学院"
        );
        assert_eq!(
            normalize("北京科技大学天津学院（机械系）").name,
            "北京科技大学天津学院"
        );
    }

    #[test]
    fn institutes_keep_their_name_after_cleanup() {
        let institute = normalize("中国科学院 金属研究所(沈阳)");
        assert_eq!(
            institute,
            Institution {
                name: "中国科学院金属研究所（沈阳）".into(),
                university: false
            }
        );
        assert_eq!(normalize("Fraunhofer  IWM").name, "Fraunhofer IWM");
    }

    #[test]
    fn empty_names_are_rejected() {
        assert!(Institutions::embedded().normalize("  ").is_err());
    }

    #[test]
    fn universities_know_their_province() {
        let institutions = Institutions::embedded();
        let university = institutions.university("山东大学").expect("listed");
        assert_eq!(institutions.province_of(university), Some("山东省"));
        assert!(institutions.universities().len() > 2500);
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent(raw in "[北京科技大学中国院所（）() a-z]{0,20}") {
            if let Ok(first) = Institutions::embedded().normalize(&raw) {
                let second = Institutions::embedded().normalize(&first.name).expect("normalised is valid");
                prop_assert_eq!(first, second);
            }
        }
    }
}
