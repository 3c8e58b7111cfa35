//! Charts as SVG written on the server: no JavaScript, no CDN, nothing downloaded, and the
//! same picture in print.
//!
//! Chart crates measure text with a Latin font (or by bytes), which makes Chinese labels
//! twice too wide or too narrow. These charts are few and simple, so they are written by
//! hand with a width estimate that holds for CJK fonts: one em per full-width character,
//! 0.6 em otherwise. Labels sit in a left column sized to the widest one, never rotated.

use std::fmt::Write as _;

/// The font stack of every label (as the pages use).
const FONT: &str =
    "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif";
const ACCENT: &str = "#0b6e4f";
const MUTED: &str = "#5b6776";
const GRID: &str = "#dde3ea";
const INK: &str = "#1d2733";
const TRACK: &str = "#eef2f6";

/// Whether a character is drawn full-width (CJK, full-width forms, CJK punctuation).
fn is_wide(character: char) -> bool {
    matches!(character as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF |
        0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF |
        0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// The estimated width of a label in pixels at a font size.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|character| if is_wide(character) { 1.0 } else { 0.6 })
        .sum::<f64>()
        * size
}

/// Escapes text for SVG (the same five characters as HTML).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    labbridge_search::snippet::escape_into(text, &mut out);
    out
}

/// One point of a line chart: a label under the axis and a fraction 0–1.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The x label (a month).
    pub label: String,
    /// The value, a fraction.
    pub value: f64,
}

/// One bar: a label, a fraction 0–1, and the text printed after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The label on the left.
    pub label: String,
    /// The value, a fraction.
    pub value: f64,
    /// What is printed after the bar (e.g. `26.0%（64/246）`).
    pub note: String,
    /// Where the label links to, if anywhere.
    pub href: Option<String>,
}

fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

