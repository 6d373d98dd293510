//! `/websub`, the WebSub hub's callback: a verification is confirmed (and its challenge echoed)
//! only when the inbox says we asked for it; a push reaches the inbox only when signed with our
//! secret; the route is a 404 where push is not enabled.

use std::sync::{Arc, Mutex};

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::Duration;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::Value;
use tower::ServiceExt;
use tubefeed_api::{
    ApiSettings, ApiState, BoxFuture, MAX_PUSH_BYTES, PushError, PushInbox, TokenCodec, WebSub,
};
use tubefeed_core::fakes::MemStore;
use tubefeed_core::{ChannelId, PushMode, PushOutcome, StoreError, Topic};

const SECRET: &[u8] = b"websub-test-secret-0123456789";
const CHANNEL: &str = "UCBR8-60-B28hp2BmDPdntcQ";
const TOPIC: &str =
    "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UCBR8-60-B28hp2BmDPdntcQ";
const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>yt:video:abc</id></entry></feed>"#;

#[derive(Clone, Copy)]
enum Receive {
    Stored,
    Malformed,
    StoreDown,
}

/// Records every call; answers what the test set.
struct FakeInbox {
    confirm: Result<bool, StoreError>,
    receive: Receive,
    confirms: Mutex<Vec<(ChannelId, PushMode, Duration)>>,
    bodies: Mutex<Vec<String>>,
}

impl FakeInbox {
    fn new(confirm: Result<bool, StoreError>, receive: Receive) -> Arc<Self> {
        Arc::new(Self {
            confirm,
            receive,
            confirms: Mutex::default(),
            bodies: Mutex::default(),
        })
    }
    fn confirms(&self) -> Vec<(ChannelId, PushMode, Duration)> {
        self.confirms.lock().unwrap().clone()
    }
    fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

impl PushInbox for FakeInbox {
    fn confirm(
        &self,
        channel: ChannelId,
        mode: PushMode,
        lease: Duration,
    ) -> BoxFuture<'_, Result<bool, StoreError>> {
        self.confirms.lock().unwrap().push((channel, mode, lease));
        let answer = self.confirm.clone();
        Box::pin(async move { answer })
    }
    fn receive(&self, body: String) -> BoxFuture<'_, Result<PushOutcome, PushError>> {
        self.bodies.lock().unwrap().push(body);
        let answer = match self.receive {
            Receive::Stored => Ok(PushOutcome {
                entries: 1,
                ..PushOutcome::default()
            }),
            Receive::Malformed => Err(PushError::Malformed("no feed element".into())),
            Receive::StoreDown => Err(PushError::Store(StoreError::Unavailable(
                "throttled".into(),
            ))),
        };
        Box::pin(async move { answer })
    }
}

fn state() -> ApiState<MemStore> {
    ApiState::new(
        MemStore::default(),
        TokenCodec::new(b"websub-tokens-secret-0123456789-0123456789"),
        ApiSettings {
            topics: vec![Topic::parse("cricket").unwrap()],
            first_page_ttl: std::time::Duration::ZERO,
            ..Default::default()
        },
    )
}

fn app_with_secret(inbox: &Arc<FakeInbox>, secret: &[u8]) -> axum::Router {
    let inbox: Arc<dyn PushInbox> = inbox.clone();
    let websub = WebSub {
        secret: secret.to_vec().into(),
        inbox,
    };
    tubefeed_api::router(Arc::new(state().with_websub(websub)))
}

