//! Reference data the decisions consult: CITES code lists and the species catalogue.
