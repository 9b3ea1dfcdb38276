//! Outgoing email: one [`Mailer`] for every message Paperboy sends (account links now, digests
//! later), either over SMTP or, by default, as `.eml` files in the data directory.
//!
//! The file mailer is the embedded default so that a fresh install works without a mail
//! server: an operator (or a test) reads the messages in `DATA_DIR/mail/`. Each file is written
//! to a temporary name and renamed, so a reader never sees half a message. SMTP is one setting
//! away (`--smtp-url smtp://user:pass@host:587?tls=required`, or `smtps://` for implicit TLS);
//! connections are pooled and reused ([`smtp`]).

pub mod smtp;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use self::smtp::{SmtpError, SmtpServer};

use crate::domain::accounts::Email;
use crate::domain::secrets::Secret;

/// How long opening an SMTP session, or one mail transaction, may take before the attempt
/// counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// Writes each message as an `.eml` file into this directory.
    Files(PathBuf),
    /// Sends through an SMTP server.
    Smtp(Arc<SmtpServer>),
}

/// The mailer and the sender address of every email.
#[derive(Debug, Clone)]
pub struct Outbox {
    pub mailer: Mailer,
    pub from: Mailbox,
}

impl Outbox {
    /// Sends `mail` and logs a failure instead of returning it: for emails whose failure must
    /// not change the answer a visitor sees, because that would tell whether the address has
    /// an account or a subscription.
    pub async fn send_or_log(&self, mail: &Mail, what: &str) {
        if let Err(err) = self.mailer.send(&self.from, mail).await {
            tracing::error!(error = %err, to = %mail.to, "cannot send {what}");
        }
    }

    /// Files in `dir`, from `Paperboy <paperboy@localhost>`.
    pub fn files(dir: PathBuf) -> Outbox {
        Outbox { mailer: Mailer::Files(dir), from: Mailbox::new(Some("Paperboy".into()), default_sender()) }
    }
}

fn default_sender() -> lettre::Address {
    lettre::Address::new("paperboy", "localhost").unwrap_or_else(|_| unreachable!("a valid literal address"))
}

/// A message to send: plain text, and HTML when there is a rendered version.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// The `Message-ID`, `<unique@host>`; one is made up when `None`.
    pub message_id: Option<String>,
    /// More headers, such as `List-Unsubscribe`; each value is put on one line and encoded.
    pub headers: Vec<(&'static str, String)>,
}

/// The text of an email that carries one link: a greeting, what the link does, the link,
/// and what to know about it (account links, subscription confirmations).
#[derive(askama::Template)]
#[template(path = "email/link.txt")]
pub struct LinkEmail<'a> {
    /// Whom to greet by name, if anyone.
    pub name: Option<&'a str>,
    pub lead: &'a str,
    pub link: &'a str,
    pub after: &'a str,
    pub base_url: &'a str,
}

impl LinkEmail<'_> {
    /// The email to `to` with `subject`.
    pub fn to(&self, to: Email, subject: &str) -> Result<Mail, MailError> {
        let text = askama::Template::render(self).map_err(|err| MailError::Build(err.to_string()))?;
        Ok(Mail::new(to, subject.to_owned(), text))
    }
}

impl Mail {
    /// A plain message with no headers of its own.
    pub fn new(to: Email, subject: String, text: String) -> Mail {
        Mail { to, subject, text, html: None, message_id: None, headers: Vec::new() }
    }
}

/// Mail that could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The sender address or the message could not be built.
    #[error("cannot build the message: {0}")]
    Build(String),
    /// The SMTP server refused the message or could not be reached.
    #[error("SMTP: {0}")]
    Smtp(#[from] SmtpError),
    /// The message could not be written to the mail directory.
    #[error("cannot write {path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
}

impl MailError {
    /// Whether sending again cannot help: the server refused the message or its recipient for
    /// good (a 5xx reply), or the message cannot be built. Anything else (no connection, a
    /// 4xx reply, a failed sign-in to the server, a full disk) may pass later.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::Build(_) => true,
            MailError::Smtp(err) => err.is_permanent(),
            MailError::File { .. } => false,
        }
    }

    /// Whether the recipient's server refused the address for good: a bounce.
    pub fn is_bounce(&self) -> bool {
        matches!(self, MailError::Smtp(err) if err.is_bounce())
    }
}

impl Mailer {
    /// The mailer for `--smtp-url`, or the mail directory when there is none.
    pub fn new(smtp_url: Option<&str>, mail_dir: PathBuf) -> Result<Mailer, MailError> {
        match smtp_url {
            Some(url) => {
                // The URL may carry a password: name only what is wrong with it.
                let server = SmtpServer::from_url(url, SMTP_TIMEOUT).map_err(|err| {
                    MailError::Build(format!("--smtp-url is not a usable SMTP address ({err})"))
                })?;
                Ok(Mailer::Smtp(Arc::new(server)))
            }
            None => Ok(Mailer::Files(mail_dir)),
        }
    }

