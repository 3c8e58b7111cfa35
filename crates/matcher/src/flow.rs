//! The exact solver: successive shortest paths on a transportation network.
//!
//! Every enterprise `e` supplies `supplyₑ` units (its maximum, or its candidate count when it
//! has none). A unit goes to an expert it is a candidate of (cost −score; the expert takes at
//! most `capacity` units) or to a per-enterprise "unplaced" sink. Unplaced units are free up to
//! `supplyₑ − minₑ` and cost `BIG` beyond, so an enterprise below its minimum pays `BIG` per
//! missing partner. With `BIG` larger than any score change a residual cycle can make, the
//! minimum-cost way to ship every unit is the lexicographic optimum: most required partners
//! first, then (when enterprises have priorities) the most priority placed, then most affinity. The unplaced sink also means every unit is always routable, so a
//! unit may displace a weaker enterprise's partner when that is better overall.
//!
//! Units are shipped one at a time along a shortest path (Dijkstra on reduced costs, which stay
//! non-negative thanks to node potentials). The search stops at the first sink it settles and
//! only the nodes it settled get new potentials, so an uncontested unit costs a scan of one
//! enterprise's candidates. When the best path for a unit is the enterprise's own unplaced
//! sink, all its remaining units go there at once.
//!
//! Groups (an expert's institution, [`Problem::group`]) add a third layer: when an enterprise
//! has two or more candidates of one group, they hang under a *bundle* node of capacity one
//! between the enterprise and those experts, so at most one of them is chosen. A chosen
//! bundle can still switch to another of its experts, or give its partner up, along residual
//! arcs like any other; candidates alone in their group need no bundle.
//!
//! Memory is a compressed row per enterprise: 11 bytes per candidate pair, 4 more when groups
//! are given.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::problem::{Problem, SCORE_SCALE};

/// The optimal assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Chosen pairs `(enterprise, expert)`, sorted.
    pub pairs: Vec<(u32, u32)>,
    /// Required partners placed: Σₑ min(partnersₑ, minₑ).
    pub required_units: u64,
    /// Required partners asked for: Σₑ minₑ.
    pub required_total: u64,
    /// Total affinity of the chosen pairs (scores in 1..=SCORE_SCALE).
    pub affinity: u64,
}

/// Where a shortest path leaves the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    /// A free slot of an expert.
    Expert(u32),
    /// An enterprise's free unplaced units (beyond its minimum).
    Free(u32),
    /// An enterprise's missing required partners.
    Required(u32),
}

const NO_ARC: u32 = u32::MAX;

struct Network {
    enterprises: usize,
    /// Arcs of enterprise `e` are `start[e]..start[e + 1]`.
    start: Vec<u32>,
    head: Vec<u32>,
    tail: Vec<u32>,
    score: Vec<u16>,
    chosen: Vec<bool>,
    min: Vec<u32>,
    supply: Vec<u32>,
    shipped: Vec<u32>,
    free_used: Vec<u32>,
    required_used: Vec<u32>,
    capacity: Vec<u32>,
    /// Arcs assigned to expert `x` are `slots[slot_start[x]..slot_start[x] + used[x]]`.
    slot_start: Vec<u32>,
    slots: Vec<u32>,
    used: Vec<u32>,
    /// The bundle of each arc (`NO_ARC` for none); empty when no bundle exists.
    bundle_of: Vec<u32>,
    /// Each bundle's arcs, a run of its enterprise's row (the enterprise is their tail).
    bundle_arcs: Vec<std::ops::Range<u32>>,
    /// Whether a bundle's one unit is used (one of its arcs chosen).
    bundle_full: Vec<bool>,
    /// Node potentials: enterprises, then experts, then bundles. The sink's potential stays 0.
    potential: Vec<i64>,
    /// What a missing required partner of each enterprise costs.
    missing: Vec<i64>,
    search: Search,
}

/// Dijkstra's scratch space, reused across searches (stamps avoid clearing it).
struct Search {
    dist: Vec<i64>,
    reached: Vec<u32>,
    settled_stamp: Vec<u32>,
    pred: Vec<u32>,
    /// The node each reached node was reached from.
    pred_node: Vec<u32>,
    stamp: u32,
    settled: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    sink_dist: i64,
    sink: Option<Sink>,
}

/// Solves a problem exactly: the most required partners placed, then the most affinity.
///
/// A problem where some required partners cannot be placed at all is first split into
/// independent parts ([`crate::split`]); each part is solved as below.
pub fn solve(problem: &Problem) -> Assignment {
    match crate::split::solve_by_parts(problem) {
        Ok(assignment) => assignment,
        Err(pairs) => {
            let mut network = Network::with_pairs(problem, pairs);
            network.run();
            network.assignment()
        }
    }
}

