//! New-video events end to end: the simulator, DynamoDB Local's outbox, moto's EventBridge
//! routing the events to an SQS queue. Every new video arrives at least once across a
//! publishing outage; re-fetched videos never do.

use std::collections::BTreeSet;

use aws_sdk_eventbridge::config::{BehaviorVersion, Credentials, Region};
use chrono::{DateTime, Duration, TimeZone, Utc};
use tubefeed_core::{Announcer, ApiKey, FetchSettings, Fetcher, Topic};
use tubefeed_dynamo::{DynamoKeyRing, DynamoStore};
use tubefeed_eventbridge::EventBridgeSink;
use tubefeed_secrets::EnvKeySource;
use tubefeed_testkit::{fresh_store, quick_retries, sdk_http_client, secretsmanager_endpoint};
use tubefeed_youtube::YouTubeClient;
use youtube_sim::{ClockMode, NewVideo, SimConfig, SimHandle};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap()
}

fn cricket() -> Topic {
    Topic::parse("cricket").unwrap()
}

/// moto serves every AWS service on one port (the tests' Secrets Manager too).
fn eventbridge(endpoint: &str) -> aws_sdk_eventbridge::Client {
    let conf = aws_sdk_eventbridge::Config::builder()
        .http_client(sdk_http_client())
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "events-test"))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_eventbridge::Client::from_conf(conf)
}

fn sqs(endpoint: &str) -> aws_sdk_sqs::Client {
    let conf = aws_sdk_sqs::Config::builder()
        .http_client(sdk_http_client())
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "events-test",
        ))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(conf)
}

/// A bus of its own whose `Videos Added` events land in a queue of its own.
async fn bus_to_queue(
    ev: &aws_sdk_eventbridge::Client,
    q: &aws_sdk_sqs::Client,
) -> (String, String) {
    let name = format!("tf-events-{}", fastrand::u64(..));
    let url = q
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = q
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    ev.create_event_bus().name(&name).send().await.unwrap();
    ev.put_rule()
        .name("videos-added")
        .event_bus_name(&name)
        .event_pattern(r#"{"source":["tubefeed"],"detail-type":["Videos Added"]}"#)
        .send()
        .await
        .unwrap();
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id("queue")
        .arn(arn)
        .build()
        .unwrap();
    ev.put_targets()
        .rule("videos-added")
        .event_bus_name(&name)
        .targets(target)
        .send()
        .await
        .unwrap();
    (name, url)
}

/// Every (topic, video id) the queue holds now, each message deleted once read.
async fn drain(q: &aws_sdk_sqs::Client, url: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        let msgs = q
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if msgs.is_empty() {
            return out;
        }
        for m in msgs {
            let event: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(
                (event["source"].as_str(), event["detail-type"].as_str()),
                (Some("tubefeed"), Some("Videos Added"))
            );
            let detail = &event["detail"];
            for v in detail["videos"].as_array().unwrap() {
                assert!(
                    v["url"]
                        .as_str()
                        .unwrap()
                        .starts_with("https://www.youtube.com/watch?v="),
                    "the API's shape: {v}"
                );
                out.push((
                    detail["topic"].as_str().unwrap().to_owned(),
                    v["id"].as_str().unwrap().to_owned(),
                ));
            }
            q.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

struct Env {
    sim: SimHandle,
    store: DynamoStore,
    client: YouTubeClient,
}

impl Env {
    /// One run: (new, seen again).
    async fn fetch(&self) -> (usize, usize) {
        let ring = DynamoKeyRing::new(
            self.store.clone(),
            EnvKeySource::new(vec![ApiKey::new("sim-key-1")]),
            100,
        );
        let f = Fetcher::new(
            self.client.clone(),
            self.store.clone(),
            ring,
            FetchSettings::default(),
        );
        let s = f.run(&[cricket()], self.sim.control().now()).await;
        assert!(s.ok, "{s:?}");
        let t = &s.topics[0];
        (t.new, t.unchanged + t.updated)
    }

    fn publish(&self, n: usize, minutes_ago: i64) -> Vec<String> {
        let ctl = self.sim.control();
        (0..n)
            .map(|i| {
                let at = ctl.now() - Duration::minutes(minutes_ago) + Duration::seconds(i as i64);
                ctl.add_video(NewVideo::new("cricket", at))
            })
            .collect()
    }
}

#[tokio::test]
async fn every_new_video_arrives_across_an_outage_and_refetched_ones_never_do() {
    let moto = secretsmanager_endpoint();
    let (ev, q) = (eventbridge(&moto), sqs(&moto));
    let (bus, queue) = bus_to_queue(&ev, &q).await;
    let sim = SimHandle::start(SimConfig {
        clock: ClockMode::Manual(t0()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = YouTubeClient::new(quick_retries(&sim.base_url, 1)).unwrap();
    let env = Env {
        sim,
        store: fresh_store().await.with_events(true),
        client,
    };
    // EventBridge unreachable: a closed port.
    let down = EventBridgeSink::new(eventbridge("http://127.0.0.1:9"), &bus);
    let up = EventBridgeSink::new(ev.clone(), &bus);
    let announce = |sink| Announcer {
        outbox: &env.store,
        sink,
        max_rows: 5_000,
    };

    let mut want: BTreeSet<String> = env.publish(6, 30).into_iter().collect();
    assert_eq!(env.fetch().await.0, 6);
    let s = announce(&down).run().await;
    assert_eq!(s.videos, 0);
    assert!(
        s.error
            .as_deref()
            .is_some_and(|e| e.contains("cannot be reached")),
        "{s:?}"
    );
    // Storage goes on during the outage.
    // (One key of 100 calls a day polls a topic every 12 minutes.)
    env.sim.control().advance(Duration::minutes(15));
    want.extend(env.publish(4, 1));
    assert_eq!(env.fetch().await.0, 4);
    assert!(announce(&down).run().await.error.is_some());
    assert!(drain(&q, &queue).await.is_empty());

    let s = announce(&up).run().await;
    assert_eq!((s.videos, s.error.clone()), (10, None), "{s:?}");
    let got = drain(&q, &queue).await;
    let ids: BTreeSet<String> = got.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids, want, "every new video, once the bus is back");
    assert!(got.iter().all(|(t, _)| t == "cricket"));

    // Re-fetched: the same videos (the sweep reads them again), nothing new.
    env.sim.control().advance(Duration::minutes(15));
    let (new, again) = env.fetch().await;
    assert!(new == 0 && again >= 4, "re-read {again}, new {new}");
    let s = announce(&up).run().await;
    assert_eq!((s.videos, s.calls), (0, 0));
    assert!(
        drain(&q, &queue).await.is_empty(),
        "no event for re-fetched videos"
    );
}
