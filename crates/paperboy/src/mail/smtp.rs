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
use lettre::transport::smtp::extension::ClientId;

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
    #[error(transparent)]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl SmtpError {
    /// Whether the server refused for good (a 5xx reply).
    pub fn is_permanent(&self) -> bool {
        matches!(self, SmtpError::Smtp(err) if err.is_permanent())
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
    /// timeout for each step.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), SmtpError> {
        let mut connection = match self.take_idle().await {
            Some(connection) => connection,
            None => tokio::time::timeout(self.timeout, self.connect())
                .await
                .map_err(|_| SmtpError::TimedOut(self.timeout))??,
        };
        let sent = match tokio::time::timeout(self.timeout, connection.send(envelope, message)).await {
            Ok(sent) => sent.map_err(SmtpError::from),
            Err(_) => Err(SmtpError::TimedOut(self.timeout)),
        };
        match sent {
            Ok(_) => {
                let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
                if idle.len() < MAX_IDLE {
                    idle.push((connection, Instant::now()));
                }
                Ok(())
            }
            Err(err) => {
                connection.abort().await;
                Err(err)
            }
        }
    }

    /// An idle connection that still answers, if there is one.
    async fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut connection, since) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
            if since.elapsed() < CHECK_AFTER || connection.test_connected().await {
                return Some(connection);
            }
            connection.abort().await;
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpError> {
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
                Ok(Err(source)) => return Err(SmtpError::Connect { address, source }),
                Err(_) => {
                    let source = std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer");
                    return Err(SmtpError::Connect { address, source });
                }
            };
            stream.set_nodelay(true).map_err(|source| SmtpError::Connect { address, source })?;
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
