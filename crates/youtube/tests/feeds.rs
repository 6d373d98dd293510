//! Channel feeds: the Atom parser against our own fixtures (written from YouTube's feed shape),
//! and the client against a tiny in-process HTTP server that answers what each test scripts.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tubefeed_core::{
    ChannelFeedSource, ChannelId, FeedAnswer, FeedError, FeedValidators, LiveBroadcast,
};
use tubefeed_youtube::{
    DEFAULT_FEEDS_BASE_URL, FeedClient, FeedClientError, FeedClientSettings, MAX_FEED_BODY_BYTES,
    MAX_FEED_ENTRIES, parse_channel_feed, parse_search_page,
};

const CHANNEL: &str = "UCgmPnx-EEeOrZSg5Tiw7ZRQ";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn malformed(xml: &str) -> String {
    match parse_channel_feed(xml) {
        Err(FeedError::Malformed(why)) => why,
        other => panic!("expected Malformed for {xml:?}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------

#[test]
fn entries_decode_entities_emoji_and_scripts_exactly_once() {
    let feed = parse_channel_feed(&fixture("feed_channel.xml")).unwrap();
    assert!(feed.validators.is_empty(), "validators come from headers");
    let ids: Vec<&str> = feed.entries.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(
        ids,
        ["KF0IuE_hDRQ", "-2IlD-x8wvY", "dQw4w9WgXcQ"],
        "feed order kept"
    );

    let first = &feed.entries[0];
    assert_eq!(
        first.title,
        "Kohli's 100 & more <highlights> \"live\" 🏏 🔴"
    );
    assert_eq!(
        first.description,
        "Full description &amp; an escaped ampersand\nwith newlines\nand a link https://example.com/?a=1&b=2",
        "one level of escaping removed, not two"
    );
    assert_eq!(first.channel_id, CHANNEL);
    assert_eq!(first.channel_title, "Cricket & Co. ≪Live≫");
    assert_eq!(
        first.published_at,
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 5).unwrap()
    );
    assert_eq!(first.live_broadcast_content, LiveBroadcast::None);
    assert_eq!(first.details, None);

    let second = &feed.entries[1];
    assert_eq!(second.title, "क्रिकेट हाइलाइट्स — ワールドカップ Café");
}

#[test]
fn cdata_is_taken_verbatim() {
    let feed = parse_channel_feed(&fixture("feed_channel.xml")).unwrap();
    assert_eq!(
        feed.entries[1].description,
        "In CDATA: <b>not markup</b> & not an &amp; entity"
    );
}

#[test]
fn times_with_offsets_and_fractions_are_normalised_to_utc() {
    let feed = parse_channel_feed(&fixture("feed_channel.xml")).unwrap();
    // 18:30:00.250 at +05:30.
    let expected =
        Utc.with_ymd_and_hms(2026, 11, 29, 13, 0, 0).unwrap() + chrono::Duration::milliseconds(250);
    assert_eq!(feed.entries[1].published_at, expected);
    assert_eq!(
        feed.entries[2].published_at,
        Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap()
    );
}

#[test]
fn missing_entry_fields_fall_back_to_the_id_element_media_title_and_the_feed() {
    let feed = parse_channel_feed(&fixture("feed_channel.xml")).unwrap();
    let sparse = &feed.entries[2];
    assert_eq!(
        sparse.id.as_str(),
        "dQw4w9WgXcQ",
        "from <id>yt:video:…</id>"
    );
    assert_eq!(sparse.channel_id, CHANNEL, "from the feed's yt:channelId");
    assert_eq!(
        sparse.channel_title, "Cricket & Co. ≪Live≫",
        "the feed's title"
    );
    assert_eq!(sparse.title, "Only a media title");
    assert_eq!(sparse.description, "");
}

#[test]
fn entries_missing_id_channel_or_time_are_skipped_and_counted() {
    let feed = parse_channel_feed(&fixture("feed_channel.xml")).unwrap();
    // No publish time, an invalid id, no id, an unreadable time.
    assert_eq!(feed.skipped_entries, 4);
    assert_eq!(feed.entries.len(), 3);

    let no_channel = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015">
      <entry><yt:videoId>abc</yt:videoId><published>2026-01-01T00:00:00Z</published></entry>
    </feed>"#;
    let feed = parse_channel_feed(no_channel).unwrap();
    assert_eq!((feed.entries.len(), feed.skipped_entries), (0, 1));
}

#[test]
fn thumbnails_and_fields_match_what_search_reports_for_the_same_upload() {
    let search = parse_search_page(fixture("search_current_orderdate.json").as_bytes()).unwrap();
    let found = &search.videos[0];
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <yt:channelId>{channel}</yt:channelId><title>{channel_title}</title>
 <entry>
  <id>yt:video:{id}</id><yt:videoId>{id}</yt:videoId><yt:channelId>{channel}</yt:channelId>
  <title>{title}</title><author><name>{channel_title}</name></author>
  <published>{published}</published>
  <media:group><media:thumbnail url="https://i4.ytimg.com/vi/{id}/hqdefault.jpg" width="480" height="360"/>
   <media:description>{description}</media:description></media:group>
 </entry>
</feed>"#,
        channel = found.channel_id,
        channel_title = escape(&found.channel_title),
        id = found.id,
        title = escape(&found.title),
        published = found.published_at.to_rfc3339(),
        description = escape(&found.description),
    );
    let from_feed = &parse_channel_feed(&xml).unwrap().entries[0];
    assert_eq!(from_feed.thumbnails, found.thumbnails);
    assert!(from_feed.same_listing(found), "{from_feed:#?}\n{found:#?}");
    assert_eq!(
        from_feed.thumbnails.medium.as_ref().unwrap().url,
        format!("https://i.ytimg.com/vi/{}/mqdefault.jpg", found.id)
    );
}

#[test]
fn an_empty_channel_feed_has_no_entries() {
    let feed = parse_channel_feed(&fixture("feed_empty.xml")).unwrap();
    assert!(feed.entries.is_empty());
    assert_eq!(feed.skipped_entries, 0);
}

#[test]
fn html_and_other_documents_are_malformed() {
    let why = malformed(&fixture("feed_not_found.html"));
    assert!(!why.contains('\n'), "{why}");
    for body in [
        "",
        "   ",
        "Not Found",
        r#"{"error":"not found"}"#,
        "<rss version=\"2.0\"><channel/></rss>",
        "<html><body>Sorry</body></html>",
        r#"<feed xmlns="http://www.w3.org/1999/xhtml"></feed>"#,
        "<feed><entry></feed>",
        "<feed>&bogus</feed>",
    ] {
        malformed(body);
    }
}

#[test]
fn a_cut_off_feed_is_malformed_not_a_shorter_feed() {
    let whole = fixture("feed_channel.xml");
    let cut = &whole[..whole.find("</entry>").unwrap() + "</entry>".len()];
    assert!(malformed(cut).contains("</feed>"));
}

#[test]
fn undeclared_prefixes_and_a_missing_default_namespace_are_tolerated() {
    let xml = r#"<feed>
      <yt:channelId>UCabcdefghijklmnopqrstuv</yt:channelId>
      <title>Plain</title>
      <entry>
        <yt:videoId>abcdefghijk</yt:videoId>
        <published>2026-05-01T00:00:00-07:00</published>
        <media:group><media:description>desc</media:description></media:group>
      </entry>
    </feed>"#;
    let feed = parse_channel_feed(xml).unwrap();
    let v = &feed.entries[0];
    assert_eq!(v.channel_id, "UCabcdefghijklmnopqrstuv");
    assert_eq!(v.channel_title, "Plain");
    assert_eq!(v.description, "desc");
    assert_eq!(v.title, "", "no title at all is an empty one, not a skip");
    assert_eq!(
        v.published_at,
        Utc.with_ymd_and_hms(2026, 5, 1, 7, 0, 0).unwrap()
    );
}

#[test]
fn other_namespaces_with_the_same_local_names_are_ignored() {
    let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:x="urn:other">
      <entry>
        <x:videoId>wrongwrong1</x:videoId>
        <yt:videoId>rightright1</yt:videoId>
        <yt:channelId>UCabcdefghijklmnopqrstuv</yt:channelId>
        <x:title>not this</x:title>
        <title>this</title>
        <published>2026-05-01T00:00:00Z</published>
      </entry>
    </feed>"#;
    let v = &parse_channel_feed(xml).unwrap().entries[0];
    assert_eq!((v.id.as_str(), v.title.as_str()), ("rightright1", "this"));
}

#[test]
fn at_most_the_cap_of_entries_is_read() {
    let entry = "<entry><yt:videoId>abcdefghijk</yt:videoId><published>2026-05-01T00:00:00Z</published></entry>";
    let xml = format!(
        r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015"><yt:channelId>UCx</yt:channelId>{}</feed>"#,
        entry.repeat(MAX_FEED_ENTRIES + 50)
    );
    let feed = parse_channel_feed(&xml).unwrap();
    assert_eq!(feed.entries.len(), MAX_FEED_ENTRIES);
    assert_eq!(feed.skipped_entries, 0);
}

/// XML escaping for the tests' own documents (not the crate's, so the test is not circular).
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\r', "&#13;")
}