/// Solves a problem in one network.
pub(crate) fn solve_whole(problem: &Problem) -> Assignment {
    let mut network = Network::new(problem);
    network.run();
    network.assignment()
}

/// The bundles of the arcs (rows sorted by group): every run of two or more arcs of one
/// enterprise in one group. Returns each arc's bundle (`NO_ARC` for none; empty when there is
/// no bundle) and each bundle's arcs.
fn bundles(
    start: &[u32],
    head: &[u32],
    groups: &[Option<u32>],
) -> (Vec<u32>, Vec<std::ops::Range<u32>>) {
    if groups.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let group_of = |arc: usize| groups[head[arc] as usize];
    let mut bundle_of = vec![NO_ARC; head.len()];
    let mut arcs = Vec::new();
    for row in start.windows(2) {
        let (mut first, end) = (row[0] as usize, row[1] as usize);
        while first < end {
            let group = group_of(first);
            let mut last = first + 1;
            while last < end && group_of(last) == group {
                last += 1;
            }
            if group.is_some() && last - first >= 2 {
                bundle_of[first..last].fill(arcs.len() as u32);
                arcs.push(first as u32..last as u32);
            }
            first = last;
        }
    }
    if arcs.is_empty() {
        bundle_of = Vec::new();
    }
    (bundle_of, arcs)
}

/// The layout both networks share: each enterprise's row of arcs and each expert's slots.
pub(crate) struct Rows {
    /// Arcs of enterprise `e` are `start[e]..start[e + 1]`.
    pub(crate) start: Vec<u32>,
    /// Each expert's capacity, at most its number of candidates.
    pub(crate) capacity: Vec<u32>,
    /// Expert `x`'s slots are `slot_start[x]..slot_start[x + 1]`.
    pub(crate) slot_start: Vec<u32>,
}

impl Rows {
    /// The layout of `pairs`, sorted by enterprise.
    pub(crate) fn of(problem: &Problem, pairs: &[(u32, u32, u32)]) -> Self {
        let enterprises = problem.enterprises();
        let experts = problem.experts();
        let mut start = vec![0u32; enterprises + 1];
        let mut degree = vec![0u32; experts];
        for &(enterprise, expert, _) in pairs {
            start[enterprise as usize + 1] += 1;
            degree[expert as usize] += 1;
        }
        for index in 0..enterprises {
            start[index + 1] += start[index];
        }
        let capacity: Vec<u32> = problem
            .capacities()
            .iter()
            .zip(&degree)
            .map(|(&capacity, &degree)| capacity.min(degree))
            .collect();
        let mut slot_start = vec![0u32; experts + 1];
        for index in 0..experts {
            slot_start[index + 1] = slot_start[index] + capacity[index];
        }
        Self {
            start,
            capacity,
            slot_start,
        }
    }
}

impl Network {
    fn new(problem: &Problem) -> Self {
        Self::with_pairs(problem, problem.allowed_pairs())
    }

