//! The write requests every batch in this crate is made of.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use tubefeed_core::StoreError;

use crate::error::build_error;
use crate::items::{PK, SK};

pub(crate) fn put(item: HashMap<String, AttributeValue>) -> Result<WriteRequest, StoreError> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(|e| build_error("PutRequest", e))?;
    Ok(WriteRequest::builder().put_request(put).build())
}

pub(crate) fn delete(pk: String, sk: String) -> Result<WriteRequest, StoreError> {
    let del = DeleteRequest::builder()
        .key(PK, AttributeValue::S(pk))
        .key(SK, AttributeValue::S(sk))
        .build()
        .map_err(|e| build_error("DeleteRequest", e))?;
    Ok(WriteRequest::builder().delete_request(del).build())
}
