//! What a signed-in user can do, shared by the site's forms and the JSON API: each action checks
//! the user's quota and role, then asks the database, and answers with an [`AppError`] that
//! says what went wrong. The database enforces the rest (one vote per user, one submitter per
//! paper) inside the action's transaction.

use chrono::{NaiveDate, Utc};
use paperboy_arxiv::ArxivId;
use paperboy_arxiv::client::ArxivClient;
use paperboy_arxiv::paper::check_link;

use crate::db::Db;
use crate::db::authors::Author;
use crate::db::claims::{Claim, ClaimRequest};
use crate::db::community::{Submitted, VoteCount};
use crate::db::feed::Featured;
use crate::db::users::User;
use crate::domain::authors::AuthorName;
use crate::domain::code;
use crate::domain::markdown::check_comment;
use crate::domain::{Refusal, accounts::Role};
use crate::error::AppError;
use crate::ingest::harvest::fetch;
use crate::quota::Quotas;

/// The rules of submitting papers to the feed.
#[derive(Debug, Clone, Copy)]
pub struct SubmitRules {
    /// Papers first published longer ago than this many days cannot be submitted.
    pub window_days: i64,
    /// Submissions per user per UTC day.
    pub daily_cap: u32,
}

impl Default for SubmitRules {
    fn default() -> Self {
        SubmitRules { window_days: 14, daily_cap: 10 }
    }
}

/// What the community's actions work with: the database, the quotas they count against, and
/// for submissions, arXiv's client (papers the catalog lacks are looked up; without a client
/// they must be imported first) and the submission rules.
#[derive(Debug, Clone, Copy)]
pub struct Community<'a> {
    pub db: &'a Db,
    pub quotas: &'a Quotas,
    pub arxiv: Option<&'a ArxivClient>,
    pub submissions: SubmitRules,
}

/// The longest author name a claim or an author page takes; arXiv's longest are far shorter.
pub const MAX_AUTHOR_CHARS: usize = 300;

/// Longest reason a curator gives for hiding something.
pub const MAX_REASON_CHARS: usize = 500;

/// An arXiv id or address a user typed.
pub fn parse_paper_id(text: &str) -> Result<ArxivId, AppError> {
    ArxivId::from_url_or_id(text.trim()).map(|(id, _)| id).map_err(|err| {
        AppError::BadRequest(format!(
            "`{}` is not an arXiv id or address ({err}); write it as 2501.00001 or https://arxiv.org/abs/2501.00001",
            text.chars().take(60).collect::<String>()
        ))
    })
}

fn require_moderator(user: &User) -> Result<(), AppError> {
    if user.role.moderates() { Ok(()) } else { Err(AppError::Forbidden("only curators may do this".into())) }
}

/// A curator's reason: at most [`MAX_REASON_CHARS`] as written, no control characters but line
/// breaks.
fn check_reason(reason: Option<&str>) -> Result<String, AppError> {
    let reason = reason.unwrap_or_default();
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::BadRequest(format!(
            "a reason has at most {MAX_REASON_CHARS} characters, and no control characters but line breaks"
        )));
    }
    let reason = reason.trim();
    Ok(if reason.is_empty() { "no reason given".into() } else { reason.to_owned() })
}

