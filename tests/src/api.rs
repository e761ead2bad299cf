//! The command API in process, for end-to-end tests and benchmarks: the axum router of one
//! command-service instance on a [`TestLedger`], with its users, their organisations and
//! (optionally) a document store, called without a socket.
//!
//! ```ignore
//! let api = TestApi::builder()
//!     .trader("trader-a", "org-a")
//!     .user("officer", Role::MaOfficer)
//!     .verified_organisations()
//!     .build()
//!     .await;
//! let token = api.login("trader-a").await;
//! let (status, body) = api.call("/api/LK/permits", Some(&token), Some(submission)).await;
//! ```

use crate::{lk, TestLedger};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use ecites_command::api::{router, users::Users, ApiState};
use ecites_command::domain::context::PartySettings;
use ecites_command::handler::auth::{Principal, Role};
use ecites_command::handler::documents::DocumentStore;
use ecites_command::handler::CommandHandler;
use ecites_command::reference::ReferenceData;
use ecites_events::{EventAppender, EventReader};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// One user of Party LK, with the label of its organisation (traders only).
struct TestUser {
    id: String,
    role: Role,
    organisation: Option<String>,
}

/// What a [`TestApi`] is made of; see [`TestApi::builder`].
#[derive(Default)]
pub struct TestApiBuilder {
    users: Vec<TestUser>,
    verified_organisations: bool,
    document_store: bool,
    sealed: bool,
}

impl TestApiBuilder {
    /// A user of Party LK in `role` (not a trader: see [`Self::trader`]).
    pub fn user(mut self, id: &str, role: Role) -> Self {
        self.users.push(TestUser {
            id: id.into(),
            role,
            organisation: None,
        });
        self
    }

    /// A trader of the organisation labelled `organisation`; the traders given the same label
    /// share one organisation id, [`TestApi::organisation`] of that label.
    pub fn trader(mut self, id: &str, organisation: &str) -> Self {
        self.users.push(TestUser {
            id: id.into(),
            role: Role::Trader,
            organisation: Some(organisation.into()),
        });
        self
    }

    /// Every organisation is registered by its first trader and verified by the first
    /// Management Authority officer before the API is handed over, so its traders can file.
    pub fn verified_organisations(mut self) -> Self {
        self.verified_organisations = true;
        self
    }

    /// Supporting documents are kept in a temporary store, at [`TestApi::document_store_dir`].
    pub fn document_store(mut self) -> Self {
        self.document_store = true;
        self
    }

    /// Issued permits are sealed with the ledger's key, as `ecites serve` seals them.
    pub fn sealed(mut self) -> Self {
        self.sealed = true;
        self
    }

    /// The API on a fresh, isolated ledger.
    pub async fn build(self) -> TestApi {
        let ledger = Arc::new(TestLedger::new().await);
        let log = ledger.log.clone();
        self.build_on(ledger, log).await
    }

    /// Another instance on `api`'s ledger: each learns what the other wrote only from the log.
    pub async fn build_beside(self, api: &TestApi) -> TestApi {
        let log = api.ledger.log.clone();
        self.build_on(api.ledger.clone(), log).await
    }

    /// The API on `ledger`, its commands going through `log`: a wrapper of `ledger`'s log.
    pub async fn build_on<L>(self, ledger: Arc<TestLedger>, log: L) -> TestApi
    where
        L: EventAppender + EventReader + 'static,
    {
        let documents = self
            .document_store
            .then(|| tempfile::tempdir().expect("temporary directory for the document store"));
        let mut handler =
            CommandHandler::new(log, ledger.public_keys(), Arc::new(ReferenceData::demo()));
        if let Some(dir) = &documents {
            let store =
                DocumentStore::open(dir.path().join("documents")).expect("open the document store");
            handler = handler.with_documents(store);
        }
        if self.sealed {
            let sealers = ecites_command::handler::seal::Sealers::new([ledger.ring.signer.clone()]);
            handler = handler.with_sealers(sealers);
        }
        handler.configure_party(PartySettings::new(lk()));

        let users = Users::default();
        let mut organisations: HashMap<String, Uuid> = HashMap::new();
        for user in &self.users {
            let organisation = user.organisation.as_ref().map(|label| {
                *organisations
                    .entry(label.clone())
                    .or_insert_with(Uuid::now_v7)
            });
            users
                .add(lk(), &user.id, user.role, organisation, PASSWORD)
                .unwrap_or_else(|e| panic!("add test user {}: {e}", user.id));
        }
        let state = Arc::new(ApiState { handler, users });
        let sessions = state.clone();
        let api = TestApi {
            first_seal: Arc::new(ecites::cli::seal::FirstSealer(state.clone())),
            app: router(state),
            sessions: Arc::new(move |token: &str| sessions.users.session(token)),
            ledger,
            organisations,
            roles: self
                .users
                .iter()
                .map(|user| (user.id.clone(), user.role))
                .collect(),
            documents,
        };
        if self.verified_organisations {
            let mut registered = vec![];
            for user in &self.users {
                if let Some(label) = &user.organisation {
                    if !registered.contains(&label) {
                        registered.push(label);
                        api.register_and_verify(&user.id, api.organisation(label))
                            .await;
                    }
                }
            }
        }
        api
    }
}

/// Bearer token → the session's principal.
pub type SessionLookup = Arc<dyn Fn(&str) -> Option<Principal> + Send + Sync>;

