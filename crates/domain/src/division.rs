//! China's administrative divisions down to towns and streets (乡镇、街道), embedded.
//!
//! An enterprise belongs to a town (镇街) of a county; the bureau reports coverage per town,
//! so a town typed wrongly in a spreadsheet would silently split a town's figures. Every town
//! is therefore checked against the National Bureau of Statistics' division list (see
//! `assets/SOURCES.md`). Names are matched exactly, by code, or without their 镇/街道/乡 suffix
//! when that is unambiguous within the county.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::text::fold_width;
use crate::{Error, Result};

const PROVINCES_CSV: &str = include_str!("../assets/provinces.csv");
const CITIES_CSV: &str = include_str!("../assets/cities.csv");
const AREAS_CSV: &str = include_str!("../assets/areas.csv");
const STREETS_CSV: &str = include_str!("../assets/streets.csv");

/// A county-level division (县、县级市、区).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct County {
    /// The 6-digit division code, e.g. `370724`.
    pub code: String,
    /// The county's name, e.g. 临朐县.
    pub name: String,
    /// The name of its city (地级市), e.g. 潍坊市.
    pub city: String,
    /// The name of its province, e.g. 山东省.
    pub province: String,
}

/// A town or street (乡镇、街道) of a county.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Town {
    /// The 9-digit division code, e.g. `370724101`.
    pub code: String,
    /// The town's name, e.g. 五井镇.
    pub name: String,
}

/// The division list: provinces, cities, counties and their towns.
#[derive(Debug)]
pub struct Divisions {
    counties: Vec<County>,
    county_by_code: HashMap<String, usize>,
    towns_by_county: HashMap<String, Vec<Town>>,
    province_by_city_name: HashMap<String, String>,
    province_names: Vec<String>,
}

#[derive(Deserialize)]
struct ProvinceRow {
    code: String,
    name: String,
}

#[derive(Deserialize)]
struct CityRow {
    code: String,
    name: String,
    #[serde(rename = "provinceCode")]
    province_code: String,
}

#[derive(Deserialize)]
struct AreaRow {
    code: String,
    name: String,
    #[serde(rename = "cityCode")]
    city_code: String,
    #[serde(rename = "provinceCode")]
    province_code: String,
}

#[derive(Deserialize)]
struct StreetRow {
    code: String,
    name: String,
    #[serde(rename = "areaCode")]
    area_code: String,
}

fn read_rows<T: for<'de> Deserialize<'de>>(text: &str) -> Vec<T> {
    // The embedded files are fixed at compile time and covered by tests, so a malformed
    // row cannot appear at run time; skipping keeps this infallible.
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .filter_map(|row| row.ok())
        .collect()
}

const TOWN_SUFFIXES: [&str; 5] = ["街道办事处", "办事处", "街道", "镇", "乡"];

fn strip_town_suffix(name: &str) -> &str {
    TOWN_SUFFIXES
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .unwrap_or(name)
}

fn clean(raw: &str) -> String {
    fold_width(raw)
        .chars()
        .filter(|character| !character.is_whitespace())
        .collect()
}

