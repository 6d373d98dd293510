//! The real `tubefeed` binary, run with `RUST_LOG=debug` against the simulator answering every
//! key error YouTube has, DynamoDB Local and a local Secrets Manager: nothing it prints —
//! summary, logs, errors, `keys` output — contains a key.

use std::collections::BTreeMap;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tubefeed_testkit::{
    dynamodb_client, dynamodb_endpoint, fresh_secret, fresh_table, secretsmanager_client,
    secretsmanager_endpoint,
};
use youtube_sim::{FaultPlan, InvalidKeyShape, QuotaErrorShape, SimConfig, SimHandle};

const LEGACY_403: &str = "AIzaSyLEAK-legacy403-quota-0000000000";
const PER_DAY_429: &str = "AIzaSyLEAK-perday429-quota-0000000000";
const DAILY_403: &str = "AIzaSyLEAK-daily403-limit-00000000000";
const INVALID_MODERN: &str = "AIzaSyLEAK-invalid-modern-00000000000";
const INVALID_LEGACY: &str = "AIzaSyLEAK-invalid-legacy-00000000000";
const DISABLED: &str = "AIzaSyLEAK-api-disabled-0000000000000";
const GOOD: &str = "AIzaSyLEAK-the-good-key-0000000000000";
const ADDED: &str = "AIzaSyLEAK-added-by-stdin-00000000000";

