//! Splitting off the part of a problem where capacity is short.
//!
//! When experts are scarce, some required units cannot be placed at all. Successive shortest
//! paths learns that for each such unit separately: its search cannot stop at a free slot, so
//! it settles every node it can reach below the missing-partner penalty. A few thousand such
//! units, each settling most of a large network, are where the time goes when capacity is
//! short (`large-tight` in `../shared/bench/matcher`).
//!
//! A maximum flow of the required units alone (Dinic's blocking flows, no costs) finds the
//! same thing at once. Let `R` be everything reachable in its residual network from an
//! enterprise still short of partners: enterprises `E_R` and experts `X_R`. `R` and the rest
//! form a minimum cut, and every maximum flow saturates every minimum cut. Every optimum of
//! the lexicographic objective places the most required units, so its required units form a
//! maximum flow, and therefore in every optimum:
//! - each pair from an enterprise of `E_R` to an expert outside `X_R` is chosen (*forced*);
//! - the experts of `X_R` are filled by required units of `E_R`, and by nothing else;
//! - the enterprises of `E_R` get no partner beyond their required ones.
//!
//! So the problem falls into three independent parts: the forced pairs; `R`, where every
//! expert slot is filled and only the choice of who gets it is left; and the rest, where every
//! required unit can be placed. `R` is solved the other way round, experts placing their slots
//! into enterprises (every such unit has a place, so each search stops at its first free
//! enterprise instead of settling all of `R`); the rest is solved as usual. The optimum of
//! the whole is the union of the parts' optima.
//!
//! Groups and priorities change what the parts must optimise (a bundle per group, priority
//! before affinity inside `R`), so problems that use them are solved whole.

use crate::flow::{Assignment, Rows, solve_whole};
use crate::problem::{Demand, Problem};

/// Level of a node the current phase has not reached or found to be a dead end.
const UNREACHED: u32 = u32::MAX;

/// A maximum flow of the required units: each enterprise sends at most `min` units, one per
/// candidate pair, each expert takes at most its capacity.
pub(crate) struct RequiredFlow {
    /// Pairs `(enterprise, expert, score)`, sorted by enterprise.
    pairs: Vec<(u32, u32, u32)>,
    /// Arcs of enterprise `e` are `start[e]..start[e + 1]`.
    start: Vec<u32>,
    chosen: Vec<bool>,
    min: Vec<u32>,
    flow: Vec<u32>,
    capacity: Vec<u32>,
    /// Arcs assigned to expert `x` are `slots[slot_start[x]..slot_start[x] + used[x]]`.
    slot_start: Vec<u32>,
    slots: Vec<u32>,
    used: Vec<u32>,
}

impl RequiredFlow {
    /// Computes a maximum flow.
    pub(crate) fn new(problem: &Problem) -> Self {
        Self::with_pairs(problem, problem.allowed_pairs())
    }

    /// Computes a maximum flow over a problem's allowed pairs.
    fn with_pairs(problem: &Problem, pairs: Vec<(u32, u32, u32)>) -> Self {
        let enterprises = problem.enterprises();
        let experts = problem.experts();
        let Rows {
            start,
            capacity,
            slot_start,
        } = Rows::of(problem, &pairs);
        let mut flow = Self {
            chosen: vec![false; pairs.len()],
            pairs,
            start,
            min: problem.demands().iter().map(|demand| demand.min).collect(),
            flow: vec![0; enterprises],
            slots: vec![0; slot_start[experts] as usize],
            slot_start,
            capacity,
            used: vec![0; experts],
        };
        flow.greedy();
        while flow.phase() {}
        flow
    }

    /// Required units placed.
    pub(crate) fn value(&self) -> u64 {
        self.flow.iter().map(|&flow| u64::from(flow)).sum()
    }

    fn expert(&self, arc: u32) -> usize {
        self.pairs[arc as usize].1 as usize
    }

    fn enterprise(&self, arc: u32) -> usize {
        self.pairs[arc as usize].0 as usize
    }

    fn short(&self, enterprise: usize) -> bool {
        self.flow[enterprise] < self.min[enterprise]
    }

    fn assign(&mut self, arc: u32) {
        let expert = self.expert(arc);
        let slot = self.slot_start[expert] + self.used[expert];
        self.slots[slot as usize] = arc;
        self.used[expert] += 1;
        self.chosen[arc as usize] = true;
    }

