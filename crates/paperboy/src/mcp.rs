//! The MCP server at `/mcp`: Paperboy for agents (Model Context Protocol, streamable HTTP, on
//! the official SDK, `rmcp`).
//!
//! Its tools do read-only what a reader does on the site and through the JSON API, through the
//! same code: search papers, get a paper, list a day's, week's or month's papers or what trends,
//! find similar papers, read a paper's full text a section at a time, an author's papers and a
//! public collection. Each answers with structured content (the JSON API's shapes, so an agent
//! that knows the API knows the answers) and a readable text of the same; a refusal (an unknown
//! paper, a bad date) is a tool error with the message the API would give, never a protocol
//! failure. Requests pass the server's middleware, so the rate limit counts them as it counts
//! API calls.
//!
//! A client that sends a member's personal API token (`Authorization: Bearer pb_...`) sees three
//! more tools: the member's reading list, saving a paper to it (or taking it off), and their
//! "for you" list. The token is checked on every request, so a revoked one stops working at
//! once: the request is answered 401 with a JSON-RPC error that says so. Without a token the
//! member's tools are not listed, and calling one is a tool error that says how to get a token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use rmcp::RoleServer;
use rmcp::handler::server::common::Extension;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, ListToolsResult, PaginatedRequestParams};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;

use crate::actions::collections::parse_address;
use crate::actions::community::find_author;
use crate::actions::foryou::for_you;
use crate::actions::search::{CheckedSearch, SearchInput};
use crate::api::auth::ApiUser;
use crate::api::collections::whole;
use crate::api::json::{DailyItemJson, PassageJson};
use crate::api::papers::paper_json;
use crate::db::feed::{FeedOrder, FeedQuery};
use crate::db::users::User;
use crate::domain::feed::Period;
use crate::error::AppError;
use crate::fulltext::{FullText, for_reader};
use crate::http::App;
use crate::search::Shown;
use paperboy_arxiv::ArxivId;
use paperboy_fulltext::{Document, sections_markdown};

/// The largest request the server reads; an agent's call is a few hundred bytes.
const MAX_REQUEST_BYTES: usize = 64 << 10;
/// Papers a listing tool returns unless asked for fewer or more, and the most.
const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

/// The JSON-RPC error code of a request with an unknown or revoked token (one of the codes
/// JSON-RPC leaves to servers).
const UNAUTHORIZED: i32 = -32001;
/// Tools listed only to a client with a member's token.
const MEMBER_TOOLS: [&str; 3] = ["reading_list", "save_paper", "for_you"];

/// The service mounted at `/mcp`, one [`Mcp`] per session; a request over
/// [`MAX_REQUEST_BYTES`] is answered 413 unread, one with an unknown or revoked token 401.
pub fn service(app: App) -> Router {
    let mut config = StreamableHttpServerConfig::default();
    // The SDK accepts loopback hosts only unless told; the site's own host is allowed too.
    if let Some(host) = url::Url::parse(&app.core.config.base_url).ok().and_then(|url| {
        url.host_str().map(|host| match url.port() {
            Some(port) => vec![host.to_owned(), format!("{host}:{port}")],
            None => vec![host.to_owned()],
        })
    }) {
        config.allowed_hosts.extend(host);
    }
    let tools = Arc::new(Mcp::tool_router() + Mcp::member_router());
    let sessions = app.clone();
    let service: StreamableHttpService<Mcp, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(Mcp { app: sessions.clone(), tools: tools.clone() }),
        LocalSessionManager::default().into(),
        config,
    );
    Router::new()
        .fallback_service(service)
        .layer(from_fn_with_state(app, member))
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
}

/// The member whose personal API token a request carries, put in the request by [`member`].
#[derive(Clone)]
struct Member(User);

