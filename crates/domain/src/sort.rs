//! Sorting Chinese names the way a Chinese reader expects: by pinyin, not by code point.

use pinyin::ToPinyin;

/// Returns a sort key: each Chinese character by its toneless pinyin, other characters as
/// they are (lower-cased), so 城关 (cheng) sorts before 东城 (dong) whatever their code points.
pub fn pinyin_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 3);
    for (character, pinyin) in name.chars().zip(name.to_pinyin()) {
        match pinyin {
            Some(pinyin) => key.push_str(pinyin.plain()),
            None => key.extend(character.to_lowercase()),
        }
        key.push(' ');
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_towns_by_pinyin() {
        let mut towns = vec![
            "蒋峪镇",
            "城关街道",
            "五井镇",
            "东城街道",
            "柳山镇",
            "九山镇",
        ];
        towns.sort_by_key(|town| pinyin_key(town));
        assert_eq!(
            towns,
            [
                "城关街道",
                "东城街道",
                "蒋峪镇",
                "九山镇",
                "柳山镇",
                "五井镇"
            ]
        );
    }
}
