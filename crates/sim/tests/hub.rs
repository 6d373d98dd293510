//! The WebSub hub at `/hub`, driven like a subscriber would: a tiny callback server in the test
//! answers verifications (or refuses them) and records what is pushed to it.

mod common;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing;
use chrono::Duration;
use common::*;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use tokio::net::TcpListener;
use youtube_sim::{
    ChannelPlan, FaultPlan, HubMode, NewVideo, SimConfig, SimControl, SimHandle,
    VerificationOutcome,
};

const CHANNEL: &str = "UCaaaaaaaaaaaaaaaaaaaaaQ";
const OTHER_CHANNEL: &str = "UCbbbbbbbbbbbbbbbbbbbbbQ";
const SECRET: &str = "s3cret-for-tests";

/// How the callback answers verifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 200 with the challenge: "yes, I asked for this".
    Echo,
    /// 404.
    Refuse,
    /// 200 with some other body.
    WrongBody,
}

#[derive(Debug, Clone)]
struct Push {
    headers: HeaderMap,
    body: String,
}

impl Push {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn video_id(&self) -> &str {
        let (_, rest) = self.body.split_once("<yt:videoId>").unwrap();
        rest.split_once('<').unwrap().0
    }
}

#[derive(Default)]
struct Seen {
    verifications: Vec<Vec<(String, String)>>,
    pushes: Vec<Push>,
}

#[derive(Clone)]
struct Callback {
    url: String,
    answer: Arc<Mutex<Answer>>,
    seen: Arc<Mutex<Seen>>,
}

impl Callback {
    async fn start(answer: Answer) -> Callback {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cb = Callback {
            url: format!("http://{addr}/websub?who=test"),
            answer: Arc::new(Mutex::new(answer)),
            seen: Arc::new(Mutex::new(Seen::default())),
        };
        let app = Router::new()
            .route("/websub", routing::get(on_verify).post(on_push))
            .with_state(cb.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        cb
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    fn pushes(&self) -> Vec<Push> {
        self.seen.lock().unwrap().pushes.clone()
    }

    fn pushed_ids(&self) -> Vec<String> {
        self.pushes()
            .iter()
            .map(|p| p.video_id().to_owned())
            .collect()
    }

    fn verifications(&self) -> Vec<Vec<(String, String)>> {
        self.seen.lock().unwrap().verifications.clone()
    }
}

fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn on_verify(
    State(cb): State<Callback>,
    Query(q): Query<Vec<(String, String)>>,
) -> (StatusCode, String) {
    let challenge = param(&q, "hub.challenge").unwrap_or_default().to_owned();
    cb.seen.lock().unwrap().verifications.push(q);
    match *cb.answer.lock().unwrap() {
        Answer::Echo => (StatusCode::OK, challenge),
        Answer::Refuse => (StatusCode::NOT_FOUND, "unknown subscription".into()),
        Answer::WrongBody => (StatusCode::OK, "not-the-challenge".into()),
    }
}

async fn on_push(State(cb): State<Callback>, headers: HeaderMap, body: String) -> StatusCode {
    cb.seen.lock().unwrap().pushes.push(Push { headers, body });
    StatusCode::NO_CONTENT
}

fn topic(channel: &str) -> String {
    format!("https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel}")
}

/// `POST /hub` with the usual fields; `extra` adds or (by name) replaces some.
async fn hub_request(
    sim: &SimHandle,
    mode: &str,
    callback: &str,
    channel: &str,
    extra: &[(&str, &str)],
) -> Resp {
    let topic = topic(channel);
    let mut form = vec![
        ("hub.mode", mode),
        ("hub.topic", topic.as_str()),
        ("hub.callback", callback),
        ("hub.verify", "async"),
    ];
    form.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    form.extend_from_slice(extra);
    post_form(&sim.hub_url(), &form).await
}

/// Subscribes and waits for the verification.
async fn subscribe(sim: &SimHandle, ctl: &SimControl, cb: &Callback, extra: &[(&str, &str)]) {
    let r = hub_request(sim, "subscribe", &cb.url, CHANNEL, extra).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body, "");
    ctl.flush_pushes().await;
}

/// An upload of `channel` published at the simulated now.
fn upload(ctl: &SimControl, channel: &str, title: &str) -> String {
    ctl.add_video(NewVideo {
        channel_id: Some(channel.to_owned()),
        title: Some(title.to_owned()),
        ..NewVideo::new("cricket", ctl.now())
    })
}

fn hmac_sha1_hex(secret: &str, body: &str) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let bytes = mac.finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The document YouTube's hub pushes: its declaration, the topic in `rel="self"`, one entry
/// with escaped text and no `media:group`, well-formed throughout.
fn assert_hub_shape(b: &str) {
    assert!(
        b.starts_with("<?xml version='1.0' encoding='UTF-8'?>\n<feed "),
        "{b}"
    );
    assert!(b.contains(&format!("<link rel=\"self\" href=\"{}\"/>", topic(CHANNEL))));
    assert!(b.contains("<title>Final &amp; &lt;over&gt; &quot;won&quot;</title>"));
    assert!(b.contains(&format!("<yt:channelId>{CHANNEL}</yt:channelId>")));
    assert!(b.contains("<published>2026-03-10T12:00:00+00:00</published>"));
    assert!(
        !b.contains("media:group") && !b.contains("description"),
        "{b}"
    );
    let mut reader = quick_xml::reader::Reader::from_str(b);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed ({e}):\n{b}"),
        }
    }
}

