//! `latency-proxy UPSTREAM [DELAY_MS]`: prints `127.0.0.1:PORT`, then forwards every TCP
//! connection to UPSTREAM (`host:port`), holding each request DELAY_MS (default 10) — the
//! in-region round trip to DynamoDB that DynamoDB Local on loopback does not have.

use std::process::ExitCode;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(upstream) = args.next() else {
        eprintln!("usage: latency-proxy UPSTREAM_HOST:PORT [DELAY_MS]");
        return ExitCode::from(2);
    };
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let delay = match args.next().map(|s| s.parse::<u64>()) {
        None => 10,
        Some(Ok(ms)) => ms,
        Some(Err(_)) => {
            eprintln!("latency-proxy: DELAY_MS must be a whole number of milliseconds");
            return ExitCode::from(2);
        }
    };
    match tubefeed_bench::latency_proxy(upstream, Duration::from_millis(delay)).await {
        Ok(port) => {
            println!("127.0.0.1:{port}");
            std::future::pending::<()>().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("latency-proxy: {e}");
            ExitCode::FAILURE
        }
    }
}
