//! The query router over a fresh PostgreSQL database with a few seeded rows.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use axum::Router;
use ecites_projector::db::{create_database, migrate, pool, ACTIVE_SCHEMA, READ_MODELS};
use ecites_query::{router, QueryState, Sessions, Viewer};
use serde_json::Value;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use uuid::Uuid;

pub const ORG_A: Uuid = Uuid::from_u128(0xA0);
pub const ORG_B: Uuid = Uuid::from_u128(0xB0);
pub const P1: Uuid = Uuid::from_u128(1);
pub const P2: Uuid = Uuid::from_u128(2);
pub const P3: Uuid = Uuid::from_u128(3);
pub const P4: Uuid = Uuid::from_u128(4);
pub const P5: Uuid = Uuid::from_u128(5);
pub const P6: Uuid = Uuid::from_u128(6);

/// Bearer tokens → viewers: the token is the role (`officer`, `trader_a`, …).
pub struct TestSessions(HashMap<String, Viewer>);

impl Sessions for TestSessions {
    fn viewer(&self, token: &str) -> Option<Viewer> {
        self.0.get(token).cloned()
    }
}

/// The viewer `name@party` in `role`; a trader's account opened for `org`.
fn viewer(party: &str, name: &str, role: &str, org: Option<Uuid>) -> Viewer {
    Viewer {
        user_id: format!("{name}@{party}"),
        party: party.parse().unwrap(),
        role: role.into(),
        organisation_id: org,
    }
}

pub fn sessions() -> Arc<TestSessions> {
    let mut m = HashMap::new();
    for role in [
        "ma_officer",
        "ma_signatory",
        "sa_expert",
        "customs",
        "auditor",
        "party_admin",
    ] {
        m.insert(role.to_string(), viewer("LK", role, role, None));
    }
    // Traders read what the organisations listing them own (the seed lists `trader_a@LK` in
    // ORG_A and `trader_b@LK` in ORG_B); the account's organisation grants nothing by itself.
    for (name, org) in [("trader_a", ORG_A), ("trader_b", ORG_B)] {
        m.insert(name.into(), viewer("LK", name, "trader", Some(org)));
    }
    m.insert(
        "ke_officer".into(),
        viewer("KE", "ma_officer", "ma_officer", None),
    );
    m.insert(
        "operator".into(),
        viewer("KE", "system_operator", "system_operator", None),
    );
    Arc::new(TestSessions(m))
}

pub struct Harness {
    pub pool: PgPool,
    pub router: Router,
    /// The test's own database.
    pub database: String,
}

impl Harness {
    /// Drops the test's database (tests leave small ones behind; big ones are dropped).
    pub async fn drop_database(self) {
        drop(self.router);
        self.pool.close().await;
        let url = std::env::var("ECITES_TEST_DATABASE_URL").unwrap();
        let admin = pool(&url, "public", 1).await.unwrap();
        sqlx::query(&format!("DROP DATABASE \"{}\" WITH (FORCE)", self.database))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
    }
}

/// A database of its own, migrated, seeded; the router with `position_wait`.
pub async fn harness(position_wait: Duration) -> Harness {
    let url = std::env::var("ECITES_TEST_DATABASE_URL")
        .expect("ECITES_TEST_DATABASE_URL (run: eval \"$(deploy/stack.sh env)\")");
    let name = format!("q_{}", Uuid::now_v7().simple());
    let db = create_database(&url, &name).await.unwrap();
    migrate(&db, ACTIVE_SCHEMA, &READ_MODELS).await.unwrap();
    let pool = pool(&db, ACTIVE_SCHEMA, 4).await.unwrap();
    seed(&pool).await;
    let state = QueryState {
        pool: pool.clone(),
        sessions: sessions(),
        position_wait,
        first_seal: None,
    };
    Harness {
        router: router(Arc::new(state)),
        pool,
        database: name,
    }
}

pub async fn exec(pool: &PgPool, sql: &str) {
    sqlx::raw_sql(sql).execute(pool).await.unwrap();
}

const STATE: &str = r#"'{"seeded": true}'"#;

