//! A cap on the searches one process reads from the store per second: a search page may cost
//! forty times a feed page (docs/api.md "Read cost"), and `/videos?q=` reaches it past any per-route
//! throttle, so the process itself bounds it. With the API's reserved concurrency this caps
//! what searches can cost an hour, whoever sends them.

use std::sync::Mutex;
use std::time::Instant;

/// A token bucket: `per_second` searches a second, bursts of twice that.
#[derive(Debug)]
pub struct SearchLimiter {
    per_second: f64,
    state: Mutex<(f64, Instant)>,
}

impl SearchLimiter {
    /// `per_second == 0`: no cap.
    pub fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second);
        Self {
            per_second,
            state: Mutex::new((per_second * 2.0, Instant::now())),
        }
    }

    /// Takes one search; `false` when the bucket is empty.
    pub fn try_take(&self) -> bool {
        if self.per_second <= 0.0 {
            return true;
        }
        let Ok(mut s) = self.state.lock() else {
            return true;
        };
        let now = Instant::now();
        let refill = now.duration_since(s.1).as_secs_f64() * self.per_second;
        s.0 = (s.0 + refill).min(self.per_second * 2.0);
        s.1 = now;
        if s.0 >= 1.0 {
            s.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_twice_the_rate_then_no_more() {
        let l = SearchLimiter::new(5);
        let taken = (0..100).filter(|_| l.try_take()).count();
        assert!((10..=11).contains(&taken), "{taken}");
        assert!((0..1000).all(|_| SearchLimiter::new(0).try_take()));
    }
}
