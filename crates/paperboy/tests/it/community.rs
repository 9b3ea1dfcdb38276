//! Accounts, sessions, CSRF, API tokens, submissions, votes, comments and moderation, through
//! the router as a browser and a script would use them, on both engines. Mail goes to the file
//! mailer in a temporary directory, where the tests read the links.

use std::sync::Arc;

use axum::http::{StatusCode, header};
use chrono::{Duration, Utc};
use paperboy::db::Db;
use paperboy::domain::accounts::{Email, Role, UserName};

use crate::harness::fixtures::{paper, recent, store};
use crate::harness::{TestApp, api_token, csrf_in, on_both_engines};

async fn accounts_sign_up_confirm_and_sign_in(db: &Db) {
    let community = TestApp::new(db).await;
    let mut ada = community.member("ada").await;
    assert!(ada.has_session());
    let settings = ada.get("/settings").await;
    assert!(
        settings.text.contains("ada@example.org") && settings.text.contains("<dd>user</dd>"),
        "{}",
        settings.text
    );
    assert_eq!(settings.headers[header::CACHE_CONTROL], "private, no-store");
    // Pages show who is signed in, and are not shared with other readers.
    let home = ada.get("/about").await;
    assert!(home.text.contains("<a href=\"/settings\">ada</a>"), "{}", home.text);
    assert_eq!(home.headers[header::CACHE_CONTROL], "private, no-store");
    let anonymous = community.get("/about").await;
    assert!(anonymous.text.contains("Sign in") && !anonymous.text.contains(">ada<"));

    // Sign out, then in with the password.
    let csrf = ada.session_csrf().await;
    let out = ada.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!ada.has_session());
    assert_eq!(ada.get("/settings").await.status, StatusCode::SEE_OTHER);
    let csrf = ada.form("/login").await;
    let wrong = ada
        .post("/login", &[("csrf", &csrf), ("email", "ada@example.org"), ("password", "wrong horse")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("Wrong email or password"));
    let right = ada
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "ADA@example.org"),
                ("password", "correct horse"),
                ("next", "/about"),
            ],
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.text);
    assert_eq!(right.headers[header::LOCATION], "/about");
    let cookie = right.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"),
        "{cookie}"
    );

    // Behind HTTPS the cookie is Secure; a `next` to another site goes home instead.
    let secure = TestApp::with(db, |c| c.base_url = "https://papers.example.org".into()).await;
    let mut grace = secure.member("grace").await;
    let csrf = grace.session_csrf().await;
    grace.post("/logout", &[("csrf", &csrf)]).await;
    let csrf = grace.form("/login").await;
    let reply = grace
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", "grace@example.org"),
                ("password", "correct horse"),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(reply.headers[header::LOCATION], "/");
    assert!(reply.headers[header::SET_COOKIE].to_str().unwrap().ends_with("; Secure"));
}
on_both_engines!(accounts_sign_up_confirm_and_sign_in);

