//! XLSX exports for the bureau (coverage, enterprises, proposals, partnerships) and the import
//! templates, written with rust_xlsxwriter.
//!
//! Every sheet has Chinese headers in a frozen first row, dates as real Excel dates, and
//! column widths from the widest cell (a Chinese character counts twice). Text is always
//! written as text: a name starting with `=`, `+`, `-` or `@` never becomes a formula.

use chrono::NaiveDate;
use labbridge_domain::model::IndustryChain;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::coverage::GroupRow;
use crate::{App, Error, Result};

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, written as text whatever it starts with.
    Text(String),
    /// A number.
    Number(f64),
    /// A fraction shown as a percentage.
    Percent(f64),
    /// A date.
    Date(NaiveDate),
    /// Nothing.
    Empty,
}

impl Cell {
    /// Text, or nothing when empty.
    pub fn text(value: impl Into<String>) -> Self {
        let value = value.into();
        if value.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(value)
        }
    }

    fn display_width(&self) -> f64 {
        match self {
            Cell::Text(text) => text
                .chars()
                .map(|character| if character.len_utf8() > 1 { 2.1 } else { 1.1 })
                .sum(),
            Cell::Number(number) => number.to_string().len() as f64 * 1.1,
            Cell::Percent(_) => 8.0,
            Cell::Date(_) => 11.0,
            Cell::Empty => 0.0,
        }
    }
}

/// One sheet of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet's (Chinese) name.
    pub name: String,
    /// The header row.
    pub headers: Vec<String>,
    /// The data rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// A sheet with headers.
    pub fn new(name: &str, headers: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            headers: headers.iter().map(|header| (*header).to_owned()).collect(),
            rows: Vec::new(),
        }
    }
}

fn xlsx_error(error: rust_xlsxwriter::XlsxError) -> Error {
    Error::Invalid(format!("cannot write the workbook: {error}"))
}

/// Writes sheets into an XLSX file in memory.
///
/// Sheets are written in rust_xlsxwriter's constant-memory mode: each row goes to a temporary
/// file as it is written instead of into a table of every cell, which halves the time of a
/// large export. The mode wants the column widths and the frozen row before any data, so the
/// widths are measured first. Most of the rest is deflating the XML: the fastest level keeps a
/// 50,000-row export under a second at a file about a fifth larger.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    workbook.set_zip_compression_level(1);
    let header = Format::new().set_bold().set_background_color("#EEF2F6");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let percent = Format::new().set_num_format("0.0%");
    for sheet in sheets {
        let mut widths: Vec<f64> = sheet
            .headers
            .iter()
            .map(|text| Cell::Text(text.clone()).display_width())
            .collect();
        for cells in &sheet.rows {
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = width.max(cell.display_width());
            }
        }
        let worksheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        worksheet.set_name(&sheet.name).map_err(xlsx_error)?;
        for (column, width) in widths.iter().enumerate() {
            worksheet
                .set_column_width(column as u16, (width + 2.0).clamp(6.0, 60.0))
                .map_err(xlsx_error)?;
        }
        worksheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        for (column, text) in sheet.headers.iter().enumerate() {
            worksheet
                .write_string_with_format(0, column as u16, text, &header)
                .map_err(xlsx_error)?;
        }
        for (index, cells) in sheet.rows.iter().enumerate() {
            let row = u32::try_from(index + 1)
                .map_err(|_| Error::Invalid("too many rows for one sheet".to_owned()))?;
            for (column, cell) in cells.iter().enumerate() {
                let column_number = column as u16;
                match cell {
                    Cell::Text(text) => {
                        worksheet.write_string(row, column_number, text).map(|_| ())
                    }
                    Cell::Number(number) => worksheet
                        .write_number(row, column_number, *number)
                        .map(|_| ()),
                    Cell::Percent(value) => worksheet
                        .write_number_with_format(row, column_number, *value, &percent)
                        .map(|_| ()),
                    Cell::Date(day) => {
                        use chrono::Datelike;
                        let excel = ExcelDateTime::from_ymd(
                            u16::try_from(day.year()).unwrap_or(1900),
                            day.month() as u8,
                            day.day() as u8,
                        )
                        .map_err(xlsx_error)?;
                        worksheet
                            .write_date_with_format(row, column_number, &excel, &date)
                            .map(|_| ())
                    }
                    Cell::Empty => Ok(()),
                }
                .map_err(xlsx_error)?;
            }
        }
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// The coverage report: totals, by town, by chain, uncovered, at risk.
    Coverage,
    /// The roster.
    Enterprises,
    /// Proposals with their states.
    Proposals,
    /// Partnerships with their evidence.
    Partnerships,
}

