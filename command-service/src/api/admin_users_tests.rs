//! The user routes through the router (tower oneshot) on an in-memory users store.

use super::*;
use crate::api::SessionLookup;
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

const PASSWORD: &str = "a long enough password";

struct TestState {
    users: Users,
}

impl SessionLookup for TestState {
    fn session(&self, token: &str) -> Option<Principal> {
        self.users.session(token)
    }
}

impl UserAdmin for TestState {
    fn users(&self) -> &Users {
        &self.users
    }
}

fn party(code: &str) -> PartyCode {
    code.parse().unwrap()
}

struct Api {
    state: Arc<TestState>,
    app: Router,
}

impl Api {
    fn new() -> Self {
        let users = Users::default();
        for (p, id, role) in [
            ("LK", "admin", Role::PartyAdmin),
            ("LK", "officer", Role::MaOfficer),
            ("KE", "admin-ke", Role::PartyAdmin),
            ("LK", "ops", Role::SystemOperator),
        ] {
            users.add(party(p), id, role, None, PASSWORD).unwrap();
        }
        let state = Arc::new(TestState { users });
        let app = routes::<TestState>().with_state(state.clone());
        Api { state, app }
    }

    fn token(&self, p: &str, id: &str) -> String {
        self.state.users.login(party(p), id, PASSWORD).unwrap().0
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Value,
    ) -> (u16, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let res = self
            .app
            .clone()
            .oneshot(req.body(Body::from(body.to_string())).unwrap())
            .await
            .unwrap();
        let status = res.status().as_u16();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Users and audit trail: what a refusal must leave as it was.
    fn snapshot(&self) -> (Vec<super::super::users::UserSummary>, usize) {
        let lk = self.state.users.list(party("LK"));
        (lk, self.state.users.audit_entries().unwrap().len())
    }
}

fn field(body: &Value) -> &str {
    body["violations"][0]["field"].as_str().unwrap_or("")
}

#[tokio::test]
async fn the_admin_adds_an_officer_who_sets_a_password_with_the_link() {
    let api = Api::new();
    let admin = api.token("LK", "admin");
    let (status, body) = api
        .call(
            "POST",
            "/api/LK/users",
            Some(&admin),
            json!({"user_id": "new.officer", "role": "ma_officer"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let token = body["set_password_token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 64);

    let (status, list) = api
        .call("GET", "/api/LK/users", Some(&admin), Value::Null)
        .await;
    assert_eq!(status, 200);
    let new = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == "new.officer")
        .unwrap();
    assert_eq!(new["role"], "ma_officer");
    assert_eq!(
        (new["password_set"].as_bool(), new["link_pending"].as_bool()),
        (Some(false), Some(true))
    );
    assert!(
        !list.to_string().contains(&token),
        "the list never shows a link token"
    );
    assert!(api
        .state
        .users
        .login(party("LK"), "new.officer", "")
        .is_none());

    let (status, body) = api
        .call(
            "POST",
            "/api/set-password",
            None,
            json!({"token": token, "password": "too short"}),
        )
        .await;
    assert_eq!((status, field(&body)), (422, "password"));
    let (status, _) = api
        .call(
            "POST",
            "/api/set-password",
            None,
            json!({"token": token, "password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(api
        .state
        .users
        .login(party("LK"), "new.officer", "a brand new passphrase")
        .is_some());
    let (status, body) = api
        .call(
            "POST",
            "/api/set-password",
            None,
            json!({"token": token, "password": "another new passphrase"}),
        )
        .await;
    assert_eq!(
        (status, field(&body)),
        (422, "token"),
        "a link is used once"
    );

    let audit = api.state.users.audit_entries().unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e.user_id == "new.officer")
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    // The sign-in refused before a password was set, and the one after, are there too.
    assert_eq!(
        actions,
        [
            ("admin", "user_added"),
            ("anonymous", "sign_in_failed"),
            ("new.officer", "password_set"),
            ("new.officer", "signed_in")
        ]
    );
    let trail = serde_json::to_string(&audit).unwrap();
    assert!(!trail.contains(&token) && !trail.contains("passphrase"));
}

/// The system operator reads every Party: a Party admin who could reset its password, change
/// its role or disable it would hold (or take down) every Party's data.
#[tokio::test]
async fn a_party_admin_never_manages_the_system_operator_account() {
    let api = Api::new();
    let admin = api.token("LK", "admin");
    let before = api.snapshot();
    for (uri, body) in [
        ("/api/LK/users/ops/set-password-link", json!({})),
        ("/api/LK/users/ops/role", json!({"role": "auditor"})),
        ("/api/LK/users/ops/disable", json!({})),
        ("/api/LK/users/ops/enable", json!({})),
    ] {
        let (status, body) = api.call("POST", uri, Some(&admin), body).await;
        assert_eq!(status, 403, "{uri}: {body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or("")
                .contains("system operator"),
            "{body}"
        );
    }
    assert_eq!(api.snapshot(), before, "nothing written");
    assert!(api
        .state
        .users
        .login(party("LK"), "ops", PASSWORD)
        .is_some());
}

#[tokio::test]
async fn only_the_partys_own_admin_manages_users_and_a_refusal_writes_nothing() {
    let api = Api::new();
    let officer = api.token("LK", "officer");
    let other_admin = api.token("KE", "admin-ke");
    let before = api.snapshot();
    let add = json!({"user_id": "intruder", "role": "party_admin"});
    for token in [&officer, &other_admin] {
        for (method, uri, body) in [
            ("GET", "/api/LK/users", Value::Null),
            ("POST", "/api/LK/users", add.clone()),
            (
                "POST",
                "/api/LK/users/officer/role",
                json!({"role": "party_admin"}),
            ),
            ("POST", "/api/LK/users/admin/disable", json!({})),
            ("POST", "/api/LK/users/officer/enable", json!({})),
            ("POST", "/api/LK/users/admin/set-password-link", json!({})),
        ] {
            let (status, body) = api.call(method, uri, Some(token), body).await;
            assert_eq!(status, 403, "{method} {uri}: {body}");
        }
    }
    let (status, _) = api.call("GET", "/api/LK/users", None, Value::Null).await;
    assert_eq!(status, 401);
    assert_eq!(api.snapshot(), before);
}

#[tokio::test]
async fn bad_input_names_its_field_and_writes_nothing() {
    let api = Api::new();
    let admin = api.token("LK", "admin");
    let before = api.snapshot();
    let org = Uuid::now_v7().to_string();
    for (body, expected) in [
        (json!({"user_id": "x y", "role": "ma_officer"}), "user_id"),
        (
            json!({"user_id": "officer", "role": "ma_officer"}),
            "user_id",
        ),
        (json!({"user_id": "new", "role": "wizard"}), "role"),
        (json!({"user_id": "new", "role": "system_operator"}), "role"),
        (
            json!({"user_id": "new", "role": "trader"}),
            "organisation_id",
        ),
        (
            json!({"user_id": "new", "role": "trader", "organisation_id": "not-a-uuid"}),
            "organisation_id",
        ),
    ] {
        let (status, answer) = api
            .call("POST", "/api/LK/users", Some(&admin), body.clone())
            .await;
        assert_eq!(
            (status, field(&answer)),
            (422, expected),
            "{body}: {answer}"
        );
    }
    let (status, _) = api
        .call(
            "POST",
            "/api/LK/users",
            Some(&admin),
            json!({"user_id": "new", "role": "trader", "organisation_id": org, "password": "x"}),
        )
        .await;
    assert_eq!(status, 400, "an unknown field (a password) is refused");
    let (status, answer) = api
        .call(
            "POST",
            "/api/LK/users/admin/disable",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!((status, field(&answer)), (422, "user_id"), "not oneself");
    let (status, _) = api
        .call(
            "POST",
            "/api/LK/users/nobody/role",
            Some(&admin),
            json!({"role": "customs"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(api.snapshot(), before);
}

#[tokio::test]
async fn disabling_or_changing_a_role_ends_the_users_sessions() {
    let api = Api::new();
    let admin = api.token("LK", "admin");
    let officer = api.token("LK", "officer");
    let (status, body) = api
        .call(
            "POST",
            "/api/LK/users/officer/role",
            Some(&admin),
            json!({"role": "auditor"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(api.state.users.session(&officer).is_none());
    let officer = api.token("LK", "officer");
    assert_eq!(
        api.state.users.session(&officer).unwrap().role,
        Role::Auditor
    );
    let (status, _) = api
        .call(
            "POST",
            "/api/LK/users/officer/disable",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(api.state.users.session(&officer).is_none());
    assert!(api
        .state
        .users
        .login(party("LK"), "officer", PASSWORD)
        .is_none());
    let (status, answer) = api
        .call(
            "POST",
            "/api/LK/users/officer/set-password-link",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!((status, field(&answer)), (422, "user_id"));
    assert!(
        api.state.session(&admin).is_some(),
        "the admin's own session goes on"
    );

    let (status, _) = api
        .call(
            "POST",
            "/api/LK/users/officer/enable",
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(api
        .state
        .users
        .login(party("LK"), "officer", PASSWORD)
        .is_some());
    let actions: Vec<String> = api
        .state
        .users
        .audit_entries()
        .unwrap()
        .into_iter()
        .filter(|e| e.user_id == "officer" && e.actor == "admin")
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["role_changed", "user_disabled", "user_enabled"]);
}

#[test]
fn the_openapi_document_lists_the_user_and_import_routes() {
    let doc = crate::api::openapi::document();
    for path in [
        "/api/{party}/users",
        "/api/{party}/users/{user_id}/role",
        "/api/{party}/users/{user_id}/disable",
        "/api/{party}/users/{user_id}/enable",
        "/api/{party}/users/{user_id}/set-password-link",
        "/api/set-password",
        "/api/{party}/species/import",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}
