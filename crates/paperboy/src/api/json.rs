//! The API's answers in Hugging Face's shapes (camelCase, ISO 8601 UTC times with
//! milliseconds, 24-hex-digit object ids), shared by every endpoint that shows a paper, a feed
//! item, a user or a comment.

use aide::generate::GenContext;
use aide::openapi::{Operation, Response};
use aide::operation::OperationOutput;
use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, SecondsFormat, Utc};
use paperboy_arxiv::{ArxivId, Paper};
use paperboy_search::BestPassage;
use schemars::JsonSchema;
use serde::Serialize;

use crate::db::community::Comment;
use crate::db::feed::FeedItem;
use crate::db::papers::StoredPaper;
use crate::domain::code::{project_page, repository};
use crate::domain::feed::FeedEntry;
use crate::domain::markdown;
use crate::domain::text::url_encode_path;

/// A paper as `GET /api/papers/{id}` returns it. Fields Hugging Face has and Paperboy does not
/// (linked models, datasets and spaces) are present with empty values, so clients find them.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Paper")]
pub struct PaperJson {
    pub id: String,
    pub authors: Vec<AuthorJson>,
    /// When arXiv published version 1; null when no source said.
    #[schemars(extend("format" = "date-time"))]
    pub published_at: Option<String>,
    pub title: String,
    pub summary: String,
    pub upvotes: u64,
    pub num_comments: u64,
    /// The repository people set, or else the one the paper's comment or abstract links to.
    pub github_repo: Option<String>,
    /// The project page people set, or else the one the paper's comment or abstract names.
    pub project_page: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub withdrawn_at: Option<String>,
    /// When and by whom it joined the daily feed; absent when it is on no feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub submitted_on_daily_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_by: Option<UserJson>,
    pub linked_models: Vec<serde_json::Value>,
    pub num_total_models: u64,
    /// A one-sentence summary made without a person (Hugging Face's name); absent until the
    /// annotation job made it. `aiSummaryMethod` says how.
    #[serde(rename = "ai_summary", skip_serializing_if = "Option::is_none")]
    pub ai_summary: Option<String>,
    /// Key phrases of the title and abstract chosen without a person, best first (Hugging
    /// Face's name); absent until the annotation job chose them.
    #[serde(rename = "ai_keywords", skip_serializing_if = "Option::is_none")]
    pub ai_keywords: Option<Vec<String>>,
    pub linked_datasets: Vec<serde_json::Value>,
    pub num_total_datasets: u64,
    pub linked_spaces: Vec<serde_json::Value>,
    pub num_total_spaces: u64,
    // Paperboy's additions: arXiv metadata Hugging Face does not carry.
    /// Whether `githubRepo` was found in the paper's comment or abstract, not set by someone.
    pub github_repo_found: bool,
    /// How `ai_summary` was made, with the model: `central-sentence/all-MiniLM-L6-v2` (the
    /// abstract's sentence closest in meaning to the paper).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai_summary_method: Option<String>,
    /// How `ai_keywords` were chosen, with the model: `keybert-mmr/all-MiniLM-L6-v2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ai_keywords_method: Option<String>,
    /// Whether `projectPage` was found in the paper's comment or abstract, not set by someone.
    pub project_page_found: bool,
    pub version: Option<u32>,
    pub categories: Vec<String>,
    pub comment: Option<String>,
    pub journal_ref: Option<String>,
    pub doi: Option<String>,
    pub license: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: Option<String>,
    #[schemars(extend("format" = "date"))]
    pub announced_on: Option<String>,
    /// On `GET /api/papers/{id}` only: whether the full text is kept, and where to read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_text: Option<FullTextJson>,
}

/// A user as Hugging Face describes one.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "User")]
pub struct UserJson {
    #[serde(rename = "_id")]
    pub id: String,
    pub avatar_url: Option<String>,
    pub fullname: String,
    pub name: String,
    pub user: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub is_pro: bool,
}

impl UserJson {
    /// The submitter of a feed entry, when a user submitted it.
    pub fn submitter(entry: &FeedEntry) -> Option<UserJson> {
        entry.submitted_by.as_deref().map(UserJson::named)
    }

