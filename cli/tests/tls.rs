//! The shipped binary over HTTPS: rustls on ring, to DynamoDB (the AWS SDK's client) and to
//! YouTube (reqwest), with strict verification. A local TLS terminator with a test certificate
//! for `localhost` forwards to DynamoDB Local and to the simulator; `TLS_ROOTS=system` with
//! `SSL_CERT_FILE` naming that certificate trusts it, the compiled-in roots do not.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};
use youtube_sim::{SimConfig, SimHandle};

/// A certificate for `localhost`, its PEM written to a file for `SSL_CERT_FILE`.
struct TestCert {
    pem_file: PathBuf,
    acceptor: TlsAcceptor,
}

impl TestCert {
    fn new() -> Self {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let pem_file = std::env::temp_dir().join(format!(
            "tubefeed-tls-test-{}-{}.pem",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::write(&pem_file, cert.pem()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(signing_key.serialize_der().into()),
            )
            .unwrap();
        Self {
            pem_file,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        }
    }

    /// Terminates TLS on a free loopback port and forwards the bytes to `upstream`
    /// (`host:port`); returns the port.
    async fn forward_to(&self, upstream: String) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let acceptor = self.acceptor.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
                tokio::spawn(async move {
                    // A client that rejects the certificate ends the handshake: nothing to do.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    if let Ok(mut up) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                    }
                });
            }
        });
        port
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pem_file);
    }
}

fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_speaks_verified_tls_to_dynamodb_and_youtube_and_refuses_an_unknown_issuer() {
    // An hour of cricket videos to fetch.
    let sim = SimHandle::start(SimConfig {
        rate_per_minute: 2.0,
        backfill: std::time::Duration::from_secs(3600),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let cert = TestCert::new();
    let ddb_port = cert
        .forward_to(host_port(&tubefeed_testkit::dynamodb_endpoint()))
        .await;
    let yt_port = cert.forward_to(host_port(&sim.base_url)).await;
    let ddb_url = format!("https://localhost:{ddb_port}");
    let yt_url = format!(
        "https://localhost:{yt_port}/{}",
        sim.base_url.splitn(4, '/').nth(3).unwrap_or("")
    );
    let table = tubefeed_testkit::unique_table_name("tls");
    // `tubefeed ARGS` on `table` in the DynamoDB at `ddb`, with YouTube through the terminator.
    let tubefeed = |table: &str, ddb: &str, topics: &str, roots: Option<&str>, args: &[&str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tubefeed"));
        cmd.args(args)
            .env("TABLE_NAME", table)
            .env("SEARCH_QUERIES", topics)
            .env("YOUTUBE_API_BASE_URL", &yt_url)
            .env("YOUTUBE_API_KEYS", "sim-key-1")
            .envs(common::local_aws(ddb))
            .env_remove("AWS_PROFILE")
            .env_remove("YOUTUBE_API_KEYS_SECRET_ID")
            .env_remove("SSL_CERT_DIR")
            .env("SSL_CERT_FILE", &cert.pem_file)
            .env("RUST_LOG", "warn");
        match roots {
            Some(r) => cmd.env("TLS_ROOTS", r),
            None => cmd.env_remove("TLS_ROOTS"),
        };
        cmd.output()
    };

    // The compiled-in (Mozilla) roots do not know the test certificate's issuer: the SDK's
    // client refuses the connection, and nothing is created.
    let refused = tubefeed(&table, &ddb_url, "cricket", None, &["table", "create"])
        .await
        .unwrap();
    assert!(!refused.status.success(), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&table) && said.contains("UnknownIssuer"),
        "{said}"
    );

    // The system store (here: the file SSL_CERT_FILE names) does: the table is created over
    // TLS, and a fetch reads YouTube over TLS and writes the videos over TLS.
    let created = tubefeed(
        &table,
        &ddb_url,
        "cricket",
        Some("system"),
        &["table", "create"],
    )
    .await
    .unwrap();
    assert!(created.status.success(), "{created:?}");
    assert!(
        String::from_utf8_lossy(&created.stdout).contains("created"),
        "{created:?}"
    );
    let fetched = tubefeed(&table, &ddb_url, "cricket", Some("system"), &["fetch"])
        .await
        .unwrap();
    assert!(fetched.status.success(), "{fetched:?}");
    let summary: Value = serde_json::from_slice(&fetched.stdout).unwrap();
    let cricket = &summary["topics"][0];
    assert!(cricket["error"].is_null(), "{summary}");
    assert!(cricket["new"].as_u64().is_some_and(|n| n > 0), "{summary}");
    let stored = tubefeed_testkit::dynamodb_client()
        .scan()
        .table_name(&table)
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    assert!(stored.count() > 0);

    // YouTube through the compiled-in roots: the fetch reports the topic failed (DynamoDB is
    // reached in plain HTTP here, on a table of its own so that the pool's budget is fresh,
    // so only YouTube's connection is refused).
    let plain_table = tubefeed_testkit::fresh_table(&tubefeed_testkit::dynamodb_client()).await;
    let plain_ddb = tubefeed_testkit::dynamodb_endpoint();
    let yt_refused = tubefeed(&plain_table, &plain_ddb, "chess", None, &["fetch"])
        .await
        .unwrap();
    let summary: Value = serde_json::from_slice(&yt_refused.stdout).unwrap_or(Value::Null);
    let chess = &summary["topics"][0];
    assert_eq!(chess["topic"], "chess", "{yt_refused:?}");
    assert!(
        chess["error"]
            .as_str()
            .is_some_and(|e| e.contains("UnknownIssuer")),
        "{summary}"
    );
    assert_eq!(chess["new"], 0, "{summary}");
    // The key is in the request's URL; the error names no URL.
    let said = String::from_utf8_lossy(&yt_refused.stderr);
    assert!(!said.contains("sim-key-1") && !summary.to_string().contains("sim-key-1"));
}
