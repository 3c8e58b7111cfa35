//! Small text helpers shared by the parsers: width folding and lenient scalar parsing.
//!
//! Data arrives from Excel sheets typed on Chinese keyboards, so full-width digits and
//! letters (１２３ＡＢＣ), full-width brackets and stray spaces are normal and must not make a
//! value invalid.

use chrono::NaiveDate;

use crate::{Error, Result};

/// Folds full-width ASCII (U+FF01–U+FF5E) and the ideographic space to their half-width forms.
pub fn fold_width(raw: &str) -> String {
    raw.chars().map(fold_char).collect()
}

fn fold_char(character: char) -> char {
    match character {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(character as u32 - 0xFEE0).unwrap_or(character),
        other => other,
    }
}

/// Returns whether a character is a CJK ideograph or CJK punctuation.
pub fn is_cjk(character: char) -> bool {
    matches!(character as u32,
        0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// Parses a date written as `YYYY-MM-DD`; `YYYY/M/D`, `YYYY.M.D` and `YYYY年M月D日` are
/// accepted too, since that is how dates look in Chinese spreadsheets.
pub fn parse_date(raw: &str) -> Result<NaiveDate> {
    let folded = fold_width(raw.trim());
    let unified: String = folded
        .chars()
        .map(|character| match character {
            '/' | '.' | '年' | '月' => '-',
            other => other,
        })
        .filter(|character| *character != '日')
        .collect();
    let mut parts = unified.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::new(format!(
            "'{raw}' is not a date (use YYYY-MM-DD)"
        )));
    };
    let parsed = (year.len() == 4)
        .then(|| {
            Some((
                year.parse::<i32>().ok()?,
                month.parse::<u32>().ok()?,
                day.parse::<u32>().ok()?,
            ))
        })
        .flatten();
    let Some((year, month, day)) = parsed else {
        return Err(Error::new(format!(
            "'{raw}' is not a date (use YYYY-MM-DD)"
        )));
    };
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| Error::new(format!("'{raw}' is not a real calendar date")))
}

/// Parses a boolean: `true`/`false`, `是`/`否`, `1`/`0` (and `yes`/`no`, `y`/`n`).
pub fn parse_bool(raw: &str) -> Result<bool> {
    match fold_width(raw.trim()).to_lowercase().as_str() {
        "true" | "是" | "1" | "yes" | "y" | "t" => Ok(true),
        "false" | "否" | "0" | "no" | "n" | "f" => Ok(false),
        _ => Err(Error::new(format!(
            "'{raw}' is not a boolean (use 是/否, true/false or 1/0)"
        ))),
    }
}

/// Splits a list cell on `;` (full-width `；` and `、` too), trimming items and dropping empty ones.
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split([';', '；', '、'])
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_letters_digits_and_space() {
        assert_eq!(fold_width("ＡＢＣ１２３\u{3000}（x）"), "ABC123 (x)");
    }

    #[test]
    fn parses_dates_in_the_forms_clerks_type() {
        let expected = NaiveDate::from_ymd_opt(2024, 3, 5).expect("valid");
        for raw in [
            "2024-03-05",
            "2024/3/5",
            "2024.03.05",
            "2024年3月5日",
            "２０２４-０３-０５",
        ] {
            assert_eq!(parse_date(raw).expect(raw), expected, "{raw}");
        }
        assert!(parse_date("2024-02-30").is_err());
        assert!(parse_date("05/03/2024").is_err());
        assert!(parse_date("").is_err());
        assert!(parse_date("2024-03-05-01").is_err());
    }

    #[test]
    fn parses_booleans_in_chinese_and_english() {
        assert!(parse_bool("是").expect("是"));
        assert!(!parse_bool("否").expect("否"));
        assert!(parse_bool(" TRUE ").expect("TRUE"));
        assert!(!parse_bool("0").expect("0"));
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn splits_lists_on_ascii_and_chinese_separators() {
        assert_eq!(
            split_list("铝合金; 热处理；压铸、 涂装;;"),
            ["铝合金", "热处理", "压铸", "涂装"]
        );
    }
}
