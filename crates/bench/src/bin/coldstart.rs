//! `coldstart`: a tiny Lambda Runtime API on loopback that starts a `bootstrap` again and again
//! and times each start from exec to its first `GET /runtime/invocation/next` (ready) and to
//! its first answer, with the process's peak RSS at that moment. `make bench` runs it on both
//! functions and on the bare `lambda-echo` baseline.
//!
//! `coldstart --label videos-api --event events/api-health.json target/release/videos-api`
//! prints one JSON object. The function's own configuration comes from this process's
//! environment, as it would from the function's configuration on AWS.

use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Parser;
use serde_json::{Value, json};
use tokio::sync::Notify;

#[derive(Parser)]
#[command(about = "Time Lambda cold starts against a local Runtime API")]
struct Args {
    /// Starts to time (one more, untimed, warms the page cache first).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// JSON file handed to the function as its first event.
    #[arg(long)]
    event: PathBuf,
    /// Name for the output (and AWS_LAMBDA_FUNCTION_NAME).
    #[arg(long)]
    label: String,
    /// Expected `statusCode` of the answer (API Gateway functions).
    #[arg(long)]
    expect_status: Option<u16>,
    /// Seconds one start may take before it counts as failed.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// The executable to start.
    bootstrap: PathBuf,
}

/// What the Runtime API saw of the current start.
#[derive(Default)]
struct Run {
    served: bool,
    ready: Option<Instant>,
    answered: Option<Instant>,
    answer: Option<Result<Bytes, String>>,
}

struct Stub {
    event: Bytes,
    function_arn: String,
    run: Mutex<Run>,
    done: Notify,
}

impl Stub {
    fn with_run<T>(&self, f: impl FnOnce(&mut Run) -> T) -> T {
        f(&mut self.run.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

async fn next(State(stub): State<Arc<Stub>>) -> Response {
    let first = stub.with_run(|run| {
        if run.served {
            return false;
        }
        run.served = true;
        run.ready = Some(Instant::now());
        true
    });
    if !first {
        // The start is over once the first event is answered; the process is killed while it
        // waits here for a second one.
        std::future::pending::<()>().await;
    }
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis()
        + 900_000;
    let mut headers = HeaderMap::new();
    let pairs = [
        ("lambda-runtime-aws-request-id", "coldstart-0001".to_owned()),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            stub.function_arn.clone(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-5f9d8b2a-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0".to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    (StatusCode::OK, headers, stub.event.clone()).into_response()
}

async fn response(State(stub): State<Arc<Stub>>, body: Bytes) -> StatusCode {
    finish(&stub, Ok(body));
    StatusCode::ACCEPTED
}

async fn invocation_error(
    State(stub): State<Arc<Stub>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    finish(&stub, Err(String::from_utf8_lossy(&body).into_owned()));
    StatusCode::ACCEPTED
}

async fn init_error(State(stub): State<Arc<Stub>>, body: Bytes) -> StatusCode {
    finish(
        &stub,
        Err(format!("init error: {}", String::from_utf8_lossy(&body))),
    );
    StatusCode::ACCEPTED
}

fn finish(stub: &Stub, answer: Result<Bytes, String>) {
    stub.with_run(|run| {
        if run.answer.is_none() {
            run.answered = Some(Instant::now());
            run.answer = Some(answer);
        }
    });
    stub.done.notify_one();
}

struct Sample {
    ready_ms: f64,
    answer_ms: f64,
    peak_rss_kb: u64,
}

/// Peak resident set size so far (`VmHWM`), read before the process is killed.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn one_start(stub: &Arc<Stub>, args: &Args, api: &str) -> Result<Sample, String> {
    stub.with_run(|run| *run = Run::default());
    let mut cmd = tokio::process::Command::new(&args.bootstrap);
    cmd.env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", &args.label)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", args.label),
        )
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/30/[$LATEST]coldstart",
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if std::env::var_os("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").is_none() {
        cmd.env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128");
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", args.bootstrap.display()))?;
    let pid = child.id().unwrap_or_default();
    let limit = Duration::from_secs(args.timeout);
    let outcome = tokio::select! {
        _ = stub.done.notified() => None,
        status = child.wait() => Some(match status {
            Ok(s) => format!("the function exited before answering ({s})"),
            Err(e) => format!("waiting for the function: {e}"),
        }),
        _ = tokio::time::sleep(limit) => Some(format!("no answer within {}s", args.timeout)),
    };
    let rss = peak_rss_kb(pid).unwrap_or(0);
    let _ = child.kill().await;
    if let Some(problem) = outcome {
        return Err(problem);
    }
    let (ready, answered, answer) =
        stub.with_run(|run| (run.ready, run.answered, run.answer.take()));
    let answer = answer.ok_or("no answer recorded")??;
    if let Some(want) = args.expect_status {
        let got = serde_json::from_slice::<Value>(&answer)
            .ok()
            .and_then(|v| v.get("statusCode").and_then(Value::as_u64));
        if got != Some(u64::from(want)) {
            return Err(format!(
                "answer's statusCode is {got:?}, expected {want}: {}",
                String::from_utf8_lossy(&answer)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ));
        }
    }
    let ms = |t: Option<Instant>| t.map(|t| (t - started).as_secs_f64() * 1000.0);
    Ok(Sample {
        ready_ms: ms(ready).ok_or("answered without asking for an event")?,
        answer_ms: ms(answered).ok_or("no answer time")?,
        peak_rss_kb: rss,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn bench(args: Args) -> Result<Value, String> {
    let event = std::fs::read(&args.event)
        .map_err(|e| format!("cannot read event {}: {e}", args.event.display()))?;
    let size = std::fs::metadata(&args.bootstrap)
        .map_err(|e| format!("cannot stat {}: {e}", args.bootstrap.display()))?
        .len();
    let stub = Arc::new(Stub {
        event: Bytes::from(event),
        function_arn: format!(
            "arn:aws:lambda:us-east-1:123456789012:function:{}",
            args.label
        ),
        run: Mutex::new(Run::default()),
        done: Notify::new(),
    });
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen: {e}"))?;
    let api = listener
        .local_addr()
        .map_err(|e| format!("cannot listen: {e}"))?
        .to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });

    one_start(&stub, &args, &api).await?;
    let mut samples = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        samples.push(one_start(&stub, &args, &api).await?);
    }
    let ready: Vec<f64> = samples.iter().map(|s| s.ready_ms).collect();
    let answer: Vec<f64> = samples.iter().map(|s| s.answer_ms).collect();
    let rss: Vec<f64> = samples.iter().map(|s| s.peak_rss_kb as f64).collect();
    let max = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
    let min = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::min);
    Ok(json!({
        "label": args.label,
        "runs": args.runs,
        "bytes": size,
        "ready_ms": { "median": round2(median(ready.clone())), "min": round2(min(&ready)), "max": round2(max(&ready)) },
        "first_answer_ms": { "median": round2(median(answer.clone())), "min": round2(min(&answer)), "max": round2(max(&answer)) },
        "peak_rss_kb": { "median": median(rss.clone()), "max": max(&rss) },
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match bench(args).await {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("coldstart: {e}");
            ExitCode::FAILURE
        }
    }
}