    /// Sends `mail` from `from`.
    pub async fn send(&self, from: &Mailbox, mail: &Mail) -> Result<(), MailError> {
        self.send_gated(from, mail, async {}).await.map(|_| ())
    }

    /// Sends `mail` from `from`, handing over its content only once `gate` is ready: how long
    /// an SMTP server took over the content (from the first byte to the answer to the final
    /// `.`; `None` for a mail directory), and what the gate gave, for the caller to hold while
    /// it records the outcome.
    pub async fn send_gated<G>(
        &self,
        from: &Mailbox,
        mail: &Mail,
        gate: impl Future<Output = G>,
    ) -> Result<(Option<Duration>, G), MailError> {
        let message = build(from, mail)?;
        match self {
            Mailer::Smtp(server) => {
                let (content, opened) =
                    server.send_gated(message.envelope(), &message.formatted(), gate).await?;
                Ok((Some(content), opened))
            }
            Mailer::Files(dir) => {
                let opened = gate.await;
                let io = |path: &PathBuf| {
                    let path = path.clone();
                    move |source| MailError::File { path, source }
                };
                tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
                let name = format!(
                    "{}-{}",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
                    Secret::generate("").hash()
                );
                let partial = dir.join(format!(".{name}.partial"));
                let path = dir.join(format!("{}.eml", &name[..40]));
                tokio::fs::write(&partial, message.formatted()).await.map_err(io(&partial))?;
                tokio::fs::rename(&partial, &path).await.map_err(io(&path))?;
                Ok((None, opened))
            }
        }
    }
}

impl Mailer {
    /// The message as it would be sent, headers included.
    pub fn format(from: &Mailbox, mail: &Mail) -> Result<Vec<u8>, MailError> {
        Ok(build(from, mail)?.formatted())
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Files(dir) => write!(f, "Mailer::Files({})", dir.display()),
            Mailer::Smtp(server) => write!(f, "Mailer::Smtp({server:?})"),
        }
    }
}

fn build(from: &Mailbox, mail: &Mail) -> Result<Message, MailError> {
    let to: Mailbox =
        mail.to.as_str().parse().map_err(|err| MailError::Build(format!("recipient: {err}")))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(one_line(&mail.subject))
        .message_id(mail.message_id.as_deref().map(one_line));
    for (name, value) in &mail.headers {
        let name = HeaderName::new_from_ascii((*name).to_owned())
            .map_err(|err| MailError::Build(format!("header name {name}: {err}")))?;
        builder = builder.raw_header(HeaderValue::new(name, one_line(value)));
    }
    let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(readable(&mail.text));
    let message = match &mail.html {
        Some(html) => builder.multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(readable(html))),
        ),
        None => builder.singlepart(text),
    };
    message.map_err(|err| MailError::Build(err.to_string()))
}

/// A body sent as written (7bit or 8bit) when its lines allow, so that links stay whole in
/// the raw message; quoted-printable otherwise.
fn readable(text: &str) -> Body {
    Body::new_with_encoding(text.to_owned(), ContentTransferEncoding::EightBit)
        .unwrap_or_else(|_| Body::new(text.to_owned()))
}

/// A header value on one line: line breaks and other control characters become spaces, so no
/// text can start a header of its own.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_hold_whole_messages_with_safe_headers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mailer = Mailer::new(None, dir.path().join("mail")).expect("mailer");
        let from: Mailbox = "Paperboy <paperboy@example.org>".parse().expect("from");
        let mut mail = Mail::new(
            "ada@example.org".parse().expect("to"),
            "Confirm\r\nBcc: eve@example.org".into(),
            "Hello".into(),
        );
        mail.message_id = Some("<1@example.org>\r\nBcc: eve@example.org".into());
        mail.headers.push(("List-Id", "Digest\nBcc: eve@example.org <digest.example.org>".into()));
        mailer.send(&from, &mail).await.expect("sent");
        let files: Vec<_> = std::fs::read_dir(dir.path().join("mail")).expect("dir").flatten().collect();
        assert_eq!(files.len(), 1);
        let message = std::fs::read_to_string(files[0].path()).expect("read");
        assert!(message.contains("To: ada@example.org"), "{message}");
        assert!(message.contains("Subject: Confirm  Bcc: eve@example.org"), "{message}");
        assert!(!message.lines().any(|line| line.starts_with("Bcc:")), "{message}");
        assert!(message.contains("List-Id: Digest Bcc: eve@example.org <digest.example.org>"), "{message}");
        assert!(message.lines().any(|line| line.starts_with("Date: ")), "{message}");
    }
}
