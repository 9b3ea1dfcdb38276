//! Digests end to end on both engines: double opt-in, settings, one-click unsubscribe, what
//! goes into a digest and what it looks like, and every abuse case the subscribe forms face.
//! Mail goes to the file mailer; `smtp.rs` has the SMTP server, kill and outage tests.

use axum::http::StatusCode;
use chrono::{Days, Utc};
use paperboy::db::Db;
use paperboy::db::digests::SubscriptionState;
use paperboy::db::embeddings::NewEmbedding;
use paperboy::domain::digest::{Changes, Input, Period, Preferences};
use serde_json::json;

use crate::harness::fixtures::{
    delivery, papers_of_yesterday, recent, set_upvotes, store, subscribed, yesterday,
};
use crate::harness::mail::{header, link, read_mails};
use crate::harness::{TestApp, api_token, on_both_engines};

/// Mails to `to`, oldest first.
fn mails_to(community: &TestApp, to: &str) -> Vec<String> {
    community.mails().into_iter().filter(|m| m.contains(&format!("To: {to}"))).collect()
}

async fn subscribing_is_double_opt_in_and_a_digest_is_sent_once(db: &Db) {
    let community = TestApp::new(db).await;
    let ids = papers_of_yesterday(db, 3).await;
    let period = Period::Day(yesterday());

    // The form on a feed page: an address is enough.
    let feed = community.get("/papers/trending").await;
    assert!(feed.text.contains("action=\"/subscribe\""), "{}", feed.text);
    let mut visitor = community.browser();
    let answer = visitor.post("/subscribe", &[("email", "Ada@Example.org")]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert!(answer.text.contains("Check your inbox"));
    let confirmations = mails_to(&community, "ada@example.org");
    assert_eq!(confirmations.len(), 1);
    assert!(confirmations[0].contains("Subject: Confirm your Paperboy digest"));

    // Nothing but the confirmation until it is used.
    let (composed, _) = delivery(community.mail_dir()).run(db, Some(period), false, false).await.unwrap();
    assert_eq!(composed.readers, 0);
    assert_eq!(mails_to(&community, "ada@example.org").len(), 1);

    // The link opens a page with a button: fetching it confirms nothing.
    let confirm = link(&confirmations[0], "http://paperboy.test/subscription/confirm?token=");
    let path = confirm.trim_start_matches("http://paperboy.test");
    let page = visitor.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    let pending = db.subscription_by_email(&"ada@example.org".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(pending.state, SubscriptionState::Pending);
    let token = path.split("token=").nth(1).unwrap();
    let done = visitor.post("/subscription/confirm", &[("token", token)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("You are subscribed"), "{}", done.text);
    let again = visitor.post("/subscription/confirm", &[("token", token)]).await;
    assert!(again.text.contains("This link was used already"), "{}", again.text);

    // The digest: one message, multipart, with the list headers and absolute links.
    let (composed, sent) = delivery(community.mail_dir()).run(db, Some(period), false, false).await.unwrap();
    assert_eq!((composed.queued, sent.unwrap().sent), (1, 1));
    let mails = mails_to(&community, "ada@example.org");
    assert_eq!(mails.len(), 2);
    let digest = &mails[1];
    let label = yesterday().format("%-d %b %Y").to_string();
    assert_eq!(header(digest, "Subject").unwrap(), format!("Trending papers · {label}"));
    assert!(header(digest, "Date").is_some());
    let message_id = header(digest, "Message-ID").unwrap();
    assert!(message_id.starts_with('<') && message_id.ends_with("@paperboy.test>"), "{message_id}");
    assert_eq!(header(digest, "List-Id").unwrap(), "Paperboy digest <digest.paperboy.test>");
    let unsubscribe = header(digest, "List-Unsubscribe").unwrap();
    assert!(unsubscribe.starts_with("<http://paperboy.test/unsubscribe?token="), "{unsubscribe}");
    assert!(unsubscribe.contains(", <mailto:paperboy@localhost?subject=unsubscribe%20"), "{unsubscribe}");
    assert_eq!(header(digest, "List-Unsubscribe-Post").unwrap(), "List-Unsubscribe=One-Click");
    assert!(header(digest, "Content-Type").unwrap().starts_with("multipart/alternative"));
    assert!(digest.contains("Content-Type: text/plain") && digest.contains("Content-Type: text/html"));
    for id in &ids {
        assert!(digest.contains(&format!("http://paperboy.test/papers/{id}")), "{digest}");
    }
    let first = digest.find("Paper number 0").unwrap();
    assert!(first < digest.find("Paper number 1").unwrap(), "most upvoted first");
    assert!(digest.contains("9 upvotes") && digest.contains("Ada Lovelace"));
    assert!(digest.contains("An abstract about Paper number 0."));

    // Never twice: the same period again, or a week that holds the same papers.
    let (composed, sent) = delivery(community.mail_dir()).run(db, Some(period), false, false).await.unwrap();
    assert_eq!((composed.queued, composed.existing, sent.unwrap().sent), (0, 1, 0));
    let weekly =
        Preferences { frequency: paperboy::domain::digest::Frequency::Weekly, ..Preferences::default() };
    db.set_preferences(pending.id, &weekly).await.unwrap();
    let week = Period::Week(yesterday());
    let (composed, _) = delivery(community.mail_dir()).run(db, Some(week), false, false).await.unwrap();
    assert_eq!((composed.readers, composed.empty), (1, 1), "every paper of the week was sent already");
    assert_eq!(mails_to(&community, "ada@example.org").len(), 2);
    let metrics = community.get("/metrics").await.text;
    assert!(metrics.contains("paperboy_digests{state=\"sent\"} 1"), "{metrics}");
    let history = db.digest_history(db.digest_records(Some(period)).await.unwrap()[0].id).await.unwrap();
    let states: Vec<&str> = history.iter().map(|(_, state, _)| state.as_str()).collect();
    assert_eq!(states, ["queued", "sending", "sent"]);
}

async fn settings_and_one_click_unsubscribe_need_only_the_link(db: &Db) {
    let community = TestApp::new(db).await;
    papers_of_yesterday(db, 2).await;
    let period = Period::Day(yesterday());
    subscribed(db, "bob@example.org", &Preferences::default()).await;
    delivery(community.mail_dir()).run(db, Some(period), false, false).await.unwrap();
    let digest = mails_to(&community, "bob@example.org").pop().unwrap();
    let manage = link(&digest, "http://paperboy.test/subscription?token=");
    let manage = manage.trim_start_matches("http://paperboy.test").to_owned();

    // The settings page, and saving it, with no account and no cookie.
    let mut reader = community.browser();
    let page = reader.get(&manage).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("bob@example.org gets the digest every day at 08:00 (UTC)"), "{}", page.text);
    let saved = reader
        .post(
            &manage,
            &[
                ("frequency", "weekly"),
                ("weekday", "friday"),
                ("hour", "7"),
                ("time_zone", "Europe/Berlin"),
                ("mode", "trending"),
                ("categories", "cs.CL, math"),
                ("include_keywords", "transformers"),
                ("exclude_keywords", ""),
                ("papers_per_email", "5"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert!(saved.text.contains("every Friday at 07:00 (Europe/Berlin)"), "{}", saved.text);
    let refused = reader.post(&manage, &[("time_zone", "Mars/Olympus")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text.contains("is not an IANA time zone name"), "{}", refused.text);
    let bob = db.subscription_by_email(&"bob@example.org".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(bob.prefs.categories, ["cs.CL", "math"]);
    assert_eq!(bob.prefs.time_zone.name(), "Europe/Berlin");

    // One click, as a mail client does it (RFC 8058): a POST with no cookie and no CSRF token.
    let unsubscribe = header(&digest, "List-Unsubscribe").unwrap();
    let url = unsubscribe.trim_start_matches('<').split('>').next().unwrap();
    let mut client = community.browser();
    let done = client
        .post(url.trim_start_matches("http://paperboy.test"), &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("No more digests go to bob@example.org"));
    let bob = db.subscription(bob.id).await.unwrap().unwrap();
    assert_eq!(bob.state, SubscriptionState::Unsubscribed);
    let again = client
        .post(url.trim_start_matches("http://paperboy.test"), &[("List-Unsubscribe", "One-Click")])
        .await;
    assert_eq!(again.status, StatusCode::OK, "replaying the one-click POST is harmless");
    // The settings link still opens the page, which offers to subscribe again.
    let page = reader.get(&manage).await;
    assert!(page.text.contains("bob@example.org is unsubscribed"), "{}", page.text);
    assert!(page.text.contains("Subscribe again"), "{}", page.text);
    let (composed, _) =
        delivery(community.mail_dir()).run(db, Some(Period::Week(yesterday())), false, false).await.unwrap();
    assert_eq!(composed.readers, 0, "no digest after unsubscribing");
    let back = reader.post(&manage, &[("frequency", "weekly")]).await;
    assert!(back.text.contains("bob@example.org gets the digest every Friday"), "{}", back.text);
    assert_eq!(db.subscription(bob.id).await.unwrap().unwrap().state, SubscriptionState::Active);
}

async fn forged_expired_replayed_and_other_readers_tokens_open_nothing(db: &Db) {
    let community = TestApp::new(db).await;
    papers_of_yesterday(db, 1).await;
    let ada = subscribed(db, "ada@example.org", &Preferences::default()).await;
    subscribed(db, "eve@example.org", &Preferences::default()).await;
    delivery(community.mail_dir()).run(db, Some(Period::Day(yesterday())), false, false).await.unwrap();
    let eve_digest = mails_to(&community, "eve@example.org").pop().unwrap();
    let eve_link = link(&eve_digest, "http://paperboy.test/subscription?token=");
    let eve_token = eve_link.split("token=").nth(1).unwrap().to_owned();
    let (_, eve_mac) = eve_token.split_once('.').unwrap();
    let mut browser = community.browser();
    let not_valid = "This link is not valid";
    for token in [
        format!("{ada}.{eve_mac}"),
        format!("{ada}.AAAAAAAAAAAAAAAAAAAAAA"),
        "999999.AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        "garbage".to_owned(),
        String::new(),
    ] {
        for path in [format!("/subscription?token={token}"), format!("/unsubscribe?token={token}")] {
            let page = browser.get(&path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
            assert!(page.text.contains(not_valid), "{path}: {}", page.text);
        }
        let post =
            browser.post(&format!("/unsubscribe?token={token}"), &[("List-Unsubscribe", "One-Click")]).await;
        assert_eq!(post.status, StatusCode::NOT_FOUND);
        let api_reply =
            community.api("GET", &format!("/api/subscriptions/current?token={token}"), None, None).await;
        assert_eq!(api_reply.status, StatusCode::NOT_FOUND, "{}", api_reply.text);
        assert!(api_reply.json()["error"].as_str().unwrap().contains("not valid"));
    }
    let ada_row = db.subscription(ada).await.unwrap().unwrap();
    assert_eq!(ada_row.state, SubscriptionState::Active, "no forged token reached Ada");

    // An expired confirmation link confirms nothing; a new request sends a new one.
    let answer = browser.post("/subscribe", &[("email", "late@example.org")]).await;
    assert_eq!(answer.status, StatusCode::OK);
    let confirm = link(
        &mails_to(&community, "late@example.org")[0],
        "http://paperboy.test/subscription/confirm?token=",
    );
    let token = confirm.split("token=").nth(1).unwrap().to_owned();
    expire_confirmations(db).await;
    let expired = browser.post("/subscription/confirm", &[("token", &token)]).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert!(expired.text.contains("has expired"), "{}", expired.text);
    let late = db.subscription_by_email(&"late@example.org".parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(late.state, SubscriptionState::Pending);
    let unknown = browser.post("/subscription/confirm", &[("token", "made-up")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.text.contains("not valid"));
}

async fn expire_confirmations(db: &Db) {
    let past = Utc::now() - chrono::Duration::hours(1);
    let sql = "UPDATE subscriptions SET confirm_expires_at = $1";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).bind(past).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).bind(past).execute(pool).await.map(drop),
    }
    .unwrap();
}

async fn the_same_address_a_hundred_times_gets_one_email(db: &Db) {
    let community = TestApp::with(db, |config| config.trust_forwarded_for = true).await;
    // A hundred requests at once, each from its own client address: one email.
    let shared = &community;
    let requests = (0..100).map(|n| async move {
        {
            let mut browser = shared.browser();
            let forwarded = format!("10.0.{}.{}", n / 250, n % 250 + 1);
            browser
                .post_with(
                    "/subscribe",
                    &[("email", "flood@example.org")],
                    &[("x-forwarded-for", &forwarded)],
                )
                .await
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    assert!(
        answers.iter().all(|reply| reply.status == StatusCode::OK && reply.text.contains("Check your inbox"))
    );
    assert_eq!(mails_to(&community, "flood@example.org").len(), 1, "one confirmation per address per window");

    // One client asking for many addresses meets its quota: 10 an hour.
    let mut client = community.browser();
    let mut statuses = Vec::new();
    for n in 0..12 {
        let email = format!("reader{n}@example.org");
        let reply =
            client.post_with("/subscribe", &[("email", &email)], &[("x-forwarded-for", "10.9.9.9")]).await;
        statuses.push(reply.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 10, "{statuses:?}");
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS);
    let api_reply =
        community.api("POST", "/api/subscriptions", None, Some(json!({"email": "x@example.org"}))).await;
    assert!(api_reply.status == StatusCode::ACCEPTED || api_reply.status == StatusCode::TOO_MANY_REQUESTS);
}

async fn bad_addresses_and_header_injection_are_refused(db: &Db) {
    let community = TestApp::new(db).await;
    let mut browser = community.browser();
    for email in [
        "not-an-email",
        "ada@localhost",
        "ada@example.org\r\nBcc: eve@example.org",
        "<script>@example.org",
        "",
    ] {
        let page = browser.post("/subscribe", &[("email", email)]).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{email:?}");
        assert!(page.text.contains("is not an email address"), "{email:?}: {}", page.text);
        let reply = community.api("POST", "/api/subscriptions", None, Some(json!({"email": email}))).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{email:?}");
        assert!(reply.json()["error"].as_str().unwrap().contains("is not an email address"));
    }
    // Every field that could reach a header or a template is checked.
    let reply = community.api("POST",
        "/api/subscriptions",
        None,
        Some(json!({"email": "ada@example.org", "includeKeywords": ["ok", "evil\r\nBcc: eve@example.org"]})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"].as_str().unwrap().contains("control character"), "{}", reply.text);
    for (field, value) in [
        ("hour", json!(25)),
        ("mode", json!("everything")),
        ("papersPerEmail", json!(500)),
        ("timeZone", json!("Europe/Nowhere")),
        ("colour", json!("red")),
    ] {
        let reply = community
            .api("POST", "/api/subscriptions", None, Some(json!({"email": "ada@example.org", field: value})))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{field}: {}", reply.text);
    }
    assert!(community.mails().is_empty(), "nothing was sent for refused requests");
}

async fn unsubscribing_an_unknown_address_tells_nothing(db: &Db) {
    let community = TestApp::new(db).await;
    subscribed(db, "known@example.org", &Preferences::default()).await;
    let mut browser = community.browser();
    let csrf = browser.form("/unsubscribe").await;
    let unknown = browser.post("/unsubscribe", &[("csrf", &csrf), ("email", "unknown@example.org")]).await;
    let known = browser.post("/unsubscribe", &[("csrf", &csrf), ("email", "known@example.org")]).await;
    assert_eq!((unknown.status, known.status), (StatusCode::OK, StatusCode::OK));
    let notice = "If that address gets a digest, we have emailed it a link to stop it.";
    assert!(unknown.text.contains(notice) && known.text.contains(notice));
    // The link is mailed after the answer, so that answering takes as long for any address.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while mails_to(&community, "known@example.org").is_empty() {
        assert!(std::time::Instant::now() < deadline, "no unsubscribe link was mailed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(mails_to(&community, "unknown@example.org").is_empty());
    let mails = mails_to(&community, "known@example.org");
    assert_eq!(mails.len(), 1);
    let url = link(&mails[0], "http://paperboy.test/unsubscribe?token=");
    let page = browser.get(url.trim_start_matches("http://paperboy.test")).await;
    assert!(page.text.contains("Stop the digest to known@example.org?"), "{}", page.text);
}

async fn filters_choose_the_papers_and_a_reader_they_match_nothing_gets_nothing(db: &Db) {
    let community = TestApp::new(db).await;
    let mut physics = recent("2611.00901", "Quantum spin liquids in frustrated magnets", 1);
    physics.categories = vec!["cond-mat.str-el".into()];
    let transformers = recent("2611.00902", "Sparse transformers for long documents", 1);
    let other = recent("2611.00903", "A transformer-free parser", 1);
    store(db, vec![physics, transformers, other]).await;
    let prefs = |changes: Changes| Preferences::default().with(&changes).unwrap();
    let text = |value: &str| Some(Input::Text(value.into()));
    subscribed(
        db,
        "cond@example.org",
        &prefs(Changes { categories: text("cond-mat"), ..Changes::default() }),
    )
    .await;
    subscribed(
        db,
        "nlp@example.org",
        &prefs(Changes { include_keywords: text("transformers"), ..Changes::default() }),
    )
    .await;
    subscribed(
        db,
        "none@example.org",
        &prefs(Changes { include_keywords: text("zebrafish"), ..Changes::default() }),
    )
    .await;
    subscribed(
        db,
        "notcl@example.org",
        &prefs(Changes { exclude_keywords: text("transformers, parser"), ..Changes::default() }),
    )
    .await;
    let (composed, sent) =
        delivery(community.mail_dir()).run(db, Some(Period::Day(yesterday())), false, false).await.unwrap();
    assert_eq!((composed.readers, composed.queued, composed.empty), (4, 3, 1));
    assert_eq!(sent.unwrap().sent, 3);
    let papers_in = |to: &str| {
        let mail = mails_to(&community, to).pop().unwrap_or_default();
        ["2611.00901", "2611.00902", "2611.00903"]
            .into_iter()
            .filter(|id| mail.contains(&format!("/papers/{id}")))
            .collect::<Vec<_>>()
    };
    assert_eq!(papers_in("cond@example.org"), ["2611.00901"]);
    assert_eq!(papers_in("nlp@example.org"), ["2611.00902"], "a whole word: transformer-free does not count");
    assert!(mails_to(&community, "none@example.org").is_empty(), "an empty digest is not sent");
    assert_eq!(papers_in("notcl@example.org"), ["2611.00901"]);
}

async fn a_personal_digest_ranks_by_what_the_reader_upvoted(db: &Db) {
    let community = TestApp::new(db).await;
    let mut member = community.member("ada").await;
    let token = api_token(&mut member).await;
    // Three liked papers near one direction, and two candidates: one near it, one far.
    let liked: Vec<_> =
        (0..3).map(|n| recent(&format!("2611.0080{n}"), &format!("Graph networks {n}"), 3)).collect();
    let near = recent("2611.00811", "Message passing on graphs", 1);
    let far = recent("2611.00812", "Protein folding at scale", 1);
    store(db, liked.iter().cloned().chain([near, far]).collect()).await;
    set_upvotes(db, "2611.00812", 50).await;
    let vector = |id: &str, v: [f32; 4]| NewEmbedding {
        paper_id: id.into(),
        text_hash: id.into(),
        vector: v.to_vec(),
        paper_seq: 0,
    };
    db.store_embeddings(
        "test-model",
        &[
            vector("2611.00800", [1.0, 0.1, 0.0, 0.0]),
            vector("2611.00801", [0.9, 0.0, 0.1, 0.0]),
            vector("2611.00802", [1.0, 0.0, 0.0, 0.1]),
            vector("2611.00811", [0.95, 0.05, 0.0, 0.0]),
            vector("2611.00812", [0.0, 0.0, 0.0, 1.0]),
        ],
    )
    .await
    .unwrap();
    let subscribe =
        community.api("POST", "/api/subscriptions", Some(&token), Some(json!({"mode": "personal"}))).await;
    assert_eq!(subscribe.status, StatusCode::OK, "{}", subscribe.text);
    assert_eq!(subscribe.json()["state"], "active", "an account's confirmed address needs no opt-in");
    let period = Period::Day(yesterday());

    // Too little history: trending, saying so.
    delivery(community.mail_dir()).run(db, Some(period), false, false).await.unwrap();
    let first = mails_to(&community, "ada@example.org").pop().unwrap();
    assert!(
        first.contains("Subject: Papers for you")
            || header(&first, "Subject").unwrap().starts_with("Papers for you")
    );
    assert!(first.contains("Upvote or save papers you like to make this digest yours."), "{first}");
    assert!(first.find("2611.00812").unwrap() < first.find("2611.00811").unwrap(), "trending order");

    // With three upvotes, the next period ranks by them, with the reason.
    for paper in &liked {
        let reply =
            community.api("POST", &format!("/api/papers/{}/vote", paper.id), Some(&token), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    let ada = db.subscription_by_email(&"ada@example.org".parse().unwrap()).await.unwrap().unwrap();
    let mut composer = paperboy::digest::compose::Composer::new(db, "http://paperboy.test");
    let fresh = Period::Week(yesterday());
    sqlx_delete_sent(db).await;
    let picks = composer.choose(&ada, fresh).await.unwrap();
    let ids: Vec<&str> = picks.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["2611.00811", "2611.00812"], "closest to the upvotes first; upvoted papers left out");
    let reason = picks[0].reason.as_deref().unwrap();
    assert!(
        reason.starts_with("Close to “Graph networks") && reason.ends_with("”, which you upvoted."),
        "{reason}"
    );
}

async fn sqlx_delete_sent(db: &Db) {
    let sql = "DELETE FROM digest_papers";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap();
}

async fn the_api_reads_changes_and_ends_a_subscription(db: &Db) {
    let community = TestApp::new(db).await;
    let accepted = community
        .api(
            "POST",
            "/api/subscriptions",
            None,
            Some(json!({"email": "bot@example.org", "frequency": "weekly"})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.text);
    assert_eq!(accepted.json()["status"], "confirmation_sent");
    let id = subscribed(db, "api@example.org", &Preferences::default()).await;
    let key = paperboy::digest::links::LinkKey::load(db).await.unwrap();
    let token = key.token(id, "api@example.org");
    let uri = format!("/api/subscriptions/current?token={token}");
    let shown = community.api("GET", &uri, None, None).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    let json = shown.json();
    assert_eq!(
        (json["state"].as_str(), json["frequency"].as_str(), json["hour"].as_u64()),
        (Some("active"), Some("daily"), Some(8))
    );
    assert!(json["unsubscribeUrl"].as_str().unwrap().starts_with("http://paperboy.test/unsubscribe?token="));
    let changed = community.api("PATCH",
        &uri,
        None,
        Some(json!({"frequency": "weekly", "weekday": "sunday", "categories": ["cs.LG"], "papersPerEmail": 3, "mode": "personal"})),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let json = changed.json();
    assert_eq!((json["weekday"].as_str(), json["papersPerEmail"].as_u64()), (Some("sunday"), Some(3)));
    assert_eq!(json["categories"], json!(["cs.LG"]));
    // A weekday by its number and categories in one text, as the document allows.
    let numbered =
        community.api("PATCH", &uri, None, Some(json!({"weekday": 5, "categories": " cs.CL,\nmath"}))).await;
    assert_eq!(numbered.status, StatusCode::OK, "{}", numbered.text);
    let json = numbered.json();
    assert_eq!((json["weekday"].as_str(), &json["categories"]), (Some("friday"), &json!(["cs.CL", "math"])));
    let texted = community.api("PATCH", &uri, None, Some(json!({"weekday": "7"}))).await;
    assert_eq!(texted.json()["weekday"], "sunday", "{}", texted.text);
    for refused in [json!({"weekday": 8}), json!({"weekday": "8"}), json!({"categories": "cs.CL math"})] {
        let answer = community.api("PATCH", &uri, None, Some(refused.clone())).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{refused}");
    }
    let bad = community.api("PATCH", &uri, None, Some(json!({"hour": "noon"}))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().contains("hour `noon`"));
    let moved = community.api("PATCH", &uri, None, Some(json!({"email": "other@example.org"}))).await;
    assert_eq!(moved.status, StatusCode::BAD_REQUEST);
    assert!(moved.json()["error"].as_str().unwrap().contains("cannot change"));
    let no_token = community.api("GET", "/api/subscriptions/current", None, None).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    let ended = community.api("DELETE", &uri, None, None).await;
    assert_eq!(ended.status, StatusCode::OK);
    assert_eq!(ended.json()["state"], "unsubscribed");
    let spec = paperboy::api::document();
    assert!(
        spec["paths"]["/api/subscriptions"]["post"].is_object()
            && spec["paths"]["/api/subscriptions/current"]["patch"].is_object()
    );
}

async fn the_worker_sends_each_reader_theirs_at_their_hour(db: &Db) {
    let community = TestApp::new(db).await;
    papers_of_yesterday(db, 2).await;
    let id = subscribed(db, "due@example.org", &at_midnight()).await;
    subscribed(db, "later@example.org", &Preferences::default()).await;
    // Due since midnight: the scheduler composes yesterday's digest, whatever the hour now.
    let past = Utc::now() - chrono::Duration::minutes(1);
    let sql = "UPDATE subscriptions SET next_due_at = $1 WHERE id = $2";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).bind(past).bind(id).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).bind(past).bind(id).execute(pool).await.map(drop),
    }
    .unwrap();
    let (composed, sent) = delivery(community.mail_dir()).run(db, None, false, false).await.unwrap();
    assert_eq!((composed.readers, composed.queued, sent.unwrap().sent), (1, 1, 1));
    assert_eq!(mails_to(&community, "due@example.org").len(), 1);
    assert!(mails_to(&community, "later@example.org").is_empty(), "not due yet");
    let due = db.subscription(id).await.unwrap().unwrap();
    assert!(due.next_due_at.unwrap() > Utc::now(), "the next one is tomorrow");
    let (composed, _) = delivery(community.mail_dir()).run(db, None, false, false).await.unwrap();
    assert_eq!(composed.readers, 0);
}

/// A daily digest due at midnight UTC: the latest one due is always yesterday's. At the
/// default hour (8), a run before 08:00 UTC composes the day before yesterday's.
fn at_midnight() -> Preferences {
    Preferences { hour: 0, ..Preferences::default() }
}

async fn a_paper_chosen_for_two_digests_goes_out_once(db: &Db) {
    let ids = papers_of_yesterday(db, 4).await;
    let reader = subscribed(db, "twice@example.org", &Preferences::default()).await;
    // Two composers chose papers for overlapping periods before either queued its choice.
    let digest = |period: Period, papers: &[&String]| paperboy::db::digests::NewDigest {
        subscription: reader,
        recipient: "twice@example.org".into(),
        mode: paperboy::domain::digest::Mode::Trending,
        period,
        picks: papers
            .iter()
            .map(|id| paperboy::domain::digest::Pick { id: (*id).clone(), reason: None })
            .collect(),
        message_id: format!("<{period}@paperboy.test>"),
    };
    let day = Period::Day(yesterday());
    let week = Period::Week(yesterday());
    assert_eq!(db.queue_digests(&[digest(day, &[&ids[0], &ids[1]])]).await.unwrap(), 1);
    assert_eq!(db.queue_digests(&[digest(week, &[&ids[1], &ids[2]])]).await.unwrap(), 1);
    let earlier = Period::Week(yesterday() - Days::new(7));
    assert_eq!(db.queue_digests(&[digest(earlier, &[&ids[0]])]).await.unwrap(), 0, "nothing new is left");
    let claimed = db.claim_digests("test", chrono::Duration::minutes(1), Utc::now(), 10).await.unwrap();
    let papers: Vec<(String, String)> =
        claimed.iter().map(|d| (d.period.clone(), d.papers.clone())).collect();
    assert_eq!(papers.len(), 2, "{papers:?}");
    let of_week = &papers.iter().find(|(period, _)| *period == week.to_string()).unwrap().1;
    assert!(of_week.contains(&ids[2]) && !of_week.contains(&ids[1]), "{of_week}");
    // A reader who unsubscribed before the digest was queued gets none.
    db.unsubscribe(reader, "test").await.unwrap();
    let later = Period::Day(yesterday() + Days::new(1));
    assert_eq!(db.queue_digests(&[digest(later, &[&ids[3]])]).await.unwrap(), 0);
}

on_both_engines!(
    a_paper_chosen_for_two_digests_goes_out_once,
    subscribing_is_double_opt_in_and_a_digest_is_sent_once,
    settings_and_one_click_unsubscribe_need_only_the_link,
    forged_expired_replayed_and_other_readers_tokens_open_nothing,
    the_same_address_a_hundred_times_gets_one_email,
    bad_addresses_and_header_injection_are_refused,
    unsubscribing_an_unknown_address_tells_nothing,
    filters_choose_the_papers_and_a_reader_they_match_nothing_gets_nothing,
    a_personal_digest_ranks_by_what_the_reader_upvoted,
    the_api_reads_changes_and_ends_a_subscription,
    the_worker_sends_each_reader_theirs_at_their_hour,
);

#[tokio::test]
async fn a_worker_enqueues_and_sends_the_digests_due() {
    let test_db = crate::harness::TestDb::sqlite().await;
    let db = &test_db.db;
    papers_of_yesterday(db, 2).await;
    let id = subscribed(db, "worker@example.org", &at_midnight()).await;
    let past = Utc::now() - chrono::Duration::minutes(1);
    let Db::Sqlite(pool) = db else { unreachable!("a SQLite test database") };
    sqlx::query("UPDATE subscriptions SET next_due_at = $1 WHERE id = $2")
        .bind(past)
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    let mail = tempfile::tempdir().unwrap();
    // arXiv is never asked: the worker only runs the jobs its scheduler enqueues here.
    let arxiv = paperboy_arxiv::client::ArxivClient::new(paperboy_arxiv::client::ClientConfig {
        oai_url: "http://127.0.0.1:9/oai".into(),
        api_url: "http://127.0.0.1:9/api".into(),
        ..Default::default()
    })
    .unwrap();
    let config = paperboy::jobs::WorkerConfig {
        digests: Some(delivery(mail.path())),
        poll: std::time::Duration::from_millis(50),
        ..paperboy::jobs::WorkerConfig::new(arxiv, paperboy::domain::feed::FeatureRules::default())
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(paperboy::jobs::run_worker(db.clone(), config, async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while read_mails(mail.path()).is_empty() {
        assert!(std::time::Instant::now() < deadline, "the worker sent no digest");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.send(()).unwrap();
    worker.await.unwrap().unwrap();
    let mails = read_mails(mail.path());
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("To: worker@example.org"));
    assert_eq!(db.job_counts().await.unwrap().failed, 0);
}
