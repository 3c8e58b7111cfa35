//! The input of an assignment, checked as it is built so the solver never sees a bad index.

/// Affinity scores are integers in `1..=SCORE_SCALE` (a score of 0.7606 is 7606), so sums are
/// exact and independent of order.
pub const SCORE_SCALE: u32 = 10_000;

/// What an enterprise asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demand {
    /// Partners it needs (placing these comes before any affinity).
    pub min: u32,
    /// Partners it accepts at most; `None` means as many as it has candidates.
    pub max: Option<u32>,
}

/// A problem that cannot be solved as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemError {
    /// An enterprise index out of range.
    #[error("enterprise index {0} is out of range")]
    Enterprise(usize),
    /// An expert index out of range.
    #[error("expert index {0} is out of range")]
    Expert(usize),
    /// A score outside `1..=SCORE_SCALE`.
    #[error("score {score} of pair ({enterprise}, {expert}) is outside 1..={SCORE_SCALE}")]
    Score {
        /// The enterprise.
        enterprise: usize,
        /// The expert.
        expert: usize,
        /// The score.
        score: u32,
    },
    /// `max` below `min`.
    #[error("enterprise {0} accepts at most fewer partners than it needs (max < min)")]
    MaxBelowMin(usize),
    /// More pairs than the solver's 32-bit arc indices hold.
    #[error("too many candidate pairs ({0})")]
    TooLarge(usize),
}

/// Enterprises, experts (or labs), candidate pairs with their affinity, and exclusions.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub(crate) demands: Vec<Demand>,
    pub(crate) capacities: Vec<u32>,
    candidates: Vec<(u32, u32, u32)>,
    excluded: Vec<(u32, u32)>,
    priorities: Vec<u32>,
    /// Each expert's group (its institution), or `None`; empty when no expert has one.
    groups: Vec<Option<u32>>,
}

/// The highest priority an enterprise can be given.
pub const MAX_PRIORITY: u32 = 100;

impl Problem {
    /// A problem with these enterprises and expert capacities and no candidate yet.
    pub fn new(demands: Vec<Demand>, capacities: Vec<u32>) -> Result<Self, ProblemError> {
        if let Some(index) = demands
            .iter()
            .position(|demand| demand.max.is_some_and(|max| max < demand.min))
        {
            return Err(ProblemError::MaxBelowMin(index));
        }
        if demands.len() >= u32::MAX as usize / 2 || capacities.len() >= u32::MAX as usize / 2 {
            return Err(ProblemError::TooLarge(demands.len().max(capacities.len())));
        }
        Ok(Self {
            priorities: vec![0; demands.len()],
            demands,
            capacities,
            ..Self::default()
        })
    }

    /// A problem made from parts of a checked one (indices in range, scores valid, max at
    /// least min), with no exclusions, priorities or groups.
    pub(crate) fn from_checked(
        demands: Vec<Demand>,
        capacities: Vec<u32>,
        candidates: Vec<(u32, u32, u32)>,
    ) -> Self {
        debug_assert!(candidates.iter().all(|&(enterprise, expert, score)| {
            (enterprise as usize) < demands.len()
                && (expert as usize) < capacities.len()
                && (1..=SCORE_SCALE).contains(&score)
        }));
        Self {
            priorities: vec![0; demands.len()],
            demands,
            capacities,
            candidates,
            ..Self::default()
        }
    }

    /// The number of enterprises.
    pub fn enterprises(&self) -> usize {
        self.demands.len()
    }

    /// The number of experts.
    pub fn experts(&self) -> usize {
        self.capacities.len()
    }

    /// The enterprises' demands.
    pub fn demands(&self) -> &[Demand] {
        &self.demands
    }

    /// The experts' capacities.
    pub fn capacities(&self) -> &[u32] {
        &self.capacities
    }

