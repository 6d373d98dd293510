//! Which AWS region a process talks to. As the SDK would find it (`AWS_REGION`,
//! `AWS_DEFAULT_REGION`, the profile, then the instance metadata service), with one exception:
//! a process whose endpoints are all overridden to this machine (DynamoDB Local, moto) and that
//! names no region gets `us-east-1` — the emulators accept any — rather than a probe of the
//! instance metadata service that fails, slowly and noisily, off EC2.

use aws_config::Region;
use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;

/// The region local endpoints get when none is named.
pub const LOCAL_DEFAULT_REGION: &str = "us-east-1";

/// The endpoint override variables, most specific first, as the SDK reads them.
const DYNAMODB_ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"];

/// The region named in the environment or the profile, else the local default when every
/// endpoint is local. `None` leaves the search to the SDK's loader, whose chain ends with the
/// instance metadata service (through the process's own HTTP client).
pub async fn named_or_local() -> Option<Region> {
    let named = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(ProfileFileRegionProvider::new());
    if let Some(r) = named.region().await {
        return Some(r);
    }
    endpoints_are_local().then(|| Region::new(LOCAL_DEFAULT_REGION))
}

/// `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`, when set.
pub fn dynamodb_endpoint_url() -> Option<String> {
    DYNAMODB_ENDPOINT_VARS
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
}

/// Every endpoint the process would use is overridden to loopback: the general override, or
/// the DynamoDB one (and then the Secrets Manager one too, when a secret is named).
fn endpoints_are_local() -> bool {
    let local = |var: &str| std::env::var(var).ok().is_some_and(|u| is_loopback(&u));
    if local("AWS_ENDPOINT_URL") {
        return true;
    }
    let secrets_used = ["YOUTUBE_API_KEYS_SECRET_ID", "PAGE_TOKEN_SECRET_ID"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    local("AWS_ENDPOINT_URL_DYNAMODB")
        && (!secrets_used || local("AWS_ENDPOINT_URL_SECRETS_MANAGER"))
}

/// `http://127.0.0.1:8000`, `http://localhost:8000/`, `http://[::1]:8000`.
fn is_loopback(url: &str) -> bool {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_urls() {
        for u in [
            "http://127.0.0.1:8000",
            "http://localhost:4566/",
            "http://[::1]:8000",
            "http://127.0.0.2",
            "LOCALHOST:1",
        ] {
            assert!(is_loopback(u), "{u}");
        }
        for u in [
            "https://dynamodb.eu-west-1.amazonaws.com",
            "http://10.0.0.5:8000",
            "http://localhost.example.com",
            "",
        ] {
            assert!(!is_loopback(u), "{u}");
        }
    }
}
