//! Signed links in digests: one token per subscription opens its settings page and
//! unsubscribes it in one click (RFC 8058), with no sign-in.
//!
//! A token is `ID.MAC`: the subscription's id and the first 16 bytes of HMAC-SHA256 over the
//! id and the subscription's address, keyed by a secret each installation makes once and keeps
//! in its database (`server_keys`), so every process signs alike. A token cannot be forged
//! without the key, names exactly one subscription (another id fails its MAC), and keeps
//! working for as long as the emails that carry it are read. Confirmation links are different:
//! random, single-use and expiring ([`crate::db::digests`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::db::digests::Subscription;
use crate::db::{Db, DbError};
use crate::domain::secrets::Secret;

const KEY_NAME: &str = "digest-links";
const MAC_BYTES: usize = 16;

/// The installation's key for digest links.
#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(..)")
    }
}

impl LinkKey {
    /// The key stored in `db`, made on first use.
    pub async fn load(db: &Db) -> Result<LinkKey, DbError> {
        let key = db.server_key(KEY_NAME, || Secret::generate("").expose().to_owned()).await?;
        Ok(LinkKey(key.into_bytes()))
    }

    fn mac(&self, subscription: i64, email: &str) -> Hmac<Sha256> {
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(format!("subscription\0{subscription}\0{email}").as_bytes());
        mac
    }

    /// The token of a subscription.
    pub fn token(&self, subscription: i64, email: &str) -> String {
        let tag = self.mac(subscription, email).finalize().into_bytes();
        format!("{subscription}.{}", URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES]))
    }

    /// The subscription a token names, if the token is well formed; check it with [`verify`].
    ///
    /// [`verify`]: LinkKey::verify
    pub fn subscription_id(token: &str) -> Option<i64> {
        let (id, _) = token.split_once('.')?;
        id.parse().ok().filter(|id| *id > 0)
    }

    /// Whether `token` was made for `subscription`, compared in constant time.
    pub fn verify(&self, token: &str, subscription: &Subscription) -> bool {
        let Some((id, tag)) = token.split_once('.') else { return false };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else { return false };
        id == subscription.id.to_string()
            && tag.len() == MAC_BYTES
            && self.mac(subscription.id, &subscription.email).verify_truncated_left(&tag).is_ok()
    }

    /// The subscription `token` opens, or `None` for any token that is not a valid one (the
    /// same answer whatever is wrong with it).
    pub async fn open(&self, db: &Db, token: &str) -> Result<Option<Subscription>, DbError> {
        let Some(id) = LinkKey::subscription_id(token) else { return Ok(None) };
        Ok(db.subscription(id).await?.filter(|subscription| self.verify(token, subscription)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::digests::SubscriptionState;
    use crate::domain::digest::Preferences;

    fn subscription(id: i64, email: &str) -> Subscription {
        Subscription {
            id,
            email: email.into(),
            user_id: None,
            state: SubscriptionState::Active,
            prefs: Preferences::default(),
            bounces: 0,
            next_due_at: None,
            created_at: chrono::Utc::now(),
            confirmed_at: None,
        }
    }

    #[test]
    fn a_token_opens_its_own_subscription_only() {
        let key = LinkKey(b"key one".to_vec());
        let ada = subscription(7, "ada@example.org");
        let bob = subscription(8, "bob@example.org");
        let token = key.token(ada.id, &ada.email);
        assert!(key.verify(&token, &ada));
        assert_eq!(LinkKey::subscription_id(&token), Some(7));
        // Another subscription's id with this MAC, or this id with another MAC.
        assert!(!key.verify(&token.replacen("7.", "8.", 1), &bob));
        assert!(!key.verify(&key.token(bob.id, &bob.email), &ada));
        // Another key, a changed MAC, a truncated one, garbage.
        assert!(!LinkKey(b"key two".to_vec()).verify(&token, &ada));
        let mut forged = token.clone().into_bytes();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        assert!(!key.verify(&String::from_utf8(forged).expect("ascii"), &ada));
        assert!(!key.verify(&token[..token.len() - 4], &ada));
        assert!(!key.verify("7.", &ada) && !key.verify("7", &ada) && !key.verify("", &ada));
        assert_eq!(LinkKey::subscription_id("-3.abc"), None);
    }
}
