//! The bundled demo data set: real arXiv papers from the shared sample (CC0 metadata), built
//! into the binary so that `paperboy serve` on a fresh clone shows real papers, and a small
//! made-up community around them so that feeds, trending and paper pages look alive.
//!
//! 3,841 papers announced on 39 days from 2026-05-11 to 2026-07-01 (about 30% of each day,
//! picked by a hash of the id), 2.3 MB compressed. `demo/make_demo.py` cuts it again, byte for
//! byte.
//!
//! The community is eight demo users named `demo-...` with addresses at `demo.invalid` (marked
//! `is_demo`; they have no password and cannot sign in). On the day the demo is loaded they have
//! submitted [`SUBMITTED_PER_DAY`] papers a day for the last [`DEMO_DAYS`] days, upvoted them
//! unevenly, and left a few comments, each saying it is a demo comment.

use chrono::{Duration, Utc};

use crate::db::Db;
use crate::db::users::User;
use crate::domain::accounts::{Email, Role, UserName};
use crate::domain::feed::FeatureRules;
use crate::ingest::import::{ImportOptions, ImportReport, Source, import_sources};

const DEMO_PAPERS: &[u8] = include_bytes!("../demo/papers.jsonl.gz");

/// The demo users' names; the first is a curator.
const DEMO_USERS: [&str; 8] = [
    "demo-ada",
    "demo-alan",
    "demo-grace",
    "demo-emmy",
    "demo-claude",
    "demo-barbara",
    "demo-john",
    "demo-katherine",
];
/// Days back from today that have demo submissions, and how many each.
pub const DEMO_DAYS: i64 = 5;
pub const SUBMITTED_PER_DAY: usize = 4;

/// What the demo users say, as top-level comments and replies.
const COMMENTS: [&str; 4] = [
    "*Demo comment:* the ablation study is the part worth reading first.",
    "*Demo comment:* is the code released? A **project page** link would help.",
    "*Demo comment:* compare with the baselines in Table 2 before drawing conclusions.",
    "*Demo comment:* a clear write-up; the appendix has the full training details.",
];
const REPLY: &str = "*Demo reply:* agreed, and the limitations section is candid about it.";

/// Loads the demo papers into `db`, featuring those `features` selects, then the demo community.
pub async fn load_demo(db: &Db, features: &FeatureRules, progress: bool) -> anyhow::Result<ImportReport> {
    let source = Source::from_bytes("demo/papers.jsonl.gz", DEMO_PAPERS, None)?;
    let options =
        ImportOptions { batch_size: 2000, progress, report_rejections: true, features: features.clone() };
    let report = import_sources(Some(db), vec![source], &options).await?;
    load_community(db).await?;
    Ok(report)
}

/// The demo users, their submissions, votes and comments.
async fn load_community(db: &Db) -> anyhow::Result<()> {
    let mut users: Vec<User> = Vec::with_capacity(DEMO_USERS.len());
    for (n, name) in DEMO_USERS.iter().enumerate() {
        let role = if n == 0 { Role::Curator } else { Role::User };
        let email: Email = format!("{name}@demo.invalid").parse().map_err(anyhow::Error::msg)?;
        let handle: UserName = name.parse().map_err(anyhow::Error::msg)?;
        let user = match db.create_user(&handle, &email, None, role, true).await? {
            Some(user) => user,
            None => {
                db.user_by_email(&email).await?.ok_or_else(|| anyhow::anyhow!("demo user {name} vanished"))?
            }
        };
        users.push(user);
    }
    // The papers of the latest announce days, a spread of them, newest first.
    let (papers, _) = db.papers_in_category("cs.LG", 0, 400).await?;
    let picks: Vec<_> = papers.iter().step_by(7).take(DEMO_DAYS as usize * SUBMITTED_PER_DAY).collect();
    let now = Utc::now();
    for (n, stored) in picks.iter().enumerate() {
        let id = &stored.paper.id;
        let days_back = (n / SUBMITTED_PER_DAY) as i64;
        let at = now - Duration::days(days_back) - Duration::hours((n % SUBMITTED_PER_DAY) as i64 * 3 + 1);
        let submitter = &users[n % users.len()];
        db.seed_submission(submitter, id, at.date_naive(), at).await?;
        // Uneven attention: some papers get most of the demo users, some one or two.
        let voters = 1 + (n * 5 + 3) % users.len();
        for voter in users.iter().cycle().skip(n).take(voters) {
            db.set_vote(voter.id, id, true).await?;
        }
        if n % 3 == 0 {
            let author = &users[(n + 2) % users.len()];
            let comment = db.add_comment(author.id, id, None, COMMENTS[n % COMMENTS.len()]).await?;
            if n % 2 == 0 {
                db.add_comment(users[(n + 5) % users.len()].id, id, Some(comment), REPLY).await?;
            }
        }
    }
    db.refresh_trending(now).await?;
    Ok(())
}
