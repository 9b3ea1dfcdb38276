//! SMTP connections: opened with `TCP_NODELAY`, authenticated, kept and reused.
//!
//! lettre's own transport opens its sockets with Nagle's algorithm on, and it writes a message's
//! final `\r\n.\r\n` as a write of its own: that write then waits for the server's delayed ACK,
//! 40 ms on Linux, on every message, which holds one connection to about 25 messages a second.
//! So Paperboy opens the TCP connection itself, with `TCP_NODELAY`, and hands it to lettre's
//! SMTP conversation ([`AsyncSmtpConnection`]), which does EHLO, STARTTLS, AUTH and the rest.
//! Implicit TLS (`smtps://`) needs the TLS session before the greeting, which lettre opens
//! itself: those connections keep Nagle on (STARTTLS on port 587 does not).
//!
//! Idle connections wait in a pool for the next message; one idle for a while is checked with
//! `NOOP` before it is used again, and a connection that failed is dropped.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 32;
/// A connection idle this long is checked with NOOP before it is used.
const CHECK_AFTER: Duration = Duration::from_secs(10);

/// How the conversation is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://HOST` (port 25): plain text, for a relay on the same machine.
    None,
    /// `smtp://HOST?tls=opportunistic`: STARTTLS when the server offers it.
    Opportunistic,
    /// `smtp://HOST?tls=required` (port 587): STARTTLS, or no message.
    Required,
    /// `smtps://HOST` (port 465): TLS from the first byte.
    Implicit,
}

/// Why a message could not be handed to the server.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("cannot connect to {address}: {source}")]
    Connect { address: String, source: std::io::Error },
    #[error("the server did not answer within {0:?}")]
    TimedOut(Duration),
    /// Opening the session failed: greeting, STARTTLS or AUTH (the operator's settings).
    #[error("cannot open an SMTP session: {0}")]
    Session(lettre::transport::smtp::Error),
    /// The server refused the recipient (RCPT TO).
    #[error("the recipient was refused: {0}")]
    Recipient(lettre::transport::smtp::Error),
    /// The server refused the sender or the message itself (MAIL FROM, DATA).
    #[error("the message was refused: {0}")]
    Message(lettre::transport::smtp::Error),
}

impl SmtpError {
    /// Whether sending the same message again cannot help: a 5xx reply to RCPT TO, MAIL FROM
    /// or DATA. Session failures are the operator's to fix and are retried.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SmtpError::Recipient(err) | SmtpError::Message(err) if err.is_permanent())
    }

    /// Whether the recipient's address was refused for good: a bounce, which counts against
    /// the subscription.
    pub fn is_bounce(&self) -> bool {
        matches!(self, SmtpError::Recipient(err) if err.is_permanent())
    }
}

/// An SMTP server and the connections open to it.
pub struct SmtpServer {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl std::fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpServer({}:{}, {:?})", self.host, self.port, self.security)
    }
}

