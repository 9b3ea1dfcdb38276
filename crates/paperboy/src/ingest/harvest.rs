//! `paperboy harvest` and `paperboy fetch`: papers from arXiv's OAI-PMH and Atom APIs.
//!
//! A harvest is identified by its request (endpoint, metadata format, set, from, until). After
//! each page is stored, its resumption token is saved as that request's checkpoint, so the same
//! command run again after an interruption continues with the next page instead of starting
//! over; storing is idempotent, so a page seen twice does no harm. The client handles rate
//! limits and retries; this module decides what a failure means for the harvest.

use anyhow::{Context, anyhow};
use chrono::NaiveDate;
use paperboy_arxiv::client::{ArxivClient, ClientError, ListRecords};
use paperboy_arxiv::oai::{MetadataFormat, OaiError, OaiPage, OaiRecord, RecordBody};
use paperboy_arxiv::{ArxivId, Paper};

use crate::db::Db;
use crate::db::checkpoints::Checkpoint;
use crate::db::papers::UpsertCounts;
use crate::domain::feed::{FeatureRules, rule_entries};
use crate::progress::Progress;

/// What to harvest.
#[derive(Debug, Clone)]
pub struct HarvestOptions {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub set: Option<String>,
    pub format: MetadataFormat,
    /// Start from the first page even if a checkpoint says the harvest was interrupted.
    pub restart: bool,
    pub progress: bool,
    /// Which papers join the daily feed of their announce day.
    pub features: FeatureRules,
}

impl HarvestOptions {
    /// The checkpoint key: everything that makes two harvests the same request.
    fn request_key(&self, oai_url: &str) -> String {
        format!(
            "{oai_url} metadataPrefix={} set={} from={} until={}",
            self.format.prefix(),
            self.set.as_deref().unwrap_or(""),
            self.from,
            self.until.map(|d| d.to_string()).unwrap_or_default()
        )
    }

    fn first_request(&self) -> ListRecords {
        ListRecords::Start {
            format: self.format,
            from: Some(self.from.to_string()),
            until: self.until.map(|d| d.to_string()),
            set: self.set.clone(),
        }
    }
}

/// What a harvest did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HarvestReport {
    /// Pages fetched by this run.
    pub pages: u64,
    pub counts: UpsertCounts,
    pub rejected: u64,
    /// Records the repository marked deleted (arXiv keeps withdrawn papers; they are skipped).
    pub deleted: u64,
    /// Papers that joined the daily feed by a feature rule.
    pub featured: u64,
    /// Whether this run continued an interrupted harvest.
    pub resumed: bool,
}

impl HarvestReport {
    pub fn summary(&self) -> String {
        format!(
            "{} pages{}: {} inserted, {} updated, {} unchanged, {} rejected, {} deleted upstream; \
             {} joined the daily feed.",
            self.pages,
            if self.resumed { " (resumed from a checkpoint)" } else { "" },
            self.counts.inserted,
            self.counts.updated,
            self.counts.unchanged,
            self.rejected,
            self.deleted,
            self.featured
        )
    }
}

