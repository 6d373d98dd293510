//! The WebSub hub client behind the core's `PushHub`: subscription requests for followed
//! channels, with the callback and the per-deployment secret it was built with.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tubefeed_core::{HubError, HubRequest, PushHub, PushMode, push_topic_url};

use crate::{HttpSettings, TlsRoots, build_http};

/// YouTube's hub.
pub const DEFAULT_HUB_URL: &str = "https://pubsubhubbub.appspot.com/subscribe";

pub struct HubClientSettings {
    pub hub_url: String,
    /// Our public `/websub` route (`WEBSUB_CALLBACK_URL`).
    pub callback: String,
    /// The HMAC key the hub signs pushes with.
    pub secret: SecretString,
    pub tls_roots: TlsRoots,
}

pub struct HubClient {
    http: reqwest::Client,
    settings: HubClientSettings,
}

impl HubClient {
    pub fn new(settings: HubClientSettings) -> Result<Self, HubError> {
        let http = build_http(&HttpSettings {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            tls_roots: settings.tls_roots,
            user_agent: crate::USER_AGENT,
        })
        .map_err(|e| HubError::Transport(e.to_string()))?;
        Ok(Self { http, settings })
    }
}

impl PushHub for HubClient {
    async fn request(&self, req: &HubRequest) -> Result<(), HubError> {
        let lease = req.lease.num_seconds().max(0).to_string();
        let mut form = vec![
            ("hub.mode", req.mode.as_str().to_owned()),
            ("hub.topic", push_topic_url(&req.channel)),
            ("hub.callback", self.settings.callback.clone()),
            ("hub.verify", "async".to_owned()),
        ];
        if req.mode == PushMode::Subscribe {
            form.push(("hub.lease_seconds", lease));
            form.push((
                "hub.secret",
                self.settings.secret.expose_secret().to_owned(),
            ));
        }
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .http
            .post(&self.settings.hub_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| HubError::Transport(tubefeed_core::root_cause(&e)))?;
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let body = resp.text().await.unwrap_or_default();
        let message: String = body
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        Err(HubError::Refused { status, message })
    }
}
