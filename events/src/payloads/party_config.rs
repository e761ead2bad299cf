//! A Party's own configuration (aggregate `party_config`, id = the Party's ISO code in lower
//! case): its fee schedule, its stricter domestic measures (Art. XIV) and its national list of
//! species that need a permit although CITES does not list them. The command side folds these
//! events over its start-up defaults into the settings every decision is taken with, so a
//! refusal or a fee can always be traced to the configuration event in force at the time.

use crate::cites::{Appendix, DocumentType, PurposeCode, SourceCode};
use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! party_config_event {
    ($t:ident) => {
        impl EventPayload for $t {
            const AGGREGATE: &'static str = "party_config";
            const EVENT_TYPE: &'static str = stringify!($t);
            const SCHEMA_VERSION: u32 = 1;
        }
    };
}

/// A line of a fee schedule. An application pays the first line whose conditions all hold;
/// an absent condition holds for every application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeRule {
    pub document_type: Option<DocumentType>,
    /// Compared with the strictest Appendix among the application's lines; an application of
    /// non-CITES species only (national list) has none and matches only a rule without one.
    pub appendix: Option<Appendix>,
    /// Minor units of the schedule's currency, per application.
    pub base: i64,
    /// Minor units per line of the application.
    pub per_line: i64,
    /// Minor units added when express handling is asked for.
    pub express_surcharge: i64,
}

/// The fee schedule, replacing the previous one whole. Its last rule has no condition, so
/// every application is charged by an explicit line rather than silently free.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeScheduleSet {
    /// ISO 4217 code, e.g. `LKR`.
    pub currency: String,
    pub rules: Vec<FeeRule>,
}
party_config_event!(FeeScheduleSet);

/// A stricter domestic measure banning exports of a taxon, set or revised (same `id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomesticMeasureSet {
    /// The Party's own reference of the measure (e.g. the gazette notice), `[A-Za-z0-9._-]`.
    pub id: String,
    pub taxon_id: u64,
    /// The accepted name when the measure was set, for readers of the log.
    pub scientific_name: String,
    pub description: String,
    /// Bans exports for these purposes (empty = all purposes).
    pub banned_purposes: Vec<PurposeCode>,
    /// Bans exports from these sources (empty = all sources).
    pub banned_sources: Vec<SourceCode>,
}
party_config_event!(DomesticMeasureSet);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DomesticMeasureRevoked {
    pub id: String,
    pub reason: String,
}
party_config_event!(DomesticMeasureRevoked);

/// A species CITES does not list that still needs a permit to leave or enter the Party
/// (rule DOC-NATIONAL-LIST).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NationalListSpeciesAdded {
    pub taxon_id: u64,
    pub scientific_name: String,
    /// Why the Party lists it (e.g. the national law).
    pub note: Option<String>,
}
party_config_event!(NationalListSpeciesAdded);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NationalListSpeciesRemoved {
    pub taxon_id: u64,
}
party_config_event!(NationalListSpeciesRemoved);

/// The numbers of the security stamps the Party has in stock (box 5b, Res. Conf. 12.3):
/// issuance takes them in order and refuses when the range is used up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityStampRangeSet {
    pub first: u64,
    pub last: u64,
}
party_config_event!(SecurityStampRangeSet);

/// Whether the Party allows the documented exceptions to PERMIT-NO-RETROSPECTIVE (Res. Conf.
/// 12.3): issuing a permit for a consignment that already left, with the officer's reason
/// recorded on the permit. Off until the Party's admin sets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrospectiveIssuePolicySet {
    pub exceptions_allowed: bool,
    /// The national provision that allows them, or why they are withdrawn.
    pub basis: String,
}
party_config_event!(RetrospectiveIssuePolicySet);

/// What a national entry is (Res. Conf. 12.3, 4.25, 9.25): trade data a Management Authority
/// records itself, from a Notification to the Parties or its own decision, when the Species+
/// data it imported does not (yet) hold it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NationalEntry {
    /// A trade suspension (Art. XIII; a Standing Committee recommendation): trade in the taxon
    /// (or every taxon) from `country` (`applies_to_import`: into it) is suspended.
    Suspension {
        country: crate::PartyCode,
        applies_to_import: bool,
    },
    /// A reservation this Party entered on the taxon's listing in `appendix` (Art. XV.3, XVI.2,
    /// XXIII): the Party is treated as a non-Party for it.
    Reservation { appendix: Appendix },
    /// The Party's own listing of the taxon in Appendix III (Art. XVI), with its annotation.
    AppendixIii { annotation: Option<String> },
}

/// A national entry recorded, or revised (same `id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NationalEntryRecorded {
    /// The Party's reference of the entry, `[A-Za-z0-9._-]{1,64}`.
    pub id: String,
    pub entry: NationalEntry,
    /// The taxon; `None` only for a suspension of every taxon of a country.
    pub taxon_id: Option<u64>,
    pub scientific_name: Option<String>,
    /// Where it comes from: the Notification to the Parties or the national act.
    pub notification: String,
    pub starts_on: crate::cites::IsoDate,
    /// The last day it applies, when known (`None`: until lifted).
    pub ends_on: Option<crate::cites::IsoDate>,
}
party_config_event!(NationalEntryRecorded);

/// A national entry no longer applies from `lifted_on`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NationalEntryLifted {
    pub id: String,
    pub lifted_on: crate::cites::IsoDate,
    pub reason: String,
}
party_config_event!(NationalEntryLifted);