    /// The user called `name`.
    pub fn named(name: &str) -> UserJson {
        UserJson {
            id: object_id(&[name.as_bytes()]),
            avatar_url: None,
            fullname: name.to_owned(),
            name: name.to_owned(),
            user: name.to_owned(),
            kind: "user",
            is_pro: false,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Author")]
#[serde(rename_all = "camelCase")]
pub struct AuthorJson {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub hidden: bool,
    /// `claimed_verified` when a member is the verified author of this entry; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// When the claim was verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("format" = "date-time"))]
    pub status_last_changed_at: Option<String>,
    /// The member verified as this author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserJson>,
}

/// Paperboy's addition on `GET /api/papers/{id}`: whether the paper's full text is kept.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "FullText")]
pub struct FullTextJson {
    /// `ready` (kept), `queued` (waiting to be fetched), `missing` (arXiv has none Paperboy
    /// can read), `failed` (fetching failed; `reason` says whether it is retried) or `none`
    /// (never asked for).
    pub state: String,
    /// What the text was made from when ready: `html` (arXiv's HTML rendering) or `pdf`.
    pub source: Option<String>,
    /// Why there is none, when missing or failed.
    pub reason: Option<String>,
    /// The paper as Markdown: the full text when ready, else its abstract.
    #[schemars(extend("format" = "uri"))]
    pub markdown_url: String,
}

impl PaperJson {
    /// The paper, with its feed entry when it is on a feed.
    pub fn new(stored: StoredPaper, entry: Option<&FeedEntry>) -> PaperJson {
        let StoredPaper { paper, upvotes, num_comments, claimed, annotation, .. } = stored;
        let repository = repository(&paper);
        let project = project_page(&paper);
        let Paper {
            id,
            version,
            title,
            summary,
            authors,
            categories,
            comment,
            journal_ref,
            doi,
            license,
            published_at,
            updated_at,
            announce_date,
            ..
        } = paper;
        let summarised = annotation.as_ref().filter(|a| !a.summary.is_empty());
        let keyworded = annotation.as_ref().filter(|a| !a.keywords.is_empty());
        // Records from the shared sample carry only the announce date: the best known time.
        let published =
            published_at.or_else(|| announce_date.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc()));
        PaperJson {
            authors: authors
                .into_iter()
                .enumerate()
                .map(|(i, name)| {
                    let claim = claimed.iter().find(|c| c.position == i);
                    AuthorJson {
                        id: author_object_id(&id, i),
                        name,
                        hidden: false,
                        status: claim.map(|_| "claimed_verified"),
                        status_last_changed_at: claim.map(|c| iso_millis(c.verified_at)),
                        user: claim.map(|c| UserJson::named(&c.user)),
                    }
                })
                .collect(),
            id: id.to_string(),
            published_at: published.map(iso_millis),
            title,
            summary,
            upvotes: upvotes.max(0) as u64,
            num_comments: num_comments.max(0) as u64,
            github_repo_found: repository.as_ref().is_some_and(|r| r.found),
            github_repo: repository.map(|r| r.url),
            project_page_found: project.as_ref().is_some_and(|p| p.found),
            project_page: project.map(|p| p.url),
            withdrawn_at: None,
            submitted_on_daily_at: entry.map(|e| iso_millis(e.submitted_at)),
            submitted_on_daily_by: entry.and_then(UserJson::submitter),
            linked_models: Vec::new(),
            num_total_models: 0,
            ai_summary: summarised.map(|a| a.summary.clone()),
            ai_summary_method: summarised.map(|a| a.summary_method.clone()),
            ai_keywords: keyworded.map(|a| a.keywords.clone()),
            ai_keywords_method: keyworded.map(|a| a.keywords_method.clone()),
            linked_datasets: Vec::new(),
            num_total_datasets: 0,
            linked_spaces: Vec::new(),
            num_total_spaces: 0,
            version,
            categories,
            comment,
            journal_ref,
            doi,
            license,
            updated_at: updated_at.map(iso_millis),
            announced_on: announce_date.map(|d| d.to_string()),
            full_text: None,
        }
    }
}

/// `2024-07-18T05:15:24.000Z`, the format Hugging Face's API uses.
pub fn iso_millis(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stable 24-hex-digit id for an author slot, shaped like Hugging Face's object ids.
fn author_object_id(paper: &ArxivId, position: usize) -> String {
    object_id(&[paper.as_str().as_bytes(), &(position as u64).to_le_bytes()])
}

/// A stable 24-hex-digit id made from `parts`, shaped like Hugging Face's object ids.
pub fn object_id(parts: &[&[u8]]) -> String {
    // FNV-1a: tiny, stable across builds and platforms, which is all an id needs here.
    let fnv = |seed: u64| {
        let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ seed;
        for byte in parts.iter().flat_map(|part| part.iter()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash
    };
    format!("{:016x}{:08x}", fnv(0), fnv(1) as u32)
}

/// One item of the daily feed (and of search results), as Hugging Face shapes it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "DailyItem")]
pub struct DailyItemJson {
    pub paper: PaperJson,
    /// When it joined the feed (a real time of day); for a search result on no feed, when the
    /// paper was published.
    #[schemars(extend("format" = "date-time"))]
    pub published_at: Option<String>,
    pub title: String,
    pub summary: String,
    /// The paper's first page as an image (a placeholder until Paperboy has one).
    #[schemars(extend("format" = "uri"))]
    pub thumbnail: Option<String>,
    /// The paper's upvotes again, beside `paper.upvotes`: Hugging Face's client reads a paper's
    /// `0` there as missing and looks here next (`hf papers` showed an empty column).
    pub upvotes: u64,
    /// The automatic TL;DR and keywords again, beside `paper.ai_summary` and `paper.ai_keywords`:
    /// Hugging Face's client reads them from here when it lists papers.
    #[serde(rename = "ai_summary", skip_serializing_if = "Option::is_none")]
    pub ai_summary: Option<String>,
    #[serde(rename = "ai_keywords", skip_serializing_if = "Option::is_none")]
    pub ai_keywords: Option<Vec<String>>,
    pub num_comments: u64,
    pub submitted_by: Option<UserJson>,
    pub is_author_participating: bool,
    /// Paperboy's addition, in a search of full texts: the passage that matches best.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passage: Option<PassageJson>,
}

/// A passage of a paper's full text that a search found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Passage")]
pub struct PassageJson {
    /// Its section as printed: `3.1 Finetuning`.
    pub section: String,
    /// A stretch of the passage around the words found, as plain text.
    pub text: String,
    /// The section in the reading view.
    #[schemars(extend("format" = "uri"))]
    pub url: String,
}

impl PassageJson {
    pub fn new(base_url: &str, best: BestPassage) -> PassageJson {
        PassageJson {
            url: format!("{base_url}/papers/{}/read#{}", best.id, url_encode_path(&best.anchor)),
            section: best.section,
            text: best.text,
        }
    }
}

/// The address of a paper's first page as an image (a placeholder until there is one).
pub fn thumbnail_url(base_url: &str, id: &str) -> String {
    format!("{base_url}/papers/{id}/thumbnail")
}

impl DailyItemJson {
    /// The item of `stored`, with links absolute from `base_url`.
    pub fn new(base_url: &str, stored: StoredPaper, entry: Option<&FeedEntry>) -> DailyItemJson {
        let paper = PaperJson::new(stored, entry);
        DailyItemJson {
            passage: None,
            published_at: entry.map(|e| iso_millis(e.submitted_at)).or_else(|| paper.published_at.clone()),
            title: paper.title.clone(),
            summary: paper.summary.clone(),
            thumbnail: Some(thumbnail_url(base_url, &paper.id)),
            upvotes: paper.upvotes,
            ai_summary: paper.ai_summary.clone(),
            ai_keywords: paper.ai_keywords.clone(),
            num_comments: paper.num_comments,
            submitted_by: entry.and_then(UserJson::submitter),
            is_author_participating: false,
            paper,
        }
    }
}

impl DailyItemJson {
    /// The item of a feed entry, with links absolute from `base_url`.
    pub fn of_entry(base_url: &str, item: FeedItem) -> DailyItemJson {
        DailyItemJson::new(base_url, item.paper, Some(&item.entry))
    }
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Comment")]
pub struct CommentJson {
    id: i64,
    parent_id: Option<i64>,
    author: UserJson,
    /// The Markdown as written; empty once deleted or hidden.
    body: String,
    /// The body rendered to safe HTML.
    html: String,
    #[schemars(extend("format" = "date-time"))]
    created_at: String,
    #[schemars(extend("format" = "date-time"))]
    edited_at: Option<String>,
    deleted: bool,
    hidden: bool,
}

impl CommentJson {
    pub fn new(comment: &Comment) -> CommentJson {
        let gone = comment.deleted_at.is_some() || comment.hidden_at.is_some();
        let body = if gone { String::new() } else { comment.body.clone() };
        CommentJson {
            id: comment.id,
            parent_id: comment.parent_id,
            author: UserJson::named(&comment.author),
            html: if gone { String::new() } else { markdown::to_html(&body) },
            body,
            created_at: iso_millis(comment.created_at),
            edited_at: comment.edited_at.map(iso_millis),
            deleted: comment.deleted_at.is_some(),
            hidden: comment.hidden_at.is_some(),
        }
    }
}

/// A resource made by the request, answered `201 Created`.
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> axum::response::Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Created<T> {
    type Inner = T;

    fn operation_response(ctx: &mut GenContext, operation: &mut Operation) -> Option<Response> {
        let mut response = Json::<T>::operation_response(ctx, operation)?;
        response.description = "Created.".into();
        Some(response)
    }

    fn inferred_responses(ctx: &mut GenContext, operation: &mut Operation) -> Vec<(Option<u16>, Response)> {
        Self::operation_response(ctx, operation).map(|response| (Some(201), response)).into_iter().collect()
    }
}
