//! Unit tests of `users.rs`: the CSRF-bound cookie, session lifetimes and sign-in limits.

mod cookies {
    use super::super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn headers(cookie: &str, csrf: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(cookie).unwrap(),
        );
        if let Some(c) = csrf {
            h.insert(CSRF_HEADER, HeaderValue::from_str(c).unwrap());
        }
        h
    }

    #[test]
    fn the_cookie_counts_only_with_the_matching_csrf_header() {
        let both = "other=1; ecites_session=tok; ecites_csrf=abc";
        assert_eq!(cookie_session(&headers(both, Some("abc"))), Some("tok"));
        assert_eq!(cookie_session(&headers(both, None)), None);
        assert_eq!(cookie_session(&headers(both, Some("abd"))), None);
        assert_eq!(cookie_session(&headers(both, Some(""))), None);
        let no_csrf_cookie = "ecites_session=tok";
        assert_eq!(cookie_session(&headers(no_csrf_cookie, Some(""))), None);
        assert_eq!(cookie_session(&headers(no_csrf_cookie, Some("abc"))), None);
        let empty = "ecites_session=tok; ecites_csrf=";
        assert_eq!(cookie_session(&headers(empty, Some(""))), None);
    }
}

mod sessions {
    use super::super::*;

    fn signed_in(lifetimes: SessionLifetimes) -> Option<Principal> {
        let users = Users::default().with_session_lifetimes(lifetimes);
        let lk: PartyCode = "LK".parse().expect("party");
        users
            .add(
                lk,
                "officer",
                Role::MaOfficer,
                None,
                "a long enough password",
            )
            .expect("add");
        let (token, _) = users
            .login(lk, "officer", "a long enough password")
            .expect("login");
        users.session(&token)
    }

    #[test]
    fn a_session_lives_until_idle_or_too_old() {
        assert!(signed_in(SessionLifetimes::default()).is_some());
        let idle = SessionLifetimes {
            idle: time::Duration::ZERO,
            ..SessionLifetimes::default()
        };
        assert!(signed_in(idle).is_none(), "an idle session ended");
        let old = SessionLifetimes {
            absolute: time::Duration::ZERO,
            ..SessionLifetimes::default()
        };
        assert!(
            signed_in(old).is_none(),
            "a session past its absolute lifetime ended"
        );
    }
}
