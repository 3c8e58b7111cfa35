//! Search benchmark: builds an on-disk index of N synthetic experts and labs (bios of 150–400
//! characters) and measures the build time and in-process query latency (p50/p99) of typical
//! 2–4 word Chinese queries, against the floor of a bare tantivy term query on the same index.
//!
//! Usage: `bench_search [N]` (default 100,000). Results go to docs/BENCHMARKS.md by hand.

use std::time::Instant;

use labbridge_search::{Document, Kind, Request, SearchIndex};
use serde_json::Value;

const QUERIES: [&str; 24] = [
    "铝合金热处理",
    "挤压模具",
    "阳极氧化",
    "活性氧化铝",
    "再生铝 熔铸",
    "高强铝合金",
    "水性涂料",
    "粉末涂料 低温固化",
    "碳纤维复合材料",
    "锂电池 正极材料",
    "数控机床",
    "工业机器人",
    "永磁同步电机",
    "液压系统 可靠性",
    "疲劳寿命",
    "汽车轻量化",
    "一体化压铸",
    "冲压 回弹",
    "电池包 热管理",
    "刹车片 摩擦材料",
    "机器视觉 缺陷检测",
    "北科大 挤压",
    "6061-T6 时效",
    "涂装",
];

/// The vocabulary of scripts/wrk-search-distinct.lua.
const VOCABULARY: [&str; 40] = [
    "铝合金",
    "热处理",
    "挤压",
    "模具",
    "阳极氧化",
    "活性氧化铝",
    "再生铝",
    "熔铸",
    "高强",
    "涂料",
    "粉末涂料",
    "固化",
    "碳纤维",
    "复合材料",
    "锂电池",
    "正极材料",
    "数控机床",
    "工业机器人",
    "电机",
    "液压",
    "可靠性",
    "疲劳",
    "轻量化",
    "压铸",
    "冲压",
    "回弹",
    "热管理",
    "摩擦材料",
    "机器视觉",
    "缺陷检测",
    "焊接",
    "腐蚀",
    "表面处理",
    "时效",
    "仿真",
    "传感器",
    "新能源",
    "催化剂",
    "陶瓷",
    "智能制造",
];
const DISTINCT_QUERIES: usize = 3000;

/// The `counter`-th query of scripts/wrk-search-distinct.lua (same arithmetic, 0-based lists).
fn distinct_query(counter: usize) -> String {
    let n = VOCABULARY.len();
    let i = counter % n;
    let mut j = (counter / n) % (n - 1);
    if j >= i {
        j += 1;
    }
    let mut query = format!("{} {}", VOCABULARY[i], VOCABULARY[j]);
    if counter.is_multiple_of(3) {
        let k = (counter / (n * (n - 1))) % n;
        query.push(' ');
        query.push_str(VOCABULARY[k]);
    }
    query
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

fn list(value: &Value, key: &str) -> Vec<String> {
    value[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(100_000);
    let experts = labbridge_app::demo::synthetic_experts(count, 42);
    let documents: Vec<Document> = experts
        .iter()
        .enumerate()
        .map(|(index, value)| {
            // One in ten becomes a lab, so the index holds both kinds.
            let lab = index % 10 == 0;
            Document {
                kind: Some(if lab { Kind::Lab } else { Kind::Expert }),
                id: text(value, "id"),
                name: text(value, "name"),
                institution: Some(text(value, "institution")),
                title: Some(text(value, "title")),
                fields: list(value, "fields"),
                body: text(value, "bio"),
                programs: list(value, "programs"),
                lab: None,
                level: None,
                province: None,
            }
        })
        .collect();
    let directory = tempfile::tempdir()?;
    // BENCH_INDEX_DIR keeps the index between runs (for trying query changes quickly); it is
    // rebuilt when its schema version differs or it is empty.
    let path = std::env::var_os("BENCH_INDEX_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| directory.path().to_path_buf());
    let (index, _) = SearchIndex::open(&path)?;
    if index.len() as usize != documents.len() {
        let started = Instant::now();
        let indexed = index.rebuild(
            labbridge_search::vocabulary_of(&documents),
            documents,
            None,
            |_| {},
        )?;
        let build = started.elapsed().as_secs_f64();
        println!("built an index of {indexed} documents in {build:.2} s");
    } else {
        println!(
            "reusing the index of {} documents in {}",
            index.len(),
            path.display()
        );
    }

    let requests: Vec<Request> = QUERIES
        .iter()
        .map(|text| Request {
            text: (*text).to_owned(),
            limit: 10,
            ..Request::default()
        })
        .collect();
    for request in &requests {
        index.search_uncached(request)?;
    }
    let rounds = 40;
    let mut full = Vec::with_capacity(rounds * requests.len());
    let mut floor = Vec::with_capacity(rounds * requests.len());
    for _ in 0..rounds {
        for request in &requests {
            let started = Instant::now();
            let results = index.search_uncached(request)?;
            full.push(started.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(results);
            let started = Instant::now();
            let hits = index.bare_term_search(&request.text, 10)?;
            floor.push(started.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(hits);
        }
    }
    full.sort_by(f64::total_cmp);
    floor.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&full, 0.5), percentile(&full, 0.99));
    let (floor50, floor99) = (percentile(&floor, 0.5), percentile(&floor, 0.99));
    println!(
        "labbridge search ({} queries): p50 {p50:.3} ms, p99 {p99:.3} ms",
        full.len()
    );
    println!("bare tantivy term query (floor): p50 {floor50:.3} ms, p99 {floor99:.3} ms");
    println!(
        "ratio to the floor: p50 {:.1}x, p99 {:.1}x",
        p50 / floor50,
        p99 / floor99
    );

    // Queries nobody asked before, as scripts/wrk-search-distinct.lua makes them: the mean is
    // what bounds requests per second when the result cache cannot help.
    let mut distinct = Vec::with_capacity(DISTINCT_QUERIES);
    for counter in 1..=DISTINCT_QUERIES {
        let request = Request {
            text: distinct_query(counter),
            limit: 10,
            ..Request::default()
        };
        let started = Instant::now();
        let results = index.search_uncached(&request)?;
        distinct.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(results);
    }
    let mean = distinct.iter().sum::<f64>() / distinct.len() as f64;
    distinct.sort_by(f64::total_cmp);
    println!(
        "new 2–3 word queries ({} of them): mean {mean:.3} ms, p50 {:.3} ms, p99 {:.3} ms, one core {:.0} queries/s",
        distinct.len(),
        percentile(&distinct, 0.5),
        percentile(&distinct, 0.99),
        1e3 / mean
    );
    Ok(())
}