// ---------------------------------------------------------------------------------------
// The client, against a scripted server
// ---------------------------------------------------------------------------------------

/// What the scripted server does with one connection.
enum Reply {
    /// Writes these bytes and closes.
    Bytes(Vec<u8>),
    /// Reads the request and never answers.
    Hang,
    /// Writes these headers, then body bytes until the client goes away.
    Endless(String),
}

fn http(status: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    Reply::Bytes(out.into_bytes())
}

/// Serves one scripted reply per connection, in order, and hands each request's head (request
/// line and headers, as text) to the test.
async fn serve(replies: Vec<Reply>) -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        for reply in replies {
            let (mut socket, _) = listener.accept().await.unwrap();
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(read_head(&mut socket).await);
                answer(socket, reply).await;
            });
        }
    });
    (base, rx)
}

async fn read_head(socket: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

async fn answer(mut socket: TcpStream, reply: Reply) {
    match reply {
        Reply::Bytes(bytes) => {
            let _ = socket.write_all(&bytes).await;
            let _ = socket.shutdown().await;
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Reply::Endless(head) => {
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            while socket.write_all(&chunk).await.is_ok() {}
        }
    }
}

fn client(base_url: &str, timeout: Duration) -> FeedClient {
    FeedClient::new(FeedClientSettings {
        base_url: base_url.to_owned(),
        timeout,
        ..Default::default()
    })
    .unwrap()
}

fn channel() -> ChannelId {
    ChannelId::parse(CHANNEL).unwrap()
}

async fn fetch(c: &FeedClient, v: &FeedValidators) -> Result<FeedAnswer, FeedError> {
    c.channel_feed(&channel(), v).await
}

const ETAG: &str = "\"a1b2c3\"";
const LAST_MODIFIED: &str = "Mon, 30 Nov 2026 12:03:10 GMT";

#[tokio::test]
async fn a_200_is_parsed_with_its_validators_and_they_are_sent_back_for_a_304() {
    let headers = [
        ("Content-Type", "text/xml; charset=UTF-8"),
        ("ETag", ETAG),
        ("Last-Modified", LAST_MODIFIED),
    ];
    let (base, mut requests) = serve(vec![
        http("200 OK", &headers, &fixture("feed_channel.xml")),
        http("304 Not Modified", &[("ETag", ETAG)], ""),
    ])
    .await;
    // A trailing slash on the base is tolerated.
    let c = client(&format!("{base}/"), Duration::from_secs(5));

    let Ok(FeedAnswer::Fresh(feed)) = fetch(&c, &FeedValidators::default()).await else {
        panic!("expected a fresh feed");
    };
    assert_eq!(feed.entries.len(), 3);
    assert_eq!(feed.skipped_entries, 4);
    assert_eq!(feed.validators.etag.as_deref(), Some(ETAG));
    assert_eq!(
        feed.validators.last_modified.as_deref(),
        Some(LAST_MODIFIED)
    );
    let first = requests.recv().await.unwrap();
    assert!(
        first.starts_with(&format!(
            "GET /feeds/videos.xml?channel_id={CHANNEL} HTTP/1.1\r\n"
        )),
        "{first}"
    );
    let lower = first.to_ascii_lowercase();
    assert!(!lower.contains("if-none-match") && !lower.contains("if-modified-since"));
    assert!(lower.contains("user-agent: tubefeed/"), "{first}");

    assert_eq!(
        fetch(&c, &feed.validators).await,
        Ok(FeedAnswer::NotModified)
    );
    let second = requests.recv().await.unwrap().to_ascii_lowercase();
    assert!(
        second.contains(&format!("if-none-match: {ETAG}")),
        "{second}"
    );
    assert!(
        second.contains(&format!(
            "if-modified-since: {}",
            LAST_MODIFIED.to_ascii_lowercase()
        )),
        "{second}"
    );
}

#[tokio::test]
async fn not_found_is_an_answer_and_server_errors_and_other_statuses_are_typed() {
    let html = fixture("feed_not_found.html");
    let (base, _requests) = serve(vec![
        http("404 Not Found", &[("Content-Type", "text/html")], &html),
        http("500 Internal Server Error", &[], "oops"),
        http("503 Service Unavailable", &[], ""),
        http("403 Forbidden", &[], "no"),
        http("429 Too Many Requests", &[], ""),
        http("204 No Content", &[], ""),
    ])
    .await;
    let c = client(&base, Duration::from_secs(5));
    let none = FeedValidators::default();
    assert_eq!(fetch(&c, &none).await, Ok(FeedAnswer::NotFound));
    assert_eq!(
        fetch(&c, &none).await,
        Err(FeedError::Server { status: 500 })
    );
    assert_eq!(
        fetch(&c, &none).await,
        Err(FeedError::Server { status: 503 })
    );
    assert_eq!(
        fetch(&c, &none).await,
        Err(FeedError::Status { status: 403 })
    );
    assert_eq!(
        fetch(&c, &none).await,
        Err(FeedError::Status { status: 429 })
    );
    assert_eq!(
        fetch(&c, &none).await,
        Err(FeedError::Status { status: 204 })
    );
}

#[tokio::test]
async fn a_200_that_is_not_a_feed_is_malformed() {
    let (base, _requests) = serve(vec![
        http("200 OK", &[], &fixture("feed_not_found.html")),
        Reply::Bytes(
            b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\n\xff\xfe<a".to_vec(),
        ),
    ])
    .await;
    let c = client(&base, Duration::from_secs(5));
    let none = FeedValidators::default();
    assert!(matches!(
        fetch(&c, &none).await,
        Err(FeedError::Malformed(_))
    ));
    let Err(FeedError::Malformed(why)) = fetch(&c, &none).await else {
        panic!("not UTF-8 is malformed");
    };
    assert!(why.contains("UTF-8"), "{why}");
}

#[tokio::test]
async fn a_hung_server_is_a_timeout() {
    let (base, _requests) = serve(vec![Reply::Hang]).await;
    let c = client(&base, Duration::from_millis(300));
    let started = std::time::Instant::now();
    assert_eq!(
        fetch(&c, &FeedValidators::default()).await,
        Err(FeedError::Timeout)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_refused_connection_is_a_one_line_transport_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5));
    let Err(FeedError::Transport(why)) = fetch(&c, &FeedValidators::default()).await else {
        panic!("expected a transport error");
    };
    assert!(
        why.starts_with(&format!("http://127.0.0.1:{port}: ")),
        "{why}"
    );
    assert!(why.to_ascii_lowercase().contains("refused"), "{why}");
    assert!(
        !why.contains('\n') && !why.contains("Os {") && !why.contains("kind:"),
        "{why}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_without_reading_it() {
    let declared = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        MAX_FEED_BODY_BYTES + 1
    );
    // The first declares too much, the second never ends (a client reading on would time
    // out on it instead).
    let endless = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n<feed>".to_owned();
    let (base, _requests) = serve(vec![Reply::Endless(declared), Reply::Endless(endless)]).await;
    let c = client(&base, Duration::from_secs(20));
    for _ in 0..2 {
        let Err(FeedError::Malformed(why)) = fetch(&c, &FeedValidators::default()).await else {
            panic!("expected the cap to refuse the body");
        };
        assert!(why.contains("cap"), "{why}");
    }
}

#[tokio::test]
async fn unusable_validators_are_left_out_rather_than_failing_the_request() {
    let (base, mut requests) = serve(vec![http("304 Not Modified", &[], "")]).await;
    let c = client(&base, Duration::from_secs(5));
    let odd = FeedValidators {
        etag: Some("\"bad\nvalue\"".into()),
        last_modified: Some(LAST_MODIFIED.into()),
    };
    assert_eq!(fetch(&c, &odd).await, Ok(FeedAnswer::NotModified));
    let head = requests.recv().await.unwrap().to_ascii_lowercase();
    assert!(!head.contains("if-none-match"), "{head}");
    assert!(head.contains("if-modified-since"), "{head}");
}

#[test]
fn settings_default_to_youtube_and_bad_ones_are_refused_when_made() {
    let d = FeedClientSettings::default();
    assert_eq!(d.base_url, DEFAULT_FEEDS_BASE_URL);
    assert_eq!(
        (d.timeout, d.connect_timeout),
        (Duration::from_secs(10), Duration::from_secs(5))
    );
    let c = FeedClient::new(d).unwrap();
    assert_eq!(
        c.feed_url(&channel()).as_str(),
        format!("https://www.youtube.com/feeds/videos.xml?channel_id={CHANNEL}")
    );
    for bad in [
        "",
        "not a url",
        "ftp://example.com",
        "https://example.com/?x=1",
    ] {
        let made = FeedClient::new(FeedClientSettings {
            base_url: bad.into(),
            ..Default::default()
        });
        assert!(
            matches!(made, Err(FeedClientError::BaseUrl { .. })),
            "{bad}: {made:?}"
        );
    }
    let made = FeedClient::new(FeedClientSettings {
        user_agent: Some("bad\nagent".into()),
        ..Default::default()
    });
    assert!(matches!(made, Err(FeedClientError::UserAgent(_))));
    let prefixed = FeedClient::new(FeedClientSettings {
        base_url: "http://sim.local:8080/yt/".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        prefixed.feed_url(&channel()).as_str(),
        format!("http://sim.local:8080/yt/feeds/videos.xml?channel_id={CHANNEL}")
    );
}
