//! `template.yaml` declares the same table as `tubefeed table create` builds.

use serde_norway::Value;
use tubefeed_dynamo::definition;

fn table_properties() -> Value {
    let path = format!("{}/../../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_norway::from_str(&text).expect("template.yaml parses");
    doc["Resources"]["VideosTable"]["Properties"].clone()
}

fn key_schema(v: &Value) -> Vec<(String, String)> {
    v.as_sequence()
        .expect("KeySchema is a list")
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap().to_owned(),
                k["KeyType"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn template_table_equals_the_code_definition() {
    let def = definition();
    let p = table_properties();

    assert_eq!(p["BillingMode"].as_str(), Some(def.billing_mode));
    assert_eq!(
        key_schema(&p["KeySchema"]),
        vec![
            (def.hash_key.to_owned(), "HASH".to_owned()),
            (def.range_key.to_owned(), "RANGE".to_owned())
        ]
    );

    let mut attrs: Vec<(String, String)> = p["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap().to_owned(),
                a["AttributeType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    attrs.sort();
    let mut want: Vec<(String, String)> = def
        .attributes
        .iter()
        .map(|a| (a.to_string(), "S".to_owned()))
        .collect();
    want.sort();
    assert_eq!(attrs, want);

    let gsis = p["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(gsis.len(), def.indexes.len());
    for ix in &def.indexes {
        let g = gsis
            .iter()
            .find(|g| g["IndexName"].as_str() == Some(ix.name))
            .unwrap_or_else(|| panic!("template lacks index {}", ix.name));
        assert_eq!(
            key_schema(&g["KeySchema"]),
            vec![
                (ix.hash_key.to_owned(), "HASH".to_owned()),
                (ix.range_key.to_owned(), "RANGE".to_owned())
            ],
            "index {}",
            ix.name
        );
        assert_eq!(
            g["Projection"]["ProjectionType"].as_str(),
            Some(ix.projection)
        );
    }

    assert_eq!(
        p["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(def.ttl_attribute)
    );
    assert_eq!(
        p["TimeToLiveSpecification"]["Enabled"].as_bool(),
        Some(true)
    );
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
}

// ---- least privilege and build metadata ----

fn template() -> Value {
    let path = format!("{}/../../template.yaml", env!("CARGO_MANIFEST_DIR"));
    serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Renders a resource reference (`!Ref X`, `!GetAtt X.Arn`, `!Sub "..."`, or a literal).
fn render(v: &Value) -> String {
    match v {
        Value::Tagged(t) => format!(
            "{}:{}",
            t.tag.to_string().trim_start_matches('!'),
            render(&t.value)
        ),
        Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Sequence(s) => s.clone(),
        Value::Null => vec![],
        one => vec![one.clone()],
    }
}

/// A statement as deployed with every option on: `!If [Cond, statement, !Ref AWS::NoValue]`
/// is its statement, and the `NoValue` branch none.
fn when_on(st: &Value) -> Option<Value> {
    match st {
        Value::Tagged(t) if t.tag == "If" => {
            let on = as_list(&t.value).get(1).cloned()?;
            (render(&on) != "Ref:AWS::NoValue").then_some(on)
        }
        other => Some(other.clone()),
    }
}

/// (actions, resources) of every statement of a function's inline policies, options on.
fn statements(function: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let t = template();
    let policies = &t["Resources"][function]["Properties"]["Policies"];
    let mut out = Vec::new();
    for p in as_list(policies) {
        assert!(
            p.get("Statement").is_some(),
            "{function}: only inline statements, no managed policy templates: {p:?}"
        );
        for st in as_list(&p["Statement"]).iter().filter_map(when_on) {
            assert_eq!(st["Effect"].as_str(), Some("Allow"));
            let actions = as_list(&st["Action"]).iter().map(render).collect();
            let resources = as_list(&st["Resource"]).iter().map(render).collect();
            out.push((actions, resources));
        }
    }
    out
}

#[test]
fn no_wildcard_resources_anywhere() {
    for f in ["FetchVideosFunction", "VideosApiFunction"] {
        for (actions, resources) in statements(f) {
            for r in &resources {
                assert_ne!(r, "*", "{f}: {actions:?} on *");
                assert!(!r.starts_with("arn:") || !r.contains(":*"), "{f}: {r}");
            }
        }
    }
}

#[test]
fn the_api_cannot_read_youtube_keys_and_writes_the_table_only_for_push() {
    let t = template();
    let policies = as_list(&t["Resources"]["VideosApiFunction"]["Properties"]["Policies"]);
    for (actions, resources) in statements("VideosApiFunction") {
        for a in &actions {
            let read = matches!(
                a.as_str(),
                "dynamodb:GetItem" | "dynamodb:BatchGetItem" | "dynamodb:Query"
            );
            let push_write = matches!(
                a.as_str(),
                "dynamodb:PutItem" | "dynamodb:UpdateItem" | "dynamodb:BatchWriteItem"
            );
            assert!(
                read || push_write || a == "secretsmanager:GetSecretValue",
                "API may not {a}"
            );
            if push_write {
                assert_eq!(resources, ["GetAtt:VideosTable.Arn"], "{a}");
            }
            if a.starts_with("secretsmanager:") {
                assert!(
                    resources == ["Ref:PageTokenSecret"] || resources == ["Ref:WebSubSecret"],
                    "API secrets access: {resources:?}"
                );
            }
        }
        assert!(!resources.iter().any(|r| r.contains("YouTubeKeysSecret")));
    }
    // Writes and the push secret only with push on: behind `!If [HasPush, …]`.
    let statements = as_list(&policies[0]["Statement"]);
    let unconditional_writes = statements.iter().any(|st| {
        !matches!(st, Value::Tagged(t) if t.tag == "If")
            && as_list(&st["Action"]).iter().any(|a| {
                [
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                ]
                .contains(&render(a).as_str())
            })
    });
    assert!(!unconditional_writes, "the API writes only with EnablePush");
}

#[test]
fn the_fetcher_writes_only_its_table_reads_only_its_secrets_and_publishes_only_to_its_bus() {
    let mut saw_table_write = false;
    for (actions, resources) in statements("FetchVideosFunction") {
        for a in &actions {
            if a.starts_with("dynamodb:") {
                assert!(
                    !matches!(
                        a.as_str(),
                        "dynamodb:Scan" | "dynamodb:DeleteTable" | "dynamodb:CreateTable"
                    ),
                    "{a}"
                );
                for r in &resources {
                    assert!(
                        r == "GetAtt:VideosTable.Arn" || r == "Sub:${VideosTable.Arn}/index/*",
                        "{a} on {r}"
                    );
                }
                saw_table_write |= a == "dynamodb:BatchWriteItem";
            } else if a.starts_with("secretsmanager:") {
                assert_eq!(a, "secretsmanager:GetSecretValue");
                assert!(
                    resources == ["Ref:YouTubeKeysSecret"] || resources == ["Ref:WebSubSecret"],
                    "{resources:?}"
                );
            } else if a.starts_with("events:") {
                assert_eq!(a, "events:PutEvents");
                assert_eq!(
                    resources,
                    [
                        "Sub:arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"
                    ],
                    "only the configured bus"
                );
            } else {
                assert_eq!(a, "sqs:SendMessage", "unexpected action {a}");
                assert_eq!(resources, ["GetAtt:FetchDeadLetterQueue.Arn"]);
            }
        }
    }
    assert!(saw_table_write);
}

#[test]
fn functions_build_with_cargo_lambda_for_arm64_al2023() {
    let t = template();
    assert_eq!(
        t["Globals"]["Function"]["Runtime"].as_str(),
        Some("provided.al2023")
    );
    assert_eq!(
        t["Globals"]["Function"]["Architectures"][0].as_str(),
        Some("arm64")
    );
    for (f, bin) in [
        ("FetchVideosFunction", "fetch-videos"),
        ("VideosApiFunction", "videos-api"),
    ] {
        let r = &t["Resources"][f];
        assert_eq!(
            r["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{f}"
        );
        assert_eq!(
            r["Metadata"]["BuildProperties"]["Binary"].as_str(),
            Some(bin),
            "{f}"
        );
        let manifest = format!(
            "{}/../../functions/{bin}/Cargo.toml",
            env!("CARGO_MANIFEST_DIR")
        );
        assert!(std::path::Path::new(&manifest).exists(), "{manifest}");
    }
    // Keys never live in the template: no parameter carries them (they go in through
    // `tubefeed keys add`), and the secret is created empty, a literal a deploy never rewrites.
    for (name, p) in t["Parameters"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        assert!(
            !name.contains("ApiKey") && p.get("NoEcho").is_none(),
            "{name}: keys go in through `tubefeed keys add`, never a parameter"
        );
    }
    assert_eq!(
        t["Resources"]["YouTubeKeysSecret"]["Properties"]["SecretString"].as_str(),
        Some(r#"{"keys":[]}"#)
    );
    // The lease outlives the Lambda timeout.
    let timeout = t["Resources"]["FetchVideosFunction"]["Properties"]["Timeout"]
        .as_u64()
        .unwrap();
    let lease: u64 = t["Resources"]["FetchVideosFunction"]["Properties"]["Environment"]["Variables"]["FETCH_LEASE_SECONDS"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(lease > timeout);
}

/// The planner must know the schedule the rule runs on: one parameter feeds both.
#[test]
fn the_schedule_and_the_fetchers_planner_read_one_parameter() {
    let path = format!("{}/../../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_norway::from_str(&text).expect("template.yaml parses");
    let f = &doc["Resources"]["FetchVideosFunction"]["Properties"];
    let rule = serde_norway::to_string(&f["Events"]["Schedule"]["Properties"]["Schedule"]).unwrap();
    let env = serde_norway::to_string(&f["Environment"]["Variables"]["FETCH_SCHEDULE"]).unwrap();
    assert_eq!(rule.trim(), "!Ref ScheduleExpression");
    assert_eq!(env.trim(), rule.trim());
    let default = doc["Parameters"]["ScheduleExpression"]["Default"].as_str();
    assert_eq!(default, Some("rate(1 minute)"));
}

/// Issue 22: what abuse can cost is capped in the template itself.
#[test]
fn the_template_caps_what_the_public_edge_can_cost() {
    let t = template();
    let r = &t["Resources"];
    // At most ApiMaxConcurrency API instances at once, each reading a capped number of
    // searches a second.
    let api = &r["VideosApiFunction"]["Properties"];
    assert_eq!(
        render(&api["ReservedConcurrentExecutions"]),
        "Ref:ApiMaxConcurrency"
    );
    assert_eq!(
        render(&api["Environment"]["Variables"]["API_SEARCH_PER_SECOND"]),
        "Ref:ApiSearchesPerSecond"
    );
    // On-demand ceilings on the table and on every index.
    let table = &r["VideosTable"]["Properties"];
    let caps = |v: &Value| {
        (
            render(&v["OnDemandThroughput"]["MaxReadRequestUnits"]),
            render(&v["OnDemandThroughput"]["MaxWriteRequestUnits"]),
        )
    };
    let want = (
        "Ref:TableMaxReadUnits".to_owned(),
        "Ref:TableMaxWriteUnits".to_owned(),
    );
    assert_eq!(caps(table), want);
    let gsis = as_list(&table["GlobalSecondaryIndexes"]);
    assert!(!gsis.is_empty());
    for g in &gsis {
        assert_eq!(caps(g), want, "{g:?}");
    }
    // Searches throttled below the lists, on a route of their own.
    let http = &r["HttpApi"]["Properties"];
    let default_rate = http["DefaultRouteSettings"]["ThrottlingRateLimit"]
        .as_f64()
        .unwrap();
    let search = &http["RouteSettings"]["GET /search"];
    let search_rate = search["ThrottlingRateLimit"].as_f64().unwrap();
    assert!(
        search_rate < default_rate,
        "{search_rate} >= {default_rate}"
    );
    assert!(
        search["ThrottlingBurstLimit"].as_f64().unwrap()
            < http["DefaultRouteSettings"]["ThrottlingBurstLimit"]
                .as_f64()
                .unwrap()
    );
    let events = &api["Events"];
    assert_eq!(
        events["Search"]["Properties"]["Path"].as_str(),
        Some("/search")
    );
    // And someone is told when reads run high.
    let alarm = &r["ReadCapacityAlarm"]["Properties"];
    assert_eq!(
        alarm["MetricName"].as_str(),
        Some("ConsumedReadCapacityUnits")
    );
    assert_eq!(render(&alarm["Dimensions"][0]["Value"]), "Ref:VideosTable");
}

// ---- alarms ----

/// (logical id, resource) of every CloudWatch alarm.
fn alarms(t: &Value) -> Vec<(String, Value)> {
    t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::CloudWatch::Alarm"))
        .map(|(k, r)| (k.as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

#[test]
fn every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears() {
    let t = template();
    let all = alarms(&t);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(all.len(), 6, "{names:?}");
    for (name, alarm) in &all {
        for field in ["AlarmActions", "OKActions"] {
            let actions: Vec<String> = as_list(&alarm["Properties"][field])
                .iter()
                .map(render)
                .collect();
            assert_eq!(actions, ["Ref:AlarmTopic"], "{name} {field}");
        }
    }
    // AlarmEmail subscribes an address to that topic, and only when it is set.
    let sub = &t["Resources"]["AlarmEmailSubscription"];
    assert_eq!(sub["Condition"].as_str(), Some("HasAlarmEmail"));
    assert_eq!(render(&sub["Properties"]["TopicArn"]), "Ref:AlarmTopic");
    assert_eq!(render(&sub["Properties"]["Endpoint"]), "Ref:AlarmEmail");
    assert_eq!(
        render(&t["Outputs"]["AlarmTopicArn"]["Value"]),
        "Ref:AlarmTopic"
    );
}

#[test]
fn each_dead_letter_queue_has_an_alarm_on_its_depth() {
    let t = template();
    let all = alarms(&t);
    for queue in ["FetchDeadLetterQueue", "WebhookDeadLetterQueue"] {
        let watched = all.iter().any(|(_, a)| {
            let p = &a["Properties"];
            p["MetricName"].as_str() == Some("ApproximateNumberOfMessagesVisible")
                && as_list(&p["Dimensions"])
                    .iter()
                    .any(|d| render(&d["Value"]) == format!("GetAtt:{queue}.QueueName"))
                && p["Threshold"].as_i64() == Some(0)
        });
        assert!(watched, "no alarm on the depth of {queue}");
    }
}
