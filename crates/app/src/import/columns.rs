//! The columns of each import kind: the contract's field name, the Chinese header a bureau
//! sheet uses, whether it is required and an example. One table serves the downloadable
//! templates, the import page's help and `docs/IMPORTS.md`; a test checks that every header
//! here is read back as its field by the importer.

use super::ImportKind;
use crate::Result;
use crate::export::{Cell, Sheet, workbook};

/// One column of an import kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The contract's field name (also accepted as a header).
    pub field: &'static str,
    /// The Chinese header of the template.
    pub header: &'static str,
    /// Whether every row must have it.
    pub required: bool,
    /// An example value.
    pub example: &'static str,
}

const fn column(field: &'static str, header: &'static str, example: &'static str) -> Column {
    Column {
        field,
        header,
        required: false,
        example,
    }
}

const fn required(field: &'static str, header: &'static str, example: &'static str) -> Column {
    Column {
        field,
        header,
        required: true,
        example,
    }
}

/// The example enterprise's credit code (a valid check character; 临朐县's division code).
pub const EXAMPLE_CREDIT_CODE: &str = "91370724MA3EXAMPL1";

const PROGRAM_COLUMNS: &[Column] = &[
    required("id", "编号", "prog-taishan-industry"),
    required("name", "计划名称", "泰山产业领军人才工程"),
    required("level", "级别", "省级"),
    column("description", "简介", "山东省面向产业的高层次人才计划"),
];

const LAB_COLUMNS: &[Column] = &[
    required("id", "编号", "lab-example"),
    required("name", "实验室名称", "轻合金精密成形实验室"),
    column("institution", "依托单位", "山东大学"),
    column("level", "级别", "省级"),
    column("fields", "研究方向", "铝合金;挤压成形;热处理"),
    column("description", "简介", "面向铝型材企业的成形与热处理研究"),
    column("province", "省份", "山东省"),
    column("email", "邮箱", "lab@example.edu.cn"),
    column("capacity", "可对接企业数", "5"),
];

const EXPERT_COLUMNS: &[Column] = &[
    required("id", "编号", "exp-example"),
    required("name", "姓名", "张明"),
    column("institution", "所在单位", "山东大学"),
    column("title", "职称", "教授"),
    column("fields", "研究方向", "铝合金;热处理"),
    column("bio", "个人简介", "长期从事铝合金热处理与表面处理研究"),
    column("programs", "人才计划", "泰山产业领军人才工程"),
    column("lab", "所在实验室", "lab-example"),
    column("province", "省份", "山东省"),
    column("email", "邮箱", "zhang.ming@example.edu.cn"),
    column("capacity", "可对接企业数", "3"),
    column("open_to_post", "愿意到企业任职", "否"),
];

const ENTERPRISE_COLUMNS: &[Column] = &[
    required("id", "编号", "ent-example"),
    required("name", "企业名称", "临朐示例铝业有限公司"),
    required("credit_code", "统一社会信用代码", EXAMPLE_CREDIT_CODE),
    required("town", "镇街", "城关街道"),
    required("industry", "产业链", "铝材深加工"),
    column("industry_code", "行业代码", "C3252"),
    required("above_scale", "是否规上", "是"),
    required("roster_year", "名录年度", "2026"),
    column("county", "县区", "临朐县"),
    column("products", "主要产品", "建筑铝型材;工业铝型材"),
    column("rd_staff", "研发人员数", "6"),
    column("contact_email", "联系邮箱", "tech@example.com.cn"),
    column("owner", "负责人", "wang.li"),
    column("rd_kind", "研发机构类型", "企业技术中心"),
    column("rd_level", "研发机构级别", "市级"),
    column("rd_number", "认定编号", "WFJS-2024-018"),
    column("rd_recognized_on", "认定日期", "2024-06-01"),
    column("rd_review_due", "复核日期", "2027-05-31"),
];

const NEED_COLUMNS: &[Column] = &[
    required("id", "编号", "need-example"),
    required("enterprise", "企业编号", "ent-example"),
    required("title", "需求名称", "6063 铝型材阳极氧化色差控制"),
    required(
        "description",
        "描述",
        "目标：同批次色差 ΔE<1；现状：ΔE 约 2.5；约束：现有氧化线；期限：6 个月；预算：20 万元",
    ),
    column("fields", "技术领域", "阳极氧化;表面处理"),
    column("kind", "需求类型", "技术攻关"),
    column("status", "状态", "待对接"),
    column("confidential", "是否保密", "否"),
];