async fn nothing_tells_whether_an_email_has_an_account(db: &Db) {
    let community = TestApp::new(db).await;
    community.member("ada").await;
    let sent = community.mails().len();
    let mut visitor = community.browser();
    let csrf = visitor.form("/signup").await;
    let mut answers = Vec::new();
    for (name, email) in [("someone", "ada@example.org"), ("newcomer", "new@example.org")] {
        let reply = visitor
            .post(
                "/signup",
                &[("csrf", &csrf), ("name", name), ("email", email), ("password", "long enough")],
            )
            .await;
        answers.push((reply.status, reply.text.replace(email, "EMAIL")));
    }
    assert_eq!(answers[0], answers[1], "sign-up answers the same for a taken and a free address");
    let mails = community.mails();
    assert_eq!(mails.len(), sent + 2);
    assert!(mails.iter().any(|m| m.contains("To: ada@example.org") && m.contains("which has one")));
    for (path, purpose) in [("/login/link", "login"), ("/password/forgot", "reset")] {
        let before = community.mails().len();
        let known = visitor.post(path, &[("csrf", &csrf), ("email", "ada@example.org")]).await;
        let unknown = visitor.post(path, &[("csrf", &csrf), ("email", "nobody@example.org")]).await;
        assert_eq!(known.status, StatusCode::OK);
        assert_eq!(
            known.text.replace("ada@example.org", "EMAIL"),
            unknown.text.replace("nobody@example.org", "EMAIL")
        );
        assert_eq!(community.mails().len(), before + 1, "only the account's owner gets a {purpose} link");
    }
    // A taken name is the one thing sign-up refuses (names are public anyway).
    let taken = visitor
        .post(
            "/signup",
            &[("csrf", &csrf), ("name", "ADA"), ("email", "x@example.org"), ("password", "long enough")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert!(taken.text.contains("is taken"));
}
on_both_engines!(nothing_tells_whether_an_email_has_an_account);

async fn fifty_wrong_passwords_lock_the_account_for_a_while(db: &Db) {
    let community = TestApp::new(db).await;
    let mut ada = community.member("ada").await;
    let csrf = ada.session_csrf().await;
    ada.post("/logout", &[("csrf", &csrf)]).await;
    let mut attacker = community.browser();
    let csrf = attacker.form("/login").await;
    let mut statuses = Vec::new();
    for n in 0..50 {
        let reply = attacker
            .post(
                "/login",
                &[("csrf", &csrf), ("email", "ada@example.org"), ("password", &format!("guess {n}"))],
            )
            .await;
        statuses.push(reply.status);
    }
    assert!(statuses[..10].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let locked = attacker
        .post("/login", &[("csrf", &csrf), ("email", "ada@example.org"), ("password", "correct horse")])
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    assert!(!attacker.has_session());
    // The email link still works for the owner.
    let csrf = ada.form("/login").await;
    assert_eq!(
        ada.post("/login/link", &[("csrf", &csrf), ("email", "ada@example.org")]).await.status,
        StatusCode::OK
    );
    assert!(community.link("ada@example.org", "login").contains("token="));
}
on_both_engines!(fifty_wrong_passwords_lock_the_account_for_a_while);

async fn emailed_links_work_once_and_expire(db: &Db) {
    let community = TestApp::new(db).await;
    let mut ada = community.member("ada").await;
    let csrf = ada.session_csrf().await;
    ada.post("/logout", &[("csrf", &csrf)]).await;
    let csrf = ada.form("/password/forgot").await;
    ada.post("/password/forgot", &[("csrf", &csrf), ("email", "ada@example.org")]).await;
    let link = community.link("ada@example.org", "reset");
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let page = ada.get(link.trim_start_matches("http://paperboy.test")).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_in(&page.text);
    let short = ada.post("/links/reset", &[("csrf", &csrf), ("token", &token), ("password", "short")]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST, "a short password costs no link");
    let reset = ada
        .post("/links/reset", &[("csrf", &csrf), ("token", &token), ("password", "a brand new one")])
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER, "{}", reset.text);
    assert!(ada.has_session(), "a reset signs its owner in");
    let csrf = ada.session_csrf().await;
    let again = ada
        .post("/links/reset", &[("csrf", &csrf), ("token", &token), ("password", "another new one")])
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.text.contains("used already"), "{}", again.text);
    assert!(ada.get(link.trim_start_matches("http://paperboy.test")).await.text.contains("used already"));

    // The new password works; an expired link does not.
    let csrf = ada.form("/login").await;
    ada.post("/login/link", &[("csrf", &csrf), ("email", "ada@example.org")]).await;
    let link = community.link("ada@example.org", "login");
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let sql = "UPDATE email_tokens SET expires_at = $1";
    let past = Utc::now() - Duration::minutes(1);
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).bind(past).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).bind(past).execute(pool).await.map(drop),
    }
    .unwrap();
    let expired = ada.post("/links/login", &[("csrf", &csrf), ("token", &token)]).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert!(expired.text.contains("expired"));
    let garbage = ada.post("/links/login", &[("csrf", &csrf), ("token", "not-a-token")]).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    let login = ada
        .post("/login", &[("csrf", &csrf), ("email", "ada@example.org"), ("password", "a brand new one")])
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
}
on_both_engines!(emailed_links_work_once_and_expire);