impl SmtpServer {
    /// The server of an `smtp://` or `smtps://` URL, with `USER:PASSWORD@` for AUTH and
    /// `?tls=required` or `?tls=opportunistic` for STARTTLS. Errors never repeat the URL, which
    /// may hold a password.
    pub fn from_url(text: &str, timeout: Duration) -> Result<SmtpServer, String> {
        let url = url::Url::parse(text).map_err(|err| err.to_string())?;
        let tls = url.query_pairs().find(|(key, _)| key == "tls").map(|(_, value)| value.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None | Some("none")) => (Security::None, 25),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic, 587),
            ("smtp", Some("required")) => (Security::Required, 587),
            ("smtps", _) => (Security::Implicit, 465),
            (scheme, tls) => {
                return Err(format!(
                    "expected smtp:// (with ?tls=required or ?tls=opportunistic for STARTTLS) or smtps://, \
                     not {scheme}:// with tls={}",
                    tls.unwrap_or("none")
                ));
            }
        };
        let host = url.host_str().filter(|host| !host.is_empty()).ok_or("the URL names no host")?.to_owned();
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| "the user name or password is not UTF-8 once percent-decoded".to_owned())
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        Ok(SmtpServer {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello: ClientId::default(),
            timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Hands one message to the server, on an idle connection or a new one, within the
    /// timeout for each step, writing its content only once `gate` is ready (the server has
    /// said to go on after DATA): how long the server took over the content (from its first
    /// byte to the answer to its final `.`), and what the gate gave, for the caller to hold
    /// while it records the outcome.
    pub async fn send_gated<G>(
        &self,
        envelope: &Envelope,
        message: &[u8],
        gate: impl Future<Output = G>,
    ) -> Result<(Duration, G), SmtpError> {
        let mut connection = match self.take_idle().await {
            Some(connection) => connection,
            None => tokio::time::timeout(self.timeout, self.connect())
                .await
                .map_err(|_| SmtpError::TimedOut(self.timeout))??,
        };
        let sent =
            match tokio::time::timeout(self.timeout, transaction(&mut connection, envelope, message, gate))
                .await
            {
                Ok(sent) => sent,
                Err(_) => Err(SmtpError::TimedOut(self.timeout)),
            };
        // A connection that failed is dropped, not closed politely: QUIT could wait forever,
        // or land inside an unfinished message.
        if sent.is_ok() {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push((connection, Instant::now()));
            }
        }
        sent
    }

    /// An idle connection that still answers NOOP in time, if there is one.
    async fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut connection, since) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
            if since.elapsed() < CHECK_AFTER
                || tokio::time::timeout(self.timeout, connection.test_connected()).await.unwrap_or(false)
            {
                return Some(connection);
            }
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpError> {
        self.open().await.map_err(|err| match err {
            OpenError::Connect(err) => err,
            OpenError::Smtp(err) => SmtpError::Session(err),
        })
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, OpenError> {
        let tls = || TlsParameters::new(self.host.clone());
        let mut connection = if self.security == Security::Implicit {
            AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                Some(tls()?),
                None,
            )
            .await?
        } else {
            let address = format!("{}:{}", self.host, self.port);
            let connect = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
            let stream = match tokio::time::timeout(self.timeout, connect).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(source)) => return Err(OpenError::Connect(SmtpError::Connect { address, source })),
                Err(_) => {
                    let source = std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer");
                    return Err(OpenError::Connect(SmtpError::Connect { address, source }));
                }
            };
            stream
                .set_nodelay(true)
                .map_err(|source| OpenError::Connect(SmtpError::Connect { address, source }))?;
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?
        };
        let starttls = match self.security {
            Security::Required => true,
            Security::Opportunistic => connection.can_starttls(),
            Security::None | Security::Implicit => false,
        };
        if starttls {
            connection.starttls(tls()?, &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            connection.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await?;
        }
        Ok(connection)
    }
}

/// What stops a session from opening.
enum OpenError {
    Connect(SmtpError),
    Smtp(lettre::transport::smtp::Error),
}

impl From<lettre::transport::smtp::Error> for OpenError {
    fn from(err: lettre::transport::smtp::Error) -> Self {
        OpenError::Smtp(err)
    }
}

/// One mail transaction, each refusal named by the command it answered: MAIL FROM (with
/// 8BITMIME for a message that needs it, as lettre's own transport does), RCPT TO, DATA, then
/// the content once `gate` is ready; how long the content took, and what the gate gave.
async fn transaction<G>(
    connection: &mut AsyncSmtpConnection,
    envelope: &Envelope,
    message: &[u8],
    gate: impl Future<Output = G>,
) -> Result<(Duration, G), SmtpError> {
    let mut parameters = Vec::new();
    if !message.is_ascii() && connection.server_info().supports_feature(Extension::EightBitMime) {
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    connection.command(Mail::new(envelope.from().cloned(), parameters)).await.map_err(SmtpError::Message)?;
    for recipient in envelope.to() {
        connection.command(Rcpt::new(recipient.clone(), Vec::new())).await.map_err(SmtpError::Recipient)?;
    }
    connection.command(Data).await.map_err(SmtpError::Message)?;
    let opened = gate.await;
    let content = Instant::now();
    connection.message(message).await.map_err(SmtpError::Message)?;
    Ok((content.elapsed(), opened))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_security_port_and_credentials() {
        let timeout = Duration::from_secs(1);
        let server =
            SmtpServer::from_url("smtp://ada:p%40ss@mail.example.org?tls=required", timeout).expect("url");
        assert_eq!(
            (server.security, server.port, server.host.as_str()),
            (Security::Required, 587, "mail.example.org")
        );
        assert!(server.credentials.is_some());
        let server = SmtpServer::from_url("smtps://mail.example.org", timeout).expect("url");
        assert_eq!((server.security, server.port), (Security::Implicit, 465));
        let server = SmtpServer::from_url("smtp://127.0.0.1:2525", timeout).expect("url");
        assert_eq!((server.security, server.port), (Security::None, 2525));
        let refused =
            SmtpServer::from_url("smtp://ada:secret@host?tls=sometimes", timeout).expect_err("refused");
        assert!(!refused.contains("secret"), "{refused}");
        assert!(SmtpServer::from_url("http://host", timeout).is_err());
    }
}
