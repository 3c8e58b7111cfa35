//! Reading an import file into [`Row`]s: JSONL, CSV (UTF-8, UTF-16 or the GBK/GB18030 that
//! Chinese Excel saves) and XLSX (the first sheet).
//!
//! Every row keeps the number a person would look for: the line of a JSONL file, or the row
//! a spreadsheet shows (header = row 1). Column headers may be the contract's field names or
//! the Chinese headers a bureau sheet has (企业名称, 统一社会信用代码, 镇街 …).

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, DataType, Reader};
use encoding_rs::{Encoding, GB18030, UTF_8};
use serde_json::Value;

use super::{ImportKind, Problem};

/// One record of an import file.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The JSONL line or spreadsheet row number.
    pub number: usize,
    /// Values by field name (canonical names).
    pub cells: BTreeMap<String, Value>,
}

/// What reading a file gave: its rows, or file-level problems; plus notes for the user.
#[derive(Debug, Default)]
pub struct Source {
    /// The rows.
    pub rows: Vec<Row>,
    /// File-level problems (unreadable, unknown format, bad header …).
    pub problems: Vec<Problem>,
    /// Things worth telling (decoded from GBK, ignored columns).
    pub notes: Vec<String>,
}

/// Reads a file according to its extension.
pub fn read(kind: ImportKind, path: &Path) -> Source {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or("")
        .to_lowercase();
    match extension.as_str() {
        "jsonl" | "ndjson" | "json" => match read_text(path) {
            Ok((text, notes)) => {
                let mut source = read_jsonl(kind, &text);
                source.notes.extend(notes);
                source
            }
            Err(problem) => Source {
                problems: vec![problem],
                ..Source::default()
            },
        },
        "csv" | "tsv" | "txt" => match read_text(path) {
            Ok((text, notes)) => {
                let mut source = read_csv(kind, &text);
                source.notes.extend(notes);
                source
            }
            Err(problem) => Source {
                problems: vec![problem],
                ..Source::default()
            },
        },
        "xlsx" | "xlsm" | "xls" | "ods" => read_spreadsheet(kind, path),
        _ => Source {
            problems: vec![Problem::file(format!(
                "unknown file type '.{extension}'; use .jsonl, .csv or .xlsx"
            ))],
            ..Source::default()
        },
    }
}

/// A file's rows read one at a time, for imports too large to hold (see `App::import_file`).
///
/// JSONL and CSV in UTF-8 (with or without a BOM) are read as they stream, so memory does not
/// grow with the file; anything else — a spreadsheet, text in GBK or UTF-16 — is read whole
/// by [`read`] and handed out from memory. Problems come in the stream where they are found;
/// notes (unknown fields, the encoding) are complete once the stream is.
pub struct RowStream {
    kind: ImportKind,
    inner: Inner,
    unknown: Vec<String>,
    /// Things worth telling (decoded from GBK, ignored columns or fields).
    pub notes: Vec<String>,
}

enum Inner {
    Jsonl {
        lines: std::io::Split<std::io::BufReader<std::fs::File>>,
        number: usize,
    },
    Csv {
        records: csv::StringRecordsIntoIter<std::io::BufReader<std::fs::File>>,
        columns: Vec<Option<&'static str>>,
        number: usize,
        pending: Vec<Problem>,
    },
    Read {
        problems: std::vec::IntoIter<Problem>,
        rows: std::vec::IntoIter<Row>,
    },
}

impl RowStream {
    fn read_whole(kind: ImportKind, source: Source) -> Self {
        Self {
            kind,
            inner: Inner::Read {
                problems: source.problems.into_iter(),
                rows: source.rows.into_iter(),
            },
            unknown: Vec::new(),
            notes: source.notes,
        }
    }
}

/// Whether a file is UTF-8 throughout without a UTF-16 BOM (read in pieces, kept nowhere).
fn streams_as_utf8(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0_u8; 1 << 16];
    let mut carried = 0;
    let mut first = true;
    loop {
        let read = file.read(&mut buffer[carried..])?;
        let filled = carried + read;
        if first {
            first = false;
            if let Some((encoding, _)) = Encoding::for_bom(&buffer[..filled])
                && encoding != UTF_8
            {
                return Ok(false);
            }
        }
        match std::str::from_utf8(&buffer[..filled]) {
            Ok(_) => carried = 0,
            // An incomplete character at the end of a full piece is carried into the next.
            Err(error) if error.error_len().is_none() && read > 0 => {
                let valid = error.valid_up_to();
                buffer.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(_) => return Ok(false),
        }
        if read == 0 {
            return Ok(carried == 0);
        }
    }
}