async fn forms_without_the_right_csrf_token_change_nothing(db: &Db) {
    store(db, vec![recent("2611.00001", "Fresh results", 1)]).await;
    let community = TestApp::new(db).await;
    let mut ada = community.member("ada").await;
    let mut eve = community.member("eve").await;
    let eves = eve.session_csrf().await;
    for fields in
        [vec![("up", "1")], vec![("up", "1"), ("csrf", "forged")], vec![("up", "1"), ("csrf", eves.as_str())]]
    {
        let reply = ada.post("/papers/2611.00001/vote", &fields).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{fields:?}: {}", reply.text);
        assert!(reply.text.contains("did not come from this site"));
    }
    let mine = ada.session_csrf().await;
    let cross = ada
        .post_with(
            "/papers/2611.00001/vote",
            &[("up", "1"), ("csrf", &mine)],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(db.get_paper(&"2611.00001".parse().unwrap()).await.unwrap().unwrap().upvotes, 0);
    // Signing in is protected too: no one can sign a visitor into their account.
    let mut visitor = community.browser();
    let login = visitor.post("/login", &[("email", "eve@example.org"), ("password", "correct horse")]).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert!(!visitor.has_session());
    // The refusal hands out a token, so that sending the form again works.
    let retry = csrf_in(&login.text);
    let again = visitor
        .post("/login", &[("csrf", &retry), ("email", "eve@example.org"), ("password", "correct horse")])
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text);
    // With the right token the vote counts, and answers JSON to the page's script.
    let vote = ada
        .post_with(
            "/papers/2611.00001/vote",
            &[("up", "1"), ("csrf", &mine)],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(vote.status, StatusCode::OK, "{}", vote.text);
    assert_eq!(vote.json(), serde_json::json!({"upvotes": 1, "voted": true}));
}
on_both_engines!(forms_without_the_right_csrf_token_change_nothing);

async fn votes_count_exactly_under_concurrency(db: &Db) {
    store(db, vec![recent("2611.00001", "Fresh results", 1)]).await;
    let id: paperboy_arxiv::ArxivId = "2611.00001".parse().unwrap();
    let mut users = Vec::new();
    for n in 0..100 {
        let name: UserName = format!("voter{n}").parse().unwrap();
        let email: Email = format!("voter{n}@example.org").parse().unwrap();
        users.push(db.create_user(&name, &email, None, Role::User, false).await.unwrap().unwrap());
    }
    let db = Arc::new(db.clone());
    let votes = users.iter().map(|user| {
        let (db, id, user) = (db.clone(), id.clone(), user.id);
        tokio::spawn(async move { db.set_vote(user, &id, true).await.unwrap() })
    });
    for vote in futures_join(votes).await {
        assert!(vote.voted);
    }
    assert_eq!(db.get_paper(&id).await.unwrap().unwrap().upvotes, 100);
    // One user, 100 times at once: one vote.
    let one = users[0].id;
    let again: Vec<_> = (0..100)
        .map(|_| {
            let (db, id) = (db.clone(), id.clone());
            tokio::spawn(async move { db.set_vote(one, &id, true).await.unwrap() })
        })
        .collect();
    futures_join(again).await;
    assert_eq!(db.get_paper(&id).await.unwrap().unwrap().upvotes, 100);
    // Taking votes back, concurrently and twice over, leaves exactly none.
    let back: Vec<_> = users
        .iter()
        .chain(users.iter())
        .map(|user| {
            let (db, id, user) = (db.clone(), id.clone(), user.id);
            tokio::spawn(async move { db.set_vote(user, &id, false).await.unwrap() })
        })
        .collect();
    futures_join(back).await;
    assert_eq!(db.get_paper(&id).await.unwrap().unwrap().upvotes, 0);
    assert!(db.upvoters(&id, 10).await.unwrap().is_empty());
}
on_both_engines!(votes_count_exactly_under_concurrency);

async fn futures_join<T>(tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

async fn api_tokens_act_for_their_owner_until_revoked(db: &Db) {
    store(db, vec![recent("2611.00001", "Fresh results", 1)]).await;
    let community = TestApp::new(db).await;
    let mut ada = community.member("ada").await;
    let token = api_token(&mut ada).await;
    assert!(token.starts_with("pb_"));
    let settings = ada.get("/settings").await;
    assert!(!settings.text.contains(&token), "a token is shown once");
    let site = &community;
    let me = site.api("GET", "/api/whoami-v2", Some(&token), None).await;
    assert_eq!(me.json()["name"], "ada");
    let vote = site.api("POST", "/api/papers/2611.00001/vote", Some(&token), None).await;
    assert_eq!(vote.json(), serde_json::json!({"upvotes": 1, "voted": true}));
    // An old-style id may keep its slash as it is (the document's `{id}` takes `%2F`).
    store(db, vec![paper("hep-th/9901001", "An old paper")]).await;
    for path in ["/api/papers/hep-th/9901001/vote", "/api/papers/hep-th%2F9901001/vote"] {
        let old = site.api("POST", path, Some(&token), None).await;
        assert_eq!(old.json(), serde_json::json!({"upvotes": 1, "voted": true}), "{path}");
    }
    let comments = site.api("GET", "/api/papers/hep-th/9901001/comments", None, None).await;
    assert_eq!((comments.status, comments.json()), (StatusCode::OK, serde_json::json!([])));
    let tokens = site.api("GET", "/api/tokens", Some(&token), None).await.json();
    let id = tokens[0]["id"].as_i64().unwrap();
    assert!(tokens[0]["lastUsedAt"].is_string());
    assert_eq!(
        site.api("DELETE", &format!("/api/tokens/{id}"), Some(&token), None).await.status,
        StatusCode::NO_CONTENT
    );
    let revoked = site.api("DELETE", "/api/papers/2611.00001/vote", Some(&token), None).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(revoked.json()["error"], "the API token is unknown or was revoked");
    let none = site.api("POST", "/api/papers/2611.00001/vote", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert!(none.headers.contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(db.get_paper(&"2611.00001".parse().unwrap()).await.unwrap().unwrap().upvotes, 1);
}
on_both_engines!(api_tokens_act_for_their_owner_until_revoked);

async fn submissions_follow_the_window_the_cap_and_one_submitter(db: &Db) {
    db.upsert_papers(vec![recent("2611.00001", "Fresh results", 2), recent("2609.00001", "Old results", 40)])
        .await
        .unwrap();
    store(db, vec![recent("2611.00002", "Featured by a rule", 3)]).await;
    for n in 3..=6 {
        db.upsert_papers(vec![recent(&format!("2611.0000{n}"), "More", 1)]).await.unwrap();
    }
    let community = TestApp::with(db, |c| c.submissions.daily_cap = 3).await;
    let mut ada = community.member("ada").await;
    let token = api_token(&mut ada).await;
    let site = &community;
    let submit = |paper: &str| serde_json::json!({ "paper_id": paper, "comment": "Worth a read: **strong** baselines.", "media_urls": [] });

    let ok = site
        .api("POST", "/api/papers/submit", Some(&token), Some(submit("https://arxiv.org/abs/2611.00001v2")))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let item = ok.json();
    assert_eq!(item["paper"]["id"], "2611.00001");
    assert_eq!(item["submittedBy"]["name"], "ada");
    assert_eq!(item["numComments"], 1);
    let today = Utc::now().date_naive().to_string();
    let daily = site.get(&format!("/api/daily_papers?date={today}")).await.json();
    assert_eq!(daily[0]["paper"]["submittedOnDailyBy"]["name"], "ada");
    let page = site.get(&format!("/papers/date/{today}")).await;
    assert!(page.text.contains("Submitted by ada"), "the feed shows who submitted what");

    let twice = site.api("POST", "/api/papers/submit", Some(&token), Some(submit("2611.00001"))).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(twice.json()["error"].as_str().unwrap().contains("submitted already, by ada"));
    let old = site.api("POST", "/api/papers/submit", Some(&token), Some(submit("2609.00001"))).await;
    assert_eq!(old.status, StatusCode::CONFLICT);
    assert!(old.json()["error"].as_str().unwrap().contains("within 14 days of publication"));
    for garbage in ["not-an-id", "'; DROP TABLE papers; --", ""] {
        let reply = site.api("POST", "/api/papers/submit", Some(&token), Some(submit(garbage))).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{garbage}: {}", reply.text);
    }
    let malformed =
        site.api("POST", "/api/papers/submit", Some(&token), Some(serde_json::json!(["x"]))).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    let unknown = site.api("POST", "/api/papers/submit", Some(&token), Some(submit("2611.09999"))).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "no arXiv client configured here");

    // A paper a rule featured is claimed on its day.
    let claimed = site.api("POST", "/api/papers/submit", Some(&token), Some(submit("2611.00002"))).await;
    assert_eq!(claimed.status, StatusCode::OK, "{}", claimed.text);
    assert_eq!(claimed.json()["submittedBy"]["name"], "ada");
    // The cap: three a day.
    let third = site.api("POST", "/api/papers/submit", Some(&token), Some(submit("2611.00003"))).await;
    assert_eq!(third.status, StatusCode::OK);
    let fourth = site.api("POST", "/api/papers/submit", Some(&token), Some(submit("2611.00004"))).await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(fourth.json()["error"].as_str().unwrap().contains("submit more tomorrow"));

    // The form works the same way.
    let mut grace = community.member("grace").await;
    let csrf = grace.form("/submit").await;
    let reply = grace.post("/submit", &[("csrf", &csrf), ("paper", "2611.00005"), ("comment", "")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(reply.headers[header::LOCATION], "/papers/2611.00005");
    let refused = grace.post("/submit", &[("csrf", &csrf), ("paper", "2609.00001")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text.contains("within 14 days"));
}
on_both_engines!(submissions_follow_the_window_the_cap_and_one_submitter);

async fn comments_thread_render_safely_and_only_authors_change_them(db: &Db) {
    store(db, vec![recent("2611.00001", "Fresh results", 1)]).await;
    let community = TestApp::new(db).await;
    let mut ada = community.member("ada").await;
    let mut eve = community.member("eve").await;
    let csrf = ada.session_csrf().await;
    let hostile = "<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>\n\n\
                   '; DROP TABLE comments; -- **bold** [click](javascript:alert(4))";
    let posted = ada.post("/papers/2611.00001/comments", &[("csrf", &csrf), ("body", hostile)]).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    let comments = community.get("/api/papers/2611.00001/comments").await.json();
    let first = comments[0]["id"].as_i64().unwrap();
    assert_eq!(comments[0]["body"], hostile, "stored as written");
    let eves = eve.session_csrf().await;
    let reply = eve
        .post(
            "/papers/2611.00001/comments",
            &[("csrf", &eves), ("body", "A reply"), ("parent", &first.to_string())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);

    let page = ada.get("/papers/2611.00001").await;
    // The author's edit box holds the text as written, escaped; nothing of it is markup.
    for raw in ["<script>alert", "href=\"javascript:", "<img src=x"] {
        assert!(!page.text.contains(raw), "{raw} in the page");
    }
    assert!(page.text.contains("<strong>bold</strong>") && page.text.contains("&lt;script&gt;"));
    assert!(page.text.contains("depth-1"), "the reply is indented under its comment");
    assert!(page.text.contains("Discussion (2)"));
    assert_eq!(db.get_paper(&"2611.00001".parse().unwrap()).await.unwrap().unwrap().num_comments, 2);

    // Eve may not edit or delete Ada's comment; Ada may.
    let path = format!("/comments/{first}/edit");
    let forbidden = eve.post(&path, &[("csrf", &eves), ("body", "mine now")]).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let edited = ada.post(&path, &[("csrf", &csrf), ("body", "Edited: fine.")]).await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    let deleted = ada.post(&format!("/comments/{first}/delete"), &[("csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let again = ada.post(&path, &[("csrf", &csrf), ("body", "back")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let comments = community.get("/api/papers/2611.00001/comments").await.json();
    assert_eq!((comments[0]["deleted"].as_bool(), comments[0]["body"].as_str()), (Some(true), Some("")));
    assert_eq!(comments[1]["parentId"], first, "the reply stays");
    assert_eq!(db.get_paper(&"2611.00001".parse().unwrap()).await.unwrap().unwrap().num_comments, 1);
    let empty = ada.post("/papers/2611.00001/comments", &[("csrf", &csrf), ("body", "   ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}
on_both_engines!(comments_thread_render_safely_and_only_authors_change_them);

async fn curators_moderate_and_every_action_is_logged(db: &Db) {
    store(db, vec![recent("2611.00001", "Fresh results", 1), recent("2611.00002", "Other results", 1)]).await;
    let community = TestApp::new(db).await;
    let mut ada = community.member("ada").await;
    let mut cora = community.member("cora").await;
    db.grant(None, &community.user("cora").await, Role::Curator).await.unwrap();
    let user_token = api_token(&mut ada).await;
    let curator_token = api_token(&mut cora).await;
    let site = &community;
    let comment = site
        .api(
            "POST",
            "/api/papers/2611.00001/comments",
            Some(&user_token),
            Some(serde_json::json!({"body": "spam"})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.text);
    let comment_id = comment.json()["id"].as_i64().unwrap();

    // What only curators may do, a user may not.
    let reason = serde_json::json!({"reason": "off topic", "githubRepo": "https://github.com/x/y", "date": "2026-11-20"});
    for (method, path) in [
        ("POST", "/api/papers/2611.00001/hide".to_owned()),
        ("POST", "/api/papers/2611.00001/feature".to_owned()),
        ("POST", "/api/papers/2611.00001/links".to_owned()),
        ("POST", format!("/api/comments/{comment_id}/hide")),
        ("GET", "/api/moderation/log".to_owned()),
    ] {
        let reply = site.api(method, &path, Some(&user_token), Some(reason.clone())).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {}", reply.text);
    }
    let grant = site
        .api("POST", "/api/users/ada/role", Some(&curator_token), Some(serde_json::json!({"role": "admin"})))
        .await;
    assert_eq!(grant.status, StatusCode::FORBIDDEN, "curators do not grant roles");

    // Curators do.
    let links =
        site.api("POST", "/api/papers/2611.00001/links", Some(&curator_token), Some(reason.clone())).await;
    assert_eq!(links.json()["githubRepo"], "https://github.com/x/y");
    let bad_link = serde_json::json!({"githubRepo": "javascript:alert(1)"});
    let refused =
        site.api("POST", "/api/papers/2611.00001/links", Some(&curator_token), Some(bad_link)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let hidden_comment = site
        .api("POST", &format!("/api/comments/{comment_id}/hide"), Some(&curator_token), Some(reason.clone()))
        .await;
    assert_eq!(hidden_comment.status, StatusCode::NO_CONTENT);
    let feature =
        site.api("POST", "/api/papers/2611.00002/feature", Some(&curator_token), Some(reason.clone())).await;
    assert_eq!(feature.status, StatusCode::OK, "{}", feature.text);
    let hide =
        site.api("POST", "/api/papers/2611.00001/hide", Some(&curator_token), Some(reason.clone())).await;
    assert_eq!(hide.status, StatusCode::NO_CONTENT);

    // A hidden paper is gone for readers, takes no comments or votes, and curators still see it.
    assert_eq!(site.get("/papers/2611.00001").await.status, StatusCode::GONE);
    assert_eq!(site.get("/papers/2611.00001/thumbnail").await.status, StatusCode::GONE);
    assert_eq!(site.get("/api/papers/2611.00001").await.status, StatusCode::NOT_FOUND);
    let today = Utc::now().date_naive().to_string();
    assert!(!site.get(&format!("/papers/date/{today}")).await.text.contains("Fresh results"));
    let closed = site
        .api(
            "POST",
            "/api/papers/2611.00001/comments",
            Some(&user_token),
            Some(serde_json::json!({"body": "hi"})),
        )
        .await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN);
    assert!(closed.json()["error"].as_str().unwrap().contains("hidden by the curators"));
    let vote = site.api("POST", "/api/papers/2611.00001/vote", Some(&user_token), None).await;
    assert_eq!(vote.status, StatusCode::FORBIDDEN);
    let seen = cora.get("/papers/2611.00001").await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.text.contains("Show this paper again"));
    // Its links still change, and the answer is the paper as curators see it.
    let page = serde_json::json!({"projectPage": "https://x.org/fresh"});
    let relinked = site.api("POST", "/api/papers/2611.00001/links", Some(&curator_token), Some(page)).await;
    assert_eq!(relinked.status, StatusCode::OK, "{}", relinked.text);
    assert_eq!(relinked.json()["projectPage"], "https://x.org/fresh");

    let log = site.api("GET", "/api/moderation/log", Some(&curator_token), None).await.json();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["edit_links", "hide_paper", "feature", "hide_comment", "edit_links", "grant"]);
    assert!(log.as_array().unwrap().iter().take(5).all(|e| e["actor"] == "cora"));
    assert_eq!(log[5]["actor"], "cli");
    let page = cora.get("/moderation").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("hide_paper")
            && page.text.contains("off topic")
            && page.text.contains(">Moderation</a>")
    );
    assert_eq!(ada.get("/moderation").await.status, StatusCode::FORBIDDEN);
    assert_eq!(community.get("/moderation").await.status, StatusCode::SEE_OTHER);

    // An admin grants roles to others, never to themselves: the last admin cannot step down.
    db.grant(None, &community.user("cora").await, Role::Admin).await.unwrap();
    let role = |name: &str, role: &str| {
        let (path, body) = (format!("/api/users/{name}/role"), serde_json::json!({ "role": role }));
        let token = curator_token.clone();
        async move { site.api("POST", &path, Some(&token), Some(body)).await }
    };
    let own = role("cora", "user").await;
    assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.text);
    assert!(own.json()["error"].as_str().unwrap().contains("your own role"));
    assert_eq!(community.user("cora").await.role, Role::Admin);
    let granted = role("ada", "curator").await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.text);
    assert_eq!(granted.json(), serde_json::json!({"name": "ada", "role": "curator"}));
}
on_both_engines!(curators_moderate_and_every_action_is_logged);

async fn sql_metacharacters_are_data_everywhere(db: &Db) {
    store(db, vec![recent("2611.00001", "Fresh results", 1)]).await;
    let community = TestApp::new(db).await;
    let mut visitor = community.browser();
    let csrf = visitor.form("/signup").await;
    let evil = "x'); DROP TABLE users; --";
    for (name, email) in [(evil, "a@example.org"), ("ada", evil), ("ada", "a'--@example.org\"")] {
        let reply = visitor
            .post("/signup", &[("csrf", &csrf), ("name", name), ("email", email), ("password", evil)])
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name} {email}: {}", reply.text);
    }
    let mut ada = community.member("ada").await;
    let csrf = ada.session_csrf().await;
    let token = ada.post("/settings/tokens", &[("csrf", &csrf), ("name", evil)]).await;
    assert_eq!(token.status, StatusCode::OK);
    assert!(token.text.contains("x&#39;); DROP TABLE users; --"), "{}", token.text);
    let login = ada.post("/login", &[("csrf", &csrf), ("email", evil), ("password", evil)]).await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST);
    let reason =
        ada.post("/papers/2611.00001/hide", &[("csrf", &csrf), ("hidden", "1"), ("reason", evil)]).await;
    assert_eq!(reason.status, StatusCode::FORBIDDEN);
    assert_eq!(db.list_users().await.unwrap().len(), 1, "the users table is whole");
}
on_both_engines!(sql_metacharacters_are_data_everywhere);

async fn trending_ranks_attention_with_decay(db: &Db) {
    let papers = vec![
        recent("2611.00001", "Busy but older", 1),
        recent("2611.00002", "Quiet", 1),
        recent("2611.00003", "Fresh and liked", 1),
    ];
    db.upsert_papers(papers).await.unwrap();
    let community = TestApp::new(db).await;
    let mut users = Vec::new();
    for n in 0..6 {
        let name: UserName = format!("u{n}").parse().unwrap();
        let email: Email = format!("u{n}@example.org").parse().unwrap();
        users.push(db.create_user(&name, &email, None, Role::User, false).await.unwrap().unwrap());
    }
    let now = Utc::now();
    db.seed_submission(
        &users[0],
        &"2611.00001".parse().unwrap(),
        now.date_naive(),
        now - Duration::hours(40),
    )
    .await
    .unwrap();
    db.seed_submission(&users[0], &"2611.00002".parse().unwrap(), now.date_naive(), now - Duration::hours(1))
        .await
        .unwrap();
    db.seed_submission(&users[0], &"2611.00003".parse().unwrap(), now.date_naive(), now - Duration::hours(2))
        .await
        .unwrap();
    for user in &users {
        db.set_vote(user.id, &"2611.00001".parse().unwrap(), true).await.unwrap();
    }
    for user in &users[..3] {
        db.set_vote(user.id, &"2611.00003".parse().unwrap(), true).await.unwrap();
    }
    let page = community.get("/papers/trending").await;
    let fresh = page.text.find("Fresh and liked").unwrap();
    let busy = page.text.find("Busy but older").unwrap();
    assert!(fresh < busy, "a fresh paper with 3 votes beats one with 6 from 40 hours ago");
    assert!(!page.text.contains("Quiet"), "no votes, no trend");
    let api = community.get("/api/daily_papers?sort=trending").await.json();
    assert_eq!(api[0]["paper"]["id"], "2611.00003");
    // A score no refresh has brought down yet (no worker running) is not shown once the paper
    // leaves the window.
    let stale =
        "UPDATE feed_entries SET trending_score = 99, submitted_at = $1 WHERE paper_id = '2611.00002'";
    let old = now - Duration::days(8);
    match db {
        Db::Sqlite(pool) => sqlx::query(stale).bind(old).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(stale).bind(old).execute(pool).await.map(drop),
    }
    .unwrap();
    assert!(!community.get("/papers/trending?page=1").await.text.contains("Quiet"));
    // A week later the refresh drops them to exactly 0, and touches nothing else again.
    assert_eq!(db.refresh_trending(now + Duration::days(8)).await.unwrap(), 3);
    assert_eq!(db.refresh_trending(now + Duration::days(8)).await.unwrap(), 0);
    assert!(community.get("/papers/trending").await.text.contains("Nothing is trending"));
}
on_both_engines!(trending_ranks_attention_with_decay);

/// The day's page is ranked from copies of each paper's upvotes and hidden mark on its feed
/// entry: votes, taking them back, hiding, showing and joining a feed after votes all show.
async fn a_day_ranks_by_votes_hiding_and_papers_that_join_late(db: &Db) {
    let day = Utc::now().date_naive() - Duration::days(1);
    store(db, vec![recent("2611.00001", "First", 1), recent("2611.00002", "Second", 1)]).await;
    db.upsert_papers(vec![recent("2611.00003", "Late", 1)]).await.unwrap();
    let community = TestApp::new(db).await;
    let mut users = Vec::new();
    for n in 0..3 {
        let name: UserName = format!("r{n}").parse().unwrap();
        let email: Email = format!("r{n}@example.org").parse().unwrap();
        users.push(db.create_user(&name, &email, Some("x"), Role::Curator, false).await.unwrap().unwrap());
    }
    let vote = |user: usize, paper: &str, up: bool| {
        let (db, user, paper) = (db.clone(), users[user].id, paper.parse().unwrap());
        async move { db.set_vote(user, &paper, up).await.unwrap() }
    };
    let ranking = || async {
        let page = community.get(&format!("/api/daily_papers?date={day}")).await.json();
        let ids: Vec<String> =
            page.as_array().unwrap().iter().map(|e| e["paper"]["id"].as_str().unwrap().to_owned()).collect();
        ids
    };
    // Votes cast before a paper joins a feed count there.
    for user in 0..3 {
        vote(user, "2611.00003", true).await;
    }
    vote(0, "2611.00002", true).await;
    assert_eq!(ranking().await, ["2611.00002", "2611.00001"]);
    db.feature(None, &"2611.00003".parse().unwrap(), day).await.unwrap();
    assert_eq!(ranking().await, ["2611.00003", "2611.00002", "2611.00001"]);
    // Taken back, and hidden: it drops, then goes, and comes back when shown.
    for user in 0..3 {
        vote(user, "2611.00003", false).await;
    }
    vote(1, "2611.00001", true).await;
    vote(2, "2611.00001", true).await;
    assert_eq!(ranking().await, ["2611.00001", "2611.00002", "2611.00003"]);
    let curator = &users[0];
    db.set_paper_hidden(curator, &"2611.00001".parse().unwrap(), true, "spam").await.unwrap();
    assert_eq!(ranking().await, ["2611.00002", "2611.00003"]);
    let page = community.get(&format!("/papers/date/{day}")).await.text;
    assert!(!page.contains("First") && page.contains("Second"), "{page}");
    db.set_paper_hidden(curator, &"2611.00001".parse().unwrap(), false, "not spam").await.unwrap();
    assert_eq!(ranking().await, ["2611.00001", "2611.00002", "2611.00003"]);
    // Nowhere does an entry's copy differ from its paper.
    let differ = "SELECT COUNT(*) FROM feed_entries f JOIN papers p ON p.id = f.paper_id \
                  WHERE f.paper_upvotes <> p.upvotes OR (f.paper_hidden_at IS NULL) <> (p.hidden_at IS NULL)";
    let differing: i64 = match db {
        Db::Sqlite(pool) => sqlx::query_scalar(differ).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(differ).fetch_one(pool).await,
    }
    .unwrap();
    assert_eq!(differing, 0);
}
on_both_engines!(a_day_ranks_by_votes_hiding_and_papers_that_join_late);

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let test_db = crate::harness::TestDb::sqlite().await;
    let community = TestApp::new(&test_db.db).await;
    for uri in ["/", "/login", "/api/daily_papers", "/papers/2611.99999", "/static/style.css"] {
        let reply = community.get(uri).await;
        let csp = reply.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{uri}");
        assert_eq!(reply.headers[header::REFERRER_POLICY], "strict-origin-when-cross-origin");
    }
}

async fn unknown_papers_are_looked_up_on_arxiv_when_submitted(db: &Db) {
    use crate::harness::{ReplayServer, Scripted, fixture};
    use paperboy_arxiv::client::{ArxivClient, ClientConfig};
    let server = ReplayServer::start(vec![
        Scripted::file(fixture("atom-three-entries.xml")),
        Scripted::status(503, vec![]),
        Scripted::status(503, vec![]),
    ])
    .await;
    let client = ArxivClient::new(ClientConfig {
        oai_url: server.url.clone(),
        api_url: server.url.clone(),
        delay: std::time::Duration::ZERO,
        attempts: 2,
        ..ClientConfig::default()
    })
    .unwrap();
    let community = TestApp::with(db, |c| {
        c.arxiv = Some(client);
        c.submissions.window_days = 36_500;
    })
    .await;
    let mut ada = community.member("ada").await;
    let token = api_token(&mut ada).await;
    let body = serde_json::json!({"paper_id": "hep-th/9901001"});
    let reply = community.api("POST", "/api/papers/submit", Some(&token), Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["paper"]["id"], "hep-th/9901001");
    assert!(
        server.seen()[0].query.contains("id_list=hep-th%2F9901001")
            || server.seen()[0].query.contains("id_list=hep-th/9901001")
    );
    let page = community.get("/papers/hep-th/9901001").await;
    assert!(page.text.contains("Submitted by ada"), "{}", page.text);
    // arXiv down: a 503 that says to try again, and nothing stored.
    let body = serde_json::json!({"paper_id": "2611.12345"});
    let down = community.api("POST", "/api/papers/submit", Some(&token), Some(body)).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{}", down.text);
    assert!(down.json()["error"].as_str().unwrap().contains("try again"));
    assert!(db.get_paper(&"2611.12345".parse().unwrap()).await.unwrap().is_none());
}
on_both_engines!(unknown_papers_are_looked_up_on_arxiv_when_submitted);

#[tokio::test]
async fn sign_ups_links_and_comments_have_quotas() {
    let test_db = crate::harness::TestDb::sqlite().await;
    let db = &test_db.db;
    store(db, vec![recent("2611.00001", "Fresh results", 1)]).await;
    let community = TestApp::new(db).await;
    let mut ada = community.member("ada").await;
    let mut visitor = community.browser();
    let csrf = visitor.form("/signup").await;
    let mut statuses = Vec::new();
    for n in 1..11 {
        let email = format!("person{n}@example.org");
        let name = format!("person{n}");
        let reply = visitor
            .post(
                "/signup",
                &[("csrf", &csrf), ("name", &name), ("email", &email), ("password", "long enough")],
            )
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses[8], StatusCode::OK);
    assert_eq!(statuses[9], StatusCode::TOO_MANY_REQUESTS, "ten sign-ups an hour from one address");
    assert!(db.user_by_name("person10").await.unwrap().is_none());

    // Links to one address: five an hour, whoever asks; the answer stays the same.
    let before = community.mails().len();
    let mut other = community.browser();
    let csrf = other.form("/password/forgot").await;
    for _ in 0..7 {
        let reply = other.post("/password/forgot", &[("csrf", &csrf), ("email", "ada@example.org")]).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    let sent = community.mails().len() - before;
    assert_eq!(sent, 4, "the confirmation counted as the first of five");

    let csrf = ada.session_csrf().await;
    let mut statuses = Vec::new();
    for n in 0..21 {
        let reply = ada
            .post("/papers/2611.00001/comments", &[("csrf", &csrf), ("body", &format!("comment {n}"))])
            .await;
        statuses.push(reply.status);
    }
    assert!(statuses[..20].iter().all(|s| *s == StatusCode::SEE_OTHER), "{statuses:?}");
    assert_eq!(statuses[20], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(db.get_paper(&"2611.00001".parse().unwrap()).await.unwrap().unwrap().num_comments, 20);
}