fn app(inbox: &Arc<FakeInbox>) -> axum::Router {
    app_with_secret(inbox, SECRET)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn problem(&self) -> Value {
        assert_eq!(
            self.headers[header::CONTENT_TYPE],
            "application/problem+json"
        );
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn call(app: &axum::Router, req: Request<Body>) -> Answer {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

fn verify_uri(params: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("/websub?{}", q.finish())
}

async fn get(app: &axum::Router, params: &[(&str, &str)]) -> Answer {
    let req = Request::get(verify_uri(params)).body(Body::empty());
    call(app, req.unwrap()).await
}

/// A subscription's verification, with `extra` parameters added or (when empty) removed.
fn subscribe_with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("hub.mode", "subscribe"),
        ("hub.topic", TOPIC),
        ("hub.challenge", "c"),
    ];
    for (k, v) in extra {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() || *k == "hub.challenge" {
            params.push((k, v));
        }
    }
    params
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac<M: Mac + KeyInit>(secret: &[u8], body: &[u8]) -> String {
    let mut m = <M as KeyInit>::new_from_slice(secret).unwrap();
    m.update(body);
    hex(&m.finalize().into_bytes())
}

/// `X-Hub-Signature` for `body` under `secret`.
fn sign(algorithm: &str, secret: &[u8], body: &[u8]) -> String {
    let digest = match algorithm {
        "sha1" => mac::<Hmac<sha1::Sha1>>(secret, body),
        "sha256" => mac::<Hmac<sha2::Sha256>>(secret, body),
        "sha384" => mac::<Hmac<sha2::Sha384>>(secret, body),
        "sha512" => mac::<Hmac<sha2::Sha512>>(secret, body),
        other => panic!("{other}"),
    };
    format!("{algorithm}={digest}")
}

async fn post(app: &axum::Router, body: impl Into<Body>, signature: Option<&str>) -> Answer {
    let mut req = Request::post("/websub").header(header::CONTENT_TYPE, "application/atom+xml");
    if let Some(s) = signature {
        req = req.header("X-Hub-Signature", s);
    }
    call(app, req.body(body.into()).unwrap()).await
}

fn channel() -> ChannelId {
    ChannelId::parse(CHANNEL).unwrap()
}

#[tokio::test]
async fn a_requested_subscription_has_its_challenge_echoed_byte_for_byte() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let app = app(&inbox);
    let challenge = "Zx9+/=~!*'() a%b&c;\"<>";
    let a = get(
        &app,
        &subscribe_with(&[
            ("hub.challenge", challenge),
            ("hub.lease_seconds", "432000"),
        ]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CONTENT_TYPE], "text/plain");
    assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(a.body, challenge.as_bytes());
    assert_eq!(
        inbox.confirms(),
        [(channel(), PushMode::Subscribe, Duration::days(5))]
    );
    // The longest challenge allowed is echoed too.
    let long = "c".repeat(tubefeed_api::MAX_CHALLENGE);
    let a = get(&app, &subscribe_with(&[("hub.challenge", &long)])).await;
    assert_eq!((a.status, a.body), (StatusCode::OK, long.into_bytes()));
}

#[tokio::test]
async fn an_unrequested_subscription_is_refused_and_nothing_echoed() {
    let inbox = FakeInbox::new(Ok(false), Receive::Stored);
    let a = get(
        &app(&inbox),
        &subscribe_with(&[("hub.challenge", "echo-me-not-42")]),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.problem()["detail"], "no such subscription request");
    assert!(!String::from_utf8_lossy(&a.body).contains("echo-me-not-42"));
    assert_eq!(inbox.confirms().len(), 1);
}

#[tokio::test]
async fn the_lease_and_mode_are_passed_to_the_inbox() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let app = app(&inbox);
    for (mode, lease) in [
        ("subscribe", "86400"),
        ("subscribe", ""),
        ("subscribe", "0"),
        ("subscribe", "2592001"),
        ("unsubscribe", "99999999999999999999999999"),
    ] {
        let params = subscribe_with(&[("hub.mode", mode), ("hub.lease_seconds", lease)]);
        assert_eq!(get(&app, &params).await.status, StatusCode::OK);
    }
    let seen: Vec<(PushMode, Duration)> = inbox
        .confirms()
        .into_iter()
        .map(|(c, m, l)| {
            assert_eq!(c, channel());
            (m, l)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (PushMode::Subscribe, Duration::seconds(86_400)),
            (PushMode::Subscribe, Duration::days(5)),
            (PushMode::Subscribe, Duration::zero()),
            (PushMode::Subscribe, Duration::days(30)),
            (PushMode::Unsubscribe, Duration::days(30)),
        ]
    );
}