/// Checks the request's token, if it has one: its member goes with the request to the tools;
/// an unknown or revoked token is answered 401 with a JSON-RPC error that says so, which MCP
/// clients show as it is.
async fn member(State(app): State<App>, mut request: Request, next: Next) -> Response {
    match ApiUser::optional(request.headers(), &app).await {
        Ok(Some(ApiUser(user))) => {
            request.extensions_mut().insert(Member(user));
            next.run(request).await
        }
        Ok(None) => next.run(request).await,
        Err(AppError::Unauthorized(message)) => {
            let body = serde_json::json!({ "jsonrpc": "2.0", "id": null,
                "error": { "code": UNAUTHORIZED, "message": message } });
            let challenge = [(header::WWW_AUTHENTICATE, "Bearer realm=\"paperboy\"")];
            (StatusCode::UNAUTHORIZED, challenge, Json(body)).into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// One session's server: the application and the tools.
#[derive(Clone)]
pub struct Mcp {
    app: App,
    tools: Arc<ToolRouter<Mcp>>,
}

/// How search results are ranked.
#[derive(Debug, Clone, Copy, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(rename_all = "lowercase")]
pub enum ModeArg {
    /// BM25 over titles, abstracts and authors.
    Keyword,
    /// Closest in meaning to the query (an embedding model); keyword when none is loaded.
    Semantic,
    /// Both, fused: the default.
    Hybrid,
}

/// Where a search looks for the words.
#[derive(Debug, Clone, Copy, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(rename_all = "lowercase")]
pub enum ScopeArg {
    /// Titles, abstracts and authors: the default.
    Abstract,
    /// The papers' full texts, by keyword; each result comes with its best passage.
    Fulltext,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct SearchArgs {
    /// What to look for. Words; "a phrase" in quotes; -word to exclude; author:Name;
    /// cat:cs.CL; date:2026-05 or date:2026-05-01..2026-05-15; or an arXiv id.
    pub query: String,
    pub mode: Option<ModeArg>,
    pub scope: Option<ScopeArg>,
    /// An arXiv category (cs.CL) or archive (cs) the papers must be in.
    pub category: Option<String>,
    /// The first announce day, YYYY-MM-DD.
    pub from: Option<String>,
    /// The last announce day, YYYY-MM-DD.
    pub to: Option<String>,
    /// How many papers, 1 to 100 (20 when absent).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct PaperArgs {
    /// The paper's arXiv id, such as 2501.11120.
    pub id: String,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct SimilarArgs {
    /// The paper's arXiv id, such as 2501.11120.
    pub id: String,
    /// How many papers, 1 to 100 (20 when absent).
    pub limit: Option<u32>,
}

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(rename_all = "lowercase")]
pub enum SortArg {
    /// Most upvoted first: the default for a day, week or month.
    Upvotes,
    /// What trends now (upvotes and comments, fading with age): the default without a period.
    Trending,
    /// The latest to join the feed first.
    Newest,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ListArgs {
    /// A day of the feed, YYYY-MM-DD. At most one of date, week and month.
    pub date: Option<String>,
    /// An ISO week, YYYY-Www (2026-W20).
    pub week: Option<String>,
    /// A month, YYYY-MM.
    pub month: Option<String>,
    pub sort: Option<SortArg>,
    /// How many papers, 1 to 100 (20 when absent).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct AuthorArgs {
    /// The author's name as papers print it ("Geoffrey Hinton", "G. Hinton").
    pub name: String,
    /// How many papers, 1 to 100 (20 when absent).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct CollectionArgs {
    /// The owner's user name.
    pub owner: String,
    /// The collection's address after the owner's name, as in its link:
    /// `graph-papers-0123456789abcdef01234567`.
    pub slug: String,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct ReadArgs {
    /// The paper's arXiv id, such as 2501.11120.
    pub id: String,
    /// A section's anchor from the contents (`S3`, `S3.SS1`, `A1`): that section and its
    /// subsections as Markdown. Without one, the contents and the abstract.
    pub section: Option<String>,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct LimitArgs {
    /// How many papers, 1 to 100 (20 when absent).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, rmcp::schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct SaveArgs {
    /// The paper's arXiv id, such as 2501.11120.
    pub id: String,
    /// true (the default) puts the paper on the reading list; false takes it off.
    pub saved: Option<bool>,
}

#[tool_router]
impl Mcp {
    #[tool(description = "Search papers. Ranks by meaning and words (hybrid) unless mode says otherwise; \
                       scope=fulltext looks inside the papers' full texts and returns each paper's best \
                       passage with its section. Returns papers with id, title, authors, abstract, upvotes \
                       and their address on the site.")]
    async fn search_papers(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let mode = args.mode.map(|mode| match mode {
            ModeArg::Keyword => "keyword",
            ModeArg::Semantic => "semantic",
            ModeArg::Hybrid => "hybrid",
        });
        let scope = args.scope.map(|scope| match scope {
            ScopeArg::Abstract => "abstract",
            ScopeArg::Fulltext => "fulltext",
        });
        let input = SearchInput {
            q: &args.query,
            mode,
            scope,
            cat: args.category.as_deref(),
            from: args.from.as_deref(),
            to: args.to.as_deref(),
        };
        let result = async {
            let limit = limit(args.limit)?;
            let checked = CheckedSearch::from_input(input, self.app.core.search.semantic_enabled())
                .map_err(AppError::BadRequest)?;
            if checked.query.is_empty() {
                return Err(AppError::BadRequest("query is empty: give the words to search for".into()));
            }
            let results = self.app.search(&checked, 0, u64::from(limit), Shown::LIST).await?;
            let base = &self.app.core.config.base_url;
            let items: Vec<DailyItemJson> = results
                .hits
                .into_iter()
                .map(|hit| {
                    let passage = hit.passage.map(|best| PassageJson::new(base, best));
                    DailyItemJson { passage, ..DailyItemJson::new(base, hit.paper, hit.entry.as_ref()) }
                })
                .collect();
            let heading = format!("{} of {} papers for “{}”:", items.len(), results.total, checked.query);
            let (mut text, value) = listing(&heading, items, base);
            for notice in results.notices {
                text.push_str(&format!("\nNote: {notice}"));
            }
            Ok((text, value))
        }
        .await;
        Ok(reply(result))
    }

    #[tool(
        description = "Get one paper by its arXiv id: title, authors, abstract, upvotes, comments, links \
                       to code and project page, an automatic TL;DR and keywords when made, and whether its \
                       full text can be read (read_paper)."
    )]
    async fn get_paper(&self, Parameters(args): Parameters<PaperArgs>) -> Result<CallToolResult, ErrorData> {
        let result = async {
            let id = paper_id(&args.id)?;
            let paper = paper_json(&self.app, &id, false).await?.0;
            let base = &self.app.core.config.base_url;
            let authors: Vec<&str> = paper.authors.iter().map(|a| a.name.as_str()).collect();
            let mut text = format!(
                "{} ({})\n{}\n{} upvotes, {} comments. {base}/papers/{}\n\n{}",
                paper.title,
                paper.id,
                authors.join(", "),
                paper.upvotes,
                paper.num_comments,
                paper.id,
                paper.summary
            );
            if let Some(summary) = &paper.ai_summary {
                text.push_str(&format!("\n\nTL;DR (automatic): {summary}"));
            }
            if let Some(keywords) = &paper.ai_keywords {
                text.push_str(&format!("\nKeywords (automatic): {}", keywords.join(", ")));
            }
            let value = serde_json::to_value(&paper).map_err(|err| AppError::Internal(err.to_string()))?;
            Ok((text, value))
        }
        .await;
        Ok(reply(result))
    }

    #[tool(
        description = "List papers of the community's feed: a day's (date), an ISO week's (week) or a month's \
                       (month), most upvoted first; or, without a period, what is trending now. sort=newest \
                       lists the latest additions."
    )]
    async fn list_papers(&self, Parameters(args): Parameters<ListArgs>) -> Result<CallToolResult, ErrorData> {
        let result = async {
            let limit = limit(args.limit)?;
            let periods = [
                args.date.as_deref().map(Period::parse_day),
                args.week.as_deref().map(Period::parse_week),
                args.month.as_deref().map(Period::parse_month),
            ];
            let mut given = periods.into_iter().flatten();
            let period = given.next().transpose().map_err(|err| AppError::BadRequest(err.to_string()))?;
            if given.next().is_some() {
                return Err(AppError::BadRequest("give at most one of date, week and month".into()));
            }
            let order = match (args.sort, period) {
                (Some(SortArg::Upvotes), _) | (None, Some(_)) => FeedOrder::Upvotes,
                (Some(SortArg::Trending), _) | (None, None) => FeedOrder::Trending,
                (Some(SortArg::Newest), _) => FeedOrder::Newest,
            };
            let query = FeedQuery {
                first: period.map(|p| p.first_day()),
                last: period.map(|p| p.last_day()),
                trending_only: period.is_none() && order == FeedOrder::Trending,
                ..FeedQuery::all(order, 0, u64::from(limit))
            };
            let base = &self.app.core.config.base_url;
            let items: Vec<DailyItemJson> = self
                .app
                .core
                .db
                .feed(&query)
                .await?
                .into_iter()
                .map(|item| DailyItemJson::of_entry(base, item))
                .collect();
            let heading = match period {
                Some(period) => format!("{} papers of {}:", items.len(), period.title()),
                None => format!("{} papers trending now:", items.len()),
            };
            Ok(listing(&heading, items, base))
        }
        .await;
        Ok(reply(result))
    }

    #[tool(
        description = "Papers like the given one (closest in meaning when embeddings exist, otherwise by shared \
                       words), best first, without it."
    )]
    async fn similar_papers(
        &self,
        Parameters(args): Parameters<SimilarArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let result = async {
            let limit = limit(args.limit)?;
            let id = paper_id(&args.id)?;
            paper_json(&self.app, &id, false).await.map(drop)?;
            let hits = self
                .app
                .core
                .search
                .similar(&self.app.core.db, &id, limit as usize)
                .await
                .map_err(|failure| AppError::Internal(failure.to_string()))?;
            let base = &self.app.core.config.base_url;
            let items: Vec<DailyItemJson> =
                hits.into_iter().map(|hit| DailyItemJson::new(base, hit.paper, hit.entry.as_ref())).collect();
            Ok(listing(&format!("{} papers like {id}:", items.len()), items, base))
        }
        .await;
        Ok(reply(result))
    }

    #[tool(
        description = "An author's papers, newest first, with how many papers, upvotes and comments they add \
                       up to. The name is matched as papers print it: case, accents and initials aside."
    )]
    async fn author_papers(
        &self,
        Parameters(args): Parameters<AuthorArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let result = async {
            let limit = limit(args.limit)?;
            let db = &self.app.core.db;
            let author = find_author(db, &args.name).await?;
            let (papers, totals) = db.papers_by_authors(&author.keys, 0, u64::from(limit)).await?;
            let base = &self.app.core.config.base_url;
            let items: Vec<DailyItemJson> =
                papers.into_iter().map(|stored| DailyItemJson::new(base, stored, None)).collect();
            let name = if author.name.is_empty() { args.name.trim().to_owned() } else { author.name };
            let heading = format!(
                "{name}: {} papers, {} upvotes, {} comments; the newest {}:",
                totals.papers,
                totals.upvotes,
                totals.comments,
                items.len()
            );
            let value = serde_json::json!({ "name": name, "papers": totals.papers, "upvotes": totals.upvotes,
                "comments": totals.comments, "newest": items });
            Ok((papers_text(&heading, &items, base), value))
        }
        .await;
        Ok(reply(result))
    }

    #[tool(
        description = "A public collection of papers that a member keeps, by its owner and address: its title, \
                       description and papers in the owner's order, each with the owner's note."
    )]
    async fn get_collection(
        &self,
        Parameters(args): Parameters<CollectionArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let result = async {
            let key = parse_address(args.slug.trim())?;
            let collection = whole(&self.app, args.owner.trim(), &key, None).await?;
            let value =
                serde_json::to_value(&collection).map_err(|err| AppError::Internal(err.to_string()))?;
            let title = value["title"].as_str().unwrap_or_default().to_owned();
            let mut text = format!("{title} (a collection of {}):", args.owner.trim());
            for (n, item) in value["items"].as_array().into_iter().flatten().enumerate() {
                text.push_str(&format!(
                    "\n{}. {} ({})",
                    n + 1,
                    item["title"].as_str().unwrap_or_default(),
                    item["id"].as_str().unwrap_or_default()
                ));
                if let Some(note) = item["note"]["text"].as_str().filter(|note| !note.is_empty()) {
                    text.push_str(&format!(": {note}"));
                }
            }
            Ok((text, value))
        }
        .await;
        Ok(reply(result))
    }

    #[tool(
        description = "Read a paper's full text, one section at a time. Without section: its contents (each \
                       section's anchor, number, title and length) and its abstract. With section (an anchor \
                       from the contents): that section and its subsections as Markdown, math as LaTeX. A paper \
                       without a full text yet answers with its abstract and why."
    )]
    async fn read_paper(&self, Parameters(args): Parameters<ReadArgs>) -> Result<CallToolResult, ErrorData> {
        Ok(reply(self.read(&args).await))
    }
}

