//! The unified social credit code (统一社会信用代码, GB 32100-2015).
//!
//! 18 characters from a 31-character alphabet (digits and capitals without I, O, S, V, Z);
//! the last is a check character computed from the first 17 with fixed weights, modulo 31.
//! A typo in one character always changes the check, so validating it catches most
//! mistyped codes in a clerk's spreadsheet.

use std::fmt;

use crate::text::fold_width;
use crate::{Error, Result};

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A validated 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

fn value_of(character: char) -> Option<u32> {
    let byte = u8::try_from(character).ok()?;
    ALPHABET
        .iter()
        .position(|candidate| *candidate == byte)
        .map(|index| index as u32)
}

impl CreditCode {
    /// Parses a code, folding full-width characters and lower case first.
    pub fn parse(raw: &str) -> Result<Self> {
        let folded = fold_width(raw.trim()).to_ascii_uppercase();
        let characters: Vec<char> = folded.chars().collect();
        if characters.len() != 18 {
            return Err(Error::new(format!(
                "'{raw}' has {} characters; a credit code has 18",
                characters.len()
            )));
        }
        let mut values = Vec::with_capacity(18);
        for (index, character) in characters.iter().enumerate() {
            let Some(value) = value_of(*character) else {
                return Err(Error::new(format!(
                    "'{raw}': character {} ('{character}') is not allowed in a credit code",
                    index + 1
                )));
            };
            values.push(value);
        }
        let expected = Self::check_value(&values[..17]);
        if values[17] != expected {
            return Err(Error::new(format!(
                "'{raw}': check character should be '{}', not '{}' (a mistyped character?)",
                ALPHABET[expected as usize] as char, characters[17]
            )));
        }
        Ok(Self(folded))
    }

    /// Completes 17 characters with their check character, or `None` when a character is
    /// outside the alphabet. Used to generate valid demo codes.
    pub fn complete(first_seventeen: &str) -> Option<Self> {
        let values: Vec<u32> = first_seventeen
            .chars()
            .map(value_of)
            .collect::<Option<_>>()?;
        if values.len() != 17 {
            return None;
        }
        let check = ALPHABET[Self::check_value(&values) as usize] as char;
        Some(Self(format!("{first_seventeen}{check}")))
    }

    fn check_value(values: &[u32]) -> u32 {
        let sum: u32 = values
            .iter()
            .zip(WEIGHTS)
            .map(|(value, weight)| value * weight)
            .sum();
        (31 - sum % 31) % 31
    }

    /// Returns the code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the 6-digit administrative division code of the registering authority.
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Returns the alphabet of valid characters, for generators.
    pub fn alphabet() -> &'static [u8; 31] {
        ALPHABET
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    // Published codes of well-known companies (public registry data).
    const REAL_CODES: [&str; 3] = [
        "91110000802100433B",
        "91440300708461136T",
        "91330100716105852F",
    ];

    #[test]
    fn accepts_real_codes() {
        for code in REAL_CODES {
            let parsed = CreditCode::parse(code).expect(code);
            assert_eq!(parsed.as_str(), code);
        }
    }

    #[test]
    fn folds_width_and_case() {
        let parsed =
            CreditCode::parse(" ９１１１００００８０２１００４３３ｂ ").expect("full width");
        assert_eq!(parsed.as_str(), "91110000802100433B");
        assert_eq!(parsed.division_code(), "110000");
    }

    #[test]
    fn rejects_wrong_length_letters_and_check() {
        assert!(CreditCode::parse("91110000802100433").is_err());
        assert!(CreditCode::parse("9111000080210043IB").is_err());
        let error = CreditCode::parse("91110000802100433C").expect_err("bad check");
        assert!(error.to_string().contains("should be 'B'"), "{error}");
    }

    fn code_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(0usize..31, 17).prop_map(|indices| {
            indices
                .into_iter()
                .map(|index| ALPHABET[index] as char)
                .collect()
        })
    }

    proptest! {
        #[test]
        fn completed_codes_parse(body in code_strategy()) {
            let code = CreditCode::complete(&body).expect("alphabet only");
            prop_assert_eq!(CreditCode::parse(code.as_str()).expect("valid"), code);
        }

        #[test]
        fn any_single_substitution_is_caught(body in code_strategy(), position in 0usize..18, shift in 1usize..31) {
            let code = CreditCode::complete(&body).expect("alphabet only");
            let mut characters: Vec<char> = code.as_str().chars().collect();
            let old = value_of(characters[position]).expect("alphabet") as usize;
            characters[position] = ALPHABET[(old + shift) % 31] as char;
            let mutated: String = characters.into_iter().collect();
            prop_assert!(CreditCode::parse(&mutated).is_err());
        }

        #[test]
        fn never_panics(raw in ".{0,40}") {
            let _ = CreditCode::parse(&raw);
        }
    }
}
