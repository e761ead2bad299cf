//! `ecites users add | list | link` on a users file, with the audit trail beside it: the link
//! works once through the same store the server loads, and no password, hash or token is in
//! the trail or in `list`.

use ecites_command::api::users::Users;

fn try_run(args: &[&str]) -> anyhow::Result<(u8, String)> {
    let argv: Vec<String> = ["ecites"]
        .iter()
        .chain(args)
        .map(|a| a.to_string())
        .collect();
    let mut out = Vec::new();
    let code = ecites::cli::run(argv, &mut out)?;
    Ok((code, String::from_utf8(out).expect("utf-8 output")))
}

fn run(args: &[&str]) -> (u8, String) {
    try_run(args).expect("command ran")
}

/// `ecites users add` of a customs officer (password from ECITES_USER_PASSWORD).
fn add_customs(user: &str) {
    let args = [
        "users", "add", "--party", "LK", "--user", user, "--role", "customs",
    ];
    assert_eq!(run(&args).0, 0);
}

#[test]
fn users_are_added_listed_and_given_a_set_password_link_with_an_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.json");
    // Each test runs in its own process (nextest): the environment is this test's own.
    std::env::set_var("ECITES_USERS_FILE", &file);
    std::env::set_var("ECITES_USER_PASSWORD", "the first admin's password");
    let add = [
        "users",
        "add",
        "--party",
        "LK",
        "--user",
        "chief",
        "--role",
        "party_admin",
    ];
    assert_eq!(run(&add).0, 0);

    let (code, list) = run(&["users", "list", "--party", "LK"]);
    assert_eq!(code, 0);
    assert_eq!(list, "chief\tparty_admin\tactive\t\n");

    let (code, text) = run(&["users", "link", "--party", "LK", "--user", "chief"]);
    assert_eq!(code, 0, "{text}");
    let token = text
        .strip_prefix("/query/ui/set-password#token=")
        .and_then(|t| t.split_whitespace().next())
        .expect("a set-password path")
        .to_string();
    assert_eq!(token.len(), 64);
    let unknown = try_run(&["users", "link", "--party", "LK", "--user", "nobody"]);
    assert!(unknown.unwrap_err().to_string().contains("no user nobody"));

    let users = Users::load(&file).unwrap();
    users
        .set_password(&token, "a new password after all")
        .unwrap();
    assert!(users
        .set_password(&token, "and once more, refused")
        .is_err());
    let reloaded = Users::load(&file).unwrap();
    assert!(reloaded
        .login("LK".parse().unwrap(), "chief", "a new password after all")
        .is_some());
    assert!(reloaded
        .login("LK".parse().unwrap(), "chief", "the first admin's password")
        .is_none());

    let trail = std::fs::read_to_string(dir.path().join("users.audit.jsonl")).unwrap();
    let actions: Vec<&str> = reloaded
        .audit_entries()
        .unwrap()
        .iter()
        .map(|e| match e.action.as_str() {
            "user_added" => "added",
            "set_password_link_issued" => "link",
            "password_set" => "set",
            // Sign-ins are in the trail too (they change nothing).
            "signed_in" => "signed in",
            "sign_in_failed" => "refused",
            _ => "other",
        })
        .collect();
    assert_eq!(actions, ["added", "link", "set", "signed in", "refused"]);
    for secret in [token.as_str(), "first admin", "after all", "argon2"] {
        assert!(!trail.contains(secret), "{secret:?} in the audit trail");
    }
}

#[test]
fn a_user_added_on_the_command_line_while_the_server_runs_is_kept_by_the_servers_next_change() {
    use ecites_command::handler::auth::{Principal, Role};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.json");
    std::env::set_var("ECITES_USERS_FILE", &file);
    std::env::set_var("ECITES_USER_PASSWORD", "a long enough password");
    add_customs("first");
    let server = Users::load(&file).unwrap();
    add_customs("second");
    let admin = Principal {
        user_id: "admin".into(),
        role: Role::PartyAdmin,
        party: "LK".parse().unwrap(),
        organisation_id: None,
    };
    server.invite(&admin, "third", Role::Auditor, None).unwrap();
    let ids: Vec<String> = Users::load(&file)
        .unwrap()
        .list("LK".parse().unwrap())
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    assert_eq!(ids, ["first", "second", "third"]);
}

#[test]
fn a_user_and_a_link_from_the_command_line_work_on_the_running_server_at_once() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.json");
    std::env::set_var("ECITES_USERS_FILE", &file);
    std::env::set_var("ECITES_USER_PASSWORD", "a long enough password");
    add_customs("first");
    let server = Users::load(&file).unwrap();
    let lk = "LK".parse().unwrap();
    // Added while the server runs: it signs in without a restart.
    add_customs("second");
    assert!(server
        .login(lk, "second", "a long enough password")
        .is_some());
    // The forgotten-password link the operator prints works on the running server.
    let (code, text) = run(&["users", "link", "--party", "LK", "--user", "first"]);
    assert_eq!(code, 0, "{text}");
    let token = text
        .strip_prefix("/query/ui/set-password#token=")
        .and_then(|t| t.split_whitespace().next())
        .expect("a set-password path");
    server.set_password(token, "chosen by the user").unwrap();
    assert!(server.login(lk, "first", "chosen by the user").is_some());
    // The file holds password hashes: only its owner reads it.
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}
