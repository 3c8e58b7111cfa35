//! Human-readable output: aligned tables that count a Chinese character as two columns.

use labbridge_app::coverage::{CoverageReport, GroupRow};
use labbridge_app::import::ImportSummary;
use unicode_width::UnicodeWidthStr;

/// One line per import: `experts: 2000 rows: 2000 created, 0 updated, 0 unchanged`.
pub fn import_line(summary: &ImportSummary) -> String {
    let kind = summary.kind.map_or("records", |kind| kind.name());
    format!(
        "{kind}: {} rows: {} created, {} updated, {} unchanged",
        summary.rows, summary.created, summary.updated, summary.unchanged
    )
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// The headline: `2026: 64 of 246 fully covered (26.0%)`.
pub fn coverage_headline(report: &CoverageReport) -> String {
    format!(
        "{} 年度“两个全覆盖”: {} / {} ({}), 产学研合作 {}, 研发机构和研发人员 {}, 截至 {}",
        report.year,
        report.covered,
        report.total,
        percent(report.rate),
        report.cooperation,
        report.institution_and_staff,
        report.reference_date
    )
}

fn pad(text: &str, width: usize) -> String {
    let used = UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

fn table(title: &str, rows: &[(String, &GroupRow)]) -> String {
    let headers = [
        title,
        "规上企业",
        "两个全覆盖",
        "产学研合作",
        "研发机构和人员",
        "覆盖率",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|(name, row)| {
            [
                name.clone(),
                row.total.to_string(),
                row.covered.to_string(),
                row.cooperation.to_string(),
                row.institution_and_staff.to_string(),
                percent(row.rate),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..6)
        .map(|column| {
            cells
                .iter()
                .map(|row| UnicodeWidthStr::width(row[column].as_str()))
                .chain([UnicodeWidthStr::width(headers[column])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |values: Vec<&str>| -> String {
        values
            .iter()
            .zip(&widths)
            .map(|(value, width)| pad(value, *width))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    out.push_str(&line(headers.to_vec()));
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// The whole report as text.
pub fn coverage_table(report: &CoverageReport) -> String {
    let mut out = coverage_headline(report);
    out.push_str("\n\n");
    let towns: Vec<(String, &GroupRow)> = report
        .by_town
        .iter()
        .map(|row| (row.town.clone().unwrap_or_default(), row))
        .collect();
    out.push_str(&table("镇街", &towns));
    out.push('\n');
    let industries: Vec<(String, &GroupRow)> = report
        .by_industry
        .iter()
        .map(|row| (row.industry.clone().unwrap_or_default(), row))
        .collect();
    out.push_str(&table("产业链", &industries));
    out
}

/// Search hits as text: kind, name, institution, score, and the snippet without markup.
pub fn search_results(results: &labbridge_search::Results) -> String {
    let mut out = format!("{} 条结果\n", results.total);
    for (rank, hit) in results.hits.iter().enumerate() {
        let snippet = hit.snippet.replace("<em>", "【").replace("</em>", "】");
        out.push_str(&format!(
            "{:>2}. [{}] {} · {} ({:.2})  id={}\n    {}\n",
            rank + 1,
            hit.kind.name(),
            hit.name,
            hit.institution.as_deref().unwrap_or("-"),
            hit.score,
            hit.id,
            unescape(&snippet)
        ));
    }
    out
}

fn unescape(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The evaluation as a table, with the queries labbridge does worst on.
pub fn eval_report(report: &labbridge_app::eval::EvalReport) -> String {
    let mut out =
        String::from("engine       class        queries  nDCG@10  recall@10  recall@50  MRR@10\n");
    for engine in &report.engines {
        for (class, metrics) in &engine.classes {
            out.push_str(&format!(
                "{:<12} {class:<12} {:>7}  {:>7.3}  {:>9.3}  {:>9.3}  {:>6.3}\n",
                engine.engine,
                metrics.queries,
                metrics.ndcg_at_10,
                metrics.recall_at_10,
                metrics.recall_at_50,
                metrics.mrr_at_10
            ));
        }
    }
    let names: Vec<&str> = report
        .engines
        .iter()
        .map(|engine| engine.engine.as_str())
        .collect();
    let mut worst: Vec<&labbridge_app::eval::QueryScore> = report.per_query.iter().collect();
    worst.sort_by(|left, right| left.ndcg_at_10[0].total_cmp(&right.ndcg_at_10[0]));
    out.push_str(&format!(
        "\nweakest queries (nDCG@10: {}):\n",
        names.join(" / ")
    ));
    for score in worst.iter().take(12) {
        let figures: Vec<String> = score
            .ndcg_at_10
            .iter()
            .map(|figure| format!("{figure:.3}"))
            .collect();
        out.push_str(&format!(
            "  {}  [{}] {}\n",
            figures.join(" / "),
            score.class,
            score.query
        ));
    }
    out
}

/// A matcher run: what it placed, each proposal with its reasons, and the forecast coverage
/// (by town and industry) if every proposal were accepted.
pub fn match_report(report: &labbridge_app::matching::MatchReport) -> String {
    let mut out = format!(
        "{} 家企业有缺口 ({} 家无候选), {} 家合作年内到期（先推荐续签）; 利益冲突排除 {} 对; 必需合作方 {} / {} 已安排; {} 条推荐{} ({:.2} s)\n\n",
        report.enterprises_with_gaps,
        report.without_candidates,
        report.renewals,
        report.conflicts,
        report.required_placed,
        report.required_total,
        report.proposals.len(),
        if report.dry_run {
            " (试运行, 未保存)"
        } else {
            ""
        },
        report.seconds
    );
    for proposal in &report.proposals {
        out.push_str(&format!(
            "{} [{}] → {} · {} [{}] {:.4}  补 {}  匹配: {}\n",
            proposal.enterprise,
            proposal.gap,
            proposal.partner,
            proposal.institution,
            proposal.partner_kind,
            proposal.score,
            proposal.reasons.closes.join("+"),
            proposal.reasons.matched_terms.join("、")
        ));
    }
    out.push_str("\n现状: ");
    out.push_str(&coverage_headline(&report.before));
    out.push_str("\n预测 (全部推荐被接受): ");
    out.push_str(&coverage_headline(&report.forecast));
    out.push('\n');
    out.push_str(&coverage_table(&report.forecast));
    out
}

/// The proposals as a table: id, status, enterprise, partner, score.
pub fn proposals_table(rows: &[labbridge_app::matching::StoredProposal]) -> String {
    let mut out = String::new();
    let enterprise_width = rows
        .iter()
        .map(|row| UnicodeWidthStr::width(row.enterprise.as_str()))
        .max()
        .unwrap_or(0)
        .max(6);
    for row in rows {
        out.push_str(&format!(
            "{:>6}  {}  {}  {} ({})  {:.2}\n",
            row.id,
            pad(&row.status, 22),
            pad(&row.enterprise, enterprise_width),
            row.partner,
            row.institution,
            row.score
        ));
    }
    out.push_str(&format!("{} proposals\n", rows.len()));
    out
}

/// The outbox as a table: id, status, attempts, recipient, subject, last error.
pub fn mail_table(rows: &[labbridge_app::proposals::MailView]) -> String {
    let mut out = String::new();
    for row in rows {
        out.push_str(&format!(
            "{:>6}  {}  {:>2}  {}  {}{}\n",
            row.id,
            pad(&row.status, 7),
            row.attempts,
            row.recipient,
            row.subject,
            row.last_error
                .as_deref()
                .map(|error| format!("  [{error}]"))
                .unwrap_or_default()
        ));
    }
    out.push_str(&format!("{} mails\n", rows.len()));
    out
}