/// The member's tools: listed only with a token ([`MEMBER_TOOLS`]).
#[tool_router(router = member_router)]
impl Mcp {
    #[tool(description = "The signed-in member's reading list (the papers they saved) in their order, each \
                       with their note. Needs the member's personal API token.")]
    async fn reading_list(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<LimitArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let result = async {
            let user = self.member(&parts)?;
            let limit = limit(args.limit)? as usize;
            let Some(list) = self.app.core.db.reading_list(user.id).await? else {
                let text = "The reading list is empty: save papers with save_paper.".to_owned();
                return Ok((text, serde_json::json!({ "items": [] })));
            };
            let mut value = serde_json::to_value(whole(&self.app, &user.name, &list.key, Some(user)).await?)
                .map_err(|err| AppError::Internal(err.to_string()))?;
            let items = value["items"].as_array_mut().map(std::mem::take).unwrap_or_default();
            let shown: Vec<serde_json::Value> = items.into_iter().take(limit).collect();
            let mut text = format!("{} papers on the reading list; the first {}:", list.items, shown.len());
            for (n, item) in shown.iter().enumerate() {
                text.push_str(&format!(
                    "\n{}. {} ({})",
                    n + 1,
                    item["title"].as_str().unwrap_or_default(),
                    item["id"].as_str().unwrap_or_default()
                ));
                if let Some(note) = item["note"]["text"].as_str().filter(|note| !note.is_empty()) {
                    text.push_str(&format!(": {note}"));
                }
            }
            value["items"] = serde_json::Value::Array(shown);
            Ok((text, value))
        }
        .await;
        Ok(reply(result))
    }