/// Opens a file for reading its rows one at a time.
pub fn stream(kind: ImportKind, path: &Path) -> RowStream {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or("")
        .to_lowercase();
    let text = matches!(
        extension.as_str(),
        "jsonl" | "ndjson" | "json" | "csv" | "tsv" | "txt"
    );
    if !text || !matches!(streams_as_utf8(path), Ok(true)) {
        return RowStream::read_whole(kind, read(kind, path));
    }
    let opened = std::fs::File::open(path).map(std::io::BufReader::new);
    let mut reader = match opened {
        Ok(reader) => reader,
        Err(error) => {
            return RowStream::read_whole(
                kind,
                Source {
                    problems: vec![Problem::file(format!("cannot read: {error}"))],
                    ..Source::default()
                },
            );
        }
    };
    // A UTF-8 BOM is not part of the first line.
    if let Ok(start) = std::io::BufRead::fill_buf(&mut reader)
        && start.starts_with(b"\xEF\xBB\xBF")
    {
        std::io::BufRead::consume(&mut reader, 3);
    }
    if extension.starts_with("csv") || extension == "tsv" || extension == "txt" {
        let first_line = std::io::BufRead::fill_buf(&mut reader)
            .ok()
            .and_then(|start| {
                let end = start
                    .iter()
                    .position(|&byte| byte == b'\n')
                    .unwrap_or(start.len());
                std::str::from_utf8(&start[..end]).ok().map(str::to_owned)
            })
            .unwrap_or_default();
        let mut records = csv::ReaderBuilder::new()
            .delimiter(delimiter(&first_line))
            .flexible(true)
            .has_headers(false)
            .from_reader(reader)
            .into_records();
        let mut source = Source::default();
        let header: Vec<String> = match records.next() {
            Some(Ok(record)) => record.iter().map(str::to_owned).collect(),
            Some(Err(error)) => {
                source.problems.push(Problem::file(format!(
                    "cannot read the header row: {error}"
                )));
                return RowStream::read_whole(kind, source);
            }
            None => {
                source
                    .problems
                    .push(Problem::file("the file is empty".to_owned()));
                return RowStream::read_whole(kind, source);
            }
        };
        let columns = columns_of(kind, &header, &mut source);
        return RowStream {
            kind,
            inner: Inner::Csv {
                records,
                columns,
                number: 1,
                pending: source.problems,
            },
            unknown: Vec::new(),
            notes: source.notes,
        };
    }
    RowStream {
        kind,
        inner: Inner::Jsonl {
            lines: std::io::BufRead::split(reader, b'\n'),
            number: 0,
        },
        unknown: Vec::new(),
        notes: Vec::new(),
    }
}

impl Iterator for RowStream {
    type Item = Result<Row, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let item = match &mut self.inner {
                Inner::Read { problems, rows } => {
                    return problems.next().map(Err).or_else(|| rows.next().map(Ok));
                }
                Inner::Jsonl { lines, number } => {
                    *number += 1;
                    let line = match lines.next() {
                        None => break,
                        Some(Err(error)) => {
                            return Some(Err(Problem::file(format!("cannot read: {error}"))));
                        }
                        Some(Ok(line)) => line,
                    };
                    // Checked to be UTF-8 before streaming began.
                    let line = String::from_utf8_lossy(&line);
                    jsonl_row(self.kind, *number, &line, &mut self.unknown).transpose()
                }
                Inner::Csv {
                    records,
                    columns,
                    number,
                    pending,
                } => {
                    if !pending.is_empty() {
                        return Some(Err(pending.remove(0)));
                    }
                    *number += 1;
                    match records.next() {
                        None => break,
                        Some(Err(error)) => Some(Err(Problem::row(
                            *number,
                            None,
                            format!("unreadable row: {error}"),
                        ))),
                        Some(Ok(record)) => {
                            let cells = record
                                .iter()
                                .map(|cell| Ok(Value::String(cell.to_owned())))
                                .collect();
                            table_row(columns, *number, cells, pending).map(Ok)
                        }
                    }
                }
            };
            if let Some(item) = item {
                return Some(item);
            }
        }
        if let Some(note) = unknown_note("fields", &self.unknown) {
            self.unknown.clear();
            self.notes.push(note);
        }
        None
    }
}