#[tokio::test]
async fn malformed_verifications_are_400_naming_the_parameter() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let app = app(&inbox);
    let long = "c".repeat(tubefeed_api::MAX_CHALLENGE + 1);
    let no_channel = "https://www.youtube.com/xml/feeds/videos.xml";
    let bad_channel = "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UC bad";
    let cases = [
        (subscribe_with(&[("hub.mode", "")]), "hub.mode"),
        (subscribe_with(&[("hub.mode", "follow")]), "hub.mode"),
        (subscribe_with(&[("hub.topic", "")]), "hub.topic"),
        (subscribe_with(&[("hub.topic", no_channel)]), "hub.topic"),
        (subscribe_with(&[("hub.topic", bad_channel)]), "hub.topic"),
        (
            subscribe_with(&[("hub.mode", "denied"), ("hub.topic", no_channel)]),
            "hub.topic",
        ),
        (
            vec![("hub.mode", "subscribe"), ("hub.topic", TOPIC)],
            "hub.challenge",
        ),
        (subscribe_with(&[("hub.challenge", "")]), "hub.challenge"),
        (subscribe_with(&[("hub.challenge", &long)]), "hub.challenge"),
        (
            subscribe_with(&[("hub.challenge", "a\tb")]),
            "hub.challenge",
        ),
        (
            subscribe_with(&[("hub.challenge", "café")]),
            "hub.challenge",
        ),
        (
            subscribe_with(&[("hub.lease_seconds", "-1")]),
            "hub.lease_seconds",
        ),
        (
            subscribe_with(&[("hub.lease_seconds", "ten")]),
            "hub.lease_seconds",
        ),
    ];
    for (params, param) in cases {
        let a = get(&app, &params).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{params:?}");
        assert_eq!(a.problem()["parameter"], param, "{params:?}");
    }
    assert!(inbox.confirms().is_empty());
    let a = call(&app, Request::get("/websub").body(Body::empty()).unwrap()).await;
    assert_eq!(a.problem()["parameter"], "hub.mode");
}