    /// The network of a problem whose allowed pairs are already known.
    fn with_pairs(problem: &Problem, mut pairs: Vec<(u32, u32, u32)>) -> Self {
        let enterprises = problem.enterprises();
        let experts = problem.experts();
        let groups = problem.groups();
        if !groups.is_empty() {
            // A group's arcs next to each other within their enterprise's row.
            pairs.sort_unstable_by_key(|&(enterprise, expert, _)| {
                (
                    enterprise,
                    groups[expert as usize].unwrap_or(u32::MAX),
                    expert,
                )
            });
        }
        let Rows {
            start,
            capacity,
            slot_start,
        } = Rows::of(problem, &pairs);
        let head: Vec<u32> = pairs.iter().map(|pair| pair.1).collect();
        let tail: Vec<u32> = pairs.iter().map(|pair| pair.0).collect();
        // Scores are at most SCORE_SCALE (10,000), which fits in 16 bits.
        let score: Vec<u16> = pairs
            .iter()
            .map(|pair| pair.2.min(SCORE_SCALE) as u16)
            .collect();
        drop(pairs);
        let (bundle_of, bundle_arcs) = bundles(&start, &head, groups);
        let slots = vec![NO_ARC; slot_start[experts] as usize];
        let min: Vec<u32> = problem.demands().iter().map(|demand| demand.min).collect();
        let supply: Vec<u32> = problem
            .demands()
            .iter()
            .enumerate()
            .map(|(index, demand)| {
                let candidates = start[index + 1] - start[index];
                let max = demand.max.unwrap_or(candidates).min(candidates);
                max.max(demand.min)
            })
            .collect();
        let bundle_count = bundle_arcs.len();
        let mut potential = vec![0i64; enterprises + experts + bundle_count];
        for (index, value) in potential.iter_mut().take(enterprises).enumerate() {
            let arcs = start[index] as usize..start[index + 1] as usize;
            *value = score[arcs].iter().copied().max().map_or(0, i64::from);
        }
        // A bundle starts at its best score too: every reduced cost is then non-negative.
        for (arc, &bundle) in bundle_of.iter().enumerate() {
            if bundle != NO_ARC {
                let node = enterprises + experts + bundle as usize;
                potential[node] = potential[node].max(i64::from(score[arc]));
            }
        }
        // A residual cycle alternates experts and enterprises or bundles, so it crosses at
        // most 2·min(E + B, X) + 2 pair arcs and at most two unplaced sinks. One unit of
        // priority must outweigh all the pair arcs, and one required unit all the priority a
        // cycle can move.
        let step =
            i64::from(SCORE_SCALE) * (2 * (enterprises + bundle_count).min(experts) as i64 + 2) + 1;
        let big = 2 * step * (i64::from(crate::problem::MAX_PRIORITY) + 1) + step;
        let missing = problem
            .priorities()
            .iter()
            .map(|&priority| big + step * i64::from(priority))
            .collect();
        let nodes = enterprises + experts + bundle_count + 1;
        let arcs = head.len();
        Self {
            enterprises,
            start,
            head,
            tail,
            score,
            chosen: vec![false; arcs],
            min,
            supply,
            shipped: vec![0; enterprises],
            free_used: vec![0; enterprises],
            required_used: vec![0; enterprises],
            capacity,
            slot_start,
            slots,
            used: vec![0; experts],
            bundle_of,
            bundle_arcs,
            bundle_full: vec![false; bundle_count],
            potential,
            missing,
            search: Search {
                dist: vec![0; nodes],
                reached: vec![0; nodes],
                settled_stamp: vec![0; nodes],
                pred: vec![NO_ARC; nodes],
                pred_node: vec![NO_ARC; nodes],
                stamp: 0,
                settled: Vec::new(),
                heap: BinaryHeap::new(),
                sink_dist: i64::MAX,
                sink: None,
            },
        }
    }

    /// Ships every unit: first each enterprise's required units, then the rest. Any order
    /// gives an optimum; this one makes the early searches short.
    fn run(&mut self) {
        for enterprise in 0..self.enterprises {
            while self.shipped[enterprise] < self.min[enterprise] {
                let limit = self.min[enterprise];
                self.ship(enterprise as u32, limit);
            }
        }
        for enterprise in 0..self.enterprises {
            while self.shipped[enterprise] < self.supply[enterprise] {
                let limit = self.supply[enterprise];
                self.ship(enterprise as u32, limit);
            }
        }
    }

    fn free_capacity(&self, enterprise: usize) -> u32 {
        self.supply[enterprise] - self.min[enterprise] - self.free_used[enterprise]
    }

    /// Ships at least one unit of `source` (up to `limit` shipped in all) along a shortest
    /// path.
    fn ship(&mut self, source: u32, limit: u32) {
        let sink = self.shortest_path(source);
        let source_index = source as usize;
        let remaining = limit - self.shipped[source_index];
        let amount = match sink {
            Sink::Free(enterprise) if enterprise == source => {
                remaining.min(self.free_capacity(source_index))
            }
            Sink::Required(enterprise) if enterprise == source => {
                remaining.min(self.min[source_index] - self.required_used[source_index])
            }
            _ => 1,
        };
        self.augment(source, sink, amount.max(1));
        self.shipped[source_index] += amount.max(1);
    }

    fn expert_node(&self, expert: u32) -> u32 {
        self.enterprises as u32 + expert
    }

    fn bundle_node(&self, bundle: u32) -> u32 {
        (self.enterprises + self.used.len()) as u32 + bundle
    }

    /// The bundle a node is, if it is one.
    fn as_bundle(&self, node: u32) -> Option<u32> {
        let first = (self.enterprises + self.used.len()) as u32;
        (node >= first).then(|| node - first)
    }

    /// The node an arc leaves from: its bundle, or its enterprise.
    fn arc_origin(&self, arc: u32) -> u32 {
        match self.bundle_of.get(arc as usize) {
            Some(&bundle) if bundle != NO_ARC => self.bundle_node(bundle),
            _ => self.tail[arc as usize],
        }
    }

