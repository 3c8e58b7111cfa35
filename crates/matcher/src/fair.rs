//! The fairness mode: a quality floor before affinity.
//!
//! Maximising total affinity may give one enterprise a weak partner so that others get strong
//! ones. The fair mode first finds the highest floor τ such that, using only pairs scoring at
//! least τ, as many required partners can still be placed as with every pair; then it solves
//! exactly (required partners, then affinity) on the pairs at or above τ. Every proposal clears
//! the floor, and coverage is never traded for it. Placements only fall as the floor rises, so
//! a binary search over the distinct scores finds τ with about log₂(scores) solves.

use crate::flow::{Assignment, solve};
use crate::problem::Problem;
use crate::split::RequiredFlow;

/// An assignment with a quality floor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FairAssignment {
    /// The assignment on the pairs scoring at least `floor`.
    pub assignment: Assignment,
    /// The floor (a score in 1..=SCORE_SCALE); 0 when there is no pair at all.
    pub floor: u32,
}

/// Solves with the highest quality floor that keeps the most required partners placed.
pub fn solve_fair(problem: &Problem) -> FairAssignment {
    let unrestricted = solve(problem);
    let mut scores: Vec<u32> = problem
        .allowed_pairs()
        .into_iter()
        .map(|pair| pair.2)
        .collect();
    scores.sort_unstable();
    scores.dedup();
    let Some(&lowest) = scores.first() else {
        return FairAssignment {
            assignment: unrestricted,
            floor: 0,
        };
    };
    // With nothing required there is no required match to protect: no floor.
    if unrestricted.required_units == 0 {
        return FairAssignment {
            assignment: unrestricted,
            floor: lowest,
        };
    }
    // Invariant: the floor scores[low] keeps the required units; scores[high] (if any) loses some.
    let (mut low, mut high) = (0usize, scores.len());
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if most_required(&problem.with_floor(scores[middle])) == unrestricted.required_units {
            low = middle;
        } else {
            high = middle;
        }
    }
    let assignment = if low == 0 {
        unrestricted
    } else {
        solve(&problem.with_floor(scores[low]))
    };
    FairAssignment {
        assignment,
        floor: scores[low],
    }
}

/// The most required partners a problem can place. Without groups that is a maximum flow,
/// far cheaper than a solve; groups limit it further, so they take the solve.
fn most_required(problem: &Problem) -> u64 {
    if problem.groups().is_empty() {
        RequiredFlow::new(problem).value()
    } else {
        solve(problem).required_units
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::problem::Demand;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn the_floor_is_the_highest_that_keeps_coverage(
            demands in proptest::collection::vec((0u32..=2, proptest::option::of(0u32..=2)), 1..=8),
            capacities in proptest::collection::vec(0u32..=2, 1..=8),
            pairs in proptest::collection::vec((0usize..8, 0usize..8, 1u32..=20), 0..=40),
        ) {
            let demands: Vec<Demand> = demands
                .into_iter()
                .map(|(min, extra)| Demand { min, max: extra.map(|extra| min + extra) })
                .collect();
            let (enterprises, experts) = (demands.len(), capacities.len());
            let mut problem = Problem::new(demands, capacities).expect("valid");
            for (enterprise, expert, score) in pairs {
                // Coarse scores (multiples of 500), so ties and floors matter.
                problem
                    .candidate(enterprise % enterprises, expert % experts, score * 500)
                    .expect("in range");
            }
            let plain = solve(&problem);
            let fair = solve_fair(&problem);
            prop_assert_eq!(fair.assignment.required_units, plain.required_units);
            let allowed = problem.allowed_pairs();
            for pair in &fair.assignment.pairs {
                let score = allowed
                    .iter()
                    .find(|allowed| (allowed.0, allowed.1) == *pair)
                    .map(|allowed| allowed.2);
                prop_assert!(score.is_some_and(|score| score >= fair.floor));
            }
            // No higher floor keeps the required units (when any are placed at all).
            if plain.required_units > 0 && let Some(&higher) = allowed.iter().map(|pair| &pair.2).filter(|&&score| score > fair.floor).min() {
                prop_assert!(solve(&problem.with_floor(higher)).required_units < plain.required_units);
            }
            // Among pairs at or above the floor, the assignment is the exact optimum.
            prop_assert_eq!(&fair.assignment, &solve(&problem.with_floor(fair.floor)));
        }
    }
}