async fn seed(pool: &PgPool) {
    exec(
        pool,
        &format!(
            "INSERT INTO checkpoint VALUES ('LK', 10), ('KE', 3);
             INSERT INTO organisations VALUES
               ('{ORG_A}', 'LK', 'Alpha Exports', 'R-1', 'LK', 'verified', '2024-01-01T00:00:00Z', 1, 1),
               ('{ORG_B}', 'LK', 'Beta Traders', 'R-2', 'LK', 'verified', '2024-01-02T00:00:00Z', 1, 2);
             INSERT INTO organisation_members VALUES
               ('{ORG_A}', 'trader_a@LK', 'member', NULL, '2024-01-01T00:00:00Z', 'LK'),
               ('{ORG_B}', 'trader_b@LK', 'member', NULL, '2024-01-02T00:00:00Z', 'LK');
             INSERT INTO permits (permit_id, party, organisation_id, document_type, status,
                 exporting_country, importing_country, permit_number, issued_on, valid_until,
                 submitted_at, updated_at, fee_minor, fee_currency, paid_minor, species,
                 line_count, version, last_sequence, state) VALUES
               ('{P1}', 'LK', '{ORG_A}', 'export_permit', 'issued', 'LK', 'DE', 'LK/2025/000001',
                 '2025-03-01', '2025-09-01', '2025-02-10T09:00:00Z', '2025-03-10T00:00:00Z',
                 5000, 'LKR', 5000, 'Python regius', 1, 6, 6, {STATE}),
               ('{P2}', 'LK', '{ORG_A}', 're_export_certificate', 'used', 'LK', 'US', 'LK/2025/000002',
                 '2025-04-02', '2025-10-02', '2025-03-20T09:00:00Z', '2025-04-20T00:00:00Z',
                 5000, 'LKR', 5000, 'Crocodylus niloticus; Aquilaria malaccensis', 2, 7, 8, {STATE}),
               ('{P3}', 'LK', '{ORG_B}', 'export_permit', 'submitted', 'LK', 'GB', NULL,
                 NULL, NULL, '2025-05-01T09:00:00Z', '2025-05-01T09:00:00Z',
                 5000, 'LKR', 0, 'Panthera pardus', 1, 1, 9, {STATE}),
               ('{P4}', 'LK', '{ORG_B}', 'import_permit', 'issued', 'ZA', 'LK', 'LK/2025/000004',
                 '2025-06-01', '2999-12-31', '2025-05-20T09:00:00Z', '2025-06-15T00:00:00Z',
                 5000, 'LKR', 5000, 'Loxodonta africana', 1, 5, 10, {STATE}),
               ('{P5}', 'LK', '{ORG_A}', 'export_permit', 'approved', 'LK', 'JP', NULL,
                 NULL, NULL, '2025-02-01T09:00:00Z', '2025-02-05T00:00:00Z',
                 5000, 'LKR', 5000, 'Python regius', 1, 4, 7, {STATE}),
               ('{P6}', 'KE', NULL, 'export_permit', 'issued', 'KE', 'DE', 'KE/2025/000001',
                 '2025-03-01', '2025-09-01', '2025-02-10T09:00:00Z', '2025-03-10T00:00:00Z',
                 NULL, NULL, 0, 'Python regius', 1, 3, 3, {STATE});
             INSERT INTO permit_lines (permit_id, line_no, party, status, document_type,
                 permit_number, exporting_country, importing_country, issued_on, endorsed_on,
                 taxon_id, scientific_name, kingdom, appendix, source, purpose, term, unit,
                 quantity_thousandths, endorsed_thousandths, origin_country, origin_permit) VALUES
               ('{P1}', 1, 'LK', 'issued', 'export_permit', 'LK/2025/000001', 'LK', 'DE',
                 '2025-03-01', '2025-03-10', 101, 'Python regius', 'Animalia', 'II', 'C', 'T',
                 'LIV', NULL, 10000, 8000, NULL, NULL),
               ('{P2}', 1, 'LK', 'used', 're_export_certificate', 'LK/2025/000002', 'LK', 'US',
                 '2025-04-02', '2025-04-20', 102, 'Crocodylus niloticus', 'Animalia', 'II', 'W',
                 'T', 'SKI', NULL, 25000, 25000, 'EG', 'EG-2024-77'),
               ('{P2}', 2, 'LK', 'used', 're_export_certificate', 'LK/2025/000002', 'LK', 'US',
                 '2025-04-02', '2025-04-20', 103, 'Aquilaria malaccensis', 'Plantae', 'II', 'A',
                 'T', 'CHP', 'KIL', 1500, 1250, 'ID', 'ID-55'),
               ('{P3}', 1, 'LK', 'submitted', 'export_permit', NULL, 'LK', 'GB', NULL, NULL, 104,
                 'Panthera pardus', 'Animalia', 'I', 'W', 'H', 'TRO', NULL, 1000, NULL, NULL, NULL),
               ('{P4}', 1, 'LK', 'issued', 'import_permit', 'LK/2025/000004', 'ZA', 'LK',
                 '2025-06-01', '2025-06-15', 105, 'Loxodonta africana', 'Animalia', 'II', 'W', 'T',
                 'TUS', NULL, 2000, 2000, NULL, NULL),
               ('{P6}', 1, 'KE', 'issued', 'export_permit', 'KE/2025/000001', 'KE', 'DE',
                 '2025-03-01', '2025-03-10', 101, 'Python regius', 'Animalia', 'II', 'C', 'T',
                 'LIV', NULL, 3000, 3000, NULL, NULL);
             INSERT INTO permit_events VALUES
               ('{P1}', 2, 5, 'LK', 'PermitApproved', '2025-02-20T10:00:00Z', 'signatory@LK',
                 'ma_signatory', '{P5}', 'LK-2025-1', 'h2', 'h1', true, true, '{{}}'),
               ('{P1}', 1, 2, 'LK', 'ApplicationSubmitted', '2025-02-10T09:00:00Z', 'trader_a@LK',
                 'trader', '{P4}', 'LK-2025-1', 'h1', '0000', true, true, '{{\"lines\": 1}}');
             INSERT INTO taxa (party, taxon_id, full_name, rank, kingdom, class, taxon_order,
                 family, genus, appendix, synonyms, common_names, content_hash, last_sequence) VALUES
               ('LK', 101, 'Python regius', 'SPECIES', 'Animalia', 'Reptilia', 'Squamata',
                 'Pythonidae', 'Python', 'II', 'Boa regia', 'Ball python', 'x', 1),
               ('LK', 102, 'Crocodylus niloticus', 'SPECIES', 'Animalia', 'Reptilia',
                 'Crocodylia', 'Crocodylidae', 'Crocodylus', 'II', '', 'Nile crocodile', 'x', 1),
               ('LK', 106, 'Varanus salvator', 'SPECIES', 'Animalia', 'Reptilia', 'Squamata',
                 'Varanidae', 'Varanus', NULL, '', 'Water monitor', 'x', 1);
             INSERT INTO quotas VALUES ('q1', 'LK', 101, 'Python regius', 2025, 'LIV', NULL, 'C',
                 false, 100000, 1500, 8000, NULL, 5);
             INSERT INTO payments VALUES
               ('LK', 3, '{P1}', NULL, 'fee_assessed', NULL, NULL, 5000, 'LKR', '2025-02-10T09:00:00Z', 'system'),
               ('LK', 4, '{P1}', NULL, 'payment', 'card', 'R-9', 5000, 'LKR', '2025-02-21T09:00:00Z', 'trader_a@LK'),
               ('LK', 9, '{P3}', NULL, 'fee_assessed', NULL, NULL, 5000, 'LKR', '2025-05-01T09:00:00Z', 'system');
             INSERT INTO national_list VALUES ('LK', 106, 'Varanus salvator', 'protected locally');
             INSERT INTO dashboard_species VALUES ('LK', 2025, 101, 'Python regius', 2, 2),
                 ('LK', 2025, 102, 'Crocodylus niloticus', 1, 1);
             INSERT INTO dashboard_documents VALUES ('LK', 2025, 'export_permit', 1),
                 ('LK', 2025, 're_export_certificate', 1), ('LK', 2025, 'import_permit', 1);
             -- The projector keeps these counters as permits change status.
             INSERT INTO dashboard_status SELECT party, status, count(*) FROM permits GROUP BY 1, 2;"
        ),
    )
    .await;
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn answer(res: Response<Body>) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// GET `uri` with `token` (None: no Authorization) and extra headers.
pub async fn get_with(
    router: &Router,
    uri: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    answer(res).await
}

pub async fn get(router: &Router, uri: &str, token: &str) -> Answer {
    get_with(router, uri, Some(token), &[]).await
}

/// The ids of a list answer's items.
pub fn ids(a: &Answer, key: &str) -> Vec<String> {
    a.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Password `pw` for every test session; the session token is the user name.
pub struct PasswordLogin;

impl ecites_query::ui::Login for PasswordLogin {
    fn login(
        &self,
        party: ecites_events::PartyCode,
        user_id: &str,
        password: &str,
        _client: Option<std::net::IpAddr>,
    ) -> Result<(String, Viewer), ecites_query::ui::LoginRefused> {
        let refused = ecites_query::ui::LoginRefused::BadCredentials;
        let viewer = sessions().viewer(user_id).ok_or(refused)?;
        (password == "pw" && viewer.party == party)
            .then(|| (user_id.to_string(), viewer))
            .ok_or(refused)
    }

    fn logout(&self, _token: &str) {}
}

/// The UI's routes (mounted under `/query`) over a fresh database, signing in with `login`.
pub async fn ui_router_with(login: Arc<dyn ecites_query::ui::Login>) -> (Harness, Router) {
    let h = harness(Duration::from_secs(2)).await;
    let query = Arc::new(QueryState::new(h.pool.clone(), sessions()));
    let r = ecites_query::ui::router(Arc::new(ecites_query::ui::Ui {
        query,
        login,
        base: "/query".into(),
        command_base: String::new(),
    }));
    (h, r)
}

/// [`ui_router_with`] the [`PasswordLogin`].
pub async fn ui_router() -> (Harness, Router) {
    ui_router_with(Arc::new(PasswordLogin)).await
}

/// The hash of P4's issuing event in [`with_issuing_event`].
pub const ISSUED_HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// P4's issuance on its timeline, signature and chain verified: what a permit page needs
/// before it may show the permit as VALID.
pub async fn with_issuing_event(h: &Harness) {
    exec(
        &h.pool,
        &format!(
            "INSERT INTO permit_events VALUES
               ('{P4}', 5, 10, 'LK', 'PermitIssued', '2025-06-01T10:00:00Z', 'signatory@LK',
                'ma_signatory', '{P1}', 'LK-2025-1', '{ISSUED_HASH}', 'h4', true, true, '{{}}')"
        ),
    )
    .await;
}