impl ExportKind {
    /// Every kind.
    pub const ALL: [ExportKind; 4] = [
        ExportKind::Coverage,
        ExportKind::Enterprises,
        ExportKind::Proposals,
        ExportKind::Partnerships,
    ];

    /// Parses the name used on the command line and in URLs.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == raw.trim())
    }

    /// The name used on the command line and in URLs.
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Coverage => "coverage",
            ExportKind::Enterprises => "enterprises",
            ExportKind::Proposals => "proposals",
            ExportKind::Partnerships => "partnerships",
        }
    }

    /// The Chinese name (also the download's file name).
    pub fn label(self) -> &'static str {
        match self {
            ExportKind::Coverage => "两个全覆盖统计",
            ExportKind::Enterprises => "企业名录",
            ExportKind::Proposals => "对接建议",
            ExportKind::Partnerships => "产学研合作",
        }
    }
}

fn count(value: u32) -> Cell {
    Cell::Number(f64::from(value))
}

fn group_rows(sheet: &mut Sheet, rows: &[GroupRow], town: bool) {
    for row in rows {
        let name = if town {
            row.town.clone()
        } else {
            row.industry.clone()
        };
        sheet.rows.push(vec![
            Cell::text(name.unwrap_or_default()),
            count(row.total),
            count(row.covered),
            count(row.cooperation),
            count(row.institution_and_staff),
            Cell::Percent(row.rate),
        ]);
    }
}

const GROUP_HEADERS: [&str; 5] = [
    "规上企业数",
    "两个全覆盖",
    "产学研合作",
    "研发机构和研发人员",
    "覆盖率",
];

impl App {
    /// Builds an export's workbook as of `today`.
    pub async fn export(&self, kind: ExportKind, today: NaiveDate) -> Result<Vec<u8>> {
        let sheets = match kind {
            ExportKind::Coverage => self.coverage_sheets(today).await?,
            ExportKind::Enterprises => vec![self.enterprise_sheet().await?],
            ExportKind::Proposals => vec![self.proposal_sheet().await?],
            ExportKind::Partnerships => vec![self.partnership_sheet().await?],
        };
        workbook(&sheets)
    }

