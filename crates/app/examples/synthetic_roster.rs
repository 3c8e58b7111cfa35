//! Writes `enterprises.jsonl` and `partnerships.jsonl` with a synthetic roster of N
//! enterprises of this year (see `labbridge_app::demo::synthetic_roster`), for the coverage
//! benchmark (`scripts/bench-coverage`).
//!
//! Usage: `synthetic_roster N DIR [YEAR] [FIRST]` (this year, numbered from 0 by default)

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut arguments = std::env::args().skip(1);
    let count: usize = arguments
        .next()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(400_000);
    let directory = std::path::PathBuf::from(arguments.next().unwrap_or_else(|| ".".to_owned()));
    std::fs::create_dir_all(&directory)?;
    let year = arguments
        .next()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or_else(|| chrono::Datelike::year(&labbridge_app::today()));
    let first: usize = arguments
        .next()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(0);
    let (enterprises, partnerships) = labbridge_app::demo::synthetic_roster(first, count, year);
    for (name, records) in [
        ("enterprises.jsonl", enterprises),
        ("partnerships.jsonl", partnerships),
    ] {
        let mut file = std::io::BufWriter::new(std::fs::File::create(directory.join(name))?);
        for record in records {
            writeln!(file, "{record}")?;
        }
        file.flush()?;
    }
    Ok(())
}