/// One command-service instance's router on a test ledger, with its users logged in by name.
pub struct TestApi {
    app: axum::Router,
    /// The ledger the commands are written to (shared by the instances built on it).
    pub ledger: Arc<TestLedger>,
    /// Organisation ids by the labels the traders were given.
    organisations: HashMap<String, Uuid>,
    /// Every user's role, in the order they were added.
    roles: Vec<(String, Role)>,
    /// Holds the document store, when there is one.
    documents: Option<tempfile::TempDir>,
    /// The instance's bearer sessions, for a query service beside it.
    pub sessions: SessionLookup,
    /// The instance's sealing of permits issued unsealed, for a query service beside it.
    pub first_seal: Arc<dyn ecites_query::document::FirstSeal>,
}

impl TestApi {
    pub fn builder() -> TestApiBuilder {
        TestApiBuilder::default()
    }

    /// The id of the organisation that traders were given `label` for.
    pub fn organisation(&self, label: &str) -> Uuid {
        *self
            .organisations
            .get(label)
            .unwrap_or_else(|| panic!("no trader was given organisation {label:?}"))
    }

    /// The first user added in `role`: the one who acts in that role for the helpers.
    pub fn user_in(&self, role: Role) -> &str {
        self.roles
            .iter()
            .find(|(_, r)| *r == role)
            .map(|(id, _)| id.as_str())
            .unwrap_or_else(|| panic!("the API was built without a user in role {role:?}"))
    }

    /// Where the document store keeps its files.
    pub fn document_store_dir(&self) -> PathBuf {
        self.documents
            .as_ref()
            .expect("the API was built with a document store")
            .path()
            .join("documents")
    }

    /// The head of Party LK's log.
    pub async fn head(&self) -> u64 {
        self.ledger.log.head(lk()).await.expect("head of the log")
    }

    /// Sends `request` through the router; the response's status, headers and whole body.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let (status, headers) = (response.status(), response.headers().clone());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("read the response body");
        (status, headers, body.to_vec())
    }

    /// `method` on `path`, as the holder of `token` if any, with `body` as JSON if any; the
    /// status and the JSON answer (`Null` when the answer is not JSON).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().uri(path).method(method);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("a valid request");
        let (status, _, body) = self.send(request).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// POST `body` to `path`, or GET it without one.
    pub async fn call(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let method = if body.is_some() { "POST" } else { "GET" };
        self.request(method, path, token, body).await
    }

    /// Logs `user` in (with [`PASSWORD`]); its bearer token.
    pub async fn login(&self, user: &str) -> String {
        let (status, body) = self
            .call(
                "/api/login",
                None,
                Some(json!({"party": "LK", "user_id": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"]
            .as_str()
            .expect("the login answer has a token")
            .to_string()
    }

    /// A permit command (`action` on `permit`) with a fresh command id.
    pub async fn act(
        &self,
        token: &str,
        permit: &str,
        action: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let path = format!("/api/LK/permits/{permit}/{action}");
        self.call(&path, Some(token), Some(with_command_id(body)))
            .await
    }

    /// An organisation command (`action` on `organisation`) with a fresh command id.
    pub async fn organisation_act(
        &self,
        token: &str,
        organisation: Uuid,
        action: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let path = format!("/api/LK/organisations/{organisation}/{action}");
        self.call(&path, Some(token), Some(with_command_id(body)))
            .await
    }

    /// Registers the organisation of `token`'s user under `name`, with a fresh registration
    /// number.
    pub async fn register_organisation(&self, token: &str, name: &str) -> (StatusCode, Value) {
        let body = json!({"command_id": Uuid::now_v7(), "name": name,
            "registration_number": format!("PV {}", Uuid::now_v7().simple()), "country": "LK"});
        self.call("/api/LK/organisations", Some(token), Some(body))
            .await
    }

    /// `organisation`, registered by its trader `registrant` and verified by the officer.
    pub async fn register_and_verify(&self, registrant: &str, organisation: Uuid) {
        let token = self.login(registrant).await;
        let (status, out) = self
            .register_organisation(&token, &format!("{registrant} Ltd"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
        let officer = self.login(self.user_in(Role::MaOfficer)).await;
        let verify = json!({"note": "register extract seen"});
        let (status, out) = self
            .organisation_act(&officer, organisation, "verify", verify)
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
    }

    /// `application` (of one line) filed by `trader` and taken to approval: assigned to the
    /// officer, legal acquisition recorded, the Scientific Authority's non-detriment finding
    /// with `conditions`, approved. The permit id.
    pub async fn submit_and_approve(
        &self,
        trader: &str,
        application: Value,
        conditions: &[&str],
    ) -> String {
        let trader = self.login(trader).await;
        let officer_id = self.user_in(Role::MaOfficer);
        let officer = self.login(officer_id).await;
        let scientific_authority = self.login(self.user_in(Role::SaExpert)).await;
        let (status, body) = self
            .call(
                "/api/LK/permits",
                Some(&trader),
                Some(json!({"command_id": Uuid::now_v7(), "application": application})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["permit_id"]
            .as_str()
            .expect("the submission answer has a permit id")
            .to_string();
        for (token, action, body) in [
            (&officer, "assign", json!({"officer_id": officer_id})),
            (
                &officer,
                "legal-acquisition",
                json!({"evidence": ["a".repeat(64)], "note": "farm records checked"}),
            ),
            (&officer, "request-opinion", json!({})),
            (
                &scientific_authority,
                "opinion",
                json!({"lines": [{"line_no": 1, "non_detrimental": true, "conditions": conditions}]}),
            ),
            (&officer, "approve", json!({})),
        ] {
            let (status, out) = self.act(token, &id, action, body).await;
            assert_eq!(status, StatusCode::OK, "{action}: {out}");
        }
        id
    }
}

fn with_command_id(mut body: Value) -> Value {
    body["command_id"] = json!(Uuid::now_v7());
    body
}
