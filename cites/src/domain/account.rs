//! The prepayment account aggregate: an organisation pays money in advance (deposits recorded
//! by the Management Authority) and its permit fees are debited from it. The balance never
//! goes negative; a debit is decided here and committed by the handler in the same atomic
//! batch as the permit's `PaymentRecorded`, so a concurrent debit makes one of them decide
//! again against the new balance.

use super::rules::Finding;
use crate::domain::aggregate::aggregate_events;
use ecites_events::cites::Money;
use ecites_events::payloads::prepayment::*;
use serde::Serialize;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Where the prepayment rules come from: the Party's own fee arrangements, not the Convention.
const SOURCE: &str = "the Party's fee arrangements (ours)";

/// The fields of the payment request the debit findings point at.
pub const ACCOUNT_FIELD: &str = "method.prepayment_debit.account_id";
pub const AMOUNT_FIELD: &str = "amount";
pub const CURRENCY_FIELD: &str = "amount.currency";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountCommand {
    Open {
        organisation_id: Uuid,
        currency: String,
    },
    Deposit {
        amount: Money,
        receipt_number: String,
    },
    /// A permit fee paid from the account.
    Debit {
        amount: Money,
        permit_id: Uuid,
        /// The organisation the permit was applied for; only its own account pays.
        organisation_id: Option<Uuid>,
        /// What is still owed on the permit: more would move money out of the account for
        /// nothing.
        outstanding: i64,
    },
}

impl AccountCommand {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::Deposit { .. } => "deposit into",
            Self::Debit { .. } => "debit",
        }
    }
}

aggregate_events! {
    pub enum AccountEvent ("a prepayment account event") {
        Opened(PrepaymentAccountOpened),
        Deposited(PrepaymentDeposited),
        Debited(PrepaymentDebited),
    }
}

/// One line of the account's statement (minor units of the account's currency).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Movement {
    Deposit {
        minor_units: i64,
        receipt_number: String,
        balance_after: i64,
    },
    Debit {
        minor_units: i64,
        permit_id: Uuid,
        balance_after: i64,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountState {
    /// `None` until opened.
    pub opened: Option<PrepaymentAccountOpened>,
    /// Minor units of the account's currency; never negative.
    pub balance: i64,
    /// Receipt numbers already deposited, so that one receipt is not credited twice.
    pub receipts: BTreeSet<String>,
    pub movements: Vec<Movement>,
}

impl AccountState {
    pub fn organisation_id(&self) -> Option<Uuid> {
        self.opened.as_ref().map(|o| o.organisation_id)
    }

    fn status(&self) -> &'static str {
        if self.opened.is_some() {
            "open"
        } else {
            "not opened"
        }
    }
}

/// Folds one event into the state. Pure and total: events are facts, never refused here.
pub fn evolve(mut s: AccountState, event: &AccountEvent) -> AccountState {
    match event {
        AccountEvent::Opened(e) => s.opened = Some(e.clone()),
        AccountEvent::Deposited(e) => {
            s.balance = s.balance.saturating_add(e.amount.minor_units);
            s.receipts.insert(e.receipt_number.clone());
            s.movements.push(Movement::Deposit {
                minor_units: e.amount.minor_units,
                receipt_number: e.receipt_number.clone(),
                balance_after: s.balance,
            });
        }
        AccountEvent::Debited(e) => {
            s.balance = s.balance.saturating_sub(e.amount.minor_units);
            s.movements.push(Movement::Debit {
                minor_units: e.amount.minor_units,
                permit_id: e.permit_id,
                balance_after: s.balance,
            });
        }
    }
    s
}

/// Why an account command was refused. Nothing is written in any case.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    #[error("cannot {command} a prepayment account that is {status}")]
    InvalidTransition {
        command: &'static str,
        status: &'static str,
    },
    /// A debit the prepayment rules refuse (FEE-PREPAYMENT-*), with the payment field at fault.
    #[error("refused by {} rule(s): {}", .0.len(), .0.iter().map(|f| f.rule).collect::<Vec<_>>().join(", "))]
    Rules(Vec<Finding>),
    #[error("{0}")]
    Invalid(String),
}

type Decision = Result<Vec<AccountEvent>, AccountError>;