    #[tool(
        description = "Save a paper to the signed-in member's reading list, or take it off with saved=false. \
                       Saving twice changes nothing. Needs the member's personal API token."
    )]
    async fn save_paper(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<SaveArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let result = async {
            let user = self.member(&parts)?;
            let id = paper_id(&args.id)?;
            let paper = paper_json(&self.app, &id, false).await?.0;
            let saved = args.saved.unwrap_or(true);
            self.app.core.community().save(user, &id, saved).await?;
            let text = match saved {
                true => format!("Saved “{}” ({id}) to the reading list.", paper.title),
                false => format!("Took “{}” ({id}) off the reading list.", paper.title),
            };
            Ok((text, serde_json::json!({ "id": id.as_str(), "saved": saved })))
        }
        .await;
        Ok(reply(result))
    }

    #[tool(
        description = "The signed-in member's \"for you\" list: the last two weeks of the feed ranked by \
                       closeness to the papers they upvoted and saved, each with the liked paper it is \
                       close to. Needs the member's personal API token."
    )]
    async fn for_you(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(args): Parameters<LimitArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let result = async {
            let user = self.member(&parts)?;
            let limit = limit(args.limit)? as usize;
            let list = for_you(&self.app.core.db, user).await?;
            let base = &self.app.core.config.base_url;
            if list.liked == 0 {
                let text = "Nothing to rank by yet: upvote or save papers (save_paper) first.".to_owned();
                return Ok((text, serde_json::json!({ "papers": [] })));
            }
            let mut items = Vec::new();
            let mut papers = Vec::new();
            for pick in list.picks.into_iter().take(limit) {
                let reason = pick.reason();
                let item = DailyItemJson::new(base, pick.paper, pick.entry.as_ref());
                let mut value =
                    serde_json::to_value(&item).map_err(|err| AppError::Internal(err.to_string()))?;
                value["reason"] = serde_json::Value::String(reason);
                papers.push(value);
                items.push(item);
            }
            let heading = format!("{} papers for you, ranked by the {} you liked:", items.len(), list.liked);
            let mut text = papers_text(&heading, &items, base);
            for paper in &papers {
                text.push_str(&format!(
                    "\n- {}: {}",
                    paper["paper"]["id"].as_str().unwrap_or_default(),
                    paper["reason"].as_str().unwrap_or_default()
                ));
            }
            Ok((text, serde_json::json!({ "papers": papers })))
        }
        .await;
        Ok(reply(result))
    }
}

