//! Import problems in Chinese, for the import page and `POST /api/v1/imports/{kind}`.
//!
//! The importer words its problems in English (the command line's `FILE:ROW: field: reason`
//! lines, which scripts and tests read). A clerk reads them in Chinese: each known wording is
//! recognised by its fixed parts and rewritten with the same quoted values; anything not
//! recognised is shown as it is rather than lost.

/// The text between the first pair of single quotes, and what follows it.
fn quoted(text: &str) -> Option<(&str, &str)> {
    let start = text.find('\'')?;
    let rest = &text[start + 1..];
    let end = rest.find('\'')?;
    Some((&rest[..end], &rest[end + 1..]))
}

/// Returns the Chinese wording of an import problem.
pub fn reason_zh(reason: &str) -> String {
    let reason = reason.trim();
    if let Some((_, chinese)) = reason.split_once(" (单元格是") {
        return format!("单元格是{}", chinese.trim_end_matches(')'));
    }
    match reason {
        "missing" => return "缺少此项（必填）".to_owned(),
        "the file is empty" => return "文件是空的".to_owned(),
        "the workbook has no sheet" => return "工作簿中没有工作表".to_owned(),
        "the first sheet is empty" => return "第一个工作表是空的".to_owned(),
        "a line must be a JSON object" => return "每一行必须是一个 JSON 对象".to_owned(),
        "expected text, got an object" => return "应为文字，而不是对象".to_owned(),
        "town is empty" => return "镇街为空".to_owned(),
        "county is empty" => return "县区为空".to_owned(),
        _ => {}
    }
    if reason.starts_with("no county given and none configured") {
        return "没有填写县区，系统也未设置所服务的县区（设置 LABBRIDGE_COUNTY，或增加“县区”列）"
            .to_owned();
    }
    if let Some(column) = reason.strip_prefix("missing column ") {
        return format!("缺少“{}”列", column.trim_matches('\''));
    }
    if let Some((field, _)) = reason.strip_prefix("two columns mean ").and_then(quoted) {
        return format!("有两列都表示“{field}”，请只保留一列");
    }
    if let Some(rest) = reason.strip_prefix("duplicate id ")
        && let Some((id, after)) = quoted(rest)
    {
        let row: String = after.chars().filter(char::is_ascii_digit).collect();
        return format!("编号“{id}”重复（第 {row} 行已出现）");
    }
    for (prefix, what, first) in [
        ("unknown lab ", "实验室", "请先导入实验室"),
        ("unknown expert ", "专家", "请先导入专家"),
        ("unknown enterprise ", "企业", "请先导入企业名录"),
        ("unknown programme ", "人才计划", "请先导入人才计划"),
    ] {
        if let Some((id, _)) = reason.strip_prefix(prefix).and_then(quoted) {
            return format!("找不到{what}“{id}”（{first}）");
        }
    }
    if let Some((value, rest)) = quoted(reason) {
        let rest = rest.trim();
        let known = [
            ("is not a whole number", "不是整数".to_owned()),
            (
                "is not an e-mail address",
                "不是有效的电子邮箱地址".to_owned(),
            ),
            ("is not a province", "不是省份名称".to_owned()),
            (
                "is not a real calendar date",
                "不是真实存在的日期".to_owned(),
            ),
            (
                "is not a date (use YYYY-MM-DD)",
                "不是日期（请写成 2026-03-31 或使用 Excel 日期）".to_owned(),
            ),
            (
                "is not a boolean",
                "不是“是/否”（可填 是/否、true/false 或 1/0）".to_owned(),
            ),
            (
                "is not a known county",
                "不是已知的县区（请写县区名称或 6 位代码）".to_owned(),
            ),
        ];
        for (english, chinese) in known {
            if rest.starts_with(english) {
                return format!("“{value}”{chinese}");
            }
        }
        if let Some(after) = rest.strip_prefix("is not a town of ") {
            let (county, towns) = after.split_once(" (its towns: ").unwrap_or((after, ""));
            return format!(
                "“{value}”不是{county}的镇街（可选：{}）",
                towns.trim_end_matches(')')
            );
        }
        if let Some(after) = rest.strip_prefix("is not a known ") {
            let options = after
                .split_once("(one of: ")
                .map(|(_, options)| options.trim_end_matches(')'))
                .unwrap_or("");
            return format!("“{value}”不是可接受的取值（可选：{options}）");
        }
        if let Some(count) = rest.strip_prefix("has ") {
            let count: String = count.chars().take_while(char::is_ascii_digit).collect();
            return format!("“{value}”有 {count} 位，统一社会信用代码应为 18 位");
        }
        if rest.contains("check character should be") {
            return format!("“{value}”的校验位不对（可能有字符输错）");
        }
        if rest.contains("is not allowed in a credit code") {
            return format!("“{value}”含有统一社会信用代码不允许的字符");
        }
    }
    if let Some((code, holder)) = reason.split_once(" already belongs to enterprise ") {
        return format!("{code} 已属于企业“{}”", holder.trim_matches('\''));
    }
    if let Some((code, row)) = reason.split_once(" is also on row ") {
        return format!("{code} 在第 {row} 行也出现了");
    }
    if let Some((to, from)) = reason.split_once(" is before valid_from ") {
        return format!("结束日期 {to} 早于开始日期 {from}");
    }
    if let Some((to, from)) = reason.split_once(" is before the recognition date ") {
        return format!("复核日期 {to} 早于认定日期 {from}");
    }
    if let Some((number, range)) = reason.split_once(" is out of range ") {
        return format!("{number} 超出范围{range}");
    }
    reason.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_wordings_become_chinese_with_their_values() {
        let cases = [
            ("missing", "缺少此项（必填）"),
            ("'abc' is not a whole number", "“abc”不是整数"),
            (
                "duplicate id 'e1' (first on row 3)",
                "编号“e1”重复（第 3 行已出现）",
            ),
            (
                "unknown enterprise 'x9' (import enterprises first)",
                "找不到企业“x9”（请先导入企业名录）",
            ),
            (
                "2026-01-01 is before valid_from 2026-02-01",
                "结束日期 2026-01-01 早于开始日期 2026-02-01",
            ),
            ("missing column 'level'", "缺少“level”列"),
            (
                "'2026-02-30' is not a real calendar date",
                "“2026-02-30”不是真实存在的日期",
            ),
        ];
        for (english, chinese) in cases {
            assert_eq!(reason_zh(english), chinese, "{english}");
        }
    }

    #[test]
    fn an_unknown_wording_is_kept() {
        assert_eq!(reason_zh("something new"), "something new");
    }
}
