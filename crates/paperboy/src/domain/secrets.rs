//! Secrets: random tokens for sessions, API tokens and emailed links, their stored hashes, and
//! passwords hashed with argon2id.
//!
//! A token is 32 random bytes from the operating system, written in unpadded base64url. Only
//! its SHA-256 goes into the database, so a copy of the database signs no one in; lookups are by
//! that hash, so comparing two secrets never happens byte by byte in Rust.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A secret handed to one person once (a cookie, an API token, a link). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 32 fresh random bytes, base64url, with `prefix` before them (`pb_` for API tokens, so a
    /// leaked one is recognisable in logs and by secret scanners).
    pub fn generate(prefix: &str) -> Secret {
        let mut bytes = [0_u8; 32];
        // The operating system's generator only fails on a broken system; refusing to run is
        // then the only safe answer.
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
        Secret(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wraps a secret a client sent back.
    pub fn from_client(text: &str) -> Secret {
        Secret(text.to_owned())
    }

    /// The text to hand out, once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps: hex SHA-256.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }
}

/// The hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// Hashes a password with argon2id (19 MiB, 2 passes: OWASP's recommended minimum) and a
/// random salt, as a PHC string that records its own parameters.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError)
}

/// Whether `password` matches a stored PHC string. A malformed stored hash matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else { return false };
    Argon2::default().verify_password(password.as_bytes(), &hash).is_ok()
}

/// Spends the time of one password check, for logins with an unknown email: the answer then
/// takes as long whether or not the account exists.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(hash) = DUMMY.get_or_init(|| hash_password("paperboy-timing-equaliser").ok()) {
        verify_password(password, hash);
    }
}

/// Hashing failed: only a broken random generator or absurd parameters cause it.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password")]
pub struct PasswordError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let a = Secret::generate("pb_");
        let b = Secret::generate("pb_");
        assert_ne!(a, b);
        assert!(a.expose().starts_with("pb_"));
        assert_eq!(a.expose().len(), 3 + 43);
        assert_eq!(a.hash().len(), 64);
        assert_eq!(a.hash(), Secret::from_client(a.expose()).hash());
        assert_eq!(format!("{a:?}"), "Secret(..)");
    }

    #[test]
    fn passwords_verify_only_themselves() {
        let stored = hash_password("correct horse battery staple").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &stored));
        assert!(!verify_password("correct horse battery stapl", &stored));
        assert!(!verify_password("anything", "not a phc string"));
    }
}