/// Reads a text file as UTF-8, falling back to a BOM's encoding or to GB18030 (a superset of
/// the GBK that Excel writes for "CSV" on Chinese Windows).
fn read_text(path: &Path) -> Result<(String, Vec<String>), Problem> {
    let bytes =
        std::fs::read(path).map_err(|error| Problem::file(format!("cannot read: {error}")))?;
    decode(&bytes)
}

pub(crate) fn decode(bytes: &[u8]) -> Result<(String, Vec<String>), Problem> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        if had_errors {
            return Err(Problem::file(format!(
                "the file says it is {} but is not",
                encoding.name()
            )));
        }
        let notes = if encoding == UTF_8 {
            Vec::new()
        } else {
            vec![format!("decoded as {}", encoding.name())]
        };
        return Ok((text.into_owned(), notes));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_owned(), Vec::new()));
    }
    match GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok((
            text.into_owned(),
            vec!["the file is not UTF-8; decoded it as GBK/GB18030 (as Excel saves CSV on Chinese Windows)".to_owned()],
        )),
        None => Err(Problem::file(
            "the file is neither UTF-8 nor GBK; save it as \"CSV UTF-8\" or as .xlsx".to_owned(),
        )),
    }
}

fn read_jsonl(kind: ImportKind, text: &str) -> Source {
    let mut source = Source::default();
    let mut unknown: Vec<String> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        match jsonl_row(kind, index + 1, line, &mut unknown) {
            Ok(Some(row)) => source.rows.push(row),
            Ok(None) => {}
            Err(problem) => source.problems.push(problem),
        }
    }
    source.notes.extend(unknown_note("fields", &unknown));
    source
}

/// One JSONL line as a row (`None` for a blank line); unknown keys are collected.
fn jsonl_row(
    kind: ImportKind,
    number: usize,
    line: &str,
    unknown: &mut Vec<String>,
) -> Result<Option<Row>, Problem> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(object)) => {
            let mut cells = BTreeMap::new();
            for (key, value) in object {
                match canonical_field(kind, &key) {
                    Some(field) => {
                        cells.insert(field.to_owned(), value);
                    }
                    None if !unknown.contains(&key) => unknown.push(key),
                    None => {}
                }
            }
            Ok(Some(Row { number, cells }))
        }
        Ok(_) => Err(Problem::row(
            number,
            None,
            "a line must be a JSON object".to_owned(),
        )),
        Err(error) => Err(Problem::row(
            number,
            None,
            format!("not valid JSON: {error}"),
        )),
    }
}

fn unknown_note(what: &str, unknown: &[String]) -> Option<String> {
    (!unknown.is_empty()).then(|| format!("ignored unknown {what}: {}", unknown.join(", ")))
}

/// A CSV file's delimiter: a tab when its first line has tabs and no commas.
fn delimiter(first_line: &str) -> u8 {
    if !first_line.contains(',') && first_line.contains('\t') {
        b'\t'
    } else {
        b','
    }
}

fn read_csv(kind: ImportKind, text: &str) -> Source {
    let first_line = text.lines().next().unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(first_line))
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(record)) => record.iter().map(str::to_owned).collect(),
        Some(Err(error)) => {
            return Source {
                problems: vec![Problem::file(format!(
                    "cannot read the header row: {error}"
                ))],
                ..Source::default()
            };
        }
        None => {
            return Source {
                problems: vec![Problem::file("the file is empty".to_owned())],
                ..Source::default()
            };
        }
    };
    let mut table = Vec::new();
    let mut problems = Vec::new();
    for (index, record) in records.enumerate() {
        let number = index + 2;
        match record {
            Ok(record) => table.push((
                number,
                record
                    .iter()
                    .map(|cell| Ok(Value::String(cell.to_owned())))
                    .collect(),
            )),
            Err(error) => problems.push(Problem::row(
                number,
                None,
                format!("unreadable row: {error}"),
            )),
        }
    }
    let mut source = from_table(kind, &header, table);
    source.problems.splice(0..0, problems);
    source
}

