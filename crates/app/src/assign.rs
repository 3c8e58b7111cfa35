//! `labbridge assign`: the benchmark's `matcher-instance/v1` files in, `matcher-solution/v1`
//! out (formats in `../shared/bench/matcher/README.md`), solved by `labbridge-matcher`.
//!
//! The file is read whole and parsed with serde into compact rows (ids are not kept: the
//! solution speaks in positions), so a million pairs cost tens of megabytes, not the hundreds
//! a generic JSON value would.

use std::path::Path;
use std::time::Instant;

use labbridge_matcher::{Demand, Problem, SCORE_SCALE};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The format name an instance file must carry.
pub const INSTANCE_FORMAT: &str = "matcher-instance/v1";
/// The format name of a solution file.
pub const SOLUTION_FORMAT: &str = "matcher-solution/v1";

#[derive(Debug, Deserialize)]
struct InstanceFile {
    format: String,
    #[serde(default)]
    name: String,
    enterprises: Vec<EnterpriseRow>,
    experts: Vec<ExpertRow>,
    affinity: Vec<(u64, u64, f64)>,
    #[serde(default)]
    conflicts: Vec<(u64, u64)>,
}

#[derive(Debug, Deserialize)]
struct EnterpriseRow {
    #[serde(default = "one")]
    min: u32,
    #[serde(default)]
    max: Option<u32>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
struct ExpertRow {
    capacity: u32,
}

/// A parsed instance.
#[derive(Debug)]
pub struct Instance {
    /// Its name.
    pub name: String,
    /// The problem.
    pub problem: Problem,
}

/// What `assign` measured and found.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Seconds spent reading and checking the file.
    pub t_read: f64,
    /// Seconds spent solving.
    pub t_solve: f64,
    /// Required partners placed.
    pub required_units: u64,
    /// Required partners asked for.
    pub required_total: u64,
    /// Σ round(score × 10000) over the chosen pairs.
    pub objective_int: u64,
    /// Pairs chosen.
    pub pairs: usize,
    /// The quality floor of the fair mode (every chosen pair scores at least this), if asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floor: Option<f64>,
}

/// A `matcher-solution/v1` document.
#[derive(Debug, Clone, Serialize)]
pub struct Solution {
    /// Always `matcher-solution/v1`.
    pub format: &'static str,
    /// The instance's name.
    pub instance: String,
    /// This solver.
    pub solver: &'static str,
    /// Timings and objective.
    pub stats: Stats,
    /// `[enterprise, expert]` positions.
    pub assignments: Vec<(u32, u32)>,
}

fn score_units(score: f64) -> Option<u32> {
    let units = (score * f64::from(SCORE_SCALE)).round();
    (score.is_finite() && score > 0.0 && units >= 1.0 && units <= f64::from(SCORE_SCALE))
        .then_some(units as u32)
}

/// Parses an instance from its bytes; every problem names the row it is in.
pub fn parse_instance(bytes: &[u8]) -> Result<Instance> {
    let file: InstanceFile = serde_json::from_slice(bytes)
        .map_err(|error| Error::Invalid(format!("not a {INSTANCE_FORMAT} file: {error}")))?;
    if file.format != INSTANCE_FORMAT {
        return Err(Error::Invalid(format!(
            "format is '{}', expected '{INSTANCE_FORMAT}'",
            file.format
        )));
    }
    let demands = file
        .enterprises
        .iter()
        .map(|row| Demand {
            min: row.min,
            max: row.max,
        })
        .collect();
    let capacities = file.experts.iter().map(|row| row.capacity).collect();
    let mut problem = Problem::new(demands, capacities)
        .map_err(|error| Error::Invalid(format!("enterprises: {error}")))?;
    let index = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
    for (row, &(enterprise, expert, score)) in file.affinity.iter().enumerate() {
        let units = score_units(score).ok_or_else(|| {
            Error::Invalid(format!("affinity[{row}]: score {score} is not in (0, 1]"))
        })?;
        problem
            .candidate(index(enterprise), index(expert), units)
            .map_err(|error| Error::Invalid(format!("affinity[{row}]: {error}")))?;
    }
    for (row, &(enterprise, expert)) in file.conflicts.iter().enumerate() {
        problem
            .exclude(index(enterprise), index(expert))
            .map_err(|error| Error::Invalid(format!("conflicts[{row}]: {error}")))?;
    }
    Ok(Instance {
        name: file.name,
        problem,
    })
}

