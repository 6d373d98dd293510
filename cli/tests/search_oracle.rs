//! The search oracle: a seeded dataset of 5,000 videos in many scripts is stored through the
//! fetcher's write path, then hundreds of generated queries are walked to the end through the
//! real `tubefeed serve`. Every walk must return exactly the set a brute-force scan of the
//! dataset finds with the matching rules of `tubefeed_core::text`, newest first, each video
//! once. The rules are one definition; what is tested here is everything between them and the
//! client: prefix keys, partitions, filters, the driver choice, cursors and page tokens.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use fastrand::Rng;
use serde_json::Value;
use tubefeed_core::text::{decode_title, index_words, matches, query_terms};
use tubefeed_core::{ChannelId, Topic, Video, VideoId, VideoStore};
use tubefeed_dynamo::DynamoStore;
use tubefeed_testkit::{dynamodb_client, fresh_table};

/// Enough for every search partition to hold thousands of entries and for most queries to
/// need several pages; writing it is most of this test's time (DynamoDB Local takes each
/// batch in turn), so not more.
const VIDEOS: usize = 5_000;
const QUERIES: usize = 320;

/// Words as people write them, in the scripts the product meets. Some are HTML-escaped the way
/// YouTube escapes titles; `decode_title` turns them back as ingestion does.
const POOLS: &[&[&str]] = &[
    &[
        "cricket",
        "wicket",
        "wickets",
        "wicketkeeper",
        "highlights",
        "highlight",
        "high",
        "higher",
        "match",
        "matches",
        "final",
        "finals",
        "tea",
        "how",
        "make",
        "making",
        "world",
        "cup",
        "batting",
        "bowler",
        "bowling",
        "catch",
        "catches",
        "century",
        "innings",
        "over",
        "overs",
        "run",
        "runs",
        "stumped",
        "spin",
        "spinner",
        "pace",
        "boundary",
        "six",
        "sixes",
        "score",
        "scorecard",
        "live",
        "news",
        "today",
        "team",
        "captain",
        "press",
        "conference",
        "review",
        "analysis",
        "test",
        "series",
        "league",
        "premier",
        "champions",
        "trophy",
        "drama",
        "thriller",
        "replay",
        "moments",
        "best",
        "funniest",
        "fails",
        "guide",
        "beginner",
        "tactics",
        "explained",
        "squad",
        "injury",
        "update",
        "season",
        "record",
        "fastest",
        "slowest",
        "debut",
        "farewell",
        "legend",
        "legends",
        "crowd",
        "stadium",
        // Longer than the 16-character prefix keys, sharing their first 16 characters.
        "counterrevolutionary",
        "counterrevolutionaries",
        "counterrevolution",
    ],
    &[
        "a", "an", "in", "of", "to", "is", "at", "on", "vs", "I", "x", "3", "10", "50th", "2026",
    ],
    &[
        "Kohli's",
        "Kohli",
        "O'Brien",
        "D’Souza",
        "Smith's",
        "Root's",
        "rock'n'roll",
        "Lord's",
        "Can't",
        "won't",
        "we'll",
    ],
    &[
        "Café",
        "crème",
        "García",
        "Müller",
        "São",
        "Paulo",
        "Zürich",
        "naïve",
        "résumé",
        "Ångström",
        "Šimon",
        "Łódź",
        "Ibrahimović",
        "FRANÇOIS",
        "Ölümüne",
    ],
    &[
        "Αθήνα",
        "Ολυμπιακός",
        "ΚΑΦΈ",
        "Москва",
        "Ёлка",
        "Спартак",
        "Щит",
    ],
    &[
        "क्रिकेट",
        "मैच",
        "हाइलाइट्स",
        "भारत",
        "बनाम",
        "ऑस्ट्रेलिया",
        "आज",
        "खेल",
        "समाचार",
        "ज़िंदगी",
        "शानदार",
    ],
    &[
        "東京",
        "大阪",
        "の",
        "夜",
        "試合",
        "クリケット",
        "ハイライト",
        "ライブ",
        "配信",
        "スーパープレー",
    ],
    &[
        "ملخص",
        "مباراة",
        "الرياضة",
        "اليوم",
        "كرة",
        "القدم",
        "مباشر",
    ],
    &[
        "T20-World",
        "run-out",
        "all-rounder",
        "semi-final",
        "day-night",
        "e-sports",
    ],
    &["🔥", "🏏", "😱", "🔴", "#shorts", "|", "—", "!!", "?"],
    &[
        "Rock &amp; Roll",
        "&quot;GOAT&quot;",
        "&lt;live&gt;",
        "It&#39;s",
        "Fish &amp;amp; chips",
    ],
];

fn pick<'a>(rng: &mut Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}