#[tool_handler(
    router = self.tools,
    name = "paperboy",
    instructions = "Paperboy: research papers from arXiv, ranked by a community's upvotes. Search papers \
        by words (search_papers, in abstracts or in full texts), look one up by its arXiv id (get_paper), \
        list a day's, week's or month's papers or what is trending (list_papers), find papers like one \
        (similar_papers), and read a paper's full text one section at a time (read_paper: first without \
        a section for its contents, then with one). With a member's personal API token, also their \
        reading list (reading_list, save_paper) and their \"for you\" list (for_you)."
)]
impl ServerHandler for Mcp {
    /// Every tool to a member; the member's tools only with a token.
    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let member =
            context.extensions.get::<Parts>().is_some_and(|parts| parts.extensions.get::<Member>().is_some());
        let tools = self
            .tools
            .list_all()
            .into_iter()
            .filter(|tool| member || !MEMBER_TOOLS.contains(&tool.name.as_ref()))
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }
}

impl Mcp {
    /// The member whose token the request carries; without one, a refusal that says how to
    /// get one.
    fn member<'a>(&self, parts: &'a Parts) -> Result<&'a User, AppError> {
        parts.extensions.get::<Member>().map(|Member(user)| user).ok_or_else(|| {
            AppError::Unauthorized(format!(
                "this tool is a member's: connect with a personal API token (Authorization: Bearer TOKEN), made at {}/settings",
                self.app.core.config.base_url
            ))
        })
    }

    /// What [`Mcp::read_paper`] answers: the contents, a section, or the abstract.
    async fn read(&self, args: &ReadArgs) -> Result<(String, serde_json::Value), AppError> {
        let id = paper_id(&args.id)?;
        let paper = paper_json(&self.app, &id, false).await?.0;
        let document = match for_reader(&self.app.core.db, id.as_str()).await? {
            FullText::Ready(document) => document,
            FullText::Missing(reason) => {
                let why = reason.unwrap_or_else(|| "not fetched yet; it is queued now".into());
                let text = format!(
                    "{} ({id}) has no full text here ({why}). Its abstract:\n\n{}",
                    paper.title, paper.summary
                );
                let value = serde_json::json!({ "id": id.as_str(), "title": paper.title, "fullText": false,
                    "reason": why, "abstract": paper.summary });
                return Ok((text, value));
            }
        };
        match &args.section {
            None => Ok(contents(&id, &paper.title, &document)),
            Some(anchor) => section(&id, &document, anchor),
        }
    }
}

