//! The community: accounts and their secrets, and the rules of submitting, voting, commenting
//! and moderating that do not depend on storage. Storage is in [`crate::db`]; the pages and
//! API that use these rules are in [`crate::web`] and [`crate::api`].

pub mod accounts;
pub mod secrets;