fn read_spreadsheet(kind: ImportKind, path: &Path) -> Source {
    let mut workbook = match calamine::open_workbook_auto(path) {
        Ok(workbook) => workbook,
        Err(error) => {
            return Source {
                problems: vec![Problem::file(format!("cannot open the workbook: {error}"))],
                ..Source::default()
            };
        }
    };
    let range = match workbook.worksheet_range_at(0) {
        Some(Ok(range)) => range,
        Some(Err(error)) => {
            return Source {
                problems: vec![Problem::file(format!(
                    "cannot read the first sheet: {error}"
                ))],
                ..Source::default()
            };
        }
        None => {
            return Source {
                problems: vec![Problem::file("the workbook has no sheet".to_owned())],
                ..Source::default()
            };
        }
    };
    let Some((first_row, _)) = range.start() else {
        return Source {
            problems: vec![Problem::file("the first sheet is empty".to_owned())],
            ..Source::default()
        };
    };
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|cells| cells.iter().map(cell_text).collect())
        .unwrap_or_default();
    let table = rows
        .enumerate()
        .map(|(index, cells)| {
            (
                first_row as usize + index + 2,
                cells.iter().map(cell_value).collect(),
            )
        })
        .collect();
    from_table(kind, &header, table)
}

fn cell_text(cell: &Data) -> String {
    match cell_value(cell) {
        Ok(Value::String(text)) => text,
        Ok(Value::Null) => String::new(),
        Ok(other) => other.to_string(),
        Err(error) => error,
    }
}

/// Converts a spreadsheet cell: whole numbers become integers (ids and counts typed as
/// numbers), dates become `YYYY-MM-DD`. An error cell (`#DIV/0!`, `#REF!`, `#N/A` …) is not a
/// value: it comes back as `Err` with the error's text, and the row is reported.
fn cell_value(cell: &Data) -> Result<Value, String> {
    Ok(match cell {
        Data::Empty => Value::Null,
        Data::String(text) => Value::String(text.clone()),
        Data::Int(number) => Value::from(*number),
        Data::Float(number) if number.fract() == 0.0 && number.abs() < 9e15 => {
            Value::from(*number as i64)
        }
        Data::Float(number) => Value::from(*number),
        Data::Bool(flag) => Value::Bool(*flag),
        Data::DateTime(_) | Data::DateTimeIso(_) => match cell.as_date() {
            Some(date) => Value::String(date.format("%Y-%m-%d").to_string()),
            None => Value::String(cell.to_string()),
        },
        Data::DurationIso(text) => Value::String(text.clone()),
        Data::Error(error) => return Err(error.to_string()),
    })
}

/// Maps a header row and its data rows to [`Row`]s, skipping blank rows.
fn from_table(
    kind: ImportKind,
    header: &[String],
    table: Vec<(usize, Vec<Result<Value, String>>)>,
) -> Source {
    let mut source = Source::default();
    let columns = columns_of(kind, header, &mut source);
    for (number, cells) in table {
        if let Some(row) = table_row(&columns, number, cells, &mut source.problems) {
            source.rows.push(row);
        }
    }
    source
}

/// The field of each column of a header; file problems and notes go into `source`.
fn columns_of(
    kind: ImportKind,
    header: &[String],
    source: &mut Source,
) -> Vec<Option<&'static str>> {
    let mut columns: Vec<Option<&'static str>> = Vec::with_capacity(header.len());
    let mut unknown = Vec::new();
    for name in header {
        let field = canonical_field(kind, name);
        if let Some(field) = field
            && columns.contains(&Some(field))
        {
            source.problems.push(Problem::file(format!(
                "two columns mean '{field}' (the second is '{name}')"
            )));
        }
        if field.is_none() && !name.trim().is_empty() {
            unknown.push(name.trim().to_owned());
        }
        columns.push(field);
    }
    for required in kind.required_fields() {
        if !columns.contains(&Some(*required)) {
            source
                .problems
                .push(Problem::file(format!("missing column '{required}'")));
        }
    }
    source.notes.extend(unknown_note("columns", &unknown));
    columns
}

