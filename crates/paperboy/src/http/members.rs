//! Members a server recognised lately, by the hash of the session cookie or API token they
//! sent: the rate limit ([`crate::http::limit`]) counts their requests per member without a
//! database lookup of its own. The session and the API's token check remember them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::accounts::UserId;
use crate::domain::secrets::Secret;

/// How long a server counts a recognised credential's requests against its member.
pub const MEMBER_MEMORY: Duration = Duration::from_secs(600);

/// Credentials remembered before the stale ones are swept.
const MEMBERS_KEPT: usize = 100_000;

/// The members recognised lately, by the hash of the session cookie or API token they sent.
#[derive(Debug, Default)]
pub struct Members {
    known: Mutex<HashMap<String, (UserId, Instant)>>,
}

impl Members {
    /// Notes that `credential` (a session cookie or an API token) is `member`'s.
    pub fn remember(&self, credential: &Secret, member: UserId) {
        let now = Instant::now();
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= MEMBERS_KEPT {
            known.retain(|_, (_, seen)| now.duration_since(*seen) < MEMBER_MEMORY);
            if known.len() >= MEMBERS_KEPT {
                known.clear();
            }
        }
        known.insert(credential.hash(), (member, now));
    }

    /// The member whose `credential` this server recognised within [`MEMBER_MEMORY`].
    pub fn recognise(&self, credential: &Secret) -> Option<UserId> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        known
            .get(&credential.hash())
            .filter(|(_, seen)| seen.elapsed() < MEMBER_MEMORY)
            .map(|(member, _)| *member)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_recognised_by_the_credential_they_sent() {
        let members = Members::default();
        let (cookie, other) = (Secret::from_client("abc"), Secret::from_client("abd"));
        members.remember(&cookie, UserId(7));
        assert_eq!(members.recognise(&cookie), Some(UserId(7)));
        assert_eq!(members.recognise(&other), None);
    }
}
