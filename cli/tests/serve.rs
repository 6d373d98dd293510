//! Black-box tests of `tubefeed serve`: the real binary, DynamoDB Local (a fresh table), and
//! videos ingested by the real fetcher from the simulator.

mod common;

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::process::Child;
use tubefeed_core::{ApiKey, FetchSettings, Fetcher, StaticKeyRing, Topic};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{dynamodb_client, fresh_table};
use tubefeed_youtube::{ClientSettings, YouTubeClient};
use youtube_sim::{ClockMode, NewVideo, SimConfig, SimControl, SimHandle};

type TestFetcher = Fetcher<YouTubeClient, DynamoStore, DynamoStore, StaticKeyRing>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

struct Env {
    sim: SimHandle,
    fetcher: TestFetcher,
    _server: Child,
    base: String,
    http: reqwest::Client,
}

impl Env {
    async fn new() -> Self {
        let sim = SimHandle::start(SimConfig {
            clock: ClockMode::Manual(t0()),
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let client = dynamodb_client();
        let table = fresh_table(&client).await;
        let store = DynamoStore::new(client, table.clone());
        let fetcher = Fetcher::new(
            YouTubeClient::new(ClientSettings {
                base_url: sim.base_url.clone(),
                ..Default::default()
            })
            .unwrap(),
            store,
            StaticKeyRing::new(vec![ApiKey::new("sim-key-1")], 100_000),
            FetchSettings {
                backfill_pages: 20,
                lease_ttl: StdDuration::from_secs(60),
                ..Default::default()
            },
        );
        let (server, base) = common::start_serve(&table, "cricket").await;
        Self {
            sim,
            fetcher,
            _server: server,
            base,
            http: tubefeed_testkit::http_client(),
        }
    }

    fn sim(&self) -> SimControl {
        self.sim.control()
    }

    async fn fetch(&self) {
        let s = self
            .fetcher
            .run(&[Topic::parse("cricket").unwrap()], self.sim().now())
            .await;
        assert!(s.ok, "{s:?}");
    }

    async fn get(&self, path_and_query: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let resp = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        (status, headers, body)
    }

    /// Walks every page; between pages `between` may ingest more videos.
    async fn walk(&self, query: &str, mut between: impl AsyncFnMut()) -> Vec<Value> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10_000 {
            let sep = if query.is_empty() { "" } else { "&" };
            let url = match &token {
                Some(t) => format!("/videos?{query}{sep}page_token={t}"),
                None => format!("/videos?{query}"),
            };
            let (status, _, body) = self.get(&url).await;
            assert_eq!(status, StatusCode::OK, "{url}: {body}");
            let page = body["items"].as_array().unwrap();
            match body["next_page_token"].as_str() {
                Some(t) => {
                    assert!(!page.is_empty(), "a page with a successor is never empty");
                    token = Some(t.to_owned());
                }
                None => {
                    items.extend(page.iter().cloned());
                    return items;
                }
            }
            items.extend(page.iter().cloned());
            between().await;
        }
        panic!("walk did not end");
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

fn problem_param(body: &Value) -> &str {
    body["parameter"].as_str().unwrap_or("")
}

/// 131 videos over the last ~4 hours, with a few known titles.
async fn seeded() -> Env {
    let env = Env::new().await;
    let sim = env.sim();
    sim.add_burst(
        "cricket",
        124,
        t0() - Duration::hours(4),
        Duration::seconds(113),
    );
    let titled = [
        ("How to make tea?", "A short guide", 10),
        ("Tea Time with the HOW-TO crew", "cricket and tea", 20),
        ("क्रिकेट मैच का सीधा प्रसारण 🔴", "भारत बनाम ऑस्ट्रेलिया", 30),
        ("東京でクリケットの試合", "ライブ配信", 40),
        (
            "Rock & roll cricket",
            "A literal &amp; stays in descriptions",
            50,
        ),
        (
            "Fish &amp; chips cricket",
            "the title really says &amp;",
            55,
        ),
        ("Quiet innings", "nothing about beverages", 60),
    ];
    for (title, desc, minutes_ago) in titled {
        sim.add_video(NewVideo {
            title: Some(title.into()),
            description: Some(desc.into()),
            ..NewVideo::new("cricket", t0() - Duration::minutes(minutes_ago))
        });
    }
    env.fetch().await;
    env
}

#[tokio::test]
async fn full_walks_at_several_page_sizes_with_concurrent_inserts() {
    let env = seeded().await;
    let all = ids(&env.walk("limit=50", async || {}).await);
    assert_eq!(all.len(), 131);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 131);

    for (limit, order) in [(7, "desc"), (20, "asc"), (50, "desc"), (1, "asc")] {
        let before: HashSet<String> = ids(&env.walk("limit=50", async || {}).await)
            .into_iter()
            .collect();
        let sim = env.sim();
        let walked = env
            .walk(&format!("limit={limit}&order={order}"), async || {
                // New videos arrive and are ingested while the client walks.
                sim.advance(Duration::seconds(30));
                sim.add_burst(
                    "cricket",
                    2,
                    sim.now() - Duration::seconds(2),
                    Duration::seconds(1),
                );
                env.fetch().await;
            })
            .await;
        let got = ids(&walked);
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(
            unique.len(),
            got.len(),
            "limit {limit} {order}: a video appeared twice"
        );
        for id in &before {
            assert!(
                unique.contains(id),
                "limit {limit} {order}: {id} existed when the walk began and was skipped"
            );
        }
        // Pages are in order.
        let times: Vec<&str> = walked
            .iter()
            .map(|v| v["published_at"].as_str().unwrap())
            .collect();
        let mut sorted = times.clone();
        sorted.sort();
        if order == "desc" {
            sorted.reverse();
        }
        assert_eq!(times, sorted, "limit {limit} {order}");
    }
}

#[tokio::test]
async fn date_windows_are_inclusive() {
    let env = seeded().await;
    let all = env.walk("limit=50", async || {}).await;
    let lo = all[100]["published_at"].as_str().unwrap().to_owned();
    let hi = all[10]["published_at"].as_str().unwrap().to_owned();
    let expected: Vec<String> = ids(&all[10..=100]);
    let got = ids(&env
        .walk(
            &format!("limit=13&published_after={lo}&published_before={hi}"),
            async || {},
        )
        .await);
    assert_eq!(got, expected);
    let asc = ids(&env
        .walk(
            &format!("limit=50&order=asc&published_after={lo}&published_before={hi}"),
            async || {},
        )
        .await);
    let mut rev = expected.clone();
    rev.reverse();
    assert_eq!(asc, rev);
}

#[tokio::test]
async fn tampered_forged_and_mismatched_tokens_are_400() {
    let env = seeded().await;
    let (_, _, first) = env.get("/videos?limit=5").await;
    let token = first["next_page_token"].as_str().unwrap().to_owned();
    let (status, _, _) = env
        .get(&format!("/videos?limit=5&page_token={token}"))
        .await;
    assert_eq!(status, StatusCode::OK);

    let mut tampered = token.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (url, why) in [
        (format!("/videos?limit=5&page_token={tampered}"), "tampered"),
        (
            format!("/videos?limit=5&order=asc&page_token={token}"),
            "other order",
        ),
        (
            format!("/videos?limit=5&q=tea&page_token={token}"),
            "other q",
        ),
        (
            format!("/videos?limit=5&published_after=2026-01-01T00:00:00Z&page_token={token}"),
            "other dates",
        ),
        ("/videos?page_token=garbage".to_owned(), "garbage"),
        (
            "/videos?page_token=t1.eyJxIjoiIn0.AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
            "forged",
        ),
    ] {
        let (status, headers, body) = env.get(&url).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(headers["content-type"], "application/problem+json", "{why}");
        assert_eq!(problem_param(&body), "page_token", "{why}");
    }
    // A different limit with the same token is fine.
    let (status, _, _) = env
        .get(&format!("/videos?limit=9&page_token={token}"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn every_bad_parameter_is_a_named_400_and_unknown_video_is_404() {
    let env = seeded().await;
    for (q, param) in [
        ("limit=0", "limit"),
        ("limit=51", "limit"),
        ("limit=ten", "limit"),
        ("order=newest", "order"),
        ("published_after=2026-11-20T10:00:00", "published_after"),
        ("published_before=2026-11-20", "published_before"),
        ("topic=tennis", "topic"),
        ("channel_id=not%20valid", "channel_id"),
    ] {
        let (status, headers, body) = env.get(&format!("/videos?{q}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(problem_param(&body), param, "{q}");
        assert_eq!(body["status"], 400);
        assert!(
            body["title"].is_string() && body["type"].is_string() && body["detail"].is_string()
        );
    }
    for path in ["/search", "/search?q=", "/search?q=+"] {
        let (status, _, body) = env.get(path).await;
        assert_eq!(
            (status, problem_param(&body)),
            (StatusCode::BAD_REQUEST, "q"),
            "{path}"
        );
    }
    // A q that no video can match is an empty answer, not a mistake.
    for path in ["/videos?q=%21%21%21", "/search?q=%F0%9F%94%B4"] {
        let (status, _, body) = env.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(0), "{path}");
        assert!(body["next_page_token"].is_null());
    }
    let long_word = format!("/search?q={}", "x".repeat(200));
    assert_eq!(env.get(&long_word).await.0, StatusCode::OK);
    let (status, headers, body) = env.get("/videos/AAAAAAAAAAA").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], 404);
    let (status, _, _) = env.get("/videos/not%20an%20id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = env.get("/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let resp = env
        .http
        .post(format!("{}/videos", env.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn search_matches_words_in_any_order_case_and_script() {
    let env = seeded().await;
    let titles = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, _, b) = env.get("/search?q=tea%20how").await;
    assert_eq!(
        titles(&b),
        ["How to make tea?", "Tea Time with the HOW-TO crew"]
    );
    let (_, _, b) = env.get("/videos?q=TEA+How").await;
    assert_eq!(
        titles(&b),
        ["How to make tea?", "Tea Time with the HOW-TO crew"]
    );
    let (_, _, b) = env.get("/search?q=crew+TEA&limit=1").await;
    assert_eq!(titles(&b), ["Tea Time with the HOW-TO crew"]);
    assert!(b["next_page_token"].is_null());
    let (_, _, b) = env
        .get("/search?q=%E0%A4%95%E0%A5%8D%E0%A4%B0%E0%A4%BF%E0%A4%95%E0%A5%87%E0%A4%9F")
        .await; // क्रिकेट
    assert_eq!(titles(&b), ["क्रिकेट मैच का सीधा प्रसारण 🔴"]);
    let (_, _, b) = env.get("/search?q=%E6%9D%B1%E4%BA%AC").await; // 東京
    assert_eq!(titles(&b), ["東京でクリケットの試合"]);
    let (_, _, b) = env.get("/search?q=roll").await;
    assert_eq!(titles(&b), ["Rock & roll cricket"], "entities decoded once");
    assert_eq!(
        b["items"][0]["description"],
        "A literal &amp; stays in descriptions"
    );
    let (_, _, b) = env.get("/search?q=chips").await;
    assert_eq!(
        titles(&b),
        ["Fish &amp; chips cricket"],
        "a title that says &amp; keeps it"
    );
    let (status, _, b) = env.get("/search?q=zebra+tea").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(b["items"].as_array().unwrap().len(), 0);
    assert!(b["next_page_token"].is_null());
    // The generated titles all say "cricket": a walk of a common word pages through all of them.
    let walked = env.walk("q=cricket&limit=25", async || {}).await;
    let everything = env.walk("limit=50", async || {}).await;
    let expected = everything
        .iter()
        .filter(|v| {
            let words = tubefeed_core::text::index_words(
                v["title"].as_str().unwrap_or(""),
                v["description"].as_str().unwrap_or(""),
            );
            tubefeed_core::text::matches(&words, &["cricket".to_owned()])
        })
        .count();
    assert!(expected >= 124 && expected < everything.len(), "{expected}");
    assert_eq!(
        walked.len(),
        expected,
        "exactly the videos that say cricket"
    );
}

/// The searches a new user tried (issue: "search that finds what people type").
#[tokio::test]
async fn prefix_search_finds_half_typed_possessive_and_accented_words() {
    let env = Env::new().await;
    let sim = env.sim();
    let titled = [
        ("Kohli's 50th & \"GOAT\" <live>", "", 10),
        ("3 wickets in an over", "", 20),
        ("Match highlights: India vs England", "", 30),
        ("Café crème at Lord's", "", 40),
        ("How to make tea?", "A short guide", 50),
        ("Wicketkeeper drills", "", 60),
        ("High tea at the ground", "", 70),
        ("Ölümüne maç", "Αθήνα ΚΑΦΈ — Москва", 80),
    ];
    for (title, desc, minutes_ago) in titled {
        sim.add_video(NewVideo {
            title: Some(title.into()),
            description: Some(desc.into()),
            ..NewVideo::new("cricket", t0() - Duration::minutes(minutes_ago))
        });
    }
    env.fetch().await;
    let titles = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["title"].as_str().unwrap().to_owned())
            .collect()
    };
    for (q, want) in [
        ("kohli", &["Kohli's 50th & \"GOAT\" <live>"][..]),
        ("KOHLI%E2%80%99S", &["Kohli's 50th & \"GOAT\" <live>"]),
        ("goat+live", &["Kohli's 50th & \"GOAT\" <live>"]),
        ("wicket", &["3 wickets in an over", "Wicketkeeper drills"]),
        ("wick", &["3 wickets in an over", "Wicketkeeper drills"]),
        ("wicketk", &["Wicketkeeper drills"]),
        ("highl", &["Match highlights: India vs England"]),
        (
            "high",
            &[
                "Match highlights: India vs England",
                "High tea at the ground",
            ],
        ),
        ("cafe", &["Café crème at Lord's"]),
        ("CAF%C3%89", &["Café crème at Lord's"]),
        ("creme+caf", &["Café crème at Lord's"]),
        ("lord", &["Café crème at Lord's"]),
        ("lord's", &["Café crème at Lord's"]),
        ("tea+ho", &["How to make tea?"]),
        ("ho+tea", &["How to make tea?"]),
        ("3", &["3 wickets in an over"]),
        ("olum", &["Ölümüne maç"]),
        ("%CE%B1%CE%B8%CE%B7%CE%BD", &["Ölümüne maç"]), // αθην
        ("%CE%BA%CE%B1%CF%86+%D0%BC%D0%BE%D1%81", &["Ölümüne maç"]), // καφ мос
        ("w", &[]),
        ("wickets+zebra", &[]),
        ("ickets", &[]),
    ] {
        for path in ["/search", "/videos"] {
            let (status, _, b) = env.get(&format!("{path}?q={q}&limit=50")).await;
            assert_eq!(status, StatusCode::OK, "{path}?q={q}: {b}");
            assert_eq!(titles(&b), want, "{path}?q={q}");
            assert!(b["next_page_token"].is_null(), "{path}?q={q}");
        }
    }
}

#[tokio::test]
async fn etags_answer_304_and_manners_hold() {
    let env = seeded().await;
    let resp = env
        .http
        .get(format!("{}/videos?limit=3", env.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(resp.headers()["cache-control"], "public, max-age=15");
    let resp = env
        .http
        .get(format!("{}/videos?limit=3", env.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);
    assert!(resp.bytes().await.unwrap().is_empty());

    let resp = env
        .http
        .get(format!("{}/videos", env.base))
        .header("origin", "https://example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let resp = env
        .http
        .get(format!("{}/videos?limit=50", env.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-encoding"], "gzip");

    let (status, headers, health) = env.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "public, max-age=5");
    assert_eq!(health["topics"][0]["topic"], "cricket");
    assert!(health["topics"][0]["last_success_at"].is_string());
    // The public face: status and freshness, nothing an operator alone should see.
    let fields: Vec<&String> = health["topics"][0].as_object().unwrap().keys().collect();
    for private in ["last_error", "last_summary", "watermark", "last_run_at"] {
        assert!(
            !fields.iter().any(|f| *f == private),
            "{private} in {health}"
        );
    }
    assert!(health.get("keys").is_none(), "{health}");

    // Every route the OpenAPI document describes answers.
    let (_, _, doc) = env.get("/openapi.json").await;
    let (_, _, first) = env.get("/videos?limit=1").await;
    let id = first["items"][0]["id"].as_str().unwrap().to_owned();
    for path in doc["paths"].as_object().unwrap().keys() {
        let url = path.replace("{id}", &id) + if path == "/search" { "?q=tea" } else { "" };
        let (status, _, _) = env.get(&url).await;
        // The WebSub callback answers the hub only, and only where push is on.
        let want = if path == "/websub" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::OK
        };
        assert_eq!(status, want, "{url}");
    }
}

#[tokio::test]
async fn random_query_strings_never_produce_a_5xx() {
    let env = seeded().await;
    let mut rng = fastrand::Rng::with_seed(0x7b0e);
    let keys = [
        "limit",
        "page_token",
        "order",
        "published_after",
        "published_before",
        "q",
        "topic",
        "channel_id",
        "x",
        "",
    ];
    let values = [
        "",
        "0",
        "1",
        "50",
        "51",
        "-1",
        "99999999999999999999",
        "asc",
        "desc",
        "ASC",
        "2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00+25:00",
        "2026-13-40T99:99:99Z",
        "cricket",
        "tea how",
        "%00",
        "%FF%FE",
        "%E0%A4",
        "t1.",
        "t1.a.b",
        "🔴",
        "a&b",
        "=",
        "%",
        "%%",
        "\u{202e}",
        "null",
        "[]",
        "{}",
        // Scripts without spaces: every ideograph or kana is a word (200 of them once made
        // DynamoDB refuse the filter, and the API answer 500).
        "\u{4e00}\u{4e01}\u{4e02}\u{4e03}\u{4e04}\u{4e05}\u{4e06}\u{4e07}",
        "試合のハイライト",
        "การแข่งขันคริกเก็ต",
    ];
    let cjk: String = (0x4E00u32..0x4E00 + 200)
        .filter_map(char::from_u32)
        .collect();
    let values: Vec<&str> = values.iter().copied().chain([cjk.as_str()]).collect();
    let mut sent = 0;
    for i in 0..400 {
        let mut parts = Vec::new();
        for _ in 0..rng.usize(0..5) {
            let k = keys[rng.usize(..keys.len())];
            let v: String = if rng.bool() {
                values[rng.usize(..values.len())].to_owned()
            } else {
                (0..rng.usize(0..12))
                    .map(|_| char::from(rng.u8(0x21..0x7f)))
                    .collect()
            };
            parts.push(format!("{k}={v}"));
        }
        let path = if rng.bool() { "/videos" } else { "/search" };
        let url = format!("{}{path}?{}", env.base, parts.join("&"));
        // Only a URL the client cannot even build is passed over; a refused or dropped
        // connection (a panic in a handler, a dead server) fails the test.
        let resp = match env.http.get(&url).send().await {
            Ok(resp) => resp,
            Err(e) if e.is_builder() => continue,
            Err(e) => panic!("request {i}: {url} -> {e}"),
        };
        sent += 1;
        assert!(
            resp.status().as_u16() < 500,
            "request {i}: {url} -> {}",
            resp.status()
        );
    }
    assert!(
        sent >= 390,
        "only {sent} of 400 requests reached the server"
    );
}

#[tokio::test]
async fn input_limits_answer_400_naming_the_parameter_never_5xx() {
    let env = seeded().await;
    let cjk: String = (0x4E00u32..0x4E00 + 200)
        .filter_map(char::from_u32)
        .collect();
    let words = |n: usize| {
        (0..n)
            .map(|i| format!("w{i:02}x"))
            .collect::<Vec<_>>()
            .join("+")
    };
    let long_token = format!("t2.{}", "a".repeat(3000));
    for (query, want, param) in [
        (format!("q={cjk}"), StatusCode::BAD_REQUEST, Some("q")),
        (
            format!("q={}", words(33)),
            StatusCode::BAD_REQUEST,
            Some("q"),
        ),
        (format!("q={}", words(32)), StatusCode::OK, None),
        (
            format!("q={}", "x".repeat(201)),
            StatusCode::BAD_REQUEST,
            Some("q"),
        ),
        (
            format!("channel_id={}", "c".repeat(65)),
            StatusCode::BAD_REQUEST,
            Some("channel_id"),
        ),
        (
            format!("page_token={long_token}"),
            StatusCode::BAD_REQUEST,
            Some("page_token"),
        ),
        (
            format!("topic={}", "t".repeat(101)),
            StatusCode::BAD_REQUEST,
            Some("topic"),
        ),
    ] {
        for path in ["/videos", "/search"] {
            let q = if path == "/search" && !query.starts_with("q=") {
                format!("q=cricket&{query}")
            } else {
                query.clone()
            };
            let (status, _, body) = env.get(&format!("{path}?{q}")).await;
            assert_eq!(status, want, "{path}?{q}: {body}");
            if let Some(p) = param {
                assert_eq!(body["parameter"], p, "{body}");
            }
        }
    }
}

#[tokio::test]
async fn searches_beyond_the_per_process_cap_answer_429_and_lists_go_on() {
    let client = dynamodb_client();
    let table = fresh_table(&client).await;
    let (_server, base) = common::start_serve_with(
        &tubefeed_testkit::dynamodb_endpoint(),
        &table,
        "cricket",
        &[("API_SEARCH_PER_SECOND", "1")],
    )
    .await;
    let http = tubefeed_testkit::http_client();
    let mut statuses = Vec::new();
    // Ten in a row: even at a tenth of a second each, at most the burst of two and two
    // refills get through.
    for i in 0..10 {
        let r = http
            .get(format!("{base}/search?q=word{i}"))
            .send()
            .await
            .unwrap();
        statuses.push((r.status().as_u16(), r.headers().get("retry-after").cloned()));
    }
    assert_eq!(statuses[0].0, 200, "{statuses:?}");
    let refused = statuses.iter().filter(|(s, _)| *s == 429).count();
    assert!(refused >= 6, "{statuses:?}");
    for (s, retry) in &statuses {
        if *s == 429 {
            assert_eq!(retry.as_ref().map(|v| v.to_str().unwrap()), Some("1"));
        }
    }
    let r = http.get(format!("{base}/videos")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "lists are not searches");
}

#[tokio::test]
async fn the_channel_filter_is_served_by_its_index_alone() {
    let env = seeded().await;
    let all = env.walk("limit=50", async || {}).await;
    let channel = all[3]["channel_id"].as_str().unwrap().to_owned();
    let expected: Vec<String> = ids(&all
        .iter()
        .filter(|v| v["channel_id"] == channel.as_str())
        .cloned()
        .collect::<Vec<_>>());
    assert!(!expected.is_empty());
    let got = ids(&env
        .walk(&format!("limit=3&channel_id={channel}"), async || {})
        .await);
    assert_eq!(got, expected);
    // With words: the channel becomes part of the search filter.
    let (_, _, b) = env
        .get(&format!("/search?q=cricket&channel_id={channel}&limit=50"))
        .await;
    let items = b["items"].as_array().unwrap();
    assert!(!items.is_empty(), "the channel has videos that say cricket");
    for v in items {
        assert_eq!(v["channel_id"], channel.as_str());
    }
    let (status, _, b) = env.get("/videos?channel_id=UCnobodyAtAll").await;
    assert_eq!(status, StatusCode::OK);
    assert!(b["items"].as_array().unwrap().is_empty() && b["next_page_token"].is_null());
}

#[tokio::test]
async fn health_and_status_report_each_topics_interval_and_lag_from_tubefeed_fetch() {
    // The real `tubefeed fetch` twice (the real key ring and its budget planner), then what
    // `tubefeed serve` says about each topic.
    let sim = SimHandle::start(SimConfig::default()).await.unwrap();
    let client = dynamodb_client();
    let table = fresh_table(&client).await;
    // Async: the simulator answers from this test's runtime.
    let fetch = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_tubefeed"))
            .arg("fetch")
            .env("TABLE_NAME", &table)
            .env("SEARCH_QUERIES", "cricket:3,chess")
            // No lookback, so no floor under a topic's interval: it is the pool's interval
            // over the weight at any time of day (near the quota reset the pool's interval
            // shrinks below the default 5-minute floor and both topics would show the floor).
            .env("FETCH_LOOKBACK_MINUTES", "0")
            .env("YOUTUBE_API_BASE_URL", &sim.base_url)
            .env("YOUTUBE_API_KEYS", "sim-key-1")
            .envs(common::local_aws(&tubefeed_testkit::dynamodb_endpoint()))
            .env_remove("AWS_PROFILE")
            .env_remove("YOUTUBE_API_KEYS_SECRET_ID")
            .env("RUST_LOG", "warn")
            .output()
    };
    let first = fetch().await.unwrap();
    assert!(first.status.success(), "{first:?}");
    tokio::time::sleep(StdDuration::from_millis(1100)).await;
    let second = fetch().await.unwrap();
    assert!(second.status.success(), "{second:?}");
    // `/health`'s lag is counted when it is asked: at least this long after any poll.
    tokio::time::sleep(StdDuration::from_millis(1100)).await;
    let (_server, base) = common::start_serve(&table, "cricket:3,chess").await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tubefeed"))
        .args(["status", "--json"])
        .env("TABLE_NAME", &table)
        .env("SEARCH_QUERIES", "cricket:3,chess")
        .env("YOUTUBE_API_KEYS", "sim-key-1")
        .envs(common::local_aws(&tubefeed_testkit::dynamodb_endpoint()))
        .env_remove("AWS_PROFILE")
        .env_remove("YOUTUBE_API_KEYS_SECRET_ID")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let calls = |o: &std::process::Output| -> u64 {
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["calls"].as_u64().unwrap_or(0))
            .sum()
    };
    let (first_calls, second_calls) = (calls(&first), calls(&second));
    let health: Value = tubefeed_testkit::http_client()
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let topic = |name: &str| {
        health["topics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["topic"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {health}"))
            .clone()
    };
    let printed: Value = serde_json::from_slice(&second.stdout).unwrap();
    // The pool's pace for one poll of every topic, as the second run planned it.
    let cycle = printed["budget"]["effective_interval_seconds"]
        .as_u64()
        .unwrap_or_else(|| panic!("no pool interval: {printed}"));
    assert!(cycle > 0, "{printed}");
    // No topic is polled more often than the schedule runs the fetcher (a minute by default).
    let schedule = printed["budget"]["schedule_seconds"].as_u64();
    assert_eq!(schedule, Some(60), "{printed}");
    let interval = |weight: u64| (cycle / weight).max(60);
    for (i, (name, weight)) in [("cricket", 3), ("chess", 1)].into_iter().enumerate() {
        // The second run saw how long each topic had waited (it may then have found it not
        // due yet), and the pace the pool allows it: a weight of 3 is due three times as often.
        let line = &printed["topics"][i];
        assert_eq!(line["topic"], name);
        assert_eq!(line["weight"], weight, "{line}");
        assert!(
            line["lag_seconds"].as_u64().is_some_and(|l| l >= 1),
            "{line}"
        );
        assert_eq!(line["interval_seconds"], interval(weight), "{line}");
        // `/health`: the live lag and the interval, as of the last poll.
        let h = topic(name);
        assert!(h["lag_seconds"].as_u64().is_some_and(|l| l >= 1), "{h}");
        assert_eq!(h["interval_seconds"], interval(weight), "{h}");
        // `tubefeed status`: the same, and the last poll's line (weight included).
        let st = status
            .get("topics")
            .and_then(Value::as_array)
            .and_then(|ts| ts.iter().find(|t| t["topic"] == name))
            .unwrap_or_else(|| panic!("{name} missing: {status}"));
        assert_eq!(st["interval_seconds"], interval(weight), "{st}");
        assert!(st["lag_seconds"].as_u64().is_some_and(|l| l >= 1), "{st}");
        assert!(st["last_success_at"].is_string(), "{st}");
    }
    assert_eq!(status["keys"]["total"], 1, "{status}");
    assert_eq!(
        status["projects"][0]["calls_today"],
        first_calls + second_calls,
        "{status}"
    );
}
