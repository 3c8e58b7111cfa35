//! The two national code lists an enterprise and an expert are described by, and the bridge
//! between them.
//!
//! An enterprise belongs to an industry (GB/T 4754-2017 国民经济行业分类, "C3252 铝压延加工"); an
//! expert or a lab works in disciplines (GB/T 13745-2009 学科分类与代码, "450 冶金工程技术"). No
//! public crosswalk exists, so the bridge (`index/industry_disciplines.tsv`) is reviewed by
//! hand. The matcher uses it when an enterprise says too little about its needs to be matched
//! by its text alone, and names it in the proposal's reasons so a clerk sees why a metallurgist
//! was proposed to an aluminium roller.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::{Error, Result};

const INDUSTRIES_CSV: &str = include_str!("../assets/gb4754_2017.csv");
const DISCIPLINES_CSV: &str = include_str!("../assets/gbt13745_2009.csv");
const BRIDGE: &str = include_str!("../../../index/industry_disciplines.tsv");

/// One entry of a code list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Entry {
    /// Its code as the list writes it (`3252`, `C`, `43040`).
    pub code: String,
    /// Its name.
    pub name: String,
    /// The code of the entry it belongs to (empty at the top).
    pub parent_code: String,
    /// Its depth in the list.
    pub level: u8,
}

/// A code list, indexed by code and by parent.
#[derive(Debug, Default)]
pub struct CodeList {
    entries: Vec<Entry>,
    by_code: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
}

impl CodeList {
    fn parse(csv_text: &str) -> Self {
        let entries: Vec<Entry> = csv::Reader::from_reader(csv_text.as_bytes())
            .deserialize::<Entry>()
            .filter_map(|row| row.ok())
            .collect();
        let mut list = Self::default();
        for (index, entry) in entries.iter().enumerate() {
            list.by_code.insert(entry.code.clone(), index);
            list.children
                .entry(entry.parent_code.clone())
                .or_default()
                .push(index);
        }
        list.entries = entries;
        list
    }

    /// The entry of a code.
    pub fn get(&self, code: &str) -> Option<&Entry> {
        self.by_code.get(code).map(|&index| &self.entries[index])
    }

    /// The entries directly under a code.
    pub fn children(&self, code: &str) -> impl Iterator<Item = &Entry> {
        self.children
            .get(code)
            .into_iter()
            .flatten()
            .map(|&index| &self.entries[index])
    }

    /// Every entry.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// GB/T 4754-2017, parsed once.
pub fn industries() -> &'static CodeList {
    static LIST: OnceLock<CodeList> = OnceLock::new();
    LIST.get_or_init(|| CodeList::parse(INDUSTRIES_CSV))
}

/// GB/T 13745-2009, parsed once.
pub fn disciplines() -> &'static CodeList {
    static LIST: OnceLock<CodeList> = OnceLock::new();
    LIST.get_or_init(|| CodeList::parse(DISCIPLINES_CSV))
}

/// An industry of GB/T 4754, written with its section letter: `C3252`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Industry {
    /// Section letter and digits (`C3252`; a section alone is `C`).
    pub code: String,
    /// Its name (铝压延加工).
    pub name: String,
}

/// Reads an industry code as people write it: `C3252`, `c 3252`, `3252`, `C32`. The digits
/// must be a 大类, 中类 or 小类 of the list, and a letter, when given, its section.
pub fn industry(raw: &str) -> Result<Industry> {
    let compact: String = raw
        .chars()
        .filter(|character| !character.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let (letter, digits) = match compact.chars().next() {
        Some(first) if first.is_ascii_alphabetic() => (Some(first), &compact[1..]),
        _ => (None, compact.as_str()),
    };
    let unknown = || {
        Error::new(format!(
            "'{}' is not a GB/T 4754-2017 industry code (e.g. C3252)",
            raw.trim()
        ))
    };
    let list = industries();
    if digits.is_empty() {
        let section = letter.ok_or_else(unknown)?.to_string();
        let entry = list.get(&section).ok_or_else(unknown)?;
        return Ok(Industry {
            code: section,
            name: entry.name.clone(),
        });
    }
    if !digits.chars().all(|character| character.is_ascii_digit()) {
        return Err(unknown());
    }
    let entry = list.get(digits).ok_or_else(unknown)?;
    let section = section_of(digits).ok_or_else(unknown)?;
    if letter.is_some_and(|letter| letter.to_string() != section) {
        return Err(Error::new(format!(
            "industry code '{}': {digits} belongs to section {section}, not {}",
            raw.trim(),
            letter.unwrap_or(' ')
        )));
    }
    Ok(Industry {
        code: format!("{section}{digits}"),
        name: entry.name.clone(),
    })
}

/// The section letter above a numeric industry code.
fn section_of(code: &str) -> Option<String> {
    let list = industries();
    let mut entry = list.get(code)?;
    // Four levels at most; the bound only guards against a malformed list.
    for _ in 0..8 {
        if entry.level <= 1 {
            return Some(entry.code.clone());
        }
        entry = list.get(&entry.parent_code)?;
    }
    None
}

/// What the bridge says of one industry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bridged {
    /// The industry of the enterprise (`C3252 铝压延加工`).
    pub industry: Industry,
    /// The disciplines that serve it, the closest first.
    pub disciplines: Vec<Entry>,
}