#[tokio::test]
async fn a_denied_subscription_is_acknowledged_without_asking_the_store() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let a = get(
        &app(&inbox),
        &[
            ("hub.mode", "denied"),
            ("hub.topic", TOPIC),
            ("hub.reason", "hub closed to new subscriptions"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.is_empty());
    assert!(inbox.confirms().is_empty());
}

#[tokio::test]
async fn a_verification_the_store_cannot_answer_is_503() {
    let inbox = FakeInbox::new(Err(StoreError::Unavailable("down".into())), Receive::Stored);
    let a = get(&app(&inbox), &subscribe_with(&[])).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(a.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(a.problem()["status"], 503);
}

#[tokio::test]
async fn signed_pushes_reach_the_inbox() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let app = app(&inbox);
    for algorithm in ["sha1", "sha256", "sha384", "sha512"] {
        let a = post(&app, FEED, Some(&sign(algorithm, SECRET, FEED.as_bytes()))).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT, "{algorithm}");
        assert!(a.body.is_empty());
    }
    // Hex in capitals and the algorithm's name in any case are the same signature.
    let upper = sign("sha1", SECRET, FEED.as_bytes()).to_ascii_uppercase();
    assert_eq!(
        post(&app, FEED, Some(&upper)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(inbox.bodies(), vec![FEED.to_owned(); 5]);
}

#[tokio::test]
async fn unsigned_pushes_are_refused_without_reaching_the_inbox() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let a = post(&app(&inbox), FEED, None).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let detail = a.problem()["detail"].as_str().unwrap().to_owned();
    assert!(detail.starts_with("unsigned push"), "{detail}");
    assert!(inbox.bodies().is_empty());
}

#[tokio::test]
async fn forged_pushes_are_refused_without_reaching_the_inbox() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let app = app(&inbox);
    let good = sign("sha1", SECRET, FEED.as_bytes());
    let changed = FEED.replace("abc", "abd");
    // Another algorithm's name on a digest padded to its length is another digest.
    let relabelled = good
        .replacen("sha1", "sha256", 1)
        .replace('=', "=000000000000000000000000");
    let mismatch = [
        // Signed with another secret.
        (
            FEED.to_owned(),
            sign("sha1", b"not-our-secret", FEED.as_bytes()),
        ),
        (
            FEED.to_owned(),
            sign("sha256", b"not-our-secret", FEED.as_bytes()),
        ),
        // The body changed after signing.
        (changed, good.clone()),
        (FEED.to_owned(), relabelled),
    ];
    for (body, signature) in mismatch {
        let a = post(&app, body, Some(&signature)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{signature}");
        assert_eq!(
            a.problem()["detail"],
            "signature does not match",
            "{signature}"
        );
    }
    let malformed = [
        good[..good.len() - 2].to_owned(),       // truncated
        good[..good.len() - 1].to_owned(),       // odd digits
        format!("{good}00"),                     // too long
        good.replacen("sha1", "md5", 1),         // an algorithm WebSub does not have
        good.replacen("sha1=", "", 1),           // no algorithm
        "sha1=".to_owned(),                      // no digest
        format!("{}g", &good[..good.len() - 1]), // not hex
        String::new(),
    ];
    for signature in malformed {
        let a = post(&app, FEED, Some(&signature)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{signature:?}");
        assert_eq!(a.problem()["status"], 403);
    }
    assert!(inbox.bodies().is_empty());
}

#[tokio::test]
async fn an_empty_secret_verifies_nothing() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let app = app_with_secret(&inbox, b"");
    let a = post(&app, FEED, Some(&sign("sha1", b"", FEED.as_bytes()))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(inbox.bodies().is_empty());
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_feed_is_400() {
    let inbox = FakeInbox::new(Ok(true), Receive::Malformed);
    let app = app(&inbox);
    let a = post(&app, "hello", Some(&sign("sha1", SECRET, b"hello"))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.problem()["type"], "/problems/malformed-body");
    assert_eq!(inbox.bodies(), ["hello"]);
    // Not UTF-8: refused before the inbox.
    let latin1 = b"caf\xe9".to_vec();
    let a = post(&app, latin1.clone(), Some(&sign("sha1", SECRET, &latin1))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(inbox.bodies().len(), 1);
}

#[tokio::test]
async fn a_push_the_store_cannot_take_is_503_for_the_hub_to_retry() {
    let inbox = FakeInbox::new(Ok(true), Receive::StoreDown);
    let signature = sign("sha1", SECRET, FEED.as_bytes());
    let a = post(&app(&inbox), FEED, Some(&signature)).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(a.headers.contains_key(header::RETRY_AFTER));
    let text = String::from_utf8_lossy(&a.body).into_owned();
    assert!(!text.contains("throttled"), "opaque: {text}");
}

#[tokio::test]
async fn a_push_over_one_mebibyte_is_413() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let app = app(&inbox);
    let at_most = vec![b'a'; MAX_PUSH_BYTES];
    let a = post(&app, at_most.clone(), Some(&sign("sha1", SECRET, &at_most))).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let over = vec![b'a'; MAX_PUSH_BYTES + 1];
    let signature = sign("sha1", SECRET, &over);
    let a = post(&app, over.clone(), Some(&signature)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.problem()["status"], 413);
    // Streamed without a length: cut off where it passes the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        over.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let streamed = Body::from_stream(futures_util::stream::iter(chunks));
    let a = post(&app, streamed, Some(&signature)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(inbox.bodies().len(), 1);
}

#[tokio::test]
async fn without_websub_the_route_is_404() {
    let app = tubefeed_api::router(Arc::new(state()));
    let a = get(&app, &subscribe_with(&[])).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(
        a.problem()["detail"],
        "push is not enabled on this deployment"
    );
    for signature in [Some(sign("sha1", SECRET, FEED.as_bytes())), None] {
        let a = post(&app, FEED, signature.as_deref()).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
        assert_eq!(
            a.problem()["detail"],
            "push is not enabled on this deployment"
        );
    }
}

#[tokio::test]
async fn websub_answers_keep_the_edge_promises() {
    let inbox = FakeInbox::new(Ok(true), Receive::Stored);
    let app = app(&inbox);
    let verify = verify_uri(&subscribe_with(&[]));
    let answers = [
        call(&app, Request::get(&verify).body(Body::empty()).unwrap()).await,
        post(&app, FEED, Some(&sign("sha1", SECRET, FEED.as_bytes()))).await,
        post(&app, FEED, None).await,
    ];
    for a in &answers {
        assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(a.headers[header::REFERRER_POLICY], "no-referrer");
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
    }
    // HEAD is GET without the body.
    let a = call(&app, Request::head(&verify).body(Body::empty()).unwrap()).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.is_empty());
    // Other methods: 405 naming those the route answers.
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let req = Request::builder().method(method.clone()).uri("/websub");
        let a = call(&app, req.body(Body::empty()).unwrap()).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(a.headers[header::ALLOW], "GET,HEAD,POST", "{method}");
    }
    // OPTIONS is answered by the CORS layer, as on every route, and CORS stays GET-only: a
    // browser is not invited to POST.
    for origin in [None, Some("https://elsewhere.example")] {
        let mut preflight = Request::builder()
            .method(Method::OPTIONS)
            .uri("/websub")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST");
        if let Some(o) = origin {
            preflight = preflight.header(header::ORIGIN, o);
        }
        let a = call(&app, preflight.body(Body::empty()).unwrap()).await;
        assert_eq!(a.status, StatusCode::OK);
        let allowed = a.headers[header::ACCESS_CONTROL_ALLOW_METHODS]
            .to_str()
            .unwrap();
        assert_eq!(allowed, "GET,HEAD,OPTIONS");
    }
    assert_eq!(inbox.bodies().len(), 1);
}
