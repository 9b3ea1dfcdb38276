//! Mail over a real SMTP conversation: aiosmtpd (from `PAPERBOY_TEST_PYTHON`'s packages) on
//! loopback stores what it receives in a maildir, and the test reads it back. Without
//! `PAPERBOY_TEST_PYTHON` the test says loudly that it checked nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use paperboy::app::Outbox;
use paperboy::mail::Mailer;

use crate::community::{Community, csrf_in, decode_quoted_printable};
use crate::harness::TestDb;

/// aiosmtpd on a free port, writing each message into `maildir/new`; stopped on drop.
struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    fn start(python: &Path) -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        SmtpServer { child, port, maildir }
    }

    /// The messages received so far.
    fn messages(&self) -> Vec<String> {
        let dir: PathBuf = self.maildir.path().join("box").join("new");
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| decode_quoted_printable(&std::fs::read_to_string(e.path()).unwrap()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn account_mail_goes_out_over_smtp_when_configured() {
    let Some(python) = std::env::var_os("PAPERBOY_TEST_PYTHON").map(PathBuf::from) else {
        eprintln!(
            "\n*** SKIPPED: PAPERBOY_TEST_PYTHON is not set, so account_mail_goes_out_over_smtp_when_configured \
             checked NOTHING. Set it up with\n***   export PAPERBOY_TEST_PYTHON=$(scripts/test-tools.sh)\n"
        );
        return;
    };
    let smtp = SmtpServer::start(&python);
    let test_db = TestDb::sqlite().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let mailer = Mailer::new(Some(&url), PathBuf::from("unused")).unwrap();
    let community = Community::with(&test_db.db, |config| {
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
    let messages = smtp.messages();
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
