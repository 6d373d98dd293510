//! Percentiles of repeated calls.

use std::time::{Duration as StdDuration, Instant};

pub fn pct(mut v: Vec<StdDuration>, p: f64) -> StdDuration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

pub fn ms(d: StdDuration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

pub async fn timed<F, Fut, T>(
    reps: usize,
    f: F,
) -> Result<(StdDuration, T), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Box<dyn std::error::Error>>>,
{
    let (p50, _, last) = timed_p99(reps, f).await?;
    Ok((p50, last))
}

/// p50 and p99 of `reps` calls, and the last call's result.
pub async fn timed_p99<F, Fut, T>(
    reps: usize,
    mut f: F,
) -> Result<(StdDuration, StdDuration, T), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Box<dyn std::error::Error>>>,
{
    let mut times = Vec::with_capacity(reps);
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        last = Some(f().await?);
        times.push(t.elapsed());
    }
    Ok((
        pct(times.clone(), 0.5),
        pct(times, 0.99),
        last.ok_or("no reps")?,
    ))
}
