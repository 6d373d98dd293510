//! The fetch logic's scenarios on the in-memory fakes: no Java, no network, milliseconds each.
//! The same scenarios against DynamoDB Local and the HTTP simulator live in crates/app/tests;
//! these pin the logic itself.

use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::fakes::{MemSource, MemStore};
use tubefeed_core::{
    ApiKey, BudgetPolicy, CycleSummary, FetchSettings, FetchStateStore, Fetcher, SkipReason,
    StaticKeyRing, Topic, TopicSummary,
};

type Fake = Fetcher<MemSource, MemStore, MemStore, StaticKeyRing>;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .unwrap()
}

fn topic() -> Topic {
    Topic::parse("cricket").unwrap()
}

fn fetcher(source: &MemSource, keys: &[&str], settings: FetchSettings) -> Fake {
    let store = MemStore::default();
    Fetcher::new(
        source.clone(),
        store,
        StaticKeyRing::new(keys.iter().map(|k| ApiKey::new(k)).collect(), 100_000),
        settings,
    )
}

async fn run(f: &Fake) -> TopicSummary {
    let s: CycleSummary = f.run(&[topic()], f.source.now()).await;
    assert!(s.ok, "{s:?}");
    s.topics[0].clone()
}

/// Every video of the topic that the source shows now is stored, once.
fn all_stored(f: &Fake) -> bool {
    let stored = f.videos.videos(&topic());
    let mut ids: Vec<_> = stored.iter().map(|v| v.id.clone()).collect();
    ids.dedup();
    let want = f
        .source
        .all("cricket")
        .into_iter()
        .filter(|v| v.published_at <= f.source.now());
    ids.len() == stored.len()
        && want
            .into_iter()
            .all(|v| stored.iter().any(|s| s.id == v.id))
}

#[tokio::test]
async fn a_first_run_backfills_and_the_next_reads_only_what_is_new() {
    let src = MemSource::new(t0());
    src.add_burst(
        "cricket",
        120,
        t0() - Duration::hours(2),
        Duration::minutes(1),
    );
    let f = fetcher(&src, &["k1"], FetchSettings::default());
    let first = run(&f).await;
    assert_eq!((first.new, first.pages), (120, 3), "{first:?}");
    src.advance(Duration::minutes(1));
    src.add("cricket", src.now() - Duration::seconds(20));
    let second = run(&f).await;
    assert_eq!((second.new, second.pages), (1, 1), "{second:?}");
    assert!(all_stored(&f));
}

#[tokio::test]
async fn a_burst_bigger_than_a_run_leaves_a_gap_the_next_run_closes() {
    let src = MemSource::new(t0());
    src.add_burst(
        "cricket",
        10,
        t0() - Duration::hours(1),
        Duration::minutes(1),
    );
    let settings = FetchSettings {
        max_pages_per_topic: 3,
        ..FetchSettings::default()
    };
    let f = fetcher(&src, &["k1"], settings);
    run(&f).await;
    let w0 = f.state.load(&topic()).await.unwrap().watermark.unwrap();
    src.advance(Duration::minutes(5));
    src.add_burst(
        "cricket",
        260,
        src.now() - Duration::minutes(4),
        Duration::seconds(1),
    );
    let cut = run(&f).await;
    assert_eq!(cut.skipped, Some(SkipReason::PageBudget), "{cut:?}");
    let st = f.state.load(&topic()).await.unwrap();
    assert_eq!(st.watermark, Some(w0), "the watermark waits for the gap");
    assert!(st.gap.is_some());
    src.advance(Duration::minutes(1));
    let mut runs = 0;
    while f.state.load(&topic()).await.unwrap().gap.is_some() {
        run(&f).await;
        runs += 1;
        assert!(runs < 10, "the gap never closed");
    }
    assert!(all_stored(&f), "nothing lost across the gap");
}

#[tokio::test]
async fn videos_repeated_across_pages_are_written_and_counted_once() {
    let src = MemSource::new(t0());
    src.repeat_across_pages(true);
    src.add_burst(
        "cricket",
        140,
        t0() - Duration::hours(3),
        Duration::minutes(1),
    );
    let f = fetcher(&src, &["k1"], FetchSettings::default());
    let s = run(&f).await;
    assert_eq!(s.new, 140, "{s:?}");
    assert_eq!(f.videos.videos(&topic()).len(), 140);
}

#[tokio::test]
async fn a_range_beyond_the_result_cap_is_read_in_chunks() {
    let src = MemSource::new(t0());
    src.add_burst(
        "cricket",
        1_200,
        t0() - Duration::hours(20),
        Duration::minutes(1),
    );
    let settings = FetchSettings {
        backfill_pages: 30,
        max_pages_per_topic: 30,
        ..FetchSettings::default()
    };
    let f = fetcher(&src, &["k1"], settings);
    let s = run(&f).await;
    // 24 pages of 50 hold 1,200 videos; each ~500 chunk re-reads its boundary video.
    assert!((1_198..=1_200).contains(&s.new), "{s:?}");
    assert!(s.pages >= 24 && s.pages <= 26, "{s:?}");
    assert!(all_stored(&f));
}