    /// Every enterprise takes free experts in row order while it is short: most units are
    /// placed here, and the phases only repair the rest.
    fn greedy(&mut self) {
        for enterprise in 0..self.flow.len() {
            for arc in self.start[enterprise]..self.start[enterprise + 1] {
                if !self.short(enterprise) {
                    break;
                }
                let expert = self.expert(arc);
                if self.used[expert] < self.capacity[expert] {
                    self.assign(arc);
                    self.flow[enterprise] += 1;
                }
            }
        }
    }

    /// One phase: levels by breadth-first search from the short enterprises, then a blocking
    /// flow along shortest augmenting paths. Returns whether any unit was placed.
    fn phase(&mut self) -> bool {
        let enterprises = self.flow.len();
        let mut enterprise_level = vec![UNREACHED; enterprises];
        let mut expert_level = vec![UNREACHED; self.used.len()];
        // Nodes: enterprises as themselves, experts after them.
        let mut queue: Vec<u32> = (0..enterprises as u32)
            .filter(|&enterprise| self.short(enterprise as usize))
            .collect();
        for &enterprise in &queue {
            enterprise_level[enterprise as usize] = 0;
        }
        let mut target = UNREACHED;
        let mut head = 0;
        while head < queue.len() {
            let node = queue[head] as usize;
            head += 1;
            if node < enterprises {
                let level = enterprise_level[node];
                if level >= target {
                    break;
                }
                for arc in self.start[node]..self.start[node + 1] {
                    let expert = self.expert(arc);
                    if self.chosen[arc as usize] || expert_level[expert] != UNREACHED {
                        continue;
                    }
                    expert_level[expert] = level + 1;
                    if self.used[expert] < self.capacity[expert] {
                        target = target.min(level + 1);
                    } else {
                        queue.push((enterprises + expert) as u32);
                    }
                }
            } else {
                let expert = node - enterprises;
                let level = expert_level[expert];
                if level >= target {
                    break;
                }
                let first = self.slot_start[expert] as usize;
                for slot in first..first + self.used[expert] as usize {
                    let enterprise = self.enterprise(self.slots[slot]);
                    if enterprise_level[enterprise] == UNREACHED {
                        enterprise_level[enterprise] = level + 1;
                        queue.push(enterprise as u32);
                    }
                }
            }
        }
        if target == UNREACHED {
            return false;
        }
        let mut levels = Levels {
            enterprise: enterprise_level,
            expert: expert_level,
            target,
            next_arc: self.start[..enterprises].to_vec(),
            next_slot: vec![0; self.used.len()],
        };
        let mut placed = false;
        for enterprise in 0..enterprises {
            while levels.enterprise[enterprise] == 0
                && self.short(enterprise)
                && self.augment_from(enterprise, &mut levels)
            {
                self.flow[enterprise] += 1;
                placed = true;
            }
        }
        placed
    }

    /// Finds one augmenting path from `source` in the level graph (depth first, each node's
    /// next arc remembered, dead ends cut off) and moves a unit along it.
    fn augment_from(&mut self, source: usize, levels: &mut Levels) -> bool {
        // Alternates enterprise, expert, enterprise, …; starts and (while searching) may end
        // with either.
        let mut path: Vec<u32> = vec![source as u32];
        loop {
            let depth = path.len();
            let node = path[depth - 1] as usize;
            if depth % 2 == 1 {
                // An enterprise: its next unchosen arc to an expert one level further.
                let enterprise = node;
                let wanted = levels.enterprise[enterprise] + 1;
                let end = self.start[enterprise + 1];
                let mut found = None;
                while levels.next_arc[enterprise] < end {
                    let arc = levels.next_arc[enterprise];
                    let expert = self.expert(arc);
                    if !self.chosen[arc as usize] && levels.expert[expert] == wanted {
                        if self.used[expert] < self.capacity[expert] {
                            found = Some((expert, true));
                            break;
                        }
                        if wanted < levels.target {
                            found = Some((expert, false));
                            break;
                        }
                    }
                    levels.next_arc[enterprise] += 1;
                }
                match found {
                    Some((expert, true)) => {
                        self.flip(&path, expert, levels);
                        return true;
                    }
                    Some((expert, false)) => path.push(expert as u32),
                    None => {
                        levels.enterprise[enterprise] = UNREACHED;
                        path.pop();
                        let Some(&expert) = path.last() else {
                            return false;
                        };
                        levels.next_slot[expert as usize] += 1;
                    }
                }
            } else {
                // A full expert: the next enterprise holding one of its slots, one level
                // further, which could give it up.
                let expert = node;
                let wanted = levels.expert[expert] + 1;
                let first = self.slot_start[expert];
                let mut found = None;
                while levels.next_slot[expert] < self.used[expert] {
                    let arc = self.slots[(first + levels.next_slot[expert]) as usize];
                    let enterprise = self.enterprise(arc);
                    if levels.enterprise[enterprise] == wanted {
                        found = Some(enterprise);
                        break;
                    }
                    levels.next_slot[expert] += 1;
                }
                match found {
                    Some(enterprise) => path.push(enterprise as u32),
                    None => {
                        levels.expert[expert] = UNREACHED;
                        path.pop();
                        // The enterprise below moves past its arc to this expert.
                        let enterprise = path[path.len() - 1] as usize;
                        levels.next_arc[enterprise] += 1;
                    }
                }
            }
        }
    }

