//! Writes `programs.jsonl` and `experts.jsonl` with N synthetic experts (bios of 150–400
//! characters) into a directory, for the import benchmark (`scripts/bench-import`).
//!
//! Usage: `synthetic_experts N DIR`

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut arguments = std::env::args().skip(1);
    let count: usize = arguments
        .next()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(100_000);
    let directory = std::path::PathBuf::from(arguments.next().unwrap_or_else(|| ".".to_owned()));
    std::fs::create_dir_all(&directory)?;
    let mut programs =
        std::io::BufWriter::new(std::fs::File::create(directory.join("programs.jsonl"))?);
    for row in labbridge_app::demo::program_rows() {
        writeln!(
            programs,
            "{}",
            serde_json::Value::Object(row.cells.into_iter().collect())
        )?;
    }
    programs.flush()?;
    let mut experts =
        std::io::BufWriter::new(std::fs::File::create(directory.join("experts.jsonl"))?);
    for expert in labbridge_app::demo::synthetic_experts(count, 42) {
        writeln!(experts, "{expert}")?;
    }
    experts.flush()?;
    Ok(())
}