#[tokio::test]
async fn late_indexed_videos_are_swept_up_after_their_delay() {
    let src = MemSource::new(t0());
    src.add_burst(
        "cricket",
        30,
        t0() - Duration::hours(1),
        Duration::minutes(2),
    );
    let f = fetcher(&src, &["k1"], FetchSettings::default());
    run(&f).await;
    // Published a minute ago, searchable only four minutes after that.
    let at = src.now() + Duration::minutes(1);
    let late = src.add_indexed_at("cricket", at, at + Duration::minutes(4));
    let mut stored_at = None;
    for minute in 1..=20 {
        src.advance(Duration::minutes(1));
        if minute == 2 {
            src.add("cricket", src.now() - Duration::seconds(10));
        }
        run(&f).await;
        if stored_at.is_none() && f.videos.videos(&topic()).iter().any(|v| v.id == late) {
            stored_at = Some(minute);
        }
    }
    let m = stored_at.expect("the late video was never stored");
    assert!((5..=7).contains(&m), "stored at minute {m}");
    assert!(all_stored(&f));
}

#[tokio::test]
async fn a_backfill_cut_short_resumes_in_later_runs() {
    let src = MemSource::new(t0());
    src.add_burst(
        "cricket",
        500,
        t0() - Duration::hours(10),
        Duration::minutes(1),
    );
    let settings = FetchSettings {
        backfill_pages: 8,
        max_pages_per_topic: 3,
        ..FetchSettings::default()
    };
    let f = fetcher(&src, &["k1"], settings);
    let first = run(&f).await;
    assert_eq!(first.backfill_pages_left, Some(5), "{first:?}");
    let mut left = vec![5];
    for _ in 0..5 {
        src.advance(Duration::minutes(1));
        let s = run(&f).await;
        left.push(s.backfill_pages_left.unwrap_or(0));
        if s.backfill_pages_left.is_none() {
            break;
        }
    }
    assert!(
        left.windows(2).all(|w| w[1] < w[0]),
        "pages left fall every run: {left:?}"
    );
    assert_eq!(f.state.load(&topic()).await.unwrap().backfill, None);
    // Eight pages of history: 150 in the first run, then 2 + 2 + 1 pages beside each run's
    // head, each resumed read starting at (and so re-reading) the oldest video before it.
    assert_eq!(f.videos.videos(&topic()).len(), 400 - 3);
}

#[tokio::test]
async fn an_exhausted_key_rotates_and_none_left_spends_nothing() {
    let src = MemSource::new(t0());
    src.add_burst(
        "cricket",
        60,
        t0() - Duration::hours(1),
        Duration::minutes(1),
    );
    src.set_calls_left("spent", 0);
    src.make_invalid("bad");
    let f = fetcher(&src, &["spent", "bad", "good"], FetchSettings::default());
    let s = run(&f).await;
    assert_eq!(s.new, 60, "{s:?}");
    assert_eq!(
        (src.calls_of("spent"), src.calls_of("bad")),
        (1, 1),
        "each bad key once"
    );
    src.set_calls_left("good", 0);
    src.advance(Duration::minutes(10));
    let out = f.run(&[topic()], src.now()).await;
    assert!(
        out.ok
            && matches!(
                out.topics[0].skipped,
                Some(SkipReason::NoKeyAvailable { .. })
            ),
        "{out:?}"
    );
    let before = src.calls();
    let again = f.run(&[topic()], src.now() + Duration::minutes(1)).await;
    assert!(matches!(
        again.topics[0].skipped,
        Some(SkipReason::NoKeyAvailable { .. })
    ));
    assert_eq!(
        src.calls(),
        before,
        "no call is made once every key is known spent"
    );
}

#[tokio::test]
async fn a_scarce_pool_paces_a_topic_and_a_burst_borrows() {
    let src = MemSource::new(t0());
    src.add_burst(
        "cricket",
        20,
        t0() - Duration::minutes(20),
        Duration::minutes(1),
    );
    let store = MemStore::default();
    let f = Fetcher::new(
        src.clone(),
        store,
        StaticKeyRing::new(vec![ApiKey::new("k1")], 100).with_budget(BudgetPolicy::new(100)),
        FetchSettings::default(),
    );
    assert!(
        f.run(&[topic()], src.now()).await.topics[0]
            .skipped
            .is_none()
    );
    src.advance(Duration::minutes(1));
    let early = f.run(&[topic()], src.now()).await;
    assert!(
        matches!(early.topics[0].skipped, Some(SkipReason::NotDue { .. })),
        "{early:?}"
    );
    src.advance(Duration::minutes(5));
    let paced = f.run(&[topic()], src.now()).await;
    assert!(
        matches!(paced.topics[0].skipped, Some(SkipReason::Paced { .. })),
        "{paced:?}"
    );
    src.advance(Duration::minutes(30));
    src.add_burst(
        "cricket",
        300,
        src.now() - Duration::seconds(299),
        Duration::seconds(1),
    );
    let burst = f.run(&[topic()], src.now()).await;
    assert_eq!(
        (burst.topics[0].new, burst.topics[0].skipped.clone()),
        (300, None),
        "{burst:?}"
    );
}