    /// Moves a unit along `path` (enterprise, expert, …, enterprise) and on to the free
    /// `last` expert: each enterprise takes the arc its search stands on, and each expert on
    /// the way swaps the slot its search stands on to the new arc.
    fn flip(&mut self, path: &[u32], last: usize, levels: &Levels) {
        let final_arc = levels.next_arc[path[path.len() - 1] as usize];
        debug_assert_eq!(self.expert(final_arc), last);
        self.assign(final_arc);
        for pair in path.chunks(2) {
            let [enterprise, expert] = *pair else {
                continue;
            };
            let expert = expert as usize;
            let slot = (self.slot_start[expert] + levels.next_slot[expert]) as usize;
            let given_up = self.slots[slot];
            let taken = levels.next_arc[enterprise as usize];
            self.chosen[given_up as usize] = false;
            self.chosen[taken as usize] = true;
            self.slots[slot] = taken;
        }
    }

    /// Whether some enterprise is still short: then the problem has a part where capacity is
    /// short.
    fn any_short(&self) -> bool {
        (0..self.flow.len()).any(|enterprise| self.short(enterprise))
    }

    /// The part reachable from the short enterprises in the residual network: which
    /// enterprises and which experts are in it.
    fn short_part(&self) -> (Vec<bool>, Vec<bool>) {
        let enterprises = self.flow.len();
        let mut stack: Vec<usize> = (0..enterprises)
            .filter(|&enterprise| self.short(enterprise))
            .collect();
        let mut in_enterprises = vec![false; enterprises];
        for &enterprise in &stack {
            in_enterprises[enterprise] = true;
        }
        let mut in_experts = vec![false; self.used.len()];
        while let Some(enterprise) = stack.pop() {
            for arc in self.start[enterprise]..self.start[enterprise + 1] {
                let expert = self.expert(arc);
                if self.chosen[arc as usize] || in_experts[expert] {
                    continue;
                }
                in_experts[expert] = true;
                let first = self.slot_start[expert] as usize;
                for slot in first..first + self.used[expert] as usize {
                    let holder = self.enterprise(self.slots[slot]);
                    if !in_enterprises[holder] {
                        in_enterprises[holder] = true;
                        stack.push(holder);
                    }
                }
            }
        }
        (in_enterprises, in_experts)
    }
}

/// The blocking-flow search's state for one phase.
struct Levels {
    enterprise: Vec<u32>,
    expert: Vec<u32>,
    /// The level of the nearest free expert.
    target: u32,
    next_arc: Vec<u32>,
    next_slot: Vec<u32>,
}

