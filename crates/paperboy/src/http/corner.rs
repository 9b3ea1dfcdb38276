//! The account corner: the one part of a cached page that differs for a signed-in reader (their
//! name, their links and a sign-out button instead of the sign-in links), between markers the
//! base template puts around it, so that the page cache can serve one page to everyone.

use crate::db::users::Session;

/// The marked account corner of a page, filled in for a signed-in reader: their name and a
/// sign-out button instead of the sign-in links. `None` when the page has no corner.
pub fn personalize(body: &str, session: &Session) -> Option<String> {
    let range = corner_range(body)?;
    Some(format!("{}{}{}", &body[..range.start], account_corner(session), &body[range.end..]))
}

/// Where the account corner is in `body`, markers included.
pub fn corner_range(body: &str) -> Option<std::ops::Range<usize>> {
    let start = body.find(ACCOUNT_START)?;
    let end = body[start..].find(ACCOUNT_END)? + start + ACCOUNT_END.len();
    Some(start..end)
}

/// The account corner of a signed-in reader, markers included.
pub fn account_corner(session: &Session) -> String {
    let name = askama::filters::escape(&session.user.name, askama::filters::Html)
        .map(|name| name.to_string())
        .unwrap_or_default();
    let moderation =
        if session.user.role.moderates() { "<a href=\"/moderation\">Moderation</a> " } else { "" };
    format!(
        "{ACCOUNT_START}<a href=\"/settings\">{name}</a> <a href=\"/papers/for-you\">For you</a> \
         <a href=\"/reading-list\">Reading list</a> \
         <a href=\"/collections\">Collections</a> <a href=\"/submit\">Submit a paper</a> {moderation}\
         <form class=\"inline\" method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\" class=\"link\">Sign out</button></form>{ACCOUNT_END}",
        session.csrf_token
    )
}

/// Where the account corner of every page begins and ends (see `templates/base.html`).
pub const ACCOUNT_START: &str = "<!--account-->";
pub const ACCOUNT_END: &str = "<!--/account-->";