    /// Dijkstra from `source` until the sink is settled; then updates the potentials of the
    /// settled nodes. Returns how the path leaves (the path itself is in `search.pred`).
    fn shortest_path(&mut self, source: u32) -> Sink {
        let sink_node = self.potential.len() as u32;
        let search = &mut self.search;
        search.stamp = search.stamp.wrapping_add(1);
        if search.stamp == 0 {
            search.reached.fill(0);
            search.settled_stamp.fill(0);
            search.stamp = 1;
        }
        let stamp = search.stamp;
        search.settled.clear();
        search.heap.clear();
        search.sink_dist = i64::MAX;
        search.sink = None;
        search.dist[source as usize] = 0;
        search.reached[source as usize] = stamp;
        search.pred[source as usize] = NO_ARC;
        search.pred_node[source as usize] = NO_ARC;
        search.heap.push(Reverse((0, source)));
        while let Some(Reverse((distance, node))) = self.search.heap.pop() {
            if node == sink_node {
                break;
            }
            let index = node as usize;
            if self.search.settled_stamp[index] == stamp || distance > self.search.dist[index] {
                continue;
            }
            self.search.settled_stamp[index] = stamp;
            self.search.settled.push(node);
            if index < self.enterprises {
                self.expand_enterprise(node, distance);
            } else if let Some(bundle) = self.as_bundle(node) {
                self.expand_bundle(bundle, distance);
            } else {
                self.expand_expert(node, distance);
            }
        }
        let sink_dist = self.search.sink_dist;
        for &node in &self.search.settled {
            let index = node as usize;
            self.potential[index] += self.search.dist[index] - sink_dist;
        }
        // Every enterprise with a unit left has an unplaced sink, so a sink is always found.
        self.search.sink.unwrap_or(Sink::Free(source))
    }

    fn reach(&mut self, node: u32, distance: i64, arc: u32, from: u32) {
        let search = &mut self.search;
        let index = node as usize;
        if search.settled_stamp[index] == search.stamp {
            return;
        }
        if search.reached[index] != search.stamp || distance < search.dist[index] {
            search.reached[index] = search.stamp;
            search.dist[index] = distance;
            search.pred[index] = arc;
            search.pred_node[index] = from;
            search.heap.push(Reverse((distance, node)));
        }
    }

    fn reach_sink(&mut self, distance: i64, sink: Sink) {
        let sink_node = self.potential.len() as u32;
        let search = &mut self.search;
        if distance < search.sink_dist {
            search.sink_dist = distance;
            search.sink = Some(sink);
            search.heap.push(Reverse((distance, sink_node)));
        }
    }

    fn expand_enterprise(&mut self, node: u32, distance: i64) {
        let enterprise = node as usize;
        let own = self.potential[enterprise];
        let (mut arc, end) = (self.start[enterprise], self.start[enterprise + 1]);
        while arc < end {
            if let Some(&bundle) = self.bundle_of.get(arc as usize)
                && bundle != NO_ARC
            {
                // A bundle is one arc out of its enterprise, open while its unit is free.
                if !self.bundle_full[bundle as usize] {
                    let bundle_node = self.bundle_node(bundle);
                    let reduced = own - self.potential[bundle_node as usize];
                    debug_assert!(reduced >= 0, "negative reduced cost {reduced}");
                    self.reach(bundle_node, distance + reduced, NO_ARC, node);
                }
                arc = self.bundle_arcs[bundle as usize].end;
                continue;
            }
            if !self.chosen[arc as usize] {
                self.reach_expert(arc, own, distance, node);
            }
            arc += 1;
        }
        if self.free_capacity(enterprise) > 0 {
            self.reach_sink(distance + own, Sink::Free(node));
        }
        if self.required_used[enterprise] < self.min[enterprise] {
            self.reach_sink(
                distance + self.missing[enterprise] + own,
                Sink::Required(node),
            );
        }
    }

    /// Reaches the expert of an unchosen arc from the node it leaves (potential `own`).
    fn reach_expert(&mut self, arc: u32, own: i64, distance: i64, from: u32) {
        let expert_node = self.expert_node(self.head[arc as usize]);
        let reduced =
            own - i64::from(self.score[arc as usize]) - self.potential[expert_node as usize];
        debug_assert!(reduced >= 0, "negative reduced cost {reduced}");
        self.reach(expert_node, distance + reduced, arc, from);
    }