/// Solves by parts when some required units cannot be placed (see the module docs). When the
/// problem has no such part, or uses groups or priorities, returns its allowed pairs instead,
/// for the whole to be solved without computing them again.
pub(crate) fn solve_by_parts(problem: &Problem) -> Result<Assignment, Vec<(u32, u32, u32)>> {
    let pairs = problem.allowed_pairs();
    if !problem.groups().is_empty() || problem.priorities().iter().any(|&p| p > 0) {
        return Err(pairs);
    }
    let flow = RequiredFlow::with_pairs(problem, pairs);
    if !flow.any_short() {
        return Err(flow.pairs);
    }
    let (in_enterprises, in_experts) = flow.short_part();
    if !in_experts.iter().any(|&inside| inside) {
        // Only enterprises without candidates are short: their searches are already short.
        return Err(flow.pairs);
    }
    let enterprises = problem.enterprises();
    let experts = problem.experts();

    // The forced pairs, and what they take from each side.
    let mut forced: Vec<(u32, u32, u32)> = Vec::new();
    let mut forced_of_enterprise = vec![0u32; enterprises];
    let mut forced_of_expert = vec![0u32; experts];
    for (arc, &(enterprise, expert, score)) in flow.pairs.iter().enumerate() {
        if in_enterprises[enterprise as usize] && !in_experts[expert as usize] {
            debug_assert!(flow.chosen[arc], "a cut pair is not in the maximum flow");
            forced.push((enterprise, expert, score));
            forced_of_enterprise[enterprise as usize] += 1;
            forced_of_expert[expert as usize] += 1;
        }
    }

    // The short part, experts placing their slots into enterprises. Local indices keep the
    // networks small.
    let local = |inside: &[bool]| -> (Vec<u32>, Vec<u32>) {
        let mut index = vec![u32::MAX; inside.len()];
        let mut global = Vec::new();
        for (node, _) in inside.iter().enumerate().filter(|(_, inside)| **inside) {
            index[node] = global.len() as u32;
            global.push(node as u32);
        }
        (index, global)
    };
    let (enterprise_index, enterprise_of) = local(&in_enterprises);
    let (expert_index, expert_of) = local(&in_experts);
    let slots: Vec<Demand> = expert_of
        .iter()
        .map(|&expert| {
            let filled = flow.used[expert as usize];
            Demand {
                min: filled,
                max: Some(filled),
            }
        })
        .collect();
    let room: Vec<u32> = enterprise_of
        .iter()
        .map(|&enterprise| {
            let enterprise = enterprise as usize;
            flow.min[enterprise] - forced_of_enterprise[enterprise]
        })
        .collect();
    let rest_demands: Vec<Demand> = problem
        .demands()
        .iter()
        .zip(&in_enterprises)
        .map(|(&demand, &inside)| {
            if inside {
                Demand {
                    min: 0,
                    max: Some(0),
                }
            } else {
                demand
            }
        })
        .collect();
    let rest_capacities: Vec<u32> = problem
        .capacities()
        .iter()
        .enumerate()
        .map(|(expert, &capacity)| {
            if in_experts[expert] {
                0
            } else {
                capacity - forced_of_expert[expert].min(capacity)
            }
        })
        .collect();
    let mut short_pairs = Vec::new();
    let mut rest_pairs = Vec::new();
    for &(enterprise, expert, score) in &flow.pairs {
        match (
            in_enterprises[enterprise as usize],
            in_experts[expert as usize],
        ) {
            (true, true) => short_pairs.push((
                expert_index[expert as usize],
                enterprise_index[enterprise as usize],
                score,
            )),
            (false, false) => rest_pairs.push((enterprise, expert, score)),
            _ => {}
        }
    }
    let short = Problem::from_checked(slots, room, short_pairs);
    let rest = Problem::from_checked(rest_demands, rest_capacities, rest_pairs);
    let required_placed = flow.value();
    drop(flow);

    let short = solve_whole(&short);
    debug_assert_eq!(short.required_units, short.required_total);
    let rest = solve_whole(&rest);
    let mut affinity = short.affinity + rest.affinity;
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(forced.len() + short.pairs.len());
    for &(enterprise, expert, score) in &forced {
        pairs.push((enterprise, expert));
        affinity += u64::from(score);
    }
    pairs.extend(short.pairs.iter().map(|&(expert, enterprise)| {
        (
            enterprise_of[enterprise as usize],
            expert_of[expert as usize],
        )
    }));
    pairs.extend_from_slice(&rest.pairs);
    pairs.sort_unstable();
    let mut partners = vec![0u32; enterprises];
    for &(enterprise, _) in &pairs {
        partners[enterprise as usize] += 1;
    }
    let required_units = partners
        .iter()
        .zip(problem.demands())
        .map(|(&partners, demand)| u64::from(partners.min(demand.min)))
        .sum();
    debug_assert_eq!(required_units, required_placed);
    Ok(Assignment {
        pairs,
        required_units,
        required_total: problem
            .demands()
            .iter()
            .map(|demand| u64::from(demand.min))
            .sum(),
        affinity,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::flow::tests::{Raw, brute_force, check_feasible, problem, raw};

    /// The same problem without groups and priorities, which the split leaves alone.
    fn plain(mut raw: Raw) -> Problem {
        raw.groups.clear();
        raw.priorities.iter_mut().for_each(|priority| *priority = 0);
        problem(&raw)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn the_required_flow_is_maximum(raw in raw(4, 4, 12)) {
            let problem = plain(raw);
            prop_assume!(problem.allowed_pairs().len() <= 12);
            prop_assert_eq!(RequiredFlow::new(&problem).value(), brute_force(&problem).0);
        }

        #[test]
        fn parts_equal_brute_force(raw in raw(4, 4, 12)) {
            let problem = plain(raw);
            prop_assume!(problem.allowed_pairs().len() <= 12);
            let assignment = crate::flow::solve(&problem);
            prop_assert_eq!(check_feasible(&problem, &assignment), Ok(()));
            let best = brute_force(&problem);
            prop_assert_eq!((assignment.required_units, assignment.affinity), (best.0, best.2));
        }

        #[test]
        fn parts_equal_the_whole(raw in raw(40, 40, 300)) {
            let problem = plain(raw);
            let whole = solve_whole(&problem);
            prop_assert_eq!(RequiredFlow::new(&problem).value(), whole.required_units);
            if let Ok(parts) = solve_by_parts(&problem) {
                prop_assert_eq!(check_feasible(&problem, &parts), Ok(()));
                prop_assert_eq!(parts.required_units, whole.required_units);
                prop_assert_eq!(parts.required_total, whole.required_total);
                prop_assert_eq!(parts.affinity, whole.affinity);
            }
        }
    }

    /// A problem where capacity is short: enterprises 1 and 2 both need expert 0; enterprise 0
    /// could take it too but has expert 1; enterprise 1 needs two partners and has expert 3 of
    /// its own; enterprise 3 stands apart with expert 2.
    fn short_problem() -> Problem {
        let demand = |min| Demand { min, max: Some(2) };
        let mut problem = Problem::new(
            vec![demand(1), demand(2), demand(1), demand(1)],
            vec![1, 1, 2, 1],
        )
        .expect("valid");
        problem.candidate(0, 0, 9000).expect("valid");
        problem.candidate(0, 1, 1000).expect("valid");
        problem.candidate(1, 0, 3000).expect("valid");
        problem.candidate(1, 3, 2000).expect("valid");
        problem.candidate(2, 0, 5000).expect("valid");
        problem.candidate(3, 2, 4000).expect("valid");
        problem.candidate(3, 0, 100).expect("valid");
        problem
    }

    #[test]
    fn the_short_part_is_what_the_short_enterprises_reach() {
        let flow = RequiredFlow::new(&short_problem());
        assert_eq!(flow.value(), 4);
        let (enterprises, experts) = flow.short_part();
        // Enterprises 1 and 2 compete for expert 0. Enterprise 0 can go to expert 1 and
        // enterprise 3 holds expert 2, so neither is reached.
        assert_eq!(enterprises, vec![false, true, true, false]);
        assert_eq!(experts, vec![true, false, false, false]);
    }

    #[test]
    fn parts_force_the_cut_pairs_and_fill_the_short_experts() {
        let problem = short_problem();
        let parts = solve_by_parts(&problem).expect("capacity is short");
        // Enterprise 1 keeps expert 3 (forced), expert 0 goes to the better of 1 and 2
        // (5000 against 3000), enterprise 0 takes expert 1 though it scores expert 0 higher,
        // and enterprise 3 gets no second partner (expert 0 is full).
        assert_eq!(parts.pairs, vec![(0, 1), (1, 3), (2, 0), (3, 2)]);
        assert_eq!(parts.required_units, 4);
        assert_eq!(parts.affinity, 1000 + 2000 + 5000 + 4000);
        assert_eq!(parts, solve_whole(&problem));
    }

    #[test]
    fn groups_and_priorities_are_solved_whole() {
        let mut problem = short_problem();
        problem.prioritize(1, 2).expect("valid");
        assert!(solve_by_parts(&problem).is_err());
        let mut problem = short_problem();
        problem.group(0, 1).expect("valid");
        assert!(solve_by_parts(&problem).is_err());
    }
}