/// A paper's contents and abstract.
fn contents(id: &ArxivId, title: &str, document: &Document) -> (String, serde_json::Value) {
    let sections: Vec<serde_json::Value> = document
        .sections
        .iter()
        .enumerate()
        .map(|(at, section)| {
            serde_json::json!({
                "anchor": section.anchor,
                "number": section.number,
                "title": paperboy_fulltext::document::plain_text(&section.title).trim(),
                "level": section.level,
                "chars": section_markdown(document, at).chars().count(),
            })
        })
        .collect();
    let abstract_text = paperboy_fulltext::document::blocks_text(&document.abstract_blocks);
    let mut text = format!("{title} ({id}): contents. Read a section with read_paper and its anchor.\n\n");
    for section in &sections {
        let indent = "  ".repeat(section["level"].as_u64().unwrap_or(1).saturating_sub(1) as usize);
        text.push_str(&format!(
            "{indent}[{}] {} {} ({} characters)\n",
            section["anchor"].as_str().unwrap_or_default(),
            section["number"].as_str().unwrap_or_default(),
            section["title"].as_str().unwrap_or_default(),
            section["chars"]
        ));
    }
    text.push_str(&format!("\nAbstract:\n{}", abstract_text.trim()));
    let value = serde_json::json!({ "id": id.as_str(), "title": title, "fullText": true,
        "abstract": abstract_text.trim(), "sections": sections });
    (text, value)
}

