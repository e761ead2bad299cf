//! Signed tree heads recorded in the log itself (aggregate `tree_head`, id = the Party's code in
//! lower case): each commits to every event of the stream up to its size (`crate::merkle`).

use crate::schema::EventPayload;
use crate::tree_head::SignedTreeHead;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeHeadSigned {
    pub head: SignedTreeHead,
}

impl EventPayload for TreeHeadSigned {
    const AGGREGATE: &'static str = "tree_head";
    const EVENT_TYPE: &'static str = "TreeHeadSigned";
    const SCHEMA_VERSION: u32 = 1;
}