impl Community<'_> {
    /// Upvotes the paper (`up`) or takes the vote back.
    pub async fn vote(&self, user: &User, id: &ArxivId, up: bool) -> Result<VoteCount, AppError> {
        self.quotas.vote.within(user.id, "vote").await?;
        Ok(self.db.set_vote(user.id, id, up).await?)
    }

    /// Submits a paper by id or address, fetching it from arXiv when the catalog lacks it.
    pub async fn submit(
        &self,
        user: &User,
        paper: &str,
        comment: Option<&str>,
    ) -> Result<(ArxivId, Submitted), AppError> {
        let id = parse_paper_id(paper)?;
        let comment = match comment.map(str::trim).filter(|c| !c.is_empty()) {
            Some(text) => Some(check_comment(text).map_err(AppError::BadRequest)?),
            None => None,
        };
        self.quotas.submit.within(user.id, "submission").await?;
        let stored = match self.db.get_paper(&id).await? {
            Some(stored) => stored.paper,
            None => {
                let Some(client) = &self.arxiv else {
                    return Err(AppError::NotFound(format!(
                        "{id} is not in this catalog, and this site does not look papers up on arXiv"
                    )));
                };
                let report = fetch(self.db, client, std::slice::from_ref(&id)).await.map_err(|err| {
                    tracing::warn!(error = %err, %id, "arXiv lookup for a submission failed");
                    AppError::Unavailable("arXiv did not answer; try again in a minute".into())
                })?;
                report
                    .papers
                    .into_iter()
                    .find(|paper| paper.id == id)
                    .ok_or_else(|| AppError::NotFound(format!("arXiv has no paper {id}")))?
            }
        };
        let now = Utc::now();
        let window = self.submissions.window_days;
        let published = stored.published_at.map(|t| t.date_naive()).or(stored.announce_date);
        if let Some(published) = published
            && (now.date_naive() - published).num_days() > window
        {
            return Err(Refusal::OutsideWindow { id: id.to_string(), published, days: window }.into());
        }
        let submitted =
            self.db.submit(user, &id, now.date_naive(), self.submissions.daily_cap, comment).await?;
        Ok((id, submitted))
    }

    /// Comments on the paper, as a reply to `parent` if given; returns the comment's id.
    pub async fn comment(
        &self,
        user: &User,
        id: &ArxivId,
        parent: Option<i64>,
        body: &str,
    ) -> Result<i64, AppError> {
        let body = check_comment(body).map_err(AppError::BadRequest)?;
        self.quotas.comment.within(user.id, "comment").await?;
        Ok(self.db.add_comment(user.id, id, parent, body).await?)
    }

    /// Edits (`Some`) or deletes (`None`) one of the user's comments; returns its paper's id.
    pub async fn change_comment(
        &self,
        user: &User,
        comment: i64,
        body: Option<&str>,
    ) -> Result<ArxivId, AppError> {
        let body = body.map(check_comment).transpose().map_err(AppError::BadRequest)?;
        self.quotas.comment.within(user.id, "comment").await?;
        Ok(self.db.change_comment(user.id, comment, body).await?)
    }

    /// A curator hides a comment.
    pub async fn hide_comment(
        &self,
        user: &User,
        comment: i64,
        reason: Option<&str>,
    ) -> Result<ArxivId, AppError> {
        require_moderator(user)?;
        let reason = check_reason(reason)?;
        Ok(self.db.hide_comment(user, comment, &reason).await?)
    }

    /// A curator hides a paper, or shows it again.
    pub async fn hide_paper(
        &self,
        user: &User,
        id: &ArxivId,
        hidden: bool,
        reason: Option<&str>,
    ) -> Result<(), AppError> {
        require_moderator(user)?;
        let reason = check_reason(reason)?;
        if self.db.get_paper(id).await?.is_none() {
            return Err(Refusal::NoSuchPaper(id.to_string()).into());
        }
        if !self.db.set_paper_hidden(user, id, hidden, &reason).await? {
            let state = if hidden { "hidden already" } else { "not hidden" };
            return Err(AppError::Conflict(format!("{id} is {state}")));
        }
        Ok(())
    }

    /// Sets a paper's GitHub repository and project page: its verified authors, its submitter or
    /// a curator may.
    pub async fn set_links(
        &self,
        user: &User,
        id: &ArxivId,
        github_repo: Option<&str>,
        project_page: Option<&str>,
    ) -> Result<(), AppError> {
        let Some((stored, entry)) = self.db.paper_with_entry(id).await? else {
            return Err(Refusal::NoSuchPaper(id.to_string()).into());
        };
        let submitter = entry.and_then(|entry| entry.submitted_by).is_some_and(|by| by == user.name);
        let author = stored.claimed.iter().any(|claimed| claimed.user == user.name);
        if !submitter && !author && user.role < Role::Curator {
            return Err(AppError::Forbidden(
                "only the paper's verified authors, its submitter or a curator may edit its links".into(),
            ));
        }
        let check = |field: &'static str, value: Option<&str>| {
            check_link(field, value.map(str::to_owned))
                .map_err(|invalid| AppError::BadRequest(invalid.to_string()))
        };
        let github_repo =
            github_repo.map(code::github_repo).transpose().map_err(AppError::BadRequest)?.flatten();
        let project_page = check("projectPage", project_page)?;
        self.db.set_paper_links(user, id, github_repo.as_deref(), project_page.as_deref()).await?;
        Ok(())
    }

    /// A curator puts a paper on a day's feed (today's when `date` is `None`).
    pub async fn feature(
        &self,
        user: &User,
        id: &ArxivId,
        date: Option<NaiveDate>,
    ) -> Result<Featured, AppError> {
        require_moderator(user)?;
        let date = date.unwrap_or_else(|| Utc::now().date_naive());
        self.db
            .feature(Some(user), id, date)
            .await?
            .ok_or_else(|| Refusal::NoSuchPaper(id.to_string()).into())
    }

    /// Files `user`'s claim to be the author called `name` on the paper `id`, or on every paper
    /// under that name (`all_papers`), pending a curator's verdict. `for_user`, when a client
    /// names whom the claim is for, must be `user`: nobody claims for someone else.
    pub async fn claim(
        &self,
        user: &User,
        id: &ArxivId,
        name: &str,
        all_papers: bool,
        for_user: Option<&str>,
    ) -> Result<i64, AppError> {
        if for_user.is_some_and(|other| !other.eq_ignore_ascii_case(&user.name)) {
            return Err(AppError::Forbidden("you can only claim authorship for yourself".into()));
        }
        let name = name.trim();
        let Some(folded) = AuthorName::parse(name).filter(|_| name.chars().count() <= MAX_AUTHOR_CHARS)
        else {
            return Err(AppError::BadRequest(format!(
                "`{}` is not an author's name: give it as the paper writes it",
                name.chars().take(60).collect::<String>()
            )));
        };
        self.quotas.claim.within(user.id, "claim").await?;
        let key = folded.key();
        let request = ClaimRequest { paper: id, name, key: &key, all_papers };
        Ok(self.db.file_claim(user, request).await?)
    }

    /// A curator verifies (`verify`) or rejects a pending claim.
    pub async fn decide_claim(&self, user: &User, claim: i64, verify: bool) -> Result<Claim, AppError> {
        require_moderator(user)?;
        Ok(self.db.decide_claim(user, claim, verify).await?)
    }

    /// An admin gives another account a role.
    pub async fn grant(&self, user: &User, name: &str, role: Role) -> Result<User, AppError> {
        if user.role != Role::Admin {
            return Err(AppError::Forbidden("only admins may grant roles".into()));
        }
        let Some(target) = self.db.user_by_name(name).await? else {
            return Err(AppError::NotFound(format!("there is no user {name}")));
        };
        if target.id == user.id {
            return Err(Refusal::OwnRole.into());
        }
        self.db.grant(Some(user), &target, role).await?;
        Ok(User { role, ..target })
    }
}

/// The author `name` stands for: a 400 for what is not a name, a 404 when no paper lists it.
pub async fn find_author(db: &Db, name: &str) -> Result<Author, AppError> {
    let shown: String = name.chars().take(40).collect();
    if name.chars().count() > MAX_AUTHOR_CHARS {
        return Err(AppError::BadRequest(format!("`{shown}...` is too long for an author's name")));
    }
    let parsed = AuthorName::parse(name).ok_or_else(|| {
        AppError::BadRequest(format!("`{shown}` is not an author's name: it has no letters"))
    })?;
    db.find_author(&parsed)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("No paper in the catalog lists an author called {shown}.")))
}
