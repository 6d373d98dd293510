//! The table's definition, in one place: `tubefeed table create` builds it through the SDK and
//! a test checks that `template.yaml` declares exactly the same keys and indexes.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use tracing::info;
use tubefeed_core::StoreError;

use crate::DynamoStore;
use crate::error::build_error;
use crate::items::{CHANNEL_INDEX, CHANNEL_PK, FEED_INDEX, FEED_PK, FEED_SK, PK, SK, TTL_ATTR};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub hash_key: &'static str,
    pub range_key: &'static str,
    /// `ALL`: feed pages are served from the index alone, one Query per page.
    pub projection: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    pub hash_key: &'static str,
    pub range_key: &'static str,
    /// Every key attribute of the table and its indexes, all strings.
    pub attributes: Vec<&'static str>,
    pub indexes: Vec<IndexDefinition>,
    pub billing_mode: &'static str,
    pub ttl_attribute: &'static str,
}

pub fn definition() -> TableDefinition {
    TableDefinition {
        hash_key: PK,
        range_key: SK,
        attributes: vec![PK, SK, FEED_PK, FEED_SK, CHANNEL_PK],
        indexes: vec![
            IndexDefinition {
                name: FEED_INDEX,
                hash_key: FEED_PK,
                range_key: FEED_SK,
                projection: "ALL",
            },
            IndexDefinition {
                name: CHANNEL_INDEX,
                hash_key: CHANNEL_PK,
                range_key: FEED_SK,
                projection: "ALL",
            },
        ],
        billing_mode: "PAY_PER_REQUEST",
        ttl_attribute: TTL_ATTR,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Created,
    AlreadyExisted,
}

/// Creates the table if it is missing and waits until it is active. Idempotent; an existing
/// table whose keys or indexes differ is an error rather than something to work around.
pub async fn create_table(store: &DynamoStore) -> Result<Created, StoreError> {
    let (client, name) = (store.client(), store.table());
    let def = definition();
    match client.describe_table().table_name(name).send().await {
        Ok(out) => {
            let table = out
                .table
                .ok_or_else(|| StoreError::Corrupt("DescribeTable returned no table".into()))?;
            check_existing(&def, &table)?;
            wait_active(store).await?;
            return Ok(Created::AlreadyExisted);
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => return Err(store.sdk_error("DescribeTable", e)),
    }
    match create_request(client, name, &def)?.send().await {
        Ok(_) => {}
        // Two creators racing: the other one won, which is what we wanted.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            wait_active(store).await?;
            return Ok(Created::AlreadyExisted);
        }
        Err(e) => return Err(store.sdk_error("CreateTable", e)),
    }
    wait_active(store).await?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(def.ttl_attribute)
                .enabled(true)
                .build()
                .map_err(|e| build_error("TimeToLiveSpecification", e))?,
        )
        .send()
        .await
        .map_err(|e| store.sdk_error("UpdateTimeToLive", e))?;
    info!(table = name, "table created");
    Ok(Created::Created)
}

fn key_element(attr: &str, kt: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(attr)
        .key_type(kt)
        .build()
        .map_err(|e| build_error("KeySchema", e))
}

/// The CreateTable request for `def`: on-demand, string keys, every index projecting all.
fn create_request(
    client: &Client,
    name: &str,
    def: &TableDefinition,
) -> Result<CreateTableFluentBuilder, StoreError> {
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_element(def.hash_key, KeyType::Hash)?)
        .key_schema(key_element(def.range_key, KeyType::Range)?);
    for a in &def.attributes {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(*a)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| build_error("AttributeDefinition", e))?,
        );
    }
    for ix in &def.indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(ix.name)
                .key_schema(key_element(ix.hash_key, KeyType::Hash)?)
                .key_schema(key_element(ix.range_key, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| build_error("GlobalSecondaryIndex", e))?,
        );
    }
    Ok(req)
}

fn check_existing(
    def: &TableDefinition,
    table: &aws_sdk_dynamodb::types::TableDescription,
) -> Result<(), StoreError> {
    let keys: Vec<(String, String)> = table
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_owned(),
                k.key_type().as_str().to_owned(),
            )
        })
        .collect();
    let want = vec![
        (def.hash_key.to_owned(), "HASH".to_owned()),
        (def.range_key.to_owned(), "RANGE".to_owned()),
    ];
    if keys != want {
        return Err(StoreError::Corrupt(format!(
            "table exists with key schema {keys:?}, expected {want:?}"
        )));
    }
    let mut have: Vec<&str> = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    have.sort_unstable();
    let mut expected: Vec<&str> = def.indexes.iter().map(|i| i.name).collect();
    expected.sort_unstable();
    if have != expected {
        return Err(StoreError::Corrupt(format!(
            "table exists with indexes {have:?}, expected {expected:?}"
        )));
    }
    Ok(())
}

async fn wait_active(store: &DynamoStore) -> Result<(), StoreError> {
    let (client, name) = (store.client(), store.table());
    for _ in 0..120 {
        let out = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| store.sdk_error("DescribeTable", e))?;
        let table = out.table.as_ref();
        let table_active = table.and_then(|t| t.table_status()) == Some(&TableStatus::Active);
        let indexes_active = table.is_some_and(|t| {
            t.global_secondary_indexes()
                .iter()
                .all(|g| g.index_status().is_none_or(|s| s.as_str() == "ACTIVE"))
        });
        if table_active && indexes_active {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(StoreError::Unavailable(format!(
        "table {name} did not become active within 60 s"
    )))
}