impl Bridged {
    /// The words a short need is widened with: each discipline's name and its sub-disciplines'
    /// names, leaving out the catch-alls (…其他学科, …基础学科, …史).
    pub fn vocabulary(&self) -> Vec<String> {
        let list = disciplines();
        let mut words = Vec::new();
        for discipline in &self.disciplines {
            let names = std::iter::once(discipline)
                .chain(list.children(&discipline.code))
                .map(|entry| entry.name.as_str())
                .filter(|name| {
                    !(name.ends_with("其他学科")
                        || name.ends_with("基础学科")
                        || name.ends_with('史'))
                });
            for name in names {
                if !words.iter().any(|word| word == name) {
                    words.push(name.to_owned());
                }
            }
        }
        words
    }

    /// The reason a clerk reads: `行业 C3252 铝压延加工 ↔ 学科 冶金工程技术`.
    pub fn reason(&self, discipline: &Entry) -> String {
        format!(
            "行业 {} {} ↔ 学科 {}",
            self.industry.code, self.industry.name, discipline.name
        )
    }
}

/// The bridge's lines: industry code (with its letter) → discipline codes.
fn bridge_lines() -> &'static HashMap<String, Vec<String>> {
    static LINES: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| {
        BRIDGE
            .lines()
            .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| line.split_once('\t'))
            .map(|(industry, codes)| {
                (
                    industry.trim().to_owned(),
                    codes.split_whitespace().map(str::to_owned).collect(),
                )
            })
            .collect()
    })
}

/// The disciplines bridged to an industry code (as stored: `C3252`), from the most specific
/// line that covers it; `None` when the code is unknown or no line covers it.
pub fn bridge(industry_code: &str) -> Option<Bridged> {
    let industry = industry(industry_code).ok()?;
    let lines = bridge_lines();
    let mut prefix = industry.code.as_str();
    while prefix.len() > 1 {
        if let Some(codes) = lines.get(prefix) {
            let disciplines = codes
                .iter()
                .filter_map(|code| disciplines().get(code).cloned())
                .collect();
            return Some(Bridged {
                industry,
                disciplines,
            });
        }
        prefix = &prefix[..prefix.len() - 1];
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_lists_are_complete_enough() {
        // The counts the shared data's README gives for the levels used here.
        let industry_levels = |level| {
            industries()
                .entries()
                .iter()
                .filter(|entry| entry.level == level)
                .count()
        };
        assert_eq!(
            (industry_levels(1), industry_levels(2), industry_levels(4)),
            (20, 97, 1381)
        );
        assert_eq!(
            disciplines()
                .entries()
                .iter()
                .filter(|entry| entry.level == 1)
                .count(),
            62
        );
    }

    #[test]
    fn industry_codes_are_read_as_people_write_them() {
        for raw in ["C3252", "c 3252", "3252", " C3252 "] {
            let found = industry(raw).expect(raw);
            assert_eq!(
                (found.code.as_str(), found.name.as_str()),
                ("C3252", "铝压延加工")
            );
        }
        assert_eq!(
            industry("C32").expect("division").name,
            "有色金属冶炼和压延加工业"
        );
        assert_eq!(industry("C").expect("section").name, "制造业");
        for bad in ["", "C9999", "A3252", "32x2", "Z"] {
            assert!(industry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_bridge_line_names_real_codes_and_a_manufacturing_industry() {
        assert!(bridge_lines().len() >= 40);
        for (industry_code, codes) in bridge_lines() {
            let found = industry(industry_code).unwrap_or_else(|error| panic!("{error}"));
            assert_eq!(&found.code, industry_code, "written with its letter");
            assert!(industry_code.starts_with('C'), "{industry_code}");
            assert!(!codes.is_empty(), "{industry_code} bridges to nothing");
            for code in codes {
                let discipline = disciplines().get(code);
                assert!(
                    discipline.is_some(),
                    "{industry_code}: no discipline {code}"
                );
            }
        }
    }

    #[test]
    fn the_most_specific_line_wins_and_reads_as_a_reason() {
        let aluminium = bridge("C3252").expect("bridged");
        assert_eq!(aluminium.disciplines[0].name, "冶金工程技术");
        assert_eq!(
            aluminium.reason(&aluminium.disciplines[0]),
            "行业 C3252 铝压延加工 ↔ 学科 冶金工程技术"
        );
        // 3251 铜压延加工 has no line of its own: C325's applies.
        let copper = bridge("C3251").expect("bridged");
        assert_eq!(copper.industry.name, "铜压延加工");
        assert_eq!(copper.disciplines[0].code, "45045");
        let words = aluminium.vocabulary();
        assert!(words.contains(&"轧制".to_owned()) && words.contains(&"金属材料".to_owned()));
        assert!(!words.iter().any(|word| word.ends_with("其他学科")));
        assert!(bridge("C2311").is_none(), "印刷 is left out");
        assert!(bridge("nonsense").is_none());
    }

    proptest! {
        #[test]
        fn any_text_is_read_without_panicking(raw in "\\PC{0,12}") {
            let _ = industry(&raw);
            let _ = bridge(&raw);
        }
    }
}