    /// Adds a candidate pair; a pair given twice keeps its higher score.
    pub fn candidate(
        &mut self,
        enterprise: usize,
        expert: usize,
        score: u32,
    ) -> Result<(), ProblemError> {
        let key = self.key(enterprise, expert)?;
        if score == 0 || score > SCORE_SCALE {
            return Err(ProblemError::Score {
                enterprise,
                expert,
                score,
            });
        }
        if self.candidates.len() >= u32::MAX as usize / 2 {
            return Err(ProblemError::TooLarge(self.candidates.len()));
        }
        self.candidates.push((key.0, key.1, score));
        Ok(())
    }

    /// Forbids a pair (declined before, excluded by staff, a conflict of interest). Pairs that
    /// are not candidates may be excluded too; that changes nothing.
    pub fn exclude(&mut self, enterprise: usize, expert: usize) -> Result<(), ProblemError> {
        let key = self.key(enterprise, expert)?;
        self.excluded.push(key);
        Ok(())
    }

    /// The pairs that may be chosen, `(enterprise, expert, score)` sorted by enterprise then
    /// expert: duplicates keep their highest score, excluded pairs are gone.
    pub fn allowed_pairs(&self) -> Vec<(u32, u32, u32)> {
        let mut pairs = self.candidates.clone();
        // Highest score first within a pair, so dedup keeps it.
        pairs.sort_unstable_by(|left, right| {
            (left.0, left.1, right.2).cmp(&(right.0, right.1, left.2))
        });
        pairs.dedup_by_key(|pair| (pair.0, pair.1));
        let mut excluded = self.excluded.clone();
        excluded.sort_unstable();
        pairs.retain(|pair| excluded.binary_search(&(pair.0, pair.1)).is_err());
        pairs
    }

    /// Gives an enterprise's required partners a priority (0 by default, at most
    /// [`MAX_PRIORITY`]): among assignments that place the most required partners, those placing
    /// more priority come first, before affinity. Town balance uses it for lagging towns.
    pub fn prioritize(&mut self, enterprise: usize, priority: u32) -> Result<(), ProblemError> {
        let slot = self
            .priorities
            .get_mut(enterprise)
            .ok_or(ProblemError::Enterprise(enterprise))?;
        *slot = priority.min(MAX_PRIORITY);
        Ok(())
    }

    /// The enterprises' priorities.
    pub fn priorities(&self) -> &[u32] {
        &self.priorities
    }

    /// Puts an expert in a group (its institution): an enterprise gets at most one partner of
    /// each group, so a clerk never sees three labs of the same university for one enterprise.
    /// Experts in no group are not limited.
    pub fn group(&mut self, expert: usize, group: u32) -> Result<(), ProblemError> {
        if expert >= self.capacities.len() {
            return Err(ProblemError::Expert(expert));
        }
        if self.groups.is_empty() {
            self.groups = vec![None; self.capacities.len()];
        }
        self.groups[expert] = Some(group);
        Ok(())
    }

    /// Each expert's group; empty when no expert is in one.
    pub fn groups(&self) -> &[Option<u32>] {
        &self.groups
    }

    /// The same problem without the candidate pairs scoring below `floor`.
    pub fn with_floor(&self, floor: u32) -> Self {
        Self {
            demands: self.demands.clone(),
            capacities: self.capacities.clone(),
            candidates: self
                .candidates
                .iter()
                .copied()
                .filter(|pair| pair.2 >= floor)
                .collect(),
            excluded: self.excluded.clone(),
            priorities: self.priorities.clone(),
            groups: self.groups.clone(),
        }
    }

    fn key(&self, enterprise: usize, expert: usize) -> Result<(u32, u32), ProblemError> {
        if enterprise >= self.demands.len() {
            return Err(ProblemError::Enterprise(enterprise));
        }
        if expert >= self.capacities.len() {
            return Err(ProblemError::Expert(expert));
        }
        // Both fit: `new` refuses more than u32::MAX / 2 of either.
        Ok((enterprise as u32, expert as u32))
    }
}
