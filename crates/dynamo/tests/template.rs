//! `template.yaml` declares the same table as `tubefeed table create` builds.

use serde_yaml::Value;
use tubefeed_dynamo::definition;

fn table_properties() -> Value {
    let path = format!("{}/../../template.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_yaml::from_str(&text).expect("template.yaml parses");
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