const ALL: [&str; 8] = [
    LEGACY_403,
    PER_DAY_429,
    DAILY_403,
    INVALID_MODERN,
    INVALID_LEGACY,
    DISABLED,
    GOOD,
    ADDED,
];

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn tubefeed(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Out {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tubefeed"));
    cmd.args(args)
        .env_remove("YOUTUBE_API_KEYS")
        .env_remove("YOUTUBE_API_KEYS_SECRET_ID")
        .env_remove("AWS_PROFILE")
        .env("RUST_LOG", "debug")
        .env("SEARCH_QUERIES", "cricket")
        .envs(tubefeed_testkit::local_aws(&dynamodb_endpoint()))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            secretsmanager_endpoint(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run tubefeed");
    if let Some(mut pipe) = child.stdin.take() {
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).await.unwrap();
        }
        drop(pipe);
    }
    let out = child.wait_with_output().await.unwrap();
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_no_key(what: &str, out: &Out) {
    let all = format!("{}\n{}", out.stdout, out.stderr);
    for key in ALL {
        // The distinctive middle as well, in case something cut or re-encoded the value.
        let middle = &key[6..24];
        assert!(
            !all.contains(key) && !all.contains(middle),
            "{what}: output contains a key ({middle}):\n{all}"
        );
    }
}

async fn table() -> String {
    fresh_table(&dynamodb_client()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_output_of_any_run_contains_a_key() {
    // Every quota shape, both invalid-key shapes, a disabled API, 5xx: two simulators (the
    // invalid-key body is per instance).
    let sim_a = SimHandle::start(SimConfig {
        valid_keys: vec![
            LEGACY_403.into(),
            PER_DAY_429.into(),
            DAILY_403.into(),
            GOOD.into(),
        ],
        disabled_keys: vec![DISABLED.into()],
        quota_error: QuotaErrorShape::Legacy403,
        quota_error_by_key: BTreeMap::from([
            (PER_DAY_429.to_owned(), QuotaErrorShape::PerDay429),
            (DAILY_403.to_owned(), QuotaErrorShape::Daily403),
        ]),
        invalid_key_shape: InvalidKeyShape::Modern400,
        rate_per_minute: 2.0,
        backfill: std::time::Duration::from_secs(3600),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let a = sim_a.control();
    for k in [LEGACY_403, PER_DAY_429, DAILY_403] {
        a.set_key_calls_left(k, 0);
    }
    let sim_b = SimHandle::start(SimConfig {
        valid_keys: vec![GOOD.into()],
        invalid_key_shape: InvalidKeyShape::Legacy400,
        rate_per_minute: 2.0,
        backfill: std::time::Duration::from_secs(3600),
        ..SimConfig::default()
    })
    .await
    .unwrap();

    // 1. Every key error in one run (environment source): succeeds on the good key.
    let keys_a = [
        LEGACY_403,
        PER_DAY_429,
        DAILY_403,
        INVALID_MODERN,
        DISABLED,
        GOOD,
    ]
    .join(",");
    let t = table().await;
    let out = tubefeed(
        &["fetch"],
        &[
            ("TABLE_NAME", &t),
            ("YOUTUBE_API_BASE_URL", &sim_a.base_url),
            ("YOUTUBE_API_KEYS", &keys_a),
        ],
        None,
    )
    .await;
    assert_no_key("fetch, every error shape", &out);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let summary: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(summary["ok"], true);
    assert!(
        summary["budget"]["effective_interval_seconds"].is_u64(),
        "{summary}"
    );
    // Each bad key was really tried (so each error path above really ran), once.
    let calls = a.calls();
    for k in [LEGACY_403, PER_DAY_429, DAILY_403, INVALID_MODERN, DISABLED] {
        assert_eq!(calls.per_key.get(k).copied(), Some(1), "{k}: {calls:?}");
    }
    assert!(out.stderr.contains("DEBUG"), "debug logging was on");

    // 2. `keys list` on that state, text and JSON.
    for args in [&["keys", "list"][..], &["keys", "list", "--json"][..]] {
        let out = tubefeed(
            args,
            &[("TABLE_NAME", &t), ("YOUTUBE_API_KEYS", &keys_a)],
            None,
        )
        .await;
        assert_no_key("keys list", &out);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(out.stdout.contains("key-"), "{}", out.stdout);
    }
    let listed = tubefeed(
        &["keys", "list"],
        &[("TABLE_NAME", &t), ("YOUTUBE_API_KEYS", &keys_a)],
        None,
    )
    .await;
    assert!(
        listed.stdout.contains("exhausted until"),
        "{}",
        listed.stdout
    );
    assert!(listed.stdout.contains("invalid"), "{}", listed.stdout);

    // 3. The legacy invalid-key body, then 5xx until the run fails.
    let t = table().await;
    let keys_b = [INVALID_LEGACY, GOOD].join(",");
    let env_b = [
        ("TABLE_NAME", t.as_str()),
        ("YOUTUBE_API_BASE_URL", sim_b.base_url.as_str()),
        ("YOUTUBE_API_KEYS", keys_b.as_str()),
    ];
    let out = tubefeed(&["fetch"], &env_b, None).await;
    assert_no_key("fetch, legacy invalid key", &out);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let calls_b = sim_b.control().calls();
    assert_eq!(
        calls_b.per_key.get(INVALID_LEGACY).copied(),
        Some(1),
        "{calls_b:?}"
    );
    sim_b.control().set_faults(FaultPlan {
        server_error_after_calls: Some(0),
        ..FaultPlan::default()
    });
    let t = table().await;
    let env_c = [
        ("TABLE_NAME", t.as_str()),
        ("YOUTUBE_API_BASE_URL", sim_b.base_url.as_str()),
        ("YOUTUBE_API_KEYS", GOOD),
    ];
    let out = tubefeed(&["fetch"], &env_c, None).await;
    assert_no_key("fetch, 5xx", &out);
    assert_ne!(out.code, Some(0), "a failed cycle exits non-zero");

    // 4. The environment source is read-only for `keys add/remove`, and says so.
    let out = tubefeed(
        &["keys", "add"],
        &[("TABLE_NAME", &t), ("YOUTUBE_API_KEYS", GOOD)],
        Some(ADDED),
    )
    .await;
    assert_no_key("keys add on the environment", &out);
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("YOUTUBE_API_KEYS"), "{}", out.stderr);

    // 5. Secrets Manager: fetch, add (stdin), remove (by value, as an argument), list.
    let sm = secretsmanager_client();
    let secret = fresh_secret(
        &sm,
        &serde_json::json!({ "keys": [INVALID_MODERN, GOOD] }).to_string(),
    )
    .await;
    let t = table().await;
    let env_s = [
        ("TABLE_NAME", t.as_str()),
        ("YOUTUBE_API_BASE_URL", sim_a.base_url.as_str()),
        ("YOUTUBE_API_KEYS_SECRET_ID", secret.as_str()),
    ];
    let before = a.calls().per_key.get(INVALID_MODERN).copied().unwrap_or(0);
    let out = tubefeed(&["fetch"], &env_s, None).await;
    assert_no_key("fetch from a secret", &out);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let after = a.calls().per_key.get(INVALID_MODERN).copied().unwrap_or(0);
    assert_eq!(after, before + 1, "the secret's invalid key was tried once");
    let out = tubefeed(&["keys", "add"], &env_s, Some(&format!("{ADDED}\n"))).await;
    assert_no_key("keys add from stdin", &out);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("added key-"), "{}", out.stdout);
    // A key value on the command line is refused without a word of it; `-` reads it.
    let out = tubefeed(&["keys", "remove", INVALID_MODERN], &env_s, None).await;
    assert_no_key("keys remove refusing a value argument", &out);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("standard input"), "{}", out.stderr);
    let out = tubefeed(
        &["keys", "remove", "-"],
        &env_s,
        Some(&format!("{INVALID_MODERN}\n")),
    )
    .await;
    assert_no_key("keys remove from stdin", &out);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = tubefeed(&["keys", "list"], &env_s, None).await;
    assert_no_key("keys list from a secret", &out);
    assert!(
        out.stdout.starts_with("2 key(s) in secret"),
        "{}",
        out.stdout
    );

    // 6. A malformed secret stops the run with its name, not its contents.
    sm.put_secret_value()
        .secret_id(&secret)
        .secret_string(format!("{GOOD}, {ADDED}"))
        .send()
        .await
        .unwrap();
    let t = table().await;
    let out = tubefeed(
        &["fetch"],
        &[
            ("TABLE_NAME", t.as_str()),
            ("YOUTUBE_API_BASE_URL", sim_a.base_url.as_str()),
            ("YOUTUBE_API_KEYS_SECRET_ID", secret.as_str()),
        ],
        None,
    )
    .await;
    assert_no_key("fetch, malformed secret", &out);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stdout.contains(&secret) || out.stderr.contains(&secret),
        "the error names the secret: {}\n{}",
        out.stdout,
        out.stderr
    );
}
