//! Given/when/then for the prepayment account: every command, allowed and refused.

use super::*;

use crate::domain::aggregate::PrepaymentAccount;
use crate::domain::given;

type Then = given::Then<PrepaymentAccount>;

struct Given(given::Given<PrepaymentAccount>);

fn given(events: &[AccountEvent]) -> Given {
    Given(given::given(AccountState::default(), events))
}

impl Given {
    fn when(&self, command: AccountCommand) -> Then {
        self.0.when(command, &())
    }
}

impl given::Then<PrepaymentAccount> {
    /// Refused by exactly one prepayment rule, pointing at `field`.
    #[track_caller]
    fn refused_by(self, rule: &str, field: &str) -> String {
        match self.result {
            Err(AccountError::Rules(f)) => {
                assert_eq!(f.len(), 1, "{f:?}");
                assert_eq!(f[0].rule, rule);
                assert_eq!(f[0].field.as_deref(), Some(field));
                assert!(f[0].refuse);
                f[0].message.clone()
            }
            other => panic!("expected {rule}, got {other:?}"),
        }
    }

    #[track_caller]
    fn invalid(self) {
        assert!(
            matches!(self.result, Err(AccountError::Invalid(_))),
            "{:?}",
            self.result
        );
    }

    #[track_caller]
    fn invalid_transition(self) {
        assert!(
            matches!(self.result, Err(AccountError::InvalidTransition { .. })),
            "{:?}",
            self.result
        );
    }
}

fn usd(minor_units: i64) -> Money {
    Money {
        minor_units,
        currency: "USD".into(),
    }
}

fn org() -> Uuid {
    Uuid::from_u128(1)
}

fn opened() -> Vec<AccountEvent> {
    given(&[])
        .when(AccountCommand::Open {
            organisation_id: org(),
            currency: " usd ".into(),
        })
        .events()
}

/// An account of `org()` holding `balance` USD minor units.
fn holding(balance: i64) -> Vec<AccountEvent> {
    let mut e = opened();
    e.push(AccountEvent::Deposited(PrepaymentDeposited {
        amount: usd(balance),
        receipt_number: "R-1".into(),
    }));
    e
}

fn deposit(minor_units: i64, receipt: &str) -> AccountCommand {
    AccountCommand::Deposit {
        amount: usd(minor_units),
        receipt_number: receipt.into(),
    }
}

fn debit(amount: Money) -> AccountCommand {
    AccountCommand::Debit {
        amount,
        permit_id: Uuid::from_u128(7),
        organisation_id: Some(org()),
        outstanding: 10_000,
    }
}

#[test]
fn an_organisation_opens_an_account_in_a_currency() {
    let events = opened();
    assert_eq!(
        events,
        [AccountEvent::Opened(PrepaymentAccountOpened {
            organisation_id: org(),
            currency: "USD".into(),
        })]
    );
    let s = given(&[]).when(deposit(1, "x")).result;
    assert!(matches!(s, Err(AccountError::InvalidTransition { .. })));
    given(&events)
        .when(AccountCommand::Open {
            organisation_id: org(),
            currency: "USD".into(),
        })
        .invalid_transition();
    for bad in ["", "US", "US1", "dollars"] {
        given(&[])
            .when(AccountCommand::Open {
                organisation_id: org(),
                currency: bad.into(),
            })
            .invalid();
    }
    given(&[])
        .when(AccountCommand::Open {
            organisation_id: Uuid::nil(),
            currency: "USD".into(),
        })
        .invalid();
}

#[test]
fn deposits_raise_the_balance_once_per_receipt() {
    let s = given(&opened()).when(deposit(5_000, " R-1 ")).state();
    assert_eq!(s.balance, 5_000);
    assert_eq!(
        s.movements,
        [Movement::Deposit {
            minor_units: 5_000,
            receipt_number: "R-1".into(),
            balance_after: 5_000
        }]
    );
    given(&holding(5_000)).when(deposit(100, "R-1")).invalid();
    given(&opened()).when(deposit(0, "R-2")).invalid();
    given(&opened()).when(deposit(-5, "R-2")).invalid();
    given(&opened()).when(deposit(5, "  ")).invalid();
    given(&holding(i64::MAX)).when(deposit(1, "R-2")).invalid();
    given(&opened())
        .when(AccountCommand::Deposit {
            amount: Money {
                minor_units: 100,
                currency: "EUR".into(),
            },
            receipt_number: "R-2".into(),
        })
        .invalid();
}

#[test]
fn a_debit_within_the_balance_is_recorded() {
    let s = given(&holding(5_000)).when(debit(usd(3_000))).state();
    assert_eq!(s.balance, 2_000);
    assert_eq!(
        s.movements.last(),
        Some(&Movement::Debit {
            minor_units: 3_000,
            permit_id: Uuid::from_u128(7),
            balance_after: 2_000
        })
    );
    // The whole balance may go; zero is not negative.
    assert_eq!(
        given(&holding(5_000))
            .when(debit(usd(5_000)))
            .state()
            .balance,
        0
    );
}

#[test]
fn a_debit_that_would_leave_the_balance_negative_is_refused() {
    let message = given(&holding(5_000))
        .when(debit(usd(5_001)))
        .refused_by("FEE-PREPAYMENT-BALANCE", "amount");
    assert!(message.contains("5000 USD"), "{message}");
    given(&opened())
        .when(debit(usd(1)))
        .refused_by("FEE-PREPAYMENT-BALANCE", "amount");
}

#[test]
fn only_the_permit_organisations_own_account_pays() {
    let mut other = debit(usd(100));
    if let AccountCommand::Debit {
        organisation_id, ..
    } = &mut other
    {
        *organisation_id = Some(Uuid::from_u128(2));
    }
    let message = given(&holding(5_000))
        .when(other)
        .refused_by("FEE-PREPAYMENT-ACCOUNT", ACCOUNT_FIELD);
    assert!(
        !message.contains("5000"),
        "the balance is not told: {message}"
    );
    given(&[])
        .when(debit(usd(100)))
        .refused_by("FEE-PREPAYMENT-ACCOUNT", ACCOUNT_FIELD);
}

#[test]
fn a_debit_in_another_currency_or_beyond_the_fee_is_refused() {
    given(&holding(5_000))
        .when(debit(Money {
            minor_units: 100,
            currency: "EUR".into(),
        }))
        .refused_by("FEE-PREPAYMENT-CURRENCY", CURRENCY_FIELD);
    given(&holding(50_000))
        .when(debit(usd(10_001)))
        .refused_by("FEE-PREPAYMENT-AMOUNT", "amount");
    given(&holding(5_000)).when(debit(usd(0))).invalid();
}