/// Runs a harvest to its end, or until a failure that retrying did not cure.
pub async fn harvest(
    db: &Db,
    client: &ArxivClient,
    options: &HarvestOptions,
) -> anyhow::Result<HarvestReport> {
    let key = options.request_key(&client.config().oai_url);
    let mut report = HarvestReport::default();
    let saved = db.load_checkpoint(&key).await?;
    let mut checkpoint = match saved {
        Some(saved)
            if !options.restart && saved.completed_at.is_none() && saved.resumption_token.is_some() =>
        {
            report.resumed = true;
            tracing::info!(pages = saved.pages, records = saved.records, "resuming an interrupted harvest");
            saved
        }
        _ => Checkpoint::new(key),
    };
    let progress = Progress::records(options.progress, "harvesting");
    let mut request = match &checkpoint.resumption_token {
        Some(token) => ListRecords::Resume { token: token.clone(), format: options.format },
        None => options.first_request(),
    };
    let mut restarted_after_bad_token = false;

    loop {
        let page = match client.list_records(&request).await {
            Ok(page) => page,
            Err(ClientError::Oai(err)) if err.is_no_records_match() => {
                progress.println("arXiv has no records matching this request.");
                OaiPage { records: Vec::new(), resumption_token: None }
            }
            Err(ClientError::Oai(OaiError::Protocol { code, .. }))
                if code == "badResumptionToken" && report.resumed && !restarted_after_bad_token =>
            {
                // Tokens expire; the upserts are idempotent, so starting over loses nothing.
                progress.println("The saved resumption token has expired; starting the harvest over.");
                restarted_after_bad_token = true;
                checkpoint = Checkpoint::new(checkpoint.request);
                request = options.first_request();
                continue;
            }
            Err(ClientError::Oai(OaiError::Malformed { message, position, last_complete, salvaged })) => {
                let stored = store_records(db, salvaged, options, &mut report, &progress).await?;
                let after = last_complete.as_deref().unwrap_or("the start of the page");
                return Err(anyhow!(
                    "page {} of the harvest stayed malformed after retries: cut off after {after} \
                     (byte {position}): {message}. Its {stored} complete records were stored; run the same \
                     command again to retry from this page.",
                    checkpoint.pages + 1
                ));
            }
            Err(err) => {
                return Err(err).with_context(|| {
                    format!(
                        "harvest stopped at page {}; run the same command again to resume",
                        checkpoint.pages + 1
                    )
                });
            }
        };

        report.pages += 1;
        let records = page.records.len() as u64;
        store_records(db, page.records, options, &mut report, &progress).await?;
        checkpoint.pages += 1;
        checkpoint.records += records as i64;
        match page.resumption_token {
            Some(token) if checkpoint.resumption_token.as_deref() == Some(token.token.as_str()) => {
                return Err(anyhow!(
                    "the repository answered resumption token `{}` with the same token again; \
                     stopping rather than asking forever",
                    token.token
                ));
            }
            Some(token) => {
                if let Some(total) = token.complete_list_size {
                    progress.set_length(total);
                }
                checkpoint.resumption_token = Some(token.token.clone());
                db.save_checkpoint(&checkpoint).await?;
                request = ListRecords::Resume { token: token.token, format: options.format };
            }
            None => {
                checkpoint.resumption_token = None;
                checkpoint.completed_at = Some(chrono::Utc::now());
                db.save_checkpoint(&checkpoint).await?;
                break;
            }
        }
        progress.set_position(checkpoint.records as u64);
        progress.set_records(checkpoint.records as u64);
    }
    db.after_bulk_write(report.counts.written()).await?;
    progress.finish();
    Ok(report)
}

/// Validates and stores one page's records; returns how many were valid.
async fn store_records(
    db: &Db,
    records: Vec<OaiRecord>,
    options: &HarvestOptions,
    report: &mut HarvestReport,
    progress: &Progress,
) -> anyhow::Result<u64> {
    let mut papers: Vec<Paper> = Vec::with_capacity(records.len());
    for record in records {
        match record.body {
            RecordBody::Paper(raw) => match raw.validate() {
                Ok(paper) => papers.push(paper),
                Err(invalid) => {
                    report.rejected += 1;
                    progress.println(format!("record {}: skipped: {invalid}", record.identifier));
                }
            },
            RecordBody::Deleted => report.deleted += 1,
            RecordBody::Unreadable(reason) => {
                report.rejected += 1;
                progress.println(format!("record {}: skipped: {reason}", record.identifier));
            }
        }
    }
    let valid = papers.len() as u64;
    let entries = rule_entries(&options.features, &papers);
    report.counts += db.upsert_papers(papers).await.context("storing harvested papers")?;
    report.featured += db.add_feed_entries(&entries).await.context("putting papers on the daily feed")?;
    Ok(valid)
}

/// What `fetch` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FetchReport {
    pub papers: Vec<Paper>,
    pub counts: UpsertCounts,
    /// Ids arXiv did not return.
    pub missing: Vec<ArxivId>,
    /// Entries arXiv returned that failed validation, as `URL: reason`.
    pub rejected: Vec<String>,
}

/// Looks `ids` up through the arXiv API and stores what comes back.
pub async fn fetch(db: &Db, client: &ArxivClient, ids: &[ArxivId]) -> anyhow::Result<FetchReport> {
    let feeds = client.lookup(ids).await.context("looking papers up on arXiv")?;
    let mut report = FetchReport::default();
    for entry in feeds.into_iter().flat_map(|feed| feed.entries) {
        match entry.paper.validate() {
            Ok(paper) => report.papers.push(paper),
            Err(invalid) => report.rejected.push(format!("{}: skipped: {invalid}", entry.id_url)),
        }
    }
    report.missing = ids.iter().filter(|id| !report.papers.iter().any(|p| &p.id == *id)).cloned().collect();
    report.counts = db.upsert_papers(report.papers.clone()).await.context("storing fetched papers")?;
    Ok(report)
}
