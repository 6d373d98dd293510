//! Issue 3's "prove it" cases: keys from a real Secrets Manager API (moto), state in DynamoDB
//! Local, the real YouTube client against the simulator.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::pacific::next_pacific_midnight;
use tubefeed_core::{
    Acquired, ApiKey, CycleSummary, FetchSettings, Fetcher, Fingerprint, KeyOutcome, KeyRing,
    KeySource, SkipReason, Topic,
};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore, KeyState};
use tubefeed_secrets::{EnvKeySource, SecretsManagerKeySource};
use tubefeed_testkit::{fresh_secret, fresh_store, quick_retries, secretsmanager_client};
use tubefeed_youtube::YouTubeClient;
use youtube_sim::{ClockMode, QuotaErrorShape, SimConfig, SimControl, SimHandle};

/// 04:00 PST: twenty hours before the next reset.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn topic(name: &str) -> Topic {
    Topic::parse(name).unwrap()
}

fn client(sim: &SimHandle) -> YouTubeClient {
    YouTubeClient::new(quick_retries(&sim.base_url, 1)).unwrap()
}

async fn store() -> DynamoStore {
    fresh_store().await
}

fn settings() -> FetchSettings {
    FetchSettings {
        lease_ttl: StdDuration::from_secs(60),
        ..Default::default()
    }
}

/// Four distinct key values; the last has the greatest fingerprint, so a ring that breaks
/// ties by fingerprint tries it last (the worst case for wasted calls).
fn four_keys(tag: &str) -> [String; 4] {
    let mut v: Vec<String> = (0..4)
        .map(|i| format!("AIzaSy{tag}-test-key-{i}-0123456789abcdef"))
        .collect();
    v.sort_by_key(|k| Fingerprint::of(k));
    [v[0].clone(), v[1].clone(), v[2].clone(), v[3].clone()]
}

fn calls_of(sim: &SimControl, key: &str) -> u64 {
    sim.calls().per_key.get(key).copied().unwrap_or(0)
}

