//! Account mail over a real SMTP conversation: the aiosmtpd server of the delivery tests
//! ([`Sink`]) on loopback stores what it receives, and the test reads it back. Without
//! `PAPERBOY_TEST_PYTHON` the test says loudly that it checked nothing.

use std::path::PathBuf;

use axum::http::StatusCode;
use paperboy::mail::Mailer;
use paperboy::mail::Outbox;

use crate::harness::mail::{Sink, decode_quoted_printable, python};
use crate::harness::{TestApp, TestDb, csrf_in};

#[tokio::test]
async fn account_mail_goes_out_over_smtp_when_configured() {
    let Some(python) = python() else { return };
    let smtp = Sink::start(&python);
    let test_db = TestDb::sqlite().await;
    let url = smtp.url();
    let mailer = Mailer::new(Some(&url), PathBuf::from("unused")).unwrap();
    let community = TestApp::with(&test_db.db, |config| {
        config.mail = Outbox { mailer, from: "Paperboy <news@paperboy.test>".parse().unwrap() };
    })
    .await;
    let mut visitor = community.browser();
    let csrf = visitor.form("/signup").await;
    let reply = visitor
        .post(
            "/signup",
            &[("csrf", &csrf), ("name", "ada"), ("email", "ada@example.org"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(community.mails().is_empty(), "nothing went to files");
    let messages: Vec<String> = smtp.messages().iter().map(|m| decode_quoted_printable(m)).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert!(
        message.contains("From: Paperboy <news@paperboy.test>") && message.contains("To: ada@example.org")
    );
    assert!(message.contains("Subject: Confirm your Paperboy account"), "{message}");
    let start = message.find("/links/confirm?token=").unwrap();
    let link: String = message[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let page = visitor.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "the link from the SMTP server works: {link}\n{message}");
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let confirmed =
        visitor.post("/links/confirm", &[("csrf", &csrf_in(&page.text)), ("token", &token)]).await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);

    // With the server gone, signing up answers the same: a failed email tells nobody anything.
    drop(smtp);
    let mut other = community.browser();
    let csrf = other.form("/signup").await;
    let again = other
        .post(
            "/signup",
            &[("csrf", &csrf), ("name", "bob"), ("email", "bob@example.org"), ("password", "correct horse")],
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert!(again.text.contains("Check your inbox"));
}
