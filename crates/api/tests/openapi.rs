//! `/openapi.json` stays true to the code: routes, parameters, schemas and error statuses.
//! (That every documented route answers is checked black-box in cli/tests/serve.rs.)

use serde_json::Value;

fn doc() -> Value {
    serde_json::from_str(tubefeed_api::OPENAPI_JSON).expect("openapi.json parses")
}

#[test]
fn is_openapi_3_1_with_every_route() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    let mut paths: Vec<&str> = d["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/feed.atom",
            "/feed.json",
            "/health",
            "/openapi.json",
            "/search",
            "/videos",
            "/videos/{id}",
            "/websub"
        ]
    );
}

#[test]
fn list_routes_document_exactly_the_parsed_parameters() {
    let d = doc();
    for path in ["/videos", "/search", "/feed.atom", "/feed.json"] {
        let params = d["paths"][path]["get"]["parameters"].as_array().unwrap();
        let mut query: Vec<&str> = params
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        query.sort_unstable();
        let mut parsed: Vec<&str> = tubefeed_api::LIST_PARAMS.to_vec();
        parsed.sort_unstable();
        assert_eq!(query, parsed, "{path}");
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(
            limit["schema"]["maximum"],
            u64::from(tubefeed_api::MAX_LIMIT)
        );
        let default = if path.starts_with("/feed") {
            tubefeed_api::FEED_LIMIT
        } else {
            tubefeed_api::DEFAULT_LIMIT
        };
        assert_eq!(limit["schema"]["default"], u64::from(default), "{path}");
        let q = params.iter().find(|p| p["name"] == "q").unwrap();
        assert_eq!(q["required"], path == "/search", "{path}");
        for status in ["200", "304", "400", "500"] {
            assert!(
                d["paths"][path]["get"]["responses"][status].is_object(),
                "{path} {status}"
            );
        }
        assert_eq!(
            d["paths"][path]["get"]["responses"]["400"]["content"]["application/problem+json"]["schema"]
                ["$ref"],
            "#/components/schemas/Problem"
        );
    }
}

#[test]
fn video_schema_lists_the_spec_fields() {
    let d = doc();
    let mut req: Vec<&str> = d["components"]["schemas"]["Video"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    req.sort_unstable();
    assert_eq!(
        req,
        [
            "channel_id",
            "channel_title",
            "description",
            "id",
            "live_broadcast_content",
            "published_at",
            "thumbnails",
            "title",
            "url"
        ]
    );
}

/// Every status `/websub` can answer is documented (schemathesis' status-code conformance), and
/// the limits the code enforces are the ones described.
#[test]
fn websub_documents_every_status_it_answers() {
    let d = doc();
    let ops = &d["paths"]["/websub"];
    let statuses = |method: &str| -> Vec<&str> {
        let mut s: Vec<&str> = ops[method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        s.sort_unstable();
        s
    };
    assert_eq!(statuses("get"), ["200", "400", "404", "500", "503"]);
    assert_eq!(
        statuses("post"),
        ["204", "400", "403", "404", "413", "500", "503"]
    );
    let mut query: Vec<&str> = ops["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    query.sort_unstable();
    assert_eq!(
        query,
        [
            "hub.challenge",
            "hub.lease_seconds",
            "hub.mode",
            "hub.reason",
            "hub.topic"
        ]
    );
    let challenge = &ops["get"]["parameters"][2]["schema"];
    assert_eq!(
        challenge["maxLength"],
        u64::try_from(tubefeed_api::MAX_CHALLENGE).unwrap()
    );
    let lease = &ops["get"]["parameters"][3]["schema"];
    assert_eq!(lease["default"], tubefeed_api::DEFAULT_LEASE.num_seconds());
    let body = &ops["post"]["requestBody"]["content"]["application/atom+xml"]["schema"];
    assert_eq!(
        body["maxLength"],
        u64::try_from(tubefeed_api::MAX_PUSH_BYTES).unwrap()
    );
    let signature = &ops["post"]["parameters"][0];
    assert!(
        signature["name"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case(tubefeed_api::SIGNATURE_HEADER)
    );
}