    /// A bundle reaches its unchosen experts, and, when its unit is used, its enterprise back
    /// (giving that partner up).
    fn expand_bundle(&mut self, bundle: u32, distance: i64) {
        let node = self.bundle_node(bundle);
        let own = self.potential[node as usize];
        let arcs = self.bundle_arcs[bundle as usize].clone();
        let enterprise = self.tail[arcs.start as usize];
        for arc in arcs {
            if !self.chosen[arc as usize] {
                self.reach_expert(arc, own, distance, node);
            }
        }
        if self.bundle_full[bundle as usize] {
            let reduced = own - self.potential[enterprise as usize];
            debug_assert!(reduced >= 0, "negative reduced cost {reduced}");
            self.reach(enterprise, distance + reduced, NO_ARC, node);
        }
    }

    fn expand_expert(&mut self, node: u32, distance: i64) {
        let expert = node as usize - self.enterprises;
        let own = self.potential[node as usize];
        let first = self.slot_start[expert] as usize;
        for slot in first..first + self.used[expert] as usize {
            let arc = self.slots[slot];
            let origin = self.arc_origin(arc);
            let reduced =
                i64::from(self.score[arc as usize]) + own - self.potential[origin as usize];
            debug_assert!(reduced >= 0, "negative reduced cost {reduced}");
            self.reach(origin, distance + reduced, arc, node);
        }
        if self.used[expert] < self.capacity[expert] {
            self.reach_sink(distance + own, Sink::Expert(expert as u32));
        }
    }

    fn assign(&mut self, arc: u32) {
        let expert = self.head[arc as usize] as usize;
        let slot = self.slot_start[expert] + self.used[expert];
        self.slots[slot as usize] = arc;
        self.used[expert] += 1;
        self.chosen[arc as usize] = true;
    }

    fn unassign(&mut self, arc: u32) {
        let expert = self.head[arc as usize] as usize;
        let first = self.slot_start[expert] as usize;
        let last = first + self.used[expert] as usize - 1;
        if let Some(position) = self.slots[first..=last].iter().position(|&a| a == arc) {
            self.slots.swap(first + position, last);
            self.slots[last] = NO_ARC;
            self.used[expert] -= 1;
        }
        self.chosen[arc as usize] = false;
    }

    /// Moves `amount` units along the path found last (more than one only when the path is
    /// the source's own unplaced sink).
    fn augment(&mut self, source: u32, sink: Sink, amount: u32) {
        let mut node = match sink {
            Sink::Expert(expert) => self.expert_node(expert),
            Sink::Free(enterprise) => {
                self.free_used[enterprise as usize] += amount;
                enterprise
            }
            Sink::Required(enterprise) => {
                self.required_used[enterprise as usize] += amount;
                enterprise
            }
        };
        while node != source {
            let arc = self.search.pred[node as usize];
            let from = self.search.pred_node[node as usize];
            let node_is_expert = !self.is_enterprise(node) && self.as_bundle(node).is_none();
            if node_is_expert {
                self.assign(arc);
            } else if arc != NO_ARC {
                // Reached from an expert over a backward arc: that partner is given up.
                self.unassign(arc);
            } else if let Some(bundle) = self.as_bundle(node) {
                // Entered from its enterprise: the bundle's unit is used.
                self.bundle_full[bundle as usize] = true;
            } else if let Some(bundle) = self.as_bundle(from) {
                // Left back to its enterprise: the bundle's unit is free again.
                self.bundle_full[bundle as usize] = false;
            }
            node = from;
        }
    }

    fn is_enterprise(&self, node: u32) -> bool {
        (node as usize) < self.enterprises
    }

    fn assignment(&self) -> Assignment {
        let mut pairs = Vec::new();
        let mut partners = vec![0u32; self.enterprises];
        let mut affinity = 0u64;
        for (arc, &chosen) in self.chosen.iter().enumerate() {
            if chosen {
                let enterprise = self.tail[arc];
                pairs.push((enterprise, self.head[arc]));
                partners[enterprise as usize] += 1;
                affinity += u64::from(self.score[arc]);
            }
        }
        pairs.sort_unstable();
        let required_units = partners
            .iter()
            .zip(&self.min)
            .map(|(&partners, &min)| u64::from(partners.min(min)))
            .sum();
        Assignment {
            pairs,
            required_units,
            required_total: self.min.iter().map(|&min| u64::from(min)).sum(),
            affinity,
        }
    }

