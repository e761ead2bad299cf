//! Prepayment accounts (aggregate `prepayment_account`, id = the account's UUID): money an
//! organisation pays in advance, from which permit fees are debited. The balance never goes
//! negative: a debit commits in the same atomic batch as the permit's `PaymentRecorded`, with
//! the account's expected position, so two debits racing on one balance cannot both pass.

use crate::cites::Money;
use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! prepayment_event {
    ($t:ident) => {
        impl EventPayload for $t {
            const AGGREGATE: &'static str = "prepayment_account";
            const EVENT_TYPE: &'static str = stringify!($t);
            const SCHEMA_VERSION: u32 = 1;
        }
    };
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepaymentAccountOpened {
    pub organisation_id: Uuid,
    /// ISO 4217; every movement of the account is in this currency.
    pub currency: String,
}
prepayment_event!(PrepaymentAccountOpened);

/// Money received by the Management Authority (the officer is the envelope's actor).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepaymentDeposited {
    pub amount: Money,
    /// The Management Authority's receipt for the money received.
    pub receipt_number: String,
}
prepayment_event!(PrepaymentDeposited);

/// A permit fee paid from the account; committed with the permit's `PaymentRecorded`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepaymentDebited {
    pub amount: Money,
    pub permit_id: Uuid,
}
prepayment_event!(PrepaymentDebited);