/// A currency code as ISO 4217 writes it (three capital letters).
fn currency(value: &str) -> Result<String, AccountError> {
    let c = value.trim().to_ascii_uppercase();
    if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AccountError::Invalid(format!(
            "currency {value:?} is not an ISO 4217 code"
        )));
    }
    Ok(c)
}

pub fn decide(state: &AccountState, command: AccountCommand) -> Decision {
    use AccountCommand as C;
    match (&state.opened, command) {
        (
            None,
            C::Open {
                organisation_id,
                currency: c,
            },
        ) => {
            if organisation_id.is_nil() {
                return Err(AccountError::Invalid(
                    "an account belongs to an organisation".into(),
                ));
            }
            Ok(vec![AccountEvent::Opened(PrepaymentAccountOpened {
                organisation_id,
                currency: currency(&c)?,
            })])
        }
        (
            Some(opened),
            C::Deposit {
                amount,
                receipt_number,
            },
        ) => deposit(state, opened, amount, &receipt_number),
        (
            _,
            C::Debit {
                amount,
                permit_id,
                organisation_id,
                outstanding,
            },
        ) => debit(state, amount, permit_id, organisation_id, outstanding),
        (_, command) => Err(AccountError::InvalidTransition {
            command: command.name(),
            status: state.status(),
        }),
    }
}

fn deposit(
    state: &AccountState,
    opened: &PrepaymentAccountOpened,
    amount: Money,
    receipt_number: &str,
) -> Decision {
    let receipt = receipt_number.trim();
    if receipt.is_empty() {
        return Err(AccountError::Invalid(
            "receipt_number must not be empty".into(),
        ));
    }
    if state.receipts.contains(receipt) {
        return Err(AccountError::Invalid(format!(
            "receipt {receipt} is already credited to this account"
        )));
    }
    if amount.minor_units <= 0 {
        return Err(AccountError::Invalid(
            "a deposit must be a positive amount".into(),
        ));
    }
    if amount.currency != opened.currency {
        return Err(AccountError::Invalid(format!(
            "the account is in {}, not {}",
            opened.currency, amount.currency
        )));
    }
    if state.balance.checked_add(amount.minor_units).is_none() {
        return Err(AccountError::Invalid(
            "the balance would exceed what the ledger can count".into(),
        ));
    }
    Ok(vec![AccountEvent::Deposited(PrepaymentDeposited {
        amount,
        receipt_number: receipt.to_string(),
    })])
}

fn debit(
    state: &AccountState,
    amount: Money,
    permit_id: Uuid,
    organisation_id: Option<Uuid>,
    outstanding: i64,
) -> Decision {
    let refuse = |rule, field, message: String| {
        AccountError::Rules(vec![Finding::refuse(rule, SOURCE, message).at(field)])
    };
    // One answer for a missing account and another organisation's, and nothing about its
    // balance: the payer learns only that this account cannot pay for this permit.
    let Some(opened) = state
        .opened
        .as_ref()
        .filter(|o| Some(o.organisation_id) == organisation_id)
    else {
        return Err(refuse(
            "FEE-PREPAYMENT-ACCOUNT",
            ACCOUNT_FIELD,
            "no prepayment account of the permit's organisation has this id".into(),
        ));
    };
    if amount.minor_units <= 0 {
        return Err(AccountError::Invalid(
            "a payment must be a positive amount".into(),
        ));
    }
    if amount.currency != opened.currency {
        return Err(refuse(
            "FEE-PREPAYMENT-CURRENCY",
            CURRENCY_FIELD,
            format!(
                "the account is in {}, the payment in {}",
                opened.currency, amount.currency
            ),
        ));
    }
    if amount.minor_units > outstanding {
        return Err(refuse(
            "FEE-PREPAYMENT-AMOUNT",
            AMOUNT_FIELD,
            format!(
                "{} {} is more than the {outstanding} still owed on the permit",
                amount.minor_units, amount.currency
            ),
        ));
    }
    if amount.minor_units > state.balance {
        return Err(refuse(
            "FEE-PREPAYMENT-BALANCE",
            AMOUNT_FIELD,
            format!(
                "the account holds {} {}: a debit of {} would leave it negative",
                state.balance, opened.currency, amount.minor_units
            ),
        ));
    }
    Ok(vec![AccountEvent::Debited(PrepaymentDebited {
        amount,
        permit_id,
    })])
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