    async fn coverage_sheets(&self, today: NaiveDate) -> Result<Vec<Sheet>> {
        // One read of the roster for every sheet.
        let roster = self.roster_now(today).await?;
        let report = crate::coverage::report_of_rows(roster.year, roster.day, &roster.rows);
        let mut total = Sheet::new(
            "总体",
            &[
                "年度",
                "统计截止日期",
                GROUP_HEADERS[0],
                GROUP_HEADERS[1],
                GROUP_HEADERS[2],
                GROUP_HEADERS[3],
                GROUP_HEADERS[4],
            ],
        );
        total.rows.push(vec![
            Cell::Number(f64::from(report.year)),
            Cell::Date(report.reference_date),
            count(report.total),
            count(report.covered),
            count(report.cooperation),
            count(report.institution_and_staff),
            Cell::Percent(report.rate),
        ]);
        let mut headers = vec!["镇街"];
        headers.extend(GROUP_HEADERS);
        let mut towns = Sheet::new("分镇街", &headers);
        group_rows(&mut towns, &report.by_town, true);
        headers[0] = "产业链";
        let mut chains = Sheet::new("分产业链", &headers);
        group_rows(&mut chains, &report.by_industry, false);
        let uncovered = self
            .uncovered_of(&roster, &crate::dashboard::UncoveredFilter::default())
            .await?;
        let mut list = Sheet::new(
            "未覆盖企业",
            &[
                "企业编号",
                "企业名称",
                "镇街",
                "产业链",
                "缺少",
                "原因",
                "起始日期",
                "负责人",
                "最新对接建议",
            ],
        );
        for enterprise in uncovered.enterprises {
            let missing: Vec<&str> = enterprise
                .gaps
                .iter()
                .map(|gap| match gap.coverage {
                    "cooperation" => "产学研合作",
                    _ => "研发机构和研发人员",
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let since = enterprise.gaps.iter().filter_map(|gap| gap.since).min();
            list.rows.push(vec![
                Cell::text(enterprise.id),
                Cell::text(enterprise.name),
                Cell::text(enterprise.town),
                Cell::text(enterprise.industry),
                Cell::text(missing.join("、")),
                Cell::text(
                    enterprise
                        .gaps
                        .iter()
                        .map(|gap| gap.reason.as_str())
                        .collect::<Vec<_>>()
                        .join("；"),
                ),
                since.map_or(Cell::Empty, Cell::Date),
                Cell::text(
                    enterprise
                        .owner_name
                        .or(enterprise.owner)
                        .unwrap_or_default(),
                ),
                Cell::text(
                    enterprise
                        .latest_proposal
                        .map(|proposal| {
                            format!(
                                "{}（{}）",
                                proposal.partner,
                                labbridge_domain::proposal::ProposalStatus::parse(&proposal.status)
                                    .map(|status| status.label())
                                    .unwrap_or(proposal.status.as_str())
                            )
                        })
                        .unwrap_or_default(),
                ),
            ]);
        }
        let at_risk = self.at_risk_of(&roster).await?;
        let mut risk = Sheet::new(
            "即将失效",
            &[
                "企业编号",
                "企业名称",
                "镇街",
                "产业链",
                "将失去",
                "失效日期",
                "原因",
            ],
        );
        for enterprise in at_risk.enterprises {
            risk.rows.push(vec![
                Cell::text(enterprise.id),
                Cell::text(enterprise.name),
                Cell::text(enterprise.town),
                Cell::text(enterprise.industry),
                Cell::text(match enterprise.coverage {
                    "cooperation" => "产学研合作",
                    _ => "研发机构和研发人员",
                }),
                Cell::Date(enterprise.loses_on),
                Cell::text(enterprise.cause),
            ]);
        }
        Ok(vec![total, towns, chains, list, risk])
    }

    async fn enterprise_sheet(&self) -> Result<Sheet> {
        let mut sheet = Sheet::new(
            "企业名录",
            &[
                "企业编号",
                "企业名称",
                "统一社会信用代码",
                "镇街",
                "产业链",
                "是否规上",
                "名录年度",
                "研发人员数",
                "主要产品",
                "负责人",
                "行业代码",
            ],
        );
        for enterprise in self.store.enterprise_list().await? {
            sheet.rows.push(vec![
                Cell::text(enterprise.id),
                Cell::text(enterprise.name),
                Cell::text(enterprise.credit_code),
                Cell::text(enterprise.town),
                Cell::text(
                    IndustryChain::parse(&enterprise.industry)
                        .map(|chain| chain.label().to_owned())
                        .unwrap_or(enterprise.industry),
                ),
                Cell::text(if enterprise.above_scale != 0 {
                    "是"
                } else {
                    "否"
                }),
                Cell::Number(enterprise.roster_year as f64),
                Cell::Number(enterprise.rd_staff as f64),
                Cell::text(crate::search::list_field(&enterprise.products).join("；")),
                Cell::text(enterprise.owner.unwrap_or_default()),
                Cell::text(enterprise.industry_code.unwrap_or_default()),
            ]);
        }
        Ok(sheet)
    }

    async fn proposal_sheet(&self) -> Result<Sheet> {
        let mut sheet = Sheet::new(
            "对接建议",
            &[
                "编号",
                "企业编号",
                "企业名称",
                "镇街",
                "合作方类型",
                "合作方",
                "所在单位",
                "缺少",
                "匹配度",
                "状态",
                "更新日期",
            ],
        );
        for proposal in self.proposals(None).await? {
            sheet.rows.push(vec![
                Cell::Number(proposal.id as f64),
                Cell::text(proposal.enterprise_id),
                Cell::text(proposal.enterprise),
                Cell::text(proposal.town),
                Cell::text(match proposal.partner_kind.as_str() {
                    "lab" => "实验室",
                    _ => "专家",
                }),
                Cell::text(proposal.partner),
                Cell::text(proposal.institution),
                Cell::text(proposal.gap),
                Cell::Number(proposal.score),
                Cell::text(
                    labbridge_domain::proposal::ProposalStatus::parse(&proposal.status)
                        .map(|status| status.label().to_owned())
                        .unwrap_or(proposal.status),
                ),
                Cell::Date((proposal.updated_at + chrono::Duration::hours(8)).date_naive()),
            ]);
        }
        Ok(sheet)
    }

    async fn partnership_sheet(&self) -> Result<Sheet> {
        let mut sheet = Sheet::new(
            "产学研合作",
            &[
                "编号",
                "企业编号",
                "企业名称",
                "合作方类型",
                "合作方",
                "合作方式",
                "开始日期",
                "结束日期",
                "合同编号",
                "技术合同登记号",
                "佐证",
            ],
        );
        let names = self.store.enterprise_names().await?;
        let labs = self.store.lab_names().await?;
        let experts = self.store.expert_names().await?;
        for partnership in self.store.partnerships().await? {
            let partner = match partnership.partner_kind.as_str() {
                "lab" => labs.get(&partnership.partner).cloned(),
                "expert" => experts.get(&partnership.partner).cloned(),
                _ => None,
            }
            .unwrap_or_else(|| partnership.partner.clone());
            sheet.rows.push(vec![
                Cell::text(partnership.id),
                Cell::text(partnership.enterprise_id.clone()),
                Cell::text(
                    names
                        .get(&partnership.enterprise_id)
                        .map(|(name, _)| name.clone())
                        .unwrap_or_default(),
                ),
                Cell::text(
                    labbridge_domain::model::PartnerKind::parse(&partnership.partner_kind)
                        .map(|kind| kind.label().to_owned())
                        .unwrap_or(partnership.partner_kind),
                ),
                Cell::text(partner),
                Cell::text(
                    labbridge_domain::model::PartnershipKind::parse(&partnership.kind)
                        .map(|kind| kind.label().to_owned())
                        .unwrap_or(partnership.kind),
                ),
                Cell::Date(partnership.valid_from),
                partnership.valid_to.map_or(Cell::Empty, Cell::Date),
                Cell::text(partnership.contract_number.unwrap_or_default()),
                Cell::text(partnership.registration_number.unwrap_or_default()),
                Cell::text(partnership.evidence.unwrap_or_default()),
            ]);
        }
        Ok(sheet)
    }
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader};

    use super::*;

    #[test]
    fn text_that_looks_like_a_formula_stays_text_and_dates_are_dates() {
        let mut sheet = Sheet::new("测试", &["名称", "日期"]);
        for text in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "临朐县铝业",
        ] {
            sheet.rows.push(vec![
                Cell::text(text),
                Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 31).expect("date")),
            ]);
        }
        let bytes = workbook(&[sheet]).expect("workbook");
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("xlsx");
        let range = book.worksheet_range("测试").expect("sheet");
        let rows: Vec<&[Data]> = range.rows().collect();
        assert_eq!(rows[0][0], Data::String("名称".into()));
        assert_eq!(rows[1][0], Data::String("=HYPERLINK(\"http://x\")".into()));
        assert_eq!(rows[4][0], Data::String("@SUM(A1)".into()));
        assert!(matches!(rows[1][1], Data::DateTime(_)), "{:?}", rows[1][1]);
        let formulas = book.worksheet_formula("测试").expect("formulas");
        assert!(
            formulas
                .used_cells()
                .all(|(_, _, formula)| formula.is_empty())
        );
    }
}