/// Reads, solves and (when `out` is given) writes the solution of an instance file; `fair`
/// adds the quality floor ([`labbridge_matcher::solve_fair`]).
pub fn assign_file(path: &Path, out: Option<&Path>, fair: bool) -> Result<Solution> {
    let started = Instant::now();
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let instance = parse_instance(&bytes)
        .map_err(|error| Error::Invalid(format!("{}: {error}", path.display())))?;
    drop(bytes);
    let t_read = started.elapsed().as_secs_f64();
    let solving = Instant::now();
    let (assignment, floor) = if fair {
        let fair = labbridge_matcher::solve_fair(&instance.problem);
        (
            fair.assignment,
            Some(f64::from(fair.floor) / f64::from(SCORE_SCALE)),
        )
    } else {
        (labbridge_matcher::solve(&instance.problem), None)
    };
    let t_solve = solving.elapsed().as_secs_f64();
    let solution = Solution {
        format: SOLUTION_FORMAT,
        instance: instance.name,
        solver: "labbridge",
        stats: Stats {
            t_read,
            t_solve,
            required_units: assignment.required_units,
            required_total: assignment.required_total,
            objective_int: assignment.affinity,
            pairs: assignment.pairs.len(),
            floor,
        },
        assignments: assignment.pairs,
    };
    if let Some(out) = out {
        let io_error = |source| Error::Io {
            path: out.display().to_string(),
            source,
        };
        let file = std::fs::File::create(out).map_err(io_error)?;
        let mut writer = std::io::BufWriter::new(file);
        serde_json::to_writer(&mut writer, &solution)
            .map_err(|error| io_error(std::io::Error::other(error)))?;
        std::io::Write::flush(&mut writer).map_err(io_error)?;
    }
    Ok(solution)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_solves_a_small_instance() {
        let raw = br#"{"format": "matcher-instance/v1", "name": "t",
            "enterprises": [{"id": "E0", "min": 1, "max": 2}, {"id": "E1", "min": 1, "max": null}],
            "experts": [{"id": "X0", "capacity": 1}, {"id": "X1", "capacity": 1}],
            "affinity": [[0, 0, 0.9], [0, 1, 0.5], [1, 0, 0.3]],
            "conflicts": [[1, 1]]}"#;
        let instance = parse_instance(raw).expect("valid");
        let assignment = labbridge_matcher::solve(&instance.problem);
        assert_eq!(assignment.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(assignment.affinity, 8000);
    }

    #[test]
    fn bad_rows_are_named() {
        let bad = |body: &str| {
            let raw = format!(
                r#"{{"format": "matcher-instance/v1", "enterprises": [{{"min": 1, "max": null}}],
                "experts": [{{"capacity": 1}}], {body}}}"#
            );
            parse_instance(raw.as_bytes())
                .expect_err("invalid")
                .to_string()
        };
        assert!(bad(r#""affinity": [[0, 0, 0.5], [0, 3, 0.5]]"#).contains("affinity[1]"));
        assert!(bad(r#""affinity": [[0, 0, 1.5]]"#).contains("affinity[0]: score 1.5"));
        assert!(
            bad(r#""affinity": [[0, 0, 0.5]], "conflicts": [[2, 0]]"#).contains("conflicts[0]")
        );
        assert!(
            parse_instance(br#"{"format": "other"}"#)
                .expect_err("invalid")
                .to_string()
                .contains("not a matcher-instance/v1")
        );
    }
}