#[tokio::test]
async fn a_secret_with_one_key_of_each_failure_runs_on_the_good_one_and_spares_the_bad_ones() {
    let [legacy, per_day, invalid, good] = four_keys("rot");
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        valid_keys: vec![legacy.clone(), per_day.clone(), good.clone()],
        quota_error: QuotaErrorShape::Legacy403,
        quota_error_by_key: BTreeMap::from([(per_day.clone(), QuotaErrorShape::PerDay429)]),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    ctl.set_key_calls_left(&legacy, 0);
    ctl.set_key_calls_left(&per_day, 0);
    ctl.add_burst(
        "cricket",
        30,
        t0() - Duration::minutes(30),
        Duration::minutes(1),
    );

    let sm = secretsmanager_client();
    let secret = fresh_secret(
        &sm,
        &serde_json::json!({ "keys": [legacy, per_day, invalid, good], "owner": "ops" })
            .to_string(),
    )
    .await;
    let store = store().await;
    let ring = DynamoKeyRing::new(
        store.clone(),
        SecretsManagerKeySource::new(sm.clone(), secret.clone(), StdDuration::from_secs(300)),
        100,
    );
    let fetcher = Fetcher::new(client(&sim), store.clone(), ring, settings());

    let first = fetcher.run(&[topic("cricket")], ctl.now()).await;
    assert!(first.ok, "{first:?}");
    let t = &first.topics[0];
    assert_eq!(t.new, 30, "{t:?}");
    assert!(t.skipped.is_none(), "{t:?}");
    for bad in [&legacy, &per_day, &invalid] {
        assert_eq!(calls_of(&ctl, bad), 1, "one call to learn each bad key");
    }
    assert_eq!(
        u64::from(t.calls),
        ctl.calls().total,
        "the summary counts the failed calls too"
    );

    let statuses = fetcher.keys.statuses(ctl.now()).await.unwrap();
    let state_of = |k: &str| {
        statuses
            .iter()
            .find(|s| s.fingerprint == Fingerprint::of(k))
            .unwrap()
            .state
    };
    let reset = next_pacific_midnight(ctl.now());
    assert_eq!(state_of(&legacy), KeyState::Exhausted { until: reset });
    assert_eq!(state_of(&per_day), KeyState::Exhausted { until: reset });
    assert_eq!(state_of(&invalid), KeyState::Invalid);
    assert_eq!(state_of(&good), KeyState::Available);

    // The rest of the day: new videos keep coming, only the good key is ever called.
    for _ in 0..6 {
        ctl.advance(Duration::minutes(45));
        ctl.add_burst(
            "cricket",
            3,
            ctl.now() - Duration::minutes(3),
            Duration::minutes(1),
        );
        let s = fetcher.run(&[topic("cricket")], ctl.now()).await;
        assert!(s.ok, "{s:?}");
        assert!(s.topics[0].skipped.is_none(), "{s:?}");
        assert_eq!(s.topics[0].new, 3, "{s:?}");
    }
    for bad in [&legacy, &per_day, &invalid] {
        assert_eq!(
            calls_of(&ctl, bad),
            1,
            "a bad key was called again before its time"
        );
    }
    assert!(calls_of(&ctl, &good) >= 7);

    // After the Pacific midnight reset the exhausted keys are back (the invalid one is not:
    // the key list has not changed).
    let until_reset = next_pacific_midnight(ctl.now()) - ctl.now();
    ctl.advance(until_reset + Duration::minutes(5));
    let s = fetcher.run(&[topic("cricket")], ctl.now()).await;
    assert!(s.ok, "{s:?}");
    assert_eq!(calls_of(&ctl, &invalid), 1);
    assert!(
        calls_of(&ctl, &legacy) + calls_of(&ctl, &per_day) > 2,
        "the reset keys are used again (they have the most budget left)"
    );

    // A changed key list gives the invalid key one more chance.
    fetcher
        .keys
        .source()
        .add(ApiKey::new("AIzaSyrot-a-fifth-key-0000000000000"))
        .await
        .unwrap();
    let statuses = fetcher.keys.statuses(ctl.now()).await.unwrap();
    assert_eq!(statuses.len(), 5);
    assert!(
        statuses
            .iter()
            .all(|s| !matches!(s.state, KeyState::Invalid)),
        "{statuses:?}"
    );
    // The secret kept its shape and its other fields.
    let text = sm
        .get_secret_value()
        .secret_id(&secret)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["owner"], "ops");
    assert_eq!(v["keys"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn with_every_key_spent_two_runs_spend_at_most_one_call_then_none() {
    let key = "AIzaSyspent-the-only-key-000000000000";
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        valid_keys: vec![key.to_owned()],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    ctl.set_key_calls_left(key, 0);
    ctl.add_burst(
        "cricket",
        5,
        t0() - Duration::minutes(5),
        Duration::minutes(1),
    );
    let store = store().await;
    let fetcher = Fetcher::new(
        client(&sim),
        store.clone(),
        DynamoKeyRing::new(
            store.clone(),
            EnvKeySource::new(vec![ApiKey::new(key)]),
            100,
        ),
        settings(),
    );
    let reset = next_pacific_midnight(t0());
    let mut spent = Vec::new();
    for _ in 0..2 {
        let before = ctl.calls().total;
        let s: CycleSummary = fetcher.run(&[topic("cricket")], ctl.now()).await;
        assert!(s.ok, "quietly, exit 0: {s:?}");
        assert_eq!(
            s.topics[0].skipped,
            Some(SkipReason::NoKeyAvailable {
                next_key_at: Some(reset)
            }),
            "{s:?}"
        );
        spent.push(ctl.calls().total - before);
        ctl.advance(Duration::minutes(30));
    }
    assert_eq!(spent, vec![1, 0]);

    // Spent by our own count (the table's), YouTube is never asked.
    let keys = [
        "AIzaSyspent-own-count-a-00000000000",
        "AIzaSyspent-own-count-b-00000000000",
    ];
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        valid_keys: keys.iter().map(|k| k.to_string()).collect(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    ctl.add_burst(
        "cricket",
        5,
        t0() - Duration::minutes(5),
        Duration::minutes(1),
    );
    let fetcher = Fetcher::new(
        client(&sim),
        store.clone(),
        DynamoKeyRing::new(
            store.clone(),
            EnvKeySource::new(keys.iter().map(|k| ApiKey::new(k)).collect()),
            3,
        ),
        settings(),
    );
    // Earlier runs (here: reservations made directly) spent the pool: 2 keys × 3 calls.
    for _ in 0..6 {
        assert!(matches!(
            fetcher.keys.acquire(ctl.now()).await.unwrap(),
            Acquired::Key(_)
        ));
    }
    for _ in 0..2 {
        ctl.advance(Duration::hours(1));
        ctl.add_video(youtube_sim::NewVideo::new("cricket", ctl.now()));
        let s = fetcher.run(&[topic("cricket")], ctl.now()).await;
        assert!(s.ok, "{s:?}");
        assert_eq!(s.topics[0].calls, 0);
        assert!(
            matches!(
                s.topics[0].skipped,
                Some(SkipReason::NoKeyAvailable { next_key_at: Some(t) }) if t == reset
            ),
            "{s:?}"
        );
        let budget = s.budget.as_ref().unwrap();
        // Spent keys are not "usable": the summary agrees with the calls left.
        assert_eq!((budget.keys_usable, budget.calls_left_today), (0, 0));
    }
    assert_eq!(ctl.calls().total, 0, "YouTube is never asked");
}

/// A key exhausted in the evening comes back at the next local midnight, on both sides of
/// both daylight-saving changes of 2026 in Los Angeles.
#[tokio::test]
async fn an_exhausted_key_comes_back_at_the_right_instant_across_dst() {
    let cases = [
        // Evening of 7 March (PST) → midnight 8 March PST, the day clocks spring forward.
        ("2026-03-08T05:30:00Z", "2026-03-08T08:00:00Z"),
        // Evening of 8 March (already PDT) → midnight 9 March PDT: only 23 h after the last.
        ("2026-03-09T04:30:00Z", "2026-03-09T07:00:00Z"),
        // Evening of 31 October (PDT) → midnight 1 November PDT, the day clocks fall back.
        ("2026-11-01T04:30:00Z", "2026-11-01T07:00:00Z"),
        // Evening of 1 November (PST again) → midnight 2 November PST: 25 h after the last.
        ("2026-11-02T05:30:00Z", "2026-11-02T08:00:00Z"),
    ];
    let store = store().await;
    for (i, (evening, back)) in cases.iter().enumerate() {
        let key = ApiKey::new(&format!("AIzaSydst-{i}-000000000000000000"));
        let ring = DynamoKeyRing::new(store.clone(), EnvKeySource::new(vec![key.clone()]), 100);
        let (evening, back) = (utc(evening), utc(back));
        let Acquired::Key(k) = ring.acquire(evening).await.unwrap() else {
            panic!("usable at first")
        };
        ring.report(k.fingerprint(), KeyOutcome::Exhausted, evening)
            .await
            .unwrap();
        match ring.acquire(back - Duration::seconds(1)).await.unwrap() {
            Acquired::NoneUsable { next_usable_at } => {
                assert_eq!(next_usable_at, Some(back), "case {i}")
            }
            Acquired::Key(_) => panic!("case {i}: usable one second early"),
        }
        assert!(
            matches!(ring.acquire(back).await.unwrap(), Acquired::Key(_)),
            "case {i}: usable at {back}"
        );
        // The count restarted for the new Pacific day.
        let st = ring.statuses(back).await.unwrap();
        assert_eq!(st[0].calls_today, 1, "case {i}");
    }
}

#[tokio::test]
async fn a_short_term_429_rests_a_key_for_a_minute_only() {
    let store = store().await;
    let a = ApiKey::new("AIzaSyrate-a-0000000000000000000");
    let b = ApiKey::new("AIzaSyrate-b-0000000000000000000");
    let ring = DynamoKeyRing::new(store, EnvKeySource::new(vec![a.clone(), b.clone()]), 100);
    let now = t0();
    let Acquired::Key(first) = ring.acquire(now).await.unwrap() else {
        panic!()
    };
    ring.report(first.fingerprint(), KeyOutcome::RateLimited, now)
        .await
        .unwrap();
    let Acquired::Key(second) = ring.acquire(now).await.unwrap() else {
        panic!()
    };
    assert_ne!(
        first.fingerprint(),
        second.fingerprint(),
        "retried on the other key"
    );
    let st = ring.statuses(now).await.unwrap();
    let rested = st
        .iter()
        .find(|s| &s.fingerprint == first.fingerprint())
        .unwrap();
    assert_eq!(
        rested.state,
        KeyState::RateLimited {
            until: now + Duration::seconds(60)
        }
    );
    // Both rate-limited: none usable, back in a minute.
    ring.report(second.fingerprint(), KeyOutcome::RateLimited, now)
        .await
        .unwrap();
    match ring.acquire(now).await.unwrap() {
        Acquired::NoneUsable { next_usable_at } => {
            assert_eq!(next_usable_at, Some(now + Duration::seconds(60)))
        }
        Acquired::Key(k) => panic!("{k:?}"),
    }
    assert!(matches!(
        ring.acquire(now + Duration::seconds(61)).await.unwrap(),
        Acquired::Key(_)
    ));
}

#[tokio::test]
async fn many_concurrent_acquires_keep_exact_counts() {
    let store = store().await;
    let keys: Vec<ApiKey> = (0..3)
        .map(|i| ApiKey::new(&format!("AIzaSyconc-{i}-000000000000000")))
        .collect();
    // Two rings over one table, as two Lambda invocations would have.
    let rings: Vec<Arc<DynamoKeyRing<EnvKeySource>>> = (0..2)
        .map(|_| {
            Arc::new(DynamoKeyRing::new(
                store.clone(),
                EnvKeySource::new(keys.clone()),
                20,
            ))
        })
        .collect();
    let now = t0();
    let mut tasks = Vec::new();
    for i in 0..75 {
        let ring = rings[i % 2].clone();
        tasks.push(tokio::spawn(async move { ring.acquire(now).await }));
    }
    let mut got: BTreeMap<Fingerprint, u32> = BTreeMap::new();
    let mut none = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            Acquired::Key(k) => *got.entry(k.fingerprint().clone()).or_default() += 1,
            Acquired::NoneUsable { .. } => none += 1,
        }
    }
    assert_eq!(
        none, 15,
        "3 keys × 20 calls = 60 reservations, no more: {got:?}"
    );
    assert!(got.values().all(|n| *n == 20), "{got:?}");
    let st = rings[0].statuses(now).await.unwrap();
    assert!(st.iter().all(|s| s.calls_today == 20), "{st:?}");
}

#[tokio::test]
async fn two_concurrent_runs_keep_exact_call_counts() {
    let keys = [
        "AIzaSytwo-runs-a-000000000000000",
        "AIzaSytwo-runs-b-000000000000000",
    ];
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        topics: vec!["cricket".into(), "football".into()],
        valid_keys: keys.iter().map(|k| k.to_string()).collect(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    ctl.add_burst(
        "cricket",
        120,
        t0() - Duration::minutes(40),
        Duration::seconds(20),
    );
    ctl.add_burst(
        "football",
        160,
        t0() - Duration::minutes(40),
        Duration::seconds(15),
    );
    let store = store().await;
    let make = || {
        Fetcher::new(
            client(&sim),
            store.clone(),
            DynamoKeyRing::new(
                store.clone(),
                EnvKeySource::new(keys.iter().map(|k| ApiKey::new(k)).collect()),
                100,
            ),
            settings(),
        )
    };
    let (a, b) = (make(), make());
    let (ta, tb) = ([topic("cricket")], [topic("football")]);
    let (ra, rb) = tokio::join!(a.run(&ta, ctl.now()), b.run(&tb, ctl.now()));
    assert!(ra.ok && rb.ok, "{ra:?} {rb:?}");
    let st = a.keys.statuses(ctl.now()).await.unwrap();
    let counted: u64 = st.iter().map(|s| u64::from(s.calls_today)).sum();
    assert_eq!(counted, ctl.calls().total, "{st:?}");
    assert_eq!(
        u64::from(ra.topics[0].calls + rb.topics[0].calls),
        ctl.calls().total
    );
    assert!(ctl.calls().total >= 2);
}

#[tokio::test]
async fn the_secret_source_caches_reads_and_reports_malformed_secrets_by_name_only() {
    let sm = secretsmanager_client();
    let k1 = "AIzaSycache-first-00000000000000000";
    let k2 = "AIzaSycache-second-0000000000000000";
    let id = fresh_secret(&sm, &serde_json::json!([k1]).to_string()).await;
    let cached = SecretsManagerKeySource::new(sm.clone(), id.clone(), StdDuration::from_secs(300));
    let uncached = SecretsManagerKeySource::new(sm.clone(), id.clone(), StdDuration::ZERO);
    assert_eq!(cached.load().await.unwrap().len(), 1);
    sm.put_secret_value()
        .secret_id(&id)
        .secret_string(serde_json::json!([k1, k2]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        cached.load().await.unwrap().len(),
        1,
        "served from the cache"
    );
    assert_eq!(uncached.load().await.unwrap().len(), 2, "read afresh");

    // add/remove keep the array shape.
    let removed = uncached.remove(&Fingerprint::of(k1)).await.unwrap();
    assert_eq!(
        removed,
        tubefeed_core::Removed::Removed(Fingerprint::of(k1))
    );
    let text = sm
        .get_secret_value()
        .secret_id(&id)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    assert_eq!(text, serde_json::json!([k2]).to_string());

    // Malformed: the error names the secret and shows none of its contents.
    sm.put_secret_value()
        .secret_id(&id)
        .secret_string(format!("{k1},{k2}"))
        .send()
        .await
        .unwrap();
    let e = uncached.load().await.unwrap_err().to_string();
    assert!(e.contains(&id), "{e}");
    assert!(!e.contains("AIza") && !e.contains("cache-first"), "{e}");

    let missing = SecretsManagerKeySource::new(sm, "no-such-secret", StdDuration::ZERO);
    let e = missing.load().await.unwrap_err().to_string();
    assert!(
        e.contains("no-such-secret") && e.contains("not found"),
        "{e}"
    );
}

#[tokio::test]
async fn the_pool_counts_for_health_come_from_the_table_alone() {
    let store = store().await;
    let keys: Vec<ApiKey> = (0..4)
        .map(|i| ApiKey::new(&format!("AIzaSyhealth-{i}-00000000000000")))
        .collect();
    let ring = DynamoKeyRing::new(store.clone(), EnvKeySource::new(keys.clone()), 100);
    let now = t0();
    assert_eq!(store.key_pool_counts(now).await.unwrap().total, 0);
    ring.open_run(tubefeed_core::budget::PollPrice::whole(2), now)
        .await
        .unwrap();
    ring.report(keys[0].fingerprint(), KeyOutcome::Exhausted, now)
        .await
        .unwrap();
    ring.report(keys[1].fingerprint(), KeyOutcome::Invalid, now)
        .await
        .unwrap();
    ring.report(keys[2].fingerprint(), KeyOutcome::RateLimited, now)
        .await
        .unwrap();
    let c = store.key_pool_counts(now).await.unwrap();
    assert_eq!(
        (c.total, c.available, c.exhausted, c.invalid, c.rate_limited),
        (4, 1, 1, 1, 1)
    );
}

#[tokio::test]
async fn the_daily_budget_paces_runs_and_lets_a_burst_finish() {
    let key = "AIzaSypaced-one-key-0000000000000000";
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        valid_keys: vec![key.to_owned()],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let ctl = sim.control();
    ctl.add_burst(
        "cricket",
        20,
        t0() - Duration::minutes(20),
        Duration::minutes(1),
    );
    let store = store().await;
    let fetcher = Fetcher::new(
        client(&sim),
        store.clone(),
        DynamoKeyRing::new(
            store.clone(),
            EnvKeySource::new(vec![ApiKey::new(key)]),
            100,
        ),
        settings(),
    );
    let first = fetcher.run(&[topic("cricket")], ctl.now()).await;
    assert!(first.ok && first.topics[0].skipped.is_none(), "{first:?}");
    let b = first.budget.as_ref().unwrap();
    // 100 calls over the 20 h left, one call a poll (the sweep folds into a quiet topic's
    // head): one poll every 12 min.
    assert_eq!(b.effective_interval_seconds, Some(720));

    // A minute later the topic is not due: it was just polled and fills little of a page.
    ctl.advance(Duration::minutes(1));
    let before = ctl.calls().total;
    let early = fetcher.run(&[topic("cricket")], ctl.now()).await;
    assert!(
        matches!(early.topics[0].skipped, Some(SkipReason::NotDue { .. })),
        "{early:?}"
    );
    // Six minutes on it is due, but the pool cannot afford a poll: nothing is spent.
    ctl.advance(Duration::minutes(5));
    let paced = fetcher.run(&[topic("cricket")], ctl.now()).await;
    assert!(paced.ok, "{paced:?}");
    let Some(SkipReason::Paced { next_poll_at }) = paced.topics[0].skipped else {
        panic!("{paced:?}")
    };
    // The first run spent its one call; the next is due when one more call has accrued:
    // 12 minutes after the first run at this pace.
    assert!(
        next_poll_at > ctl.now() + Duration::minutes(5)
            && next_poll_at < ctl.now() + Duration::minutes(7),
        "{next_poll_at}"
    );
    assert_eq!(ctl.calls().total, before);

    // Half an hour on, 300 new videos (six pages): one run reads them all, borrowing.
    ctl.advance(Duration::minutes(30));
    ctl.add_burst(
        "cricket",
        300,
        ctl.now() - Duration::seconds(299),
        Duration::seconds(1),
    );
    let burst = fetcher.run(&[topic("cricket")], ctl.now()).await;
    assert!(burst.ok, "{burst:?}");
    assert_eq!(burst.topics[0].new, 300, "{burst:?}");
    assert!(
        burst.topics[0].skipped.is_none(),
        "the burst finished: {burst:?}"
    );
    // The debt is repaid by waiting: the next half hour does not poll.
    ctl.advance(Duration::minutes(30));
    let after = fetcher.run(&[topic("cricket")], ctl.now()).await;
    assert!(
        matches!(after.topics[0].skipped, Some(SkipReason::Paced { .. })),
        "{after:?}"
    );
}
