//! The Convention's fixed code sets; defined beside the event payloads that record them.

pub use ecites_events::cites::*;