fn phrase(rng: &mut Rng, words: usize) -> String {
    let mut out: Vec<String> = Vec::with_capacity(words);
    for _ in 0..words {
        let pool = POOLS[rng.usize(..POOLS.len())];
        let w = pick(rng, pool);
        out.push(match rng.u8(..10) {
            0 => w.to_uppercase(),
            1 => {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
            _ => w.to_owned(),
        });
    }
    out.join(" ")
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap()
}

fn dataset(rng: &mut Rng) -> Vec<Video> {
    (0..VIDEOS)
        .map(|i| {
            let words = rng.usize(3..9);
            let desc_words = [0, 0, 2, 4, 6][rng.usize(..5)];
            Video {
                id: VideoId::parse(&format!("o{i:010}")).unwrap(),
                // Titles arrive HTML-escaped and are decoded once, as the YouTube client does.
                title: decode_title(&phrase(rng, words)),
                description: phrase(rng, desc_words),
                // Some share a publication second, so the id breaks ties.
                published_at: t0() + Duration::seconds((i as i64) * 7 - (i as i64 % 3)),
                channel_id: ChannelId::parse(&format!("UCchan{:02}", rng.usize(..12))).unwrap(),
                channel_title: "Channel".into(),
                thumbnails: Default::default(),
                live_broadcast_content: Default::default(),
                details: None,
            }
        })
        .collect()
}

/// A query as a person might type it for a video they saw: some of its words, cut short,
/// re-cased, accents added or dropped, reordered, possessive or plural.
fn query_for(rng: &mut Rng, v: &Video) -> String {
    let words: Vec<String> = v
        .title
        .split_whitespace()
        .chain(v.description.split_whitespace())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(str::to_owned)
        .collect();
    if words.is_empty() {
        return "cricket".into();
    }
    let n = rng.usize(1..=3);
    let mut out: Vec<String> = Vec::new();
    for _ in 0..n {
        let w = &words[rng.usize(..words.len())];
        let chars: Vec<char> = w.chars().collect();
        let cut = if chars.len() > 2 {
            rng.usize(2..=chars.len())
        } else {
            chars.len()
        };
        let mut q: String = chars[..cut].iter().collect();
        match rng.u8(..12) {
            0 => q = q.to_uppercase(),
            1 => q = q.to_lowercase(),
            2 => q = q.replace('e', "é").replace('a', "á"),
            3 => q = q.replace('é', "e").replace('ü', "u").replace('ç', "c"),
            4 => q.push_str("'s"),
            5 => q.push('s'),
            6 => q.push('’'),
            _ => {}
        }
        out.push(q);
    }
    if rng.bool() {
        out.reverse();
    }
    // Now and then a word from elsewhere, so that some queries match nothing.
    if rng.u8(..8) == 0 {
        out.push(pick(rng, POOLS[0]).to_owned());
    }
    out.join(" ")
}

fn encode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

#[tokio::test]
async fn every_generated_query_returns_exactly_what_brute_force_finds() {
    let mut rng = Rng::with_seed(0x7ab3_feed);
    let videos = dataset(&mut rng);
    let client = dynamodb_client();
    let table = fresh_table(&client).await;
    let store = DynamoStore::new(client, table.clone());
    let topic = Topic::parse("cricket").unwrap();
    for chunk in videos.chunks(500) {
        let o = store.upsert(&topic, chunk, t0()).await.unwrap();
        assert_eq!(o.new, chunk.len());
    }
    let (_server, base) = common::start_serve(&table, "cricket").await;
    let http = tubefeed_testkit::http_client();

    // Newest first: descending publication time, then descending id (the feed key's order).
    let mut newest_first: Vec<&Video> = videos.iter().collect();
    newest_first
        .sort_by(|a, b| (b.published_at, b.id.as_str()).cmp(&(a.published_at, a.id.as_str())));
    let indexed: Vec<Vec<String>> = newest_first
        .iter()
        .map(|v| index_words(&v.title, &v.description))
        .collect();

    let (mut empty, mut pages, mut results) = (0, 0, 0);
    for n in 0..QUERIES {
        let seed_video = &videos[rng.usize(..videos.len())];
        let q = query_for(&mut rng, seed_video);
        let terms = query_terms(&q);
        let expected: Vec<&str> = newest_first
            .iter()
            .zip(&indexed)
            .filter(|(_, words)| !terms.is_empty() && matches(words, &terms))
            .map(|(v, _)| v.id.as_str())
            .collect();
        let limit = [7, 20, 50][n % 3];
        let path = if n % 2 == 0 { "/search" } else { "/videos" };
        let mut got: Vec<String> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = format!("{base}{path}?q={}&limit={limit}", encode(&q));
            if let Some(t) = &token {
                url.push_str(&format!("&page_token={t}"));
            }
            let resp = http.get(&url).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{q:?}: {url}");
            let body: Value = resp.json().await.unwrap();
            pages += 1;
            for item in body["items"].as_array().unwrap() {
                got.push(item["id"].as_str().unwrap().to_owned());
            }
            match body["next_page_token"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
            assert!(pages < 100_000, "walks do not end");
        }
        let unique: HashSet<&String> = got.iter().collect();
        assert_eq!(unique.len(), got.len(), "{q:?}: a video came back twice");
        assert_eq!(
            got, expected,
            "query {n} {q:?} (terms {terms:?}, limit {limit}): result differs from brute force"
        );
        empty += usize::from(expected.is_empty());
        results += expected.len();
    }
    eprintln!(
        "search oracle: {VIDEOS} videos, {QUERIES} queries, {results} results in {pages} pages, \
         {empty} queries with no match"
    );
    // The generator must exercise both sides: queries that match and ones that do not.
    assert!(empty > 5 && empty < QUERIES / 2, "{empty} empty queries");
}