/// The section `anchor` of a document, with its subsections, as Markdown.
fn section(id: &ArxivId, document: &Document, anchor: &str) -> Result<(String, serde_json::Value), AppError> {
    let Some(at) = document.sections.iter().position(|section| section.anchor == anchor) else {
        let anchors: Vec<&str> = document.sections.iter().take(12).map(|s| s.anchor.as_str()).collect();
        return Err(AppError::NotFound(format!(
            "{id} has no section `{}`; its sections start {}",
            anchor.chars().take(40).collect::<String>(),
            anchors.join(", ")
        )));
    };
    let markdown = section_markdown(document, at);
    let value = serde_json::json!({ "id": id.as_str(), "section": anchor, "markdown": markdown });
    Ok((markdown, value))
}

/// The Markdown of the section at `at` and the subsections after it.
fn section_markdown(document: &Document, at: usize) -> String {
    let level = document.sections[at].level;
    let end = document.sections[at + 1..]
        .iter()
        .position(|section| section.level <= level)
        .map_or(document.sections.len(), |offset| at + 1 + offset);
    sections_markdown(&document.sections[at..end])
}

/// A list of papers: as text, a heading and a line each; as structured content, `{"papers": [...]}`.
fn listing(heading: &str, items: Vec<DailyItemJson>, base: &str) -> (String, serde_json::Value) {
    let text = papers_text(heading, &items, base);
    (text, serde_json::json!({ "papers": items }))
}

/// A list of papers as text: a heading, then a line each.
fn papers_text(heading: &str, items: &[DailyItemJson], base: &str) -> String {
    let mut text = heading.to_owned();
    for (n, item) in items.iter().enumerate() {
        text.push_str(&format!(
            "\n{}. {} ({}), {} upvotes. {base}/papers/{}",
            n + 1,
            item.title,
            item.paper.id,
            item.upvotes,
            item.paper.id
        ));
        if let Some(passage) = &item.passage {
            text.push_str(&format!("\n   In {}: {}", passage.section, passage.text.replace('\n', " ")));
        }
    }
    text
}

/// A tool's answer: readable text, and the value as structured content; or a refusal as a tool
/// error, with the message the API would give.
fn reply(result: Result<(String, serde_json::Value), AppError>) -> CallToolResult {
    let err = match result {
        Ok((text, value)) => {
            let mut answer = CallToolResult::structured(value);
            answer.content = vec![ContentBlock::text(text)];
            return answer;
        }
        Err(err) => err,
    };
    let message = match err.is_internal() {
        true => {
            tracing::error!(error = %err, "an MCP tool failed");
            "internal error: please try again in a moment".to_owned()
        }
        false => err.to_string(),
    };
    CallToolResult::error(vec![ContentBlock::text(message)])
}

fn paper_id(text: &str) -> Result<ArxivId, AppError> {
    ArxivId::from_url_or_id(text.trim()).map(|(id, _)| id).map_err(|_| {
        AppError::BadRequest(format!(
            "`{}` is not an arXiv id (such as 2501.11120)",
            text.chars().take(40).collect::<String>()
        ))
    })
}

fn limit(asked: Option<u32>) -> Result<u32, AppError> {
    match asked.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        n => Err(AppError::BadRequest(format!("limit is {n}; give 1 to {MAX_LIMIT}"))),
    }
}