    /// Checks the optimality certificate: every residual arc has a non-negative reduced cost
    /// (so no cycle can lower the cost) and every unit is shipped. Returns the first violation.
    #[cfg(test)]
    fn certify(&self) -> Result<(), String> {
        let potential = |node: usize| self.potential[node];
        for enterprise in 0..self.enterprises {
            if self.shipped[enterprise] != self.supply[enterprise] {
                return Err(format!("enterprise {enterprise} has units left"));
            }
            let own = potential(enterprise);
            for arc in self.start[enterprise] as usize..self.start[enterprise + 1] as usize {
                let expert = self.enterprises + self.head[arc] as usize;
                let origin = potential(self.arc_origin(arc as u32) as usize);
                let reduced = origin - i64::from(self.score[arc]) - potential(expert);
                let residual_reduced = if self.chosen[arc] { -reduced } else { reduced };
                if residual_reduced < 0 {
                    return Err(format!("arc {arc} has reduced cost {residual_reduced}"));
                }
            }
            if self.free_capacity(enterprise) > 0 && own < 0 {
                return Err(format!("free sink of {enterprise}: {own}"));
            }
            if self.free_used[enterprise] > 0 && own > 0 {
                return Err(format!("used free sink of {enterprise}: {own}"));
            }
            let missing = self.missing[enterprise];
            if self.required_used[enterprise] < self.min[enterprise] && missing + own < 0 {
                return Err(format!("required sink of {enterprise}"));
            }
            if self.required_used[enterprise] > 0 && missing + own > 0 {
                return Err(format!("used required sink of {enterprise}"));
            }
        }
        for (bundle, arcs) in self.bundle_arcs.iter().enumerate() {
            let node = self.bundle_node(bundle as u32) as usize;
            let owner = self.tail[arcs.start as usize];
            let chosen = arcs
                .clone()
                .filter(|&arc| self.chosen[arc as usize])
                .count();
            if chosen != usize::from(self.bundle_full[bundle]) {
                return Err(format!("bundle {bundle} has {chosen} chosen arcs"));
            }
            let reduced = potential(owner as usize) - potential(node);
            if (self.bundle_full[bundle] && reduced > 0)
                || (!self.bundle_full[bundle] && reduced < 0)
            {
                return Err(format!("bundle {bundle}'s arc has reduced cost {reduced}"));
            }
        }
        for expert in 0..self.used.len() {
            let own = potential(self.enterprises + expert);
            if self.used[expert] < self.capacity[expert] && own < 0 {
                return Err(format!("free expert {expert}: {own}"));
            }
            if self.used[expert] > 0 && own > 0 {
                return Err(format!("used expert {expert}: {own}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::problem::Demand;

    /// The objective of a choice of pairs: (required units, priority of the required units
    /// placed, affinity).
    pub(crate) fn objective(problem: &Problem, partners: &[u32], affinity: u64) -> (u64, u64, u64) {
        let mut required = 0;
        let mut priority = 0;
        for ((&count, demand), &weight) in partners
            .iter()
            .zip(problem.demands())
            .zip(problem.priorities())
        {
            let placed = u64::from(count.min(demand.min));
            required += placed;
            priority += placed * u64::from(weight);
        }
        (required, priority, affinity)
    }

    /// Whether a choice of pairs gives some enterprise two partners of one group.
    pub(crate) fn doubles_a_group(problem: &Problem, pairs: &[(u32, u32)]) -> bool {
        let groups = problem.groups();
        let mut seen = std::collections::HashSet::new();
        pairs.iter().any(|&(enterprise, expert)| {
            groups
                .get(expert as usize)
                .copied()
                .flatten()
                .is_some_and(|group| !seen.insert((enterprise, group)))
        })
    }

    /// Every feasible choice of pairs, scored by [`objective`]; the best is the lexicographic
    /// maximum.
    pub(crate) fn brute_force(problem: &Problem) -> (u64, u64, u64) {
        let pairs = problem.allowed_pairs();
        let mut best = (0, 0, 0);
        for mask in 0u32..(1 << pairs.len()) {
            let mut partners = vec![0u32; problem.enterprises()];
            let mut load = vec![0u32; problem.experts()];
            let mut affinity = 0u64;
            let mut chosen = Vec::new();
            for (index, &(enterprise, expert, score)) in pairs.iter().enumerate() {
                if mask & (1 << index) != 0 {
                    partners[enterprise as usize] += 1;
                    load[expert as usize] += 1;
                    affinity += u64::from(score);
                    chosen.push((enterprise, expert));
                }
            }
            if doubles_a_group(problem, &chosen) {
                continue;
            }
            let feasible = load
                .iter()
                .zip(problem.capacities())
                .all(|(load, capacity)| load <= capacity)
                && partners
                    .iter()
                    .zip(problem.demands())
                    .all(|(&count, demand)| demand.max.is_none_or(|max| count <= max));
            if feasible {
                best = best.max(objective(problem, &partners, affinity));
            }
        }
        best
    }

    pub(crate) fn check_feasible(problem: &Problem, assignment: &Assignment) -> Result<(), String> {
        let allowed = problem.allowed_pairs();
        let mut partners = vec![0u32; problem.enterprises()];
        let mut load = vec![0u32; problem.experts()];
        let mut affinity = 0;
        for window in assignment.pairs.windows(2) {
            if window[0] == window[1] {
                return Err(format!("pair {:?} twice", window[0]));
            }
        }
        for &(enterprise, expert) in &assignment.pairs {
            let Ok(index) =
                allowed.binary_search_by_key(&(enterprise, expert), |pair| (pair.0, pair.1))
            else {
                return Err(format!("pair ({enterprise}, {expert}) is not allowed"));
            };
            affinity += u64::from(allowed[index].2);
            partners[enterprise as usize] += 1;
            load[expert as usize] += 1;
        }
        if affinity != assignment.affinity {
            return Err("affinity does not add up".into());
        }
        if doubles_a_group(problem, &assignment.pairs) {
            return Err("an enterprise has two partners of one group".into());
        }
        for (expert, (&load, &capacity)) in load.iter().zip(problem.capacities()).enumerate() {
            if load > capacity {
                return Err(format!("expert {expert} over capacity"));
            }
        }
        for (enterprise, (&count, demand)) in partners.iter().zip(problem.demands()).enumerate() {
            if demand.max.is_some_and(|max| count > max) {
                return Err(format!("enterprise {enterprise} over its maximum"));
            }
        }
        Ok(())
    }

    #[derive(Debug, Clone)]
    pub(crate) struct Raw {
        pub(crate) demands: Vec<(u32, Option<u32>)>,
        pub(crate) capacities: Vec<u32>,
        pub(crate) pairs: Vec<(usize, usize, u32)>,
        pub(crate) excluded: Vec<(usize, usize)>,
        pub(crate) priorities: Vec<u32>,
        pub(crate) groups: Vec<Option<u32>>,
    }

    pub(crate) fn raw(
        max_enterprises: usize,
        max_experts: usize,
        max_pairs: usize,
    ) -> impl Strategy<Value = Raw> {
        (1..=max_enterprises, 1..=max_experts).prop_flat_map(move |(enterprises, experts)| {
            (
                proptest::collection::vec((0u32..=2, proptest::option::of(0u32..=2)), enterprises),
                proptest::collection::vec(0u32..=2, experts),
                proptest::collection::vec(
                    // Few distinct scores, so ties are common.
                    (
                        0..enterprises,
                        0..experts,
                        prop_oneof![Just(5000u32), 1u32..=10_000],
                    ),
                    0..=max_pairs,
                ),
                proptest::collection::vec((0..enterprises, 0..experts), 0..=2),
                // Mostly no priority (the plain objective), sometimes a few levels.
                proptest::collection::vec(prop_oneof![3 => Just(0u32), 1 => 0u32..=3], enterprises),
                // Half the problems have no groups; the others few, so bundles are common.
                prop_oneof![
                    Just(Vec::new()),
                    proptest::collection::vec(proptest::option::of(0u32..=1), experts),
                ],
            )
                .prop_map(
                    |(demands, capacities, pairs, excluded, priorities, groups)| Raw {
                        demands: demands
                            .into_iter()
                            .map(|(min, extra)| (min, extra.map(|extra| min + extra)))
                            .collect(),
                        capacities,
                        pairs,
                        excluded,
                        priorities,
                        groups,
                    },
                )
        })
    }

    pub(crate) fn problem(raw: &Raw) -> Problem {
        let demands = raw
            .demands
            .iter()
            .map(|&(min, max)| Demand { min, max })
            .collect();
        let mut problem = Problem::new(demands, raw.capacities.clone()).expect("valid demands");
        for &(enterprise, expert, score) in &raw.pairs {
            problem
                .candidate(enterprise, expert, score)
                .expect("in range");
        }
        for &(enterprise, expert) in &raw.excluded {
            problem.exclude(enterprise, expert).expect("in range");
        }
        for (enterprise, &priority) in raw.priorities.iter().enumerate() {
            problem.prioritize(enterprise, priority).expect("in range");
        }
        for (expert, group) in raw.groups.iter().enumerate() {
            if let Some(group) = group {
                problem.group(expert, *group).expect("in range");
            }
        }
        problem
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn equals_brute_force(raw in raw(4, 4, 12)) {
            let problem = problem(&raw);
            prop_assume!(problem.allowed_pairs().len() <= 12);
            let mut network = Network::new(&problem);
            network.run();
            prop_assert_eq!(network.certify(), Ok(()));
            let assignment = network.assignment();
            prop_assert_eq!(check_feasible(&problem, &assignment), Ok(()));
            let mut partners = vec![0u32; problem.enterprises()];
            for &(enterprise, _) in &assignment.pairs {
                partners[enterprise as usize] += 1;
            }
            let found = objective(&problem, &partners, assignment.affinity);
            prop_assert_eq!(found.0, assignment.required_units);
            prop_assert_eq!(found, brute_force(&problem));
        }

        #[test]
        fn larger_instances_are_certified(raw in raw(40, 40, 300)) {
            let problem = problem(&raw);
            let mut network = Network::new(&problem);
            network.run();
            prop_assert_eq!(network.certify(), Ok(()));
            prop_assert_eq!(check_feasible(&problem, &network.assignment()), Ok(()));
        }
    }

    #[test]
    fn displaces_a_weaker_enterprise_to_cover_both() {
        // Expert 0 (capacity 1) is both enterprises' favourite, but only enterprise 0 has a
        // second candidate: coverage wants 0 → 1 and 1 → 0, even though 0 → 0 scores highest.
        let mut problem = Problem::new(
            vec![
                Demand {
                    min: 1,
                    max: Some(1)
                };
                2
            ],
            vec![1, 1],
        )
        .expect("valid");
        problem.candidate(0, 0, 9000).expect("valid");
        problem.candidate(0, 1, 1000).expect("valid");
        problem.candidate(1, 0, 2000).expect("valid");
        let assignment = solve(&problem);
        assert_eq!(assignment.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(assignment.required_units, 2);
        assert_eq!(assignment.affinity, 3000);
    }

    #[test]
    fn one_partner_per_group() {
        // Three labs of one university score highest, a fourth lab elsewhere lowest: with
        // groups the enterprise gets the best of the three and the other one.
        let mut problem = Problem::new(
            vec![Demand {
                min: 1,
                max: Some(3),
            }],
            vec![1; 4],
        )
        .expect("valid");
        for (expert, score) in [9000, 8900, 8800, 1000].into_iter().enumerate() {
            problem.candidate(0, expert, score).expect("valid");
        }
        assert_eq!(solve(&problem).pairs.len(), 3);
        for expert in 0..3 {
            problem.group(expert, 7).expect("valid");
        }
        problem.group(3, 8).expect("valid");
        let assignment = solve(&problem);
        assert_eq!(assignment.pairs, vec![(0, 0), (0, 3)]);
        assert_eq!(assignment.affinity, 10_000);
    }

    #[test]
    fn a_group_switches_partner_when_another_enterprise_needs_it() {
        // Enterprise 0 prefers expert 0 of group 1, but expert 0 is enterprise 1's only
        // candidate: coverage moves enterprise 0 to expert 1 of the same group.
        let mut problem = Problem::new(
            vec![
                Demand {
                    min: 1,
                    max: Some(2)
                };
                2
            ],
            vec![1, 1],
        )
        .expect("valid");
        problem.candidate(0, 0, 9000).expect("valid");
        problem.candidate(0, 1, 5000).expect("valid");
        problem.candidate(1, 0, 1000).expect("valid");
        problem.group(0, 1).expect("valid");
        problem.group(1, 1).expect("valid");
        let mut network = Network::new(&problem);
        network.run();
        assert_eq!(network.certify(), Ok(()));
        let assignment = network.assignment();
        assert_eq!(assignment.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(assignment.required_units, 2);
    }

    #[test]
    fn excluded_pairs_are_never_chosen() {
        let mut problem =
            Problem::new(vec![Demand { min: 1, max: None }], vec![1, 1]).expect("valid");
        problem.candidate(0, 0, 9000).expect("valid");
        problem.candidate(0, 1, 100).expect("valid");
        problem.exclude(0, 0).expect("valid");
        assert_eq!(solve(&problem).pairs, vec![(0, 1)]);
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(
            Problem::new(
                vec![Demand {
                    min: 2,
                    max: Some(1)
                }],
                vec![]
            )
            .is_err()
        );
        let mut problem = Problem::new(vec![Demand { min: 1, max: None }], vec![1]).expect("valid");
        assert!(problem.candidate(1, 0, 10).is_err());
        assert!(problem.candidate(0, 1, 10).is_err());
        assert!(problem.candidate(0, 0, 0).is_err());
        assert!(problem.candidate(0, 0, 10_001).is_err());
        assert!(problem.exclude(0, 5).is_err());
    }
}