const PARTNERSHIP_COLUMNS: &[Column] = &[
    required("id", "编号", "pship-example"),
    required("enterprise", "企业编号", "ent-example"),
    required("partner_kind", "合作方类型", "高校院所"),
    required("partner", "合作方", "山东大学"),
    required("kind", "合作方式", "技术开发合同"),
    required("valid_from", "开始日期", "2026-01-01"),
    column("valid_to", "结束日期", "2027-12-31"),
    column("evidence", "佐证", "技术合同登记号 2026370700001234"),
];

const OFFER_COLUMNS: &[Column] = &[
    required("id", "编号", "offer-example"),
    required("name", "成果名称", "高强铝合金在线淬火工艺"),
    column("institution", "所属单位", "山东大学"),
    column("holder", "成果持有人", "张明"),
    column("fields", "技术领域", "铝合金;热处理;挤压"),
    column(
        "description",
        "成果简介",
        "挤压后在线淬火，省去离线固溶，型材强度达到T6",
    ),
    column("patent", "专利号", "ZL202310000000.0"),
    column("price", "转让价格", "面议"),
];

/// Returns the columns of a kind, in template order.
pub fn columns(kind: ImportKind) -> &'static [Column] {
    match kind {
        ImportKind::Programs => PROGRAM_COLUMNS,
        ImportKind::Labs => LAB_COLUMNS,
        ImportKind::Experts => EXPERT_COLUMNS,
        ImportKind::Enterprises => ENTERPRISE_COLUMNS,
        ImportKind::Needs => NEED_COLUMNS,
        ImportKind::Partnerships => PARTNERSHIP_COLUMNS,
        ImportKind::Offers => OFFER_COLUMNS,
    }
}

/// The Chinese name of a kind.
pub fn kind_label(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Enterprises => "企业名录",
        ImportKind::Needs => "技术需求",
        ImportKind::Labs => "实验室",
        ImportKind::Experts => "专家",
        ImportKind::Programs => "人才计划",
        ImportKind::Partnerships => "产学研合作",
        ImportKind::Offers => "科技成果",
    }
}

/// The Chinese header of a field of a kind (the field's own name when it has none).
pub fn header_of(kind: ImportKind, field: &str) -> &'static str {
    columns(kind)
        .iter()
        .find(|column| column.field == field)
        .map_or("", |column| column.header)
}

/// The template of a kind: the Chinese headers and one example row, as XLSX.
pub fn template(kind: ImportKind) -> Result<Vec<u8>> {
    let columns = columns(kind);
    let headers: Vec<&str> = columns.iter().map(|column| column.header).collect();
    let mut sheet = Sheet::new(kind_label(kind), &headers);
    sheet.rows.push(
        columns
            .iter()
            .map(|column| match column.example.parse::<chrono::NaiveDate>() {
                Ok(day) => Cell::Date(day),
                // The example enterprise is on this year's roster, so the template imports as
                // it is.
                Err(_) if column.field == "roster_year" => {
                    Cell::Number(f64::from(chrono::Datelike::year(&crate::today())))
                }
                Err(_) => Cell::text(column.example),
            })
            .collect(),
    );
    workbook(&[sheet])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::source::canonical_field;

    #[test]
    fn every_header_reads_back_as_its_field_and_every_field_has_a_column() {
        for kind in ImportKind::ALL {
            let columns = columns(kind);
            for column in columns {
                assert_eq!(
                    canonical_field(kind, column.header),
                    Some(column.field),
                    "{kind}: header {}",
                    column.header
                );
                assert_eq!(canonical_field(kind, column.field), Some(column.field));
                assert_eq!(
                    column.required,
                    kind.required_fields().contains(&column.field),
                    "{kind}: {}",
                    column.field
                );
            }
            for field in kind.required_fields() {
                assert!(columns.iter().any(|column| column.field == *field));
            }
        }
    }

    #[test]
    fn the_import_docs_list_every_column() {
        let docs = include_str!("../../../../docs/IMPORTS.md");
        for kind in ImportKind::ALL {
            for column in columns(kind) {
                let line = format!("| {} | `{}` |", column.header, column.field);
                assert!(docs.contains(&line), "docs/IMPORTS.md lacks {line}");
            }
        }
    }

    #[test]
    fn the_example_credit_code_is_valid() {
        let completed =
            labbridge_domain::CreditCode::complete(&EXAMPLE_CREDIT_CODE[..17]).expect("alphabet");
        assert_eq!(completed.as_str(), EXAMPLE_CREDIT_CODE);
    }
}