/// A line chart of fractions by month, with a 0–100% scale (or tighter, to the next 10%).
pub fn line(title: &str, points: &[Point], empty: &str) -> String {
    let (width, height) = (640.0_f64, 240.0_f64);
    let (left, right, top, bottom) = (52.0, 40.0, 30.0, 40.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart line-chart" viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" font-family="{FONT}" font-size="12"><title>{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<text x="{left}" y="18" font-size="14" font-weight="600" fill="{MUTED}">{}</text>"#,
        escape(title)
    );
    if points.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle" fill="{MUTED}">{}</text></svg>"#,
            width / 2.0,
            height / 2.0,
            escape(empty)
        );
        return svg;
    }
    let highest = points.iter().map(|point| point.value).fold(0.0, f64::max);
    // Gridlines at round percentages: every 10% up to 50%, every 20% above.
    let step = if highest <= 0.5 { 0.1 } else { 0.2 };
    let steps = ((highest / step).ceil() as u32).clamp(1, 5);
    let scale = step * f64::from(steps);
    let plot_width = width - left - right;
    let plot_height = height - top - bottom;
    for tick in 0..=steps {
        let value = step * f64::from(tick);
        let y = top + plot_height * (1.0 - value / scale);
        let _ = write!(
            svg,
            r#"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="{GRID}"/><text x="{}" y="{:.1}" text-anchor="end" fill="{MUTED}">{}</text>"#,
            width - right,
            left - 6.0,
            y + 4.0,
            format_args!("{:.0}%", value * 100.0)
        );
    }
    let gap = if points.len() > 1 {
        plot_width / (points.len() - 1) as f64
    } else {
        0.0
    };
    let position = |index: usize, value: f64| {
        let x = if points.len() > 1 {
            left + gap * index as f64
        } else {
            left + plot_width / 2.0
        };
        (
            x,
            top + plot_height * (1.0 - value.clamp(0.0, scale) / scale),
        )
    };
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            let (x, y) = position(index, point.value);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        svg,
        r#"<polyline fill="none" stroke="{ACCENT}" stroke-width="2" points="{}"/>"#,
        path.join(" ")
    );
    // Month labels: every one when they fit, else every n-th.
    let label_width = points
        .iter()
        .map(|point| text_width(&point.label, 12.0))
        .fold(0.0, f64::max)
        + 8.0;
    let every = if gap > 0.0 {
        (label_width / gap).ceil().max(1.0) as usize
    } else {
        1
    };
    for (index, point) in points.iter().enumerate() {
        let (x, y) = position(index, point.value);
        let _ = write!(
            svg,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{ACCENT}"><title>{}: {}</title></circle>"#,
            escape(&point.label),
            percent(point.value)
        );
        if index % every == 0 || index + 1 == points.len() {
            let _ = write!(
                svg,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="{MUTED}">{}</text>"#,
                height - bottom + 18.0,
                escape(&point.label)
            );
        }
    }
    if let Some(last) = points.last() {
        let (x, y) = position(points.len() - 1, last.value);
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" font-weight="600" fill="{ACCENT}">{}</text>"#,
            x,
            y - 8.0,
            percent(last.value)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars of fractions, labels in a left column as wide as the widest label.
pub fn bars(title: &str, bars: &[Bar], empty: &str) -> String {
    let size = 13.0;
    let row = 24.0;
    let top = 30.0;
    let label_column = bars
        .iter()
        .map(|bar| text_width(&bar.label, size))
        .fold(text_width(title, 14.0).min(120.0), f64::max)
        + 12.0;
    let note_column = bars
        .iter()
        .map(|bar| text_width(&bar.note, 12.0))
        .fold(0.0, f64::max)
        + 10.0;
    let bar_span = 240.0;
    let width = (label_column + bar_span + note_column + 8.0).ceil();
    let height = (top + row * bars.len().max(1) as f64 + 8.0).ceil();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart bar-chart" viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px" font-family="{FONT}" font-size="{size}"><title>{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<text x="0" y="18" font-size="14" font-weight="600" fill="{MUTED}">{}</text>"#,
        escape(title)
    );
    if bars.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="0" y="{}" fill="{MUTED}">{}</text></svg>"#,
            top + 16.0,
            escape(empty)
        );
        return svg;
    }
    for (index, bar) in bars.iter().enumerate() {
        let y = top + row * index as f64;
        let label = format!(
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="{INK}">{}</text>"#,
            label_column - 8.0,
            y + 16.0,
            escape(&bar.label)
        );
        match &bar.href {
            Some(href) => {
                let _ = write!(svg, r#"<a href="{}">{label}</a>"#, escape(href));
            }
            None => svg.push_str(&label),
        }
        let length = (bar.value.clamp(0.0, 1.0) * bar_span).max(1.0);
        let _ = write!(
            svg,
            r#"<rect x="{label_column:.1}" y="{:.1}" width="{bar_span}" height="14" fill="{TRACK}"/><rect x="{label_column:.1}" y="{:.1}" width="{length:.1}" height="14" fill="{ACCENT}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" font-size="12" fill="{MUTED}">{}</text>"#,
            y + 4.0,
            y + 4.0,
            escape(&bar.label),
            escape(&bar.note),
            label_column + bar_span + 8.0,
            y + 16.0,
            escape(&bar.note)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_one_em_and_latin_about_half() {
        let close = |left: f64, right: f64| (left - right).abs() < 1e-9;
        assert!(close(text_width("临朐县", 10.0), 30.0));
        assert!(close(text_width("ab", 10.0), 12.0));
        assert!(close(
            text_width("城关街道（Chengguan）", 10.0),
            60.0 + 9.0 * 6.0
        ));
    }

    #[test]
    fn bars_make_room_for_the_widest_label_and_escape_text() {
        let svg = bars(
            "分镇街覆盖率",
            &[
                Bar {
                    label: "冶源镇".into(),
                    value: 0.5,
                    note: "50.0%".into(),
                    href: Some("/staff/uncovered?town=1&x=2".into()),
                },
                Bar {
                    label: "<五井镇经济开发区工业园>".into(),
                    value: 2.0,
                    note: "x".into(),
                    href: None,
                },
            ],
            "无",
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("&lt;五井镇经济开发区工业园&gt;"));
        assert!(svg.contains("town=1&amp;x=2"));
        assert!(!svg.contains("<五井镇"));
        // The label column is as wide as the widest label (11 em + 2 × 0.6 em at 13 px) + 12.
        let column = text_width("<五井镇经济开发区工业园>", 13.0) + 12.0;
        assert!(svg.contains(&format!(r#"<rect x="{column:.1}""#)), "{svg}");
        // A value above 1 is drawn as a full bar, never past the track.
        assert!(
            svg.contains(r##"width="240.0" height="14" fill="#0b6e4f""##),
            "{svg}"
        );
    }

    #[test]
    fn a_line_has_a_point_per_month_and_says_when_empty() {
        let points: Vec<Point> = (1..=12)
            .map(|month| Point {
                label: format!("{month}月"),
                value: f64::from(month) / 40.0,
            })
            .collect();
        let svg = line("覆盖率", &points, "暂无数据");
        assert_eq!(svg.matches("<circle").count(), 12);
        assert!(svg.contains("30.0%"), "the last value is printed");
        assert!(line("覆盖率", &[], "暂无数据").contains("暂无数据"));
    }
}