impl Divisions {
    /// Returns the embedded division list, parsed once.
    pub fn embedded() -> &'static Divisions {
        static DIVISIONS: OnceLock<Divisions> = OnceLock::new();
        DIVISIONS.get_or_init(Self::parse_embedded)
    }

    fn parse_embedded() -> Self {
        let provinces: HashMap<String, String> = read_rows::<ProvinceRow>(PROVINCES_CSV)
            .into_iter()
            .map(|row| (row.code, row.name))
            .collect();
        let cities: HashMap<String, (String, String)> = read_rows::<CityRow>(CITIES_CSV)
            .into_iter()
            .map(|row| (row.code, (row.name, row.province_code)))
            .collect();
        let mut province_by_city_name = HashMap::new();
        for (name, province_code) in cities.values() {
            if let Some(province) = provinces.get(province_code) {
                province_by_city_name.insert(name.clone(), province.clone());
            }
        }
        for province in provinces.values() {
            province_by_city_name.insert(province.clone(), province.clone());
        }
        let mut counties = Vec::new();
        for row in read_rows::<AreaRow>(AREAS_CSV) {
            let province = provinces
                .get(&row.province_code)
                .cloned()
                .unwrap_or_default();
            let city = cities
                .get(&row.city_code)
                .map(|(name, _)| name.clone())
                .filter(|name| name != "市辖区" && name != "县")
                .unwrap_or_else(|| province.clone());
            counties.push(County {
                code: row.code,
                name: row.name,
                city,
                province,
            });
        }
        let county_by_code = counties
            .iter()
            .enumerate()
            .map(|(index, county)| (county.code.clone(), index))
            .collect();
        let mut towns_by_county: HashMap<String, Vec<Town>> = HashMap::new();
        for row in read_rows::<StreetRow>(STREETS_CSV) {
            towns_by_county
                .entry(row.area_code)
                .or_default()
                .push(Town {
                    code: row.code,
                    name: row.name,
                });
        }
        let mut province_names: Vec<String> = provinces.into_values().collect();
        province_names.sort();
        Self {
            counties,
            county_by_code,
            towns_by_county,
            province_by_city_name,
            province_names,
        }
    }

    /// Finds a county by its 6-digit code, its name (临朐县) or a qualified name (潍坊市临朐县,
    /// 山东省潍坊市临朐县). A name shared by several counties must be qualified.
    pub fn county(&self, name_or_code: &str) -> Result<&County> {
        let wanted = clean(name_or_code);
        if wanted.is_empty() {
            return Err(Error::new("county is empty"));
        }
        if let Some(index) = self.county_by_code.get(&wanted) {
            return Ok(&self.counties[*index]);
        }
        let matches: Vec<&County> = self
            .counties
            .iter()
            .filter(|county| {
                wanted == county.name
                    || wanted == format!("{}{}", county.city, county.name)
                    || wanted == format!("{}{}{}", county.province, county.city, county.name)
            })
            .collect();
        match matches.as_slice() {
            [county] => Ok(county),
            [] => Err(Error::new(format!(
                "'{name_or_code}' is not a known county (use its name or 6-digit code)"
            ))),
            several => Err(Error::new(format!(
                "'{name_or_code}' names {} counties ({}); qualify it with its city or use the code",
                several.len(),
                several
                    .iter()
                    .map(|county| format!("{}{} {}", county.city, county.name, county.code))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Returns the towns of a county, in code order.
    pub fn towns(&self, county: &County) -> &[Town] {
        self.towns_by_county
            .get(&county.code)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Finds a town of a county by name, code, or name without its 镇/街道/乡 suffix.
    pub fn town(&self, county: &County, name_or_code: &str) -> Result<&Town> {
        let wanted = clean(name_or_code);
        let towns = self.towns(county);
        if wanted.is_empty() {
            return Err(Error::new("town is empty"));
        }
        let code = wanted
            .strip_suffix("000")
            .filter(|code| code.len() == 9)
            .unwrap_or(&wanted);
        if let Some(town) = towns
            .iter()
            .find(|town| town.name == wanted || town.code == code)
        {
            return Ok(town);
        }
        let bare = strip_town_suffix(&wanted);
        let matches: Vec<&Town> = towns
            .iter()
            .filter(|town| strip_town_suffix(&town.name) == bare)
            .collect();
        if let [town] = matches.as_slice() {
            return Ok(town);
        }
        let names: Vec<&str> = towns.iter().map(|town| town.name.as_str()).collect();
        Err(Error::new(format!(
            "'{name_or_code}' is not a town of {}{} (its towns: {})",
            county.city,
            county.name,
            names.join("、")
        )))
    }

    /// Returns the province of a city or province name (潍坊市 → 山东省, 北京市 → 北京市).
    pub fn province_of(&self, city_or_province: &str) -> Option<&str> {
        self.province_by_city_name
            .get(city_or_province)
            .map(String::as_str)
    }

    /// Finds a province by its full name or its short form (山东 → 山东省).
    pub fn province(&self, name: &str) -> Option<&str> {
        let wanted = clean(name);
        if wanted.is_empty() {
            return None;
        }
        self.province_names
            .iter()
            .find(|province| **province == wanted || province.starts_with(&wanted))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linqu_has_its_ten_towns() {
        let divisions = Divisions::embedded();
        let county = divisions.county("临朐县").expect("临朐县");
        assert_eq!(county.code, "370724");
        assert_eq!(county.city, "潍坊市");
        assert_eq!(county.province, "山东省");
        assert_eq!(divisions.towns(county).len(), 10);
        assert_eq!(divisions.county("370724").expect("code"), county);
        assert_eq!(divisions.county("潍坊市临朐县").expect("qualified"), county);
    }

    #[test]
    fn finds_towns_by_name_code_and_bare_name() {
        let divisions = Divisions::embedded();
        let county = divisions.county("370724").expect("county");
        assert_eq!(
            divisions.town(county, "五井镇").expect("name").code,
            "370724101"
        );
        assert_eq!(divisions.town(county, "五井").expect("bare").name, "五井镇");
        assert_eq!(
            divisions.town(county, "370724001").expect("code").name,
            "城关街道"
        );
        assert_eq!(
            divisions
                .town(county, "370724001000")
                .expect("12 digits")
                .name,
            "城关街道"
        );
        let error = divisions.town(county, "城南镇").expect_err("not a town");
        assert!(error.to_string().contains("五井镇"), "{error}");
    }

    #[test]
    fn ambiguous_county_names_ask_for_qualification() {
        let divisions = Divisions::embedded();
        let error = divisions.county("朝阳区").expect_err("ambiguous");
        assert!(error.to_string().contains("qualify"), "{error}");
        assert_eq!(
            divisions.county("北京市朝阳区").expect("qualified").code,
            "110105"
        );
    }

    #[test]
    fn maps_cities_to_provinces() {
        let divisions = Divisions::embedded();
        assert_eq!(divisions.province_of("潍坊市"), Some("山东省"));
        assert_eq!(divisions.province_of("北京市"), Some("北京市"));
        assert_eq!(divisions.province("山东"), Some("山东省"));
        assert_eq!(divisions.province(""), None);
    }
}
