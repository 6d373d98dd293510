//! The hub's asynchronous side: `POST /hub`, verification of intent, and push delivery. Every
//! network call runs in a task of its own, after the world lock has been released, and every
//! finished job bumps `crate::hub::Signals::done` so that tests can wait for them.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::control::Shared;
use crate::hub::atom::{link_header, signature};
use crate::hub::http::{CallbackReply, send};
use crate::hub::{HubDelivery, HubMode, PushJob, VerificationOutcome, VerifyJob, request};

/// `POST /hub`: `202` and a verification in the background, `400` with the reason, or `503`
/// while [`crate::FaultPlan::hub_down`] is set.
pub(crate) async fn hub_handler(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let job = {
        let mut w = shared.world();
        w.hub.stats.requests += 1;
        if w.cfg.faults.hub_down {
            w.hub.stats.refused_down += 1;
            return plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable");
        }
        match request::parse(&params) {
            Ok(req) => w.hub.start_verification(req),
            Err(reason) => {
                w.hub.stats.rejected += 1;
                return plain(StatusCode::BAD_REQUEST, &reason);
            }
        }
    };
    tokio::spawn(verify(shared, job));
    StatusCode::ACCEPTED.into_response()
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut resp = (status, format!("{text}\n")).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// The verification `GET` URL: the callback with the hub's parameters appended.
pub(crate) fn verification_url(job: &VerifyJob) -> String {
    let r = &job.req;
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("hub.mode", r.mode.as_str())
        .append_pair("hub.topic", &r.topic)
        .append_pair("hub.challenge", &job.challenge);
    if r.mode == HubMode::Subscribe {
        q.append_pair("hub.lease_seconds", &r.lease_seconds.to_string());
    }
    if let Some(token) = &r.verify_token {
        q.append_pair("hub.verify_token", token);
    }
    let sep = if r.callback.contains('?') { '&' } else { '?' };
    format!("{}{sep}{}", r.callback, q.finish())
}

/// Sends a verification and returns the callback's answer with the challenge it was given.
pub(crate) async fn ask(job: &VerifyJob) -> Result<CallbackReply, String> {
    let mut reply = send("GET", &verification_url(job), &[], b"").await?;
    reply.challenge = Some(job.challenge.clone());
    Ok(reply)
}

fn judge(answer: Result<CallbackReply, String>, challenge: &str) -> VerificationOutcome {
    match answer {
        Err(error) => VerificationOutcome::Unreachable { error },
        Ok(r) if !(200..300).contains(&r.status) => {
            VerificationOutcome::Refused { status: r.status }
        }
        Ok(r) if r.body == challenge => VerificationOutcome::Verified,
        Ok(r) => VerificationOutcome::WrongChallenge {
            status: r.status,
            body: r.body.chars().take(200).collect(),
        },
    }
}

async fn verify(shared: Arc<Shared>, job: VerifyJob) {
    let outcome = judge(ask(&job).await, &job.challenge);
    let signals = {
        let mut w = shared.world();
        let now = w.now();
        w.hub.finish_verification(&job, outcome, now);
        w.hub.signals()
    };
    signals.done.send_modify(|n| *n += 1);
}

/// How often the dispatcher looks at the world unasked: with a real clock, uploads are
/// generated (and so announced) only when something locks the world, and a subscriber must not
/// have to poll the simulator to be pushed to.
const TICK: StdDuration = StdDuration::from_secs(1);

/// Takes queued push jobs out of the world and delivers each in a task of its own. Runs for as
/// long as the simulator does.
pub(crate) async fn dispatch(shared: Arc<Shared>) {
    let signals = shared.world().hub.signals();
    loop {
        tokio::select! {
            () = signals.wake.notified() => {}
            () = tokio::time::sleep(TICK) => {}
        }
        let (jobs, repeat) = {
            let mut w = shared.world();
            (w.hub.take_outbox(), w.cfg.push_repeat)
        };
        for job in jobs {
            tokio::spawn(deliver(shared.clone(), job, repeat));
        }
    }
}

/// POSTs a push body, signed when a secret is given, with the hub's headers.
pub(crate) async fn post_push(
    callback: &str,
    topic: Option<&str>,
    body: &str,
    signature_header: Option<String>,
) -> Result<CallbackReply, String> {
    let mut headers = vec![("Content-Type", "application/atom+xml".to_owned())];
    if let Some(topic) = topic {
        headers.push(("Link", link_header(topic)));
    }
    if let Some(sig) = signature_header {
        headers.push(("X-Hub-Signature", sig));
    }
    send("POST", callback, &headers, body.as_bytes()).await
}

async fn deliver(shared: Arc<Shared>, job: PushJob, repeat: bool) {
    let sig = job
        .secret
        .as_deref()
        .map(|s| signature(s, job.body.as_bytes()));
    // A repeat is the same request again, as a hub retrying after a lost answer sends it.
    for _ in 0..if repeat { 2 } else { 1 } {
        let answer = post_push(&job.callback, Some(&job.topic), &job.body, sig.clone()).await;
        let mut w = shared.world();
        let at = w.now();
        let (status, error) = match answer {
            Ok(r) => (Some(r.status), None),
            Err(e) => (None, Some(e)),
        };
        w.hub.record_delivery(HubDelivery {
            at,
            callback: job.callback.clone(),
            channel_id: job.channel_id.clone(),
            video_id: job.video_id.clone(),
            signed: sig.is_some(),
            status,
            error,
        });
    }
    let signals = shared.world().hub.signals();
    signals.done.send_modify(|n| *n += 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::HubRequest;

    #[test]
    fn verification_urls_append_to_the_callback() {
        let job = VerifyJob {
            req: HubRequest {
                mode: HubMode::Unsubscribe,
                topic: "https://www.youtube.com/xml/feeds/videos.xml?channel_id=UCa".into(),
                channel_id: "UCa".into(),
                callback: "http://h/cb?k=v".into(),
                secret: None,
                lease_seconds: 10,
                verify_token: None,
            },
            challenge: "xyz".into(),
        };
        assert_eq!(
            verification_url(&job),
            "http://h/cb?k=v&hub.mode=unsubscribe&hub.topic=https%3A%2F%2Fwww.youtube.com%2Fxml%2Ffeeds%2Fvideos.xml%3Fchannel_id%3DUCa&hub.challenge=xyz"
        );
    }

    #[test]
    fn only_an_exact_echo_verifies() {
        let r = |status, body: &str| {
            Ok(CallbackReply {
                status,
                body: body.into(),
                challenge: None,
            })
        };
        assert!(judge(r(200, "c"), "c").is_verified());
        assert!(!judge(r(200, "c\n"), "c").is_verified());
        assert_eq!(
            judge(r(404, "c"), "c"),
            VerificationOutcome::Refused { status: 404 }
        );
        assert!(matches!(
            judge(Err("x".into()), "c"),
            VerificationOutcome::Unreachable { .. }
        ));
    }
}
