//! The matcher's assignment: which enterprise gets which experts and labs.
//!
//! The county's target is coverage, so the objective is lexicographic: first place as many
//! *required* partners as possible (Σₑ min(partnersₑ, minₑ)), then maximise the total affinity
//! of all chosen pairs, under expert capacities, a per-enterprise maximum and exclusions. This
//! is a min-cost flow; [`solve`] computes an exact optimum.
//!
//! The crate is pure: no IO, no clock, no randomness, so the same problem always gives the
//! same answer and property tests can compare it with brute force. Reading the benchmark's
//! instance files and turning registry records into a [`Problem`] happen in the app crate.
//!
//! Why it is written here rather than taken from a crate: the Rust min-cost-flow crates are
//! either dense O(n³) Hungarian solvers, GPL-licensed, or C++ bindings with string keys (see
//! `../shared/bench/matcher/ALGORITHMS.md`); none handles a million sparse pairs with a tiered
//! objective. The solver ([`flow`]) is successive shortest paths in the style of
//! Jonker–Volgenant: one unit of demand at a time, Dijkstra on reduced costs that stops at the
//! first free slot, and potentials updated only on the nodes it settled. Where capacity is
//! short, a maximum flow of the required units first splits off the part that cannot all be
//! served ([`split`]), so no search has to prove, unit by unit, that a partner is missing.
//!
//! [`solve_fair`] adds a quality floor: the highest score every proposal can clear while as
//! many required partners are placed as without one.

mod fair;
mod flow;
mod problem;
mod split;

pub use fair::{FairAssignment, solve_fair};
pub use flow::{Assignment, solve};
pub use problem::{Demand, MAX_PRIORITY, Problem, ProblemError, SCORE_SCALE};
