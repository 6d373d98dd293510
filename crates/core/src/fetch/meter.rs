//! What is left of a run's allowance, shared by its topics in turn.

use crate::budget::RunBudget;

/// What the planner counts a topic's poll at: the head's page, with the sweep folded in when it
/// fits (see [`super::pace`]).
pub(super) const CALLS_PER_TOPIC_POLL: u32 = 1;

#[derive(Debug)]
pub(super) struct Meter {
    paced_left: u32,
    borrow_left: u32,
    /// This topic's fair share of the paced calls, and what it has used of it.
    topic_share: u32,
    topic_used: u32,
    /// Pages paid from the allowance, borrowed ones included.
    pub spent: u32,
    /// How much the rationing rules apply to separate late sweeps, which cost a call each
    /// beyond the head's (0 = sweep whatever has aged, every run; 1 = in full).
    pub sweep_rationing: f64,
}

impl Meter {
    pub fn new(b: &RunBudget) -> Self {
        Self {
            paced_left: b.paced,
            borrow_left: b.borrow,
            topic_share: b.paced,
            topic_used: 0,
            spent: 0,
            sweep_rationing: f64::from(b.sweep_rationing_pct.min(100)) / 100.0,
        }
    }

    /// Leaves one poll's worth for each topic still to run after this one, so the first
    /// topic's burst or sweeps cannot take the others' polls (it may still borrow); what is
    /// left beyond that goes to the topic that waited longest, which runs first.
    pub fn start_topic(&mut self, topics_left: usize) {
        let others = u32::try_from(topics_left.saturating_sub(1)).unwrap_or(u32::MAX);
        self.topic_share = self
            .paced_left
            .saturating_sub(others.saturating_mul(CALLS_PER_TOPIC_POLL))
            .max(1);
        self.topic_used = 0;
    }

    /// Paced pages this topic may still spend without borrowing.
    pub fn paced_room(&self) -> u32 {
        self.paced_left
            .min(self.topic_share.saturating_sub(self.topic_used))
    }

    pub fn paced_available(&self) -> bool {
        self.paced_left > 0 && self.topic_used < self.topic_share
    }

    /// Whether one more page may be read, borrowing if need be.
    pub fn may_spend(&self) -> bool {
        self.paced_available() || self.borrow_left > 0
    }

    pub fn spend(&mut self) {
        if self.paced_available() {
            self.paced_left -= 1;
            self.topic_used += 1;
        } else {
            self.borrow_left = self.borrow_left.saturating_sub(1);
        }
        self.spent = self.spent.saturating_add(1);
    }
}