#[tokio::test]
async fn subscribe_verify_then_uploads_are_pushed_signed() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let cb = Callback::start(Answer::Echo).await;
    subscribe(
        &sim,
        &ctl,
        &cb,
        &[("hub.secret", SECRET), ("hub.lease_seconds", "3600")],
    )
    .await;

    let v = cb.verifications();
    assert_eq!(v.len(), 1);
    assert_eq!(
        param(&v[0], "who"),
        Some("test"),
        "the callback's own query is kept"
    );
    assert_eq!(param(&v[0], "hub.mode"), Some("subscribe"));
    assert_eq!(param(&v[0], "hub.topic"), Some(topic(CHANNEL).as_str()));
    assert_eq!(param(&v[0], "hub.lease_seconds"), Some("3600"));
    assert!(param(&v[0], "hub.challenge").unwrap().len() >= 20);
    let subs = ctl.hub_subscriptions();
    assert_eq!(subs.len(), 1);
    let s = &subs[0];
    assert_eq!(
        (s.callback.as_str(), s.channel_id.as_str()),
        (cb.url.as_str(), CHANNEL)
    );
    assert!(s.active && s.has_secret);
    assert_eq!(s.expires_at, t0() + Duration::seconds(3600));
    assert_eq!(s.last_verification, VerificationOutcome::Verified);

    let id = upload(&ctl, CHANNEL, "Final & <over> \"won\"");
    upload(&ctl, OTHER_CHANNEL, "not subscribed");
    ctl.flush_pushes().await;
    let pushes = cb.pushes();
    assert_eq!(pushes.len(), 1, "only the subscribed channel's upload");
    let p = &pushes[0];
    assert_eq!(p.video_id(), id);
    assert_eq!(p.header("content-type"), Some("application/atom+xml"));
    let expected = format!("sha1={}", hmac_sha1_hex(SECRET, &p.body));
    assert_eq!(p.header("x-hub-signature"), Some(expected.as_str()));
    let link = p.header("link").unwrap();
    assert!(
        link.contains("<https://pubsubhubbub.appspot.com/>; rel=hub"),
        "{link}"
    );
    assert!(
        link.contains(&format!("<{}>; rel=self", topic(CHANNEL))),
        "{link}"
    );
    assert_hub_shape(&p.body);

    let stats = ctl.hub_stats();
    assert_eq!((stats.requests, stats.verifications_ok), (1, 1));
    assert_eq!((stats.pushes_delivered, stats.pushes_failed), (1, 0));
    assert_eq!(stats.active_subscriptions, 1);
    let d = ctl.hub_deliveries();
    assert_eq!((d.len(), d[0].status, d[0].signed), (1, Some(204), true));
    let state = get(&format!("http://{}/_sim/state", sim.addr)).await.json();
    assert_eq!(state["hub"]["pushes_delivered"], 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn uploads_are_pushed_when_published_not_when_injected() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let cb = Callback::start(Answer::Echo).await;
    subscribe(&sim, &ctl, &cb, &[]).await;
    let later = |minutes| NewVideo {
        channel_id: Some(CHANNEL.to_owned()),
        ..NewVideo::new("cricket", t0() + Duration::minutes(minutes))
    };
    let future = ctl.add_video(later(10));
    let deleted = ctl.add_video(later(5));
    assert!(ctl.delete_video(&deleted));
    // Backdated: the hub learns of it now, and pushes it at once.
    let backdated = ctl.add_video(later(-60));
    ctl.flush_pushes().await;
    assert_eq!(cb.pushed_ids(), vec![backdated.clone()]);

    ctl.advance(Duration::minutes(10));
    ctl.flush_pushes().await;
    assert_eq!(cb.pushed_ids(), vec![backdated, future]);
    let report = get(&format!("http://{}/_sim/hub", sim.addr)).await.json();
    assert_eq!(report["stats"]["pushes_delivered"], 2);
    assert_eq!(report["subscriptions"][0]["channel_id"], CHANNEL);
    assert_eq!(report["verifications"][0]["outcome"]["result"], "verified");
    assert_eq!(report["deliveries"][1]["status"], 204);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_callback_that_does_not_echo_gets_no_subscription_and_no_pushes() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let refusing = Callback::start(Answer::Refuse).await;
    let wrong = Callback::start(Answer::WrongBody).await;
    for cb in [&refusing, &wrong] {
        let r = hub_request(&sim, "subscribe", &cb.url, CHANNEL, &[]).await;
        assert_eq!(r.status, 202);
    }
    // Nothing listens on port 9 of the loopback interface.
    let r = hub_request(&sim, "subscribe", "http://127.0.0.1:9/cb", CHANNEL, &[]).await;
    assert_eq!(r.status, 202, "the hub accepts first and verifies later");
    ctl.flush_pushes().await;
    assert_eq!(refusing.verifications().len(), 1);
    assert_eq!(wrong.verifications().len(), 1);
    assert!(ctl.hub_subscriptions().is_empty());

    let outcomes: Vec<(String, VerificationOutcome)> = ctl
        .hub_verifications()
        .into_iter()
        .map(|v| (v.callback, v.outcome))
        .collect();
    assert_eq!(outcomes.len(), 3);
    let of = |url: &str| outcomes.iter().find(|(c, _)| c == url).unwrap().1.clone();
    assert_eq!(
        of(&refusing.url),
        VerificationOutcome::Refused { status: 404 }
    );
    assert_eq!(
        of(&wrong.url),
        VerificationOutcome::WrongChallenge {
            status: 200,
            body: "not-the-challenge".into()
        }
    );
    assert!(matches!(
        of("http://127.0.0.1:9/cb"),
        VerificationOutcome::Unreachable { .. }
    ));

    upload(&ctl, CHANNEL, "nobody is subscribed");
    ctl.flush_pushes().await;
    assert!(refusing.pushes().is_empty() && wrong.pushes().is_empty());
    let stats = ctl.hub_stats();
    assert_eq!((stats.verifications_ok, stats.verifications_failed), (0, 3));
    assert_eq!(stats.pushes_delivered + stats.pushes_failed, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_lease_expires_on_the_simulator_clock_and_pushes_stop() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let cb = Callback::start(Answer::Echo).await;
    subscribe(&sim, &ctl, &cb, &[("hub.lease_seconds", "3600")]).await;

    ctl.advance(Duration::minutes(59));
    let inside = upload(&ctl, CHANNEL, "inside the lease");
    ctl.advance(Duration::minutes(2));
    upload(&ctl, CHANNEL, "after the lease");
    ctl.flush_pushes().await;
    assert_eq!(cb.pushed_ids(), vec![inside]);
    let subs = ctl.hub_subscriptions();
    assert_eq!(subs.len(), 1);
    assert!(!subs[0].active);
    assert_eq!(ctl.hub_stats().active_subscriptions, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn generated_uploads_are_pushed_only_while_the_lease_runs() {
    // One planned channel posts everything, so every generated upload is a push candidate.
    let cfg = manual(SimConfig {
        rate_per_minute: 1.0,
        channels: Some(ChannelPlan {
            count: 1,
            top: 1,
            top_share: 1.0,
            off_topic_per_on_topic: 0.5,
        }),
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    let channel = ctl.channel_ids()[0].clone();
    let cb = Callback::start(Answer::Echo).await;
    let r = hub_request(
        &sim,
        "subscribe",
        &cb.url,
        &channel,
        &[("hub.lease_seconds", "3600")],
    );
    assert_eq!(r.await.status, 202);
    ctl.flush_pushes().await;

    ctl.advance(Duration::minutes(59));
    ctl.flush_pushes().await;
    let uploads = ctl.channel_uploads(&channel);
    assert!(uploads.len() > 40, "{}", uploads.len());
    let mut pushed = cb.pushed_ids();
    pushed.sort();
    let mut expected = uploads.clone();
    expected.sort();
    assert_eq!(pushed, expected, "every upload within the lease, once");

    // One long step past the expiry: uploads published before it are still pushed (the hub
    // would have pushed them then), none published after it.
    ctl.advance(Duration::minutes(2));
    ctl.flush_pushes().await;
    let at_expiry = cb.pushes().len();
    ctl.advance(Duration::hours(2));
    ctl.flush_pushes().await;
    assert_eq!(cb.pushes().len(), at_expiry);
    assert!(ctl.channel_uploads(&channel).len() > uploads.len() + 60);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_renewal_before_expiry_keeps_pushes_flowing() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let cb = Callback::start(Answer::Echo).await;
    subscribe(&sim, &ctl, &cb, &[("hub.lease_seconds", "3600")]).await;
    ctl.advance(Duration::minutes(50));
    subscribe(&sim, &ctl, &cb, &[("hub.lease_seconds", "3600")]).await;
    let subs = ctl.hub_subscriptions();
    assert_eq!(subs.len(), 1, "a renewal is the same subscription");
    assert_eq!(subs[0].expires_at, t0() + Duration::minutes(110));

    ctl.advance(Duration::minutes(20));
    let id = upload(&ctl, CHANNEL, "after the first lease would have ended");
    ctl.flush_pushes().await;
    assert_eq!(cb.pushed_ids(), vec![id]);

    // A renewal the callback does not confirm changes nothing but the record.
    cb.set(Answer::Refuse);
    subscribe(&sim, &ctl, &cb, &[("hub.lease_seconds", "3600")]).await;
    let subs = ctl.hub_subscriptions();
    assert_eq!(subs[0].expires_at, t0() + Duration::minutes(110));
    assert_eq!(
        subs[0].last_verification,
        VerificationOutcome::Refused { status: 404 }
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn unsubscribe_stops_pushes() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let cb = Callback::start(Answer::Echo).await;
    subscribe(&sim, &ctl, &cb, &[]).await;
    assert_eq!(
        param(&cb.verifications()[0], "hub.lease_seconds"),
        Some("432000"),
        "five days by default"
    );
    let first = upload(&ctl, CHANNEL, "pushed");

    // An unsubscribe the callback refuses leaves the subscription in place.
    cb.set(Answer::Refuse);
    let r = hub_request(&sim, "unsubscribe", &cb.url, CHANNEL, &[]).await;
    assert_eq!(r.status, 202);
    ctl.flush_pushes().await;
    assert_eq!(ctl.hub_subscriptions().len(), 1);

    cb.set(Answer::Echo);
    let r = hub_request(&sim, "unsubscribe", &cb.url, CHANNEL, &[]).await;
    assert_eq!(r.status, 202);
    ctl.flush_pushes().await;
    let last = cb.verifications().pop().unwrap();
    assert_eq!(param(&last, "hub.mode"), Some("unsubscribe"));
    assert_eq!(param(&last, "hub.lease_seconds"), None);
    assert!(ctl.hub_subscriptions().is_empty());
    let modes: Vec<HubMode> = ctl.hub_verifications().iter().map(|v| v.mode).collect();
    assert_eq!(
        modes,
        vec![
            HubMode::Subscribe,
            HubMode::Unsubscribe,
            HubMode::Unsubscribe
        ]
    );

    upload(&ctl, CHANNEL, "not pushed");
    ctl.flush_pushes().await;
    assert_eq!(cb.pushed_ids(), vec![first]);
    sim.shutdown().await;
}

#[tokio::test]
async fn hub_down_answers_503_and_verifies_nothing() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let cb = Callback::start(Answer::Echo).await;
    ctl.set_faults(FaultPlan {
        hub_down: true,
        ..FaultPlan::default()
    });
    let r = hub_request(&sim, "subscribe", &cb.url, CHANNEL, &[]).await;
    assert_eq!(r.status, 503);
    ctl.flush_pushes().await;
    assert!(cb.verifications().is_empty());
    assert!(ctl.hub_subscriptions().is_empty());
    assert_eq!(ctl.hub_stats().refused_down, 1);

    ctl.set_faults(FaultPlan::default());
    subscribe(&sim, &ctl, &cb, &[]).await;
    assert_eq!(ctl.hub_subscriptions().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_requests_are_400_with_a_one_line_reason() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let cb = Callback::start(Answer::Echo).await;
    let long_secret = "x".repeat(201);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("hub.topic", "https://example.com/feed.xml")],
            "hub.topic",
        ),
        (
            vec![(
                "hub.topic",
                "https://www.youtube.com/xml/feeds/videos.xml?user=x",
            )],
            "hub.topic",
        ),
        (vec![("hub.mode", "follow")], "hub.mode"),
        (vec![("hub.callback", "not a url")], "hub.callback"),
        (vec![("hub.verify", "later")], "hub.verify"),
        (vec![("hub.secret", long_secret.as_str())], "hub.secret"),
        (vec![("hub.lease_seconds", "soon")], "hub.lease_seconds"),
    ];
    for (extra, field) in &cases {
        let r = hub_request(&sim, "subscribe", &cb.url, CHANNEL, extra).await;
        assert_eq!(r.status, 400, "{extra:?}");
        assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
        assert!(r.body.contains(field), "{extra:?}: {}", r.body);
        assert_eq!(r.body.trim_end().lines().count(), 1, "{}", r.body);
    }
    // The simulator's own feed URL is a topic too.
    let own = format!("http://{}/feeds/videos.xml?channel_id={CHANNEL}", sim.addr);
    let r = hub_request(
        &sim,
        "subscribe",
        &cb.url,
        CHANNEL,
        &[("hub.topic", own.as_str())],
    )
    .await;
    assert_eq!(r.status, 202);
    ctl.flush_pushes().await;
    assert_eq!(cb.verifications().len(), 1);
    assert_eq!(ctl.hub_subscriptions()[0].topic, own);
    let stats = ctl.hub_stats();
    assert_eq!(
        (stats.requests, stats.rejected),
        (cases.len() as u64 + 1, cases.len() as u64)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn forged_pushes_and_unrequested_verifications() {
    let (sim, ctl) = start(manual(SimConfig::default())).await;
    let cb = Callback::start(Answer::Echo).await;
    let id = upload(&ctl, CHANNEL, "forged about");

    let r = ctl.push_unsigned(&cb.url, CHANNEL, &id).await.unwrap();
    assert_eq!(r.status, 204);
    let p = cb.pushes().pop().unwrap();
    assert_eq!(p.header("x-hub-signature"), None);
    assert_eq!(p.header("content-type"), Some("application/atom+xml"));
    assert_eq!(p.video_id(), id);
    assert!(p.body.contains("<title>forged about</title>"));

    let body = ctl.push_body(CHANNEL, "zzzzzzzzzzz");
    ctl.push_with_secret(&cb.url, "wrong", &body).await.unwrap();
    let p = cb.pushes().pop().unwrap();
    let sig = p.header("x-hub-signature").unwrap();
    assert_eq!(sig, format!("sha1={}", hmac_sha1_hex("wrong", &body)));
    assert_ne!(sig, format!("sha1={}", hmac_sha1_hex(SECRET, &body)));
    ctl.push_raw(&cb.url, &body, Some("sha256=00"))
        .await
        .unwrap();
    assert_eq!(
        cb.pushes().pop().unwrap().header("x-hub-signature"),
        Some("sha256=00")
    );

    // A naive callback confirms a subscription it never asked for; a careful one refuses.
    let r = ctl.verify_unrequested(&cb.url, CHANNEL).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(Some(r.body), r.challenge);
    cb.set(Answer::Refuse);
    let r = ctl.verify_unrequested(&cb.url, CHANNEL).await.unwrap();
    assert_eq!(r.status, 404);
    assert!(
        ctl.verify_unrequested("http://127.0.0.1:9/", CHANNEL)
            .await
            .is_err()
    );

    assert!(ctl.hub_subscriptions().is_empty());
    let stats = ctl.hub_stats();
    assert_eq!(stats.pushes_delivered + stats.verifications_ok, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn push_repeat_delivers_every_push_twice() {
    let cfg = manual(SimConfig {
        push_repeat: true,
        ..SimConfig::default()
    });
    let (sim, ctl) = start(cfg).await;
    let cb = Callback::start(Answer::Echo).await;
    subscribe(&sim, &ctl, &cb, &[("hub.secret", SECRET)]).await;
    let id = upload(&ctl, CHANNEL, "twice");
    ctl.flush_pushes().await;
    let pushes = cb.pushes();
    assert_eq!(cb.pushed_ids(), vec![id.clone(), id]);
    assert_eq!(pushes[0].body, pushes[1].body);
    assert_eq!(
        pushes[0].header("x-hub-signature"),
        pushes[1].header("x-hub-signature")
    );
    assert_eq!(ctl.hub_stats().pushes_delivered, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn subscriptions_leave_generated_content_unchanged() {
    let cfg = || {
        manual(SimConfig {
            rate_per_minute: 2.0,
            channels: Some(ChannelPlan {
                count: 3,
                top: 1,
                top_share: 0.8,
                off_topic_per_on_topic: 0.5,
            }),
            ..SimConfig::default()
        })
    };
    let (plain_sim, plain) = start(cfg()).await;
    let (hub_sim, with_hub) = start(cfg()).await;
    let cb = Callback::start(Answer::Echo).await;
    for channel in with_hub.channel_ids() {
        let r = hub_request(&hub_sim, "subscribe", &cb.url, &channel, &[]).await;
        assert_eq!(r.status, 202);
    }
    with_hub.flush_pushes().await;
    plain.advance(Duration::minutes(30));
    with_hub.advance(Duration::minutes(30));
    with_hub.flush_pushes().await;
    assert!(!cb.pushes().is_empty());
    for channel in plain.channel_ids() {
        assert_eq!(
            plain.channel_uploads(&channel),
            with_hub.channel_uploads(&channel)
        );
    }
    let a = search(&plain_sim.base_url, &[("q", "cricket")]).await;
    let b = search(&hub_sim.base_url, &[("q", "cricket")]).await;
    assert_eq!(a.body, b.body);
    plain_sim.shutdown().await;
    hub_sim.shutdown().await;
}
