//! Reports and dashboards (officers, signatories, auditors, Party admins; never traders):
//! the CITES annual trade report, the ad hoc trade report, the national-list report and the
//! dashboard. They read the read models only.

pub mod annual;
pub mod annual_http;
pub mod codes;
pub mod dashboard;
pub mod national;
pub mod trade;