/// One data row of a table (`None` when it is blank); bad cells are problems of the row.
fn table_row(
    columns: &[Option<&'static str>],
    number: usize,
    cells: Vec<Result<Value, String>>,
    problems: &mut Vec<Problem>,
) -> Option<Row> {
    let mut row = Row {
        number,
        cells: BTreeMap::new(),
    };
    for (field, value) in columns.iter().zip(cells) {
        let value = match value {
            Ok(value) => value,
            Err(error) => {
                if let Some(field) = field {
                    problems.push(Problem::row(
                        number,
                        Some(field),
                        format!("the cell holds the Excel error {error}, not a value (单元格是 Excel 错误值 {error}，请改为实际内容)"),
                    ));
                }
                continue;
            }
        };
        let blank = match &value {
            Value::Null => true,
            Value::String(text) => text.trim().is_empty(),
            _ => false,
        };
        if let (Some(field), false) = (field, blank) {
            row.cells.insert((*field).to_owned(), value);
        }
    }
    (!row.cells.is_empty()).then_some(row)
}

/// Maps a header or JSON key to the contract's field name; Chinese headers of bureau sheets
/// are accepted as aliases.
pub fn canonical_field(kind: ImportKind, raw: &str) -> Option<&'static str> {
    let folded = labbridge_domain::text::fold_width(raw.trim());
    let name = folded.trim_start_matches('\u{feff}').trim().to_lowercase();
    let name = name.as_str();
    let specific = match (kind, name) {
        (ImportKind::Enterprises, "email" | "邮箱" | "联系邮箱") => Some("contact_email"),
        (ImportKind::Experts, "简介" | "个人简介") => Some("bio"),
        (ImportKind::Needs, "名称" | "标题" | "需求名称") => Some("title"),
        (ImportKind::Offers, "成果名称" | "项目名称" | "技术名称") => Some("name"),
        (ImportKind::Offers, "所属单位" | "完成单位" | "成果单位") => {
            Some("institution")
        }
        (ImportKind::Offers, "成果简介" | "项目简介" | "技术简介") => {
            Some("description")
        }
        (
            ImportKind::Needs | ImportKind::Partnerships,
            "类型" | "需求类型" | "合作方式" | "合作类型",
        ) => Some("kind"),
        _ => None,
    };
    if specific.is_some() {
        return specific;
    }
    let field = match name {
        "编号" | "id" => "id",
        "名称" | "企业名称" | "姓名" | "专家姓名" | "实验室名称" | "计划名称" | "name" => {
            "name"
        }
        "统一社会信用代码" | "信用代码" | "credit_code" => "credit_code",
        "镇街" | "所属镇街" | "乡镇" | "镇(街道)" | "town" => "town",
        "县区" | "所属县区" | "县(市、区)" | "county" => "county",
        "产业链" | "所属产业链" | "行业" | "industry" => "industry",
        "行业代码"
        | "国民经济行业代码"
        | "行业分类代码"
        | "国民经济行业分类代码"
        | "industry_code" => "industry_code",
        "是否规上" | "规上" | "规模以上" | "above_scale" => "above_scale",
        "年度" | "名录年度" | "roster_year" => "roster_year",
        "主要产品" | "产品" | "products" => "products",
        "研发人员" | "研发人员数" | "研发人员数量" | "rd_staff" => "rd_staff",
        "contact_email" => "contact_email",
        "负责人" | "责任人" | "包联干部" | "owner" => "owner",
        "rd_institutions" => "rd_institutions",
        "研发机构类型" | "rd_kind" => "rd_kind",
        "研发机构级别" | "rd_level" => "rd_level",
        "认定编号" | "批准文号" | "rd_number" => "rd_number",
        "认定日期" | "rd_recognized_on" => "rd_recognized_on",
        "复核日期" | "有效期至" | "rd_review_due" => "rd_review_due",
        "单位" | "所在单位" | "依托单位" | "机构" | "institution" => "institution",
        "职称" | "title" => "title",
        "研究方向" | "领域" | "关键词" | "技术领域" | "fields" => "fields",
        "个人简介" | "bio" => "bio",
        "简介" | "描述" | "说明" | "description" => "description",
        "人才计划" | "人才称号" | "programs" => "programs",
        "所在实验室" | "实验室" | "lab" => "lab",
        "省份" | "所在省份" | "province" => "province",
        "邮箱" | "email" => "email",
        "容量" | "可对接企业数" | "capacity" => "capacity",
        "愿意到企业任职" | "可到企业任职" | "open_to_post" => "open_to_post",
        "级别" | "层次" | "level" => "level",
        "企业" | "企业编号" | "enterprise" => "enterprise",
        "类型" | "kind" => "kind",
        "状态" | "status" => "status",
        "是否保密" | "保密" | "confidential" => "confidential",
        "合作方类型" | "partner_kind" => "partner_kind",
        "合作方" | "partner" => "partner",
        "开始日期" | "生效日期" | "起始日期" | "valid_from" => "valid_from",
        "结束日期" | "截止日期" | "到期日期" | "valid_to" => "valid_to",
        "佐证" | "合同登记号" | "证明材料" | "evidence" => "evidence",
        "成果持有人" | "持有人" | "完成人" | "成果完成人" | "联系人" | "holder" => {
            "holder"
        }
        "专利号" | "专利" | "专利申请号" | "patent" => "patent",
        "转让价格" | "价格" | "交易价格" | "参考价格" | "price" => "price",
        _ => return None,
    };
    kind.accepts(field).then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the whole-file reader gives, as a stream would hand it out.
    fn whole(kind: ImportKind, path: &Path) -> (Vec<Row>, Vec<Problem>, Vec<String>) {
        let source = read(kind, path);
        (source.rows, source.problems, source.notes)
    }

    fn streamed(kind: ImportKind, path: &Path) -> (Vec<Row>, Vec<Problem>, Vec<String>) {
        let mut stream = stream(kind, path);
        let (mut rows, mut problems) = (Vec::new(), Vec::new());
        for item in &mut stream {
            match item {
                Ok(row) => rows.push(row),
                Err(problem) => problems.push(problem),
            }
        }
        (rows, problems, stream.notes)
    }

    #[test]
    fn streaming_reads_what_the_whole_file_reader_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases: [(&str, &[u8]); 9] = [
            (
                "plain.jsonl",
                "{\"id\":\"a\",\"name\":\"铝合金研究所\",\"colour\":1}\n\n{\"id\":\"b\",\"名称\":\"乙\"}\n".as_bytes(),
            ),
            (
                "bom-crlf.jsonl",
                "\u{feff}{\"id\":\"a\"}\r\n[1,2]\r\n{not json\r\n\r\n{\"id\":\"c\"}".as_bytes(),
            ),
            ("empty.jsonl", b""),
            (
                "header.csv",
                "id,name,institution,单位,colour\na,铝合金研究所,山东大学,,red\n,,,,\nb,\"引号, 逗号\",\"多\n行\",x,\n".as_bytes(),
            ),
            (
                "bom.csv",
                "\u{feff}id\tname\tinstitution\r\na\t甲\t山东大学\r\n".as_bytes(),
            ),
            ("missing-column.csv", "id,colour\na,red\n".as_bytes()),
            ("short-row.csv", "id,name,institution\na,甲\nb,乙,山东大学,extra\n".as_bytes()),
            ("header-only.csv", b"id,name,institution\n"),
            // GBK: read whole (not UTF-8), the same rows either way.
            ("gbk.csv", b"id,name,institution\na,\xc2\xc1\xba\xcf\xbd\xf0,\xc9\xbd\xb6\xab\xb4\xf3\xd1\xa7\n"),
        ];
        for (name, bytes) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            let (mut rows, mut problems, mut notes) = streamed(ImportKind::Labs, &path);
            let (whole_rows, mut whole_problems, mut whole_notes) = whole(ImportKind::Labs, &path);
            problems.sort_by_key(|problem| problem.row);
            whole_problems.sort_by_key(|problem| problem.row);
            notes.sort();
            whole_notes.sort();
            rows.sort_by_key(|row| row.number);
            assert_eq!(rows, whole_rows, "{name}: rows");
            assert_eq!(problems, whole_problems, "{name}: problems");
            assert_eq!(notes, whole_notes, "{name}: notes");
        }
    }

    #[test]
    fn a_character_split_between_pieces_is_still_utf8() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("long.jsonl");
        // 铝 is three bytes; 65,535 ASCII bytes first puts it across the 64 KiB piece boundary.
        let text = format!("{{\"id\":\"{}铝\"}}\n", "a".repeat(65_535 - 8));
        std::fs::write(&path, &text).expect("write");
        assert!(matches!(streams_as_utf8(&path), Ok(true)));
        std::fs::write(&path, b"{\"id\":\"\xff\"}\n").expect("write");
        assert!(matches!(streams_as_utf8(&path), Ok(false)));
    }

    #[test]
    fn decodes_utf8_bom_gbk_and_rejects_garbage() {
        let (text, notes) = decode("\u{feff}名称".as_bytes()).expect("utf-8 bom");
        assert_eq!(text, "名称");
        assert!(notes.is_empty());
        let (gbk, _, _) = GB18030.encode("企业名称,镇街");
        let (text, notes) = decode(&gbk).expect("gbk");
        assert_eq!(text, "企业名称,镇街");
        assert!(notes[0].contains("GBK"), "{notes:?}");
        assert!(decode(&[0xff, 0xff, 0xff, 0x81]).is_err() || decode(&[0x81, 0x20]).is_err());
    }

    #[test]
    fn csv_rows_are_numbered_as_a_spreadsheet_shows_them() {
        let source = read_csv(
            ImportKind::Programs,
            "编号,计划名称,级别\np1,泰山学者,省级\n,,\np2,长江学者,国家级\n",
        );
        assert!(source.problems.is_empty(), "{:?}", source.problems);
        let numbers: Vec<usize> = source.rows.iter().map(|row| row.number).collect();
        assert_eq!(numbers, [2, 4]);
        assert_eq!(
            source.rows[1].cells["name"],
            Value::String("长江学者".into())
        );
    }

    #[test]
    fn missing_and_doubled_columns_are_file_problems() {
        let source = read_csv(ImportKind::Programs, "id,name,名称\np1,a,b\n");
        let reasons: Vec<&str> = source
            .problems
            .iter()
            .map(|problem| problem.reason.as_str())
            .collect();
        assert!(
            reasons.iter().any(|reason| reason.contains("two columns")),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|reason| reason.contains("missing column 'level'")),
            "{reasons:?}"
        );
    }

    #[test]
    fn excel_error_cells_are_bad_cells_not_text() {
        use calamine::CellErrorType;
        assert_eq!(
            cell_value(&Data::Error(CellErrorType::Div0)),
            Err("#DIV/0!".into())
        );
        let header = vec!["编号".to_owned(), "计划名称".to_owned(), "级别".to_owned()];
        let table = vec![
            (
                2,
                vec![
                    Ok(Value::from("p1")),
                    cell_value(&Data::Error(CellErrorType::Ref)),
                    Ok(Value::from("省级")),
                ],
            ),
            (
                3,
                vec![
                    Ok(Value::from("p2")),
                    Ok(Value::from("长江学者")),
                    cell_value(&Data::Error(CellErrorType::NA)),
                ],
            ),
        ];
        let source = from_table(ImportKind::Programs, &header, table);
        let found: Vec<(Option<usize>, Option<&str>)> = source
            .problems
            .iter()
            .map(|problem| (problem.row, problem.field.as_deref()))
            .collect();
        assert_eq!(found, [(Some(2), Some("name")), (Some(3), Some("level"))]);
        assert!(
            source.problems[0].reason.contains("#REF!"),
            "{:?}",
            source.problems
        );
        assert!(!source.rows.iter().any(|row| {
            row.cells
                .values()
                .any(|value| value.as_str().is_some_and(|text| text.starts_with('#')))
        }));
    }

    #[test]
    fn jsonl_lines_keep_their_numbers() {
        let source = read_jsonl(
            ImportKind::Programs,
            "{\"id\":\"p1\"}\n\n[1]\n{\"id\":\"p2\",\"备注\":1}\n",
        );
        assert_eq!(
            source.rows.iter().map(|row| row.number).collect::<Vec<_>>(),
            [1, 4]
        );
        assert_eq!(source.problems.len(), 1);
        assert_eq!(source.problems[0].row, Some(3));
        assert!(source.notes[0].contains("备注"));
    }
}
