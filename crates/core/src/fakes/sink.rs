//! An event sink in memory: what was published, and an outage or a refusal on demand.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::events::{EventSink, SinkError};

#[derive(Default)]
pub struct MemSink {
    published: Mutex<Vec<String>>,
    down: AtomicBool,
    /// Refuse this many entries (the first ones of the next calls), as EventBridge may refuse
    /// single entries of an accepted call.
    refuse: AtomicUsize,
    calls: AtomicUsize,
}

impl MemSink {
    /// Every accepted event's detail, in order.
    pub fn published(&self) -> Vec<String> {
        self.published
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
    /// Every call fails while `down`.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
    pub fn refuse_next(&self, entries: usize) {
        self.refuse.store(entries, Ordering::SeqCst);
    }
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl EventSink for MemSink {
    async fn put_events(&self, details: &[String]) -> Result<Vec<bool>, SinkError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(SinkError(
                "EventBridge unreachable (MemSink is down)".into(),
            ));
        }
        let mut out = Vec::with_capacity(details.len());
        for d in details {
            let refuse = self
                .refuse
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if !refuse {
                self.published
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(d.clone());
            }
            out.push(!refuse);
        }
        Ok(out)
    }
}
