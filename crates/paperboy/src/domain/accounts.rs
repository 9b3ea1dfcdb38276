//! What an account is made of, checked before anything is stored: handles, email addresses and
//! passwords, each with a message that says what to change.

use std::fmt;
use std::str::FromStr;

/// Shortest password accepted (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted: long enough for any passphrase, short enough that hashing it is
/// no way to load the server.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A user's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct UserId(pub i64);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What an emailed link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Confirms the address of a new account.
    Confirm,
    /// Lets its holder choose a new password.
    Reset,
    /// Signs its holder in without a password.
    Login,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Confirm => "confirm",
            LinkPurpose::Reset => "reset",
            LinkPurpose::Login => "login",
        }
    }

    /// The purpose a link's path names: `confirm`, `reset` or `login`.
    pub fn parse(text: &str) -> Option<LinkPurpose> {
        [LinkPurpose::Confirm, LinkPurpose::Reset, LinkPurpose::Login]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// Why an emailed link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not valid: copy the whole address from the email, or ask for a new one")]
    Unknown,
    #[error("this link was used already: each link works once; ask for a new one if you need it")]
    Used,
    #[error("this link has expired: ask for a new one")]
    Expired,
}

/// A role, from least to most trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    User,
    /// Features and hides papers, edits their links, hides comments.
    Curator,
    /// A curator who may also grant roles.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Curator => "curator",
            Role::Admin => "admin",
        }
    }

    /// Curators and admins moderate.
    pub fn moderates(self) -> bool {
        self >= Role::Curator
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        match text {
            "user" => Ok(Role::User),
            "curator" => Ok(Role::Curator),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role `{other}`: expected user, curator or admin")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A public handle: 2 to 32 letters, digits, `-` and `_`, starting with a letter or digit.
/// Unique whatever the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for UserName {
    type Err = String;

    fn from_str(text: &str) -> Result<UserName, String> {
        let text = text.trim();
        let well_formed = (2..=32).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_alphanumeric())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if well_formed {
            Ok(UserName(text.to_owned()))
        } else {
            Err("a user name has 2 to 32 letters, digits, `-` or `_`, and starts with a letter or digit"
                .into())
        }
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address, lowercased: a dot-atom, `@`, and a host name of two or more labels.
/// Letters beyond ASCII are welcome (mail goes out with SMTPUTF8 where the server has it);
/// white space, control characters and anything that could break out of a mail header are not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Email {
    type Err = String;

    fn from_str(text: &str) -> Result<Email, String> {
        let text = text.trim();
        let invalid = || format!("`{}` is not an email address", text.chars().take(80).collect::<String>());
        if text.chars().count() > 254 {
            return Err(invalid());
        }
        let text = text.to_lowercase();
        let (local, domain) = text.rsplit_once('@').ok_or_else(invalid)?;
        // As the API's `EMAIL` pattern states: beyond ASCII, any character that is neither
        // white space nor a control character.
        let other = |c: char| !c.is_ascii() && !c.is_whitespace() && !c.is_control();
        let atom = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || other(c))
        };
        let label = |part: &str| {
            (1..=63).contains(&part.chars().count())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || other(c))
        };
        let local_ok = local.split('.').all(atom);
        let domain_ok = domain.contains('.')
            && !domain.starts_with('-')
            && !domain.ends_with('-')
            && domain.split('.').all(label);
        if local_ok && domain_ok { Ok(Email(text)) } else { Err(invalid()) }
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password's length; any characters are allowed.
pub fn check_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(format!("a password needs at least {MIN_PASSWORD_CHARS} characters"))
    } else if chars > MAX_PASSWORD_CHARS {
        Err(format!("a password may have at most {MAX_PASSWORD_CHARS} characters"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_header_safe() {
        assert_eq!("  Ada@Example.ORG ".parse::<Email>().map(|e| e.0), Ok("ada@example.org".into()));
        assert!("first.last+tag@sub.example.co.uk".parse::<Email>().is_ok());
        assert_eq!("José@Café.FR".parse::<Email>().map(|e| e.0), Ok("josé@café.fr".into()));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "ada@@example.org",
            "a b@example.org",
            "ada@example.org\r\nBcc: eve@example.org",
            "ada@exa_mple.org",
            "<ada@example.org>",
            "ada..x@example.org",
            "\"ada\"@example.org",
            "ada\u{a0}x@example.org",
            "ada@exa\u{2028}mple.org",
        ] {
            assert!(bad.parse::<Email>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn user_names_are_short_plain_handles() {
        assert!("ada".parse::<UserName>().is_ok());
        assert!("Ada_Lovelace-1815".parse::<UserName>().is_ok());
        for bad in ["a", "-ada", "ada lovelace", "ada<script>", "ada'; DROP TABLE users; --", &"x".repeat(33)]
        {
            assert!(bad.parse::<UserName>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn passwords_have_bounded_length() {
        assert!(check_password("seven77").is_err());
        assert!(check_password("eight888").is_ok());
        assert!(check_password(&"p".repeat(257)).is_err());
    }

    #[test]
    fn roles_order_by_trust() {
        assert!(Role::Admin.moderates() && Role::Curator.moderates() && !Role::User.moderates());
        assert_eq!("curator".parse::<Role>(), Ok(Role::Curator));
        assert!("root".parse::<Role>().is_err());
    }
}
