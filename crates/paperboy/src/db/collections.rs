//! Collections: a member's named, ordered lists of papers with a note per paper, public or
//! private, and the reading list "Save" fills (a private collection made on the first save).
//!
//! Every write is one transaction that first touches the collection's row (its `updated_at`),
//! which locks it on PostgreSQL, so concurrent writes to one collection take turns and
//! positions stay 0, 1, 2... without gaps or repeats; a refused write rolls back. Writes move the
//! catalog clock, so cached pages and feeds show them. A private collection is answered as
//! missing ([`Refusal::NoSuchCollection`]) to everyone but its owner.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use paperboy_arxiv::ArxivId;

use super::papers::{PAPER_SELECT, PaperRow, StoredPaper};
use super::users::User;
use super::{Db, DbError, set_clock, take_clock, with_pool};
use crate::domain::Refusal;
use crate::domain::accounts::UserId;
use crate::domain::collections::{
    CollectionKey, DEFAULT_THEME, MAX_COLLECTIONS, MAX_ITEMS, READING_LIST_TITLE, slug,
};

/// A collection, with its owner's name and how many papers it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub id: i64,
    pub key: CollectionKey,
    pub owner_id: UserId,
    pub owner: String,
    /// The title's slug, at the last rename.
    pub slug: String,
    pub title: String,
    pub description: String,
    pub private: bool,
    pub reading_list: bool,
    pub theme: String,
    /// Its place among its owner's collections, 0 first.
    pub position: i64,
    /// Papers in it, hidden ones included.
    pub items: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Collection {
    /// The last part of its address: `graph-networks-0123456789abcdef01234567`.
    pub fn address(&self) -> String {
        format!("{}-{}", self.slug, self.key)
    }

    /// Its slug as Hugging Face writes it: `owner/graph-networks-0123456789abcdef01234567`.
    pub fn full_slug(&self) -> String {
        format!("{}/{}", self.owner, self.address())
    }

    /// Its page: `/collections/owner/graph-networks-0123456789abcdef01234567`.
    pub fn href(&self) -> String {
        format!("/collections/{}", self.full_slug())
    }
}

#[derive(sqlx::FromRow)]
struct CollectionRow {
    id: i64,
    key: String,
    user_id: UserId,
    owner: String,
    slug: String,
    title: String,
    description: String,
    private: bool,
    reading_list: bool,
    theme: String,
    position: i64,
    items: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CollectionRow> for Collection {
    fn from(row: CollectionRow) -> Collection {
        Collection {
            id: row.id,
            key: CollectionKey::from_stored(row.key),
            owner_id: row.user_id,
            owner: row.owner,
            slug: row.slug,
            title: row.title,
            description: row.description,
            private: row.private,
            reading_list: row.reading_list,
            theme: row.theme,
            position: row.position,
            items: row.items,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const COLLECTION_SELECT: &str = "SELECT c.id, c.key, c.user_id, u.name AS owner, c.slug, c.title, c.description, \
     c.private, c.reading_list, c.theme, c.position, \
     (SELECT COUNT(*) FROM collection_items i WHERE i.collection_id = c.id) AS items, c.created_at, c.updated_at \
     FROM collections c JOIN users u ON u.id = c.user_id";

/// A paper in a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub position: i64,
    pub note: String,
    pub added_at: DateTime<Utc>,
    pub paper: StoredPaper,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    item_id: i64,
    item_position: i64,
    note: String,
    added_at: DateTime<Utc>,
    #[sqlx(flatten)]
    paper: PaperRow,
}

/// The order [`Db::items`] reads a collection in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOrder {
    /// The owner's order.
    Position,
    /// The most recently added first, as feeds show them.
    Newest,
}

/// A new collection.
#[derive(Debug, Clone, Copy)]
pub struct NewCollection<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub private: bool,
    pub theme: &'a str,
}

/// What an edit of a collection changes; `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct CollectionChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub private: Option<bool>,
    pub theme: Option<&'static str>,
    /// A new place among the owner's collections; past the last means last.
    pub position: Option<i64>,
}

/// What an edit of an item changes; `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct ItemChanges {
    pub note: Option<String>,
    /// A new place in the collection; past the last means last.
    pub position: Option<i64>,
}

/// Which collections a listing shows: those `viewer` may see, of `owner` and holding `paper`
/// where given, most recently changed first.
#[derive(Debug, Clone, Copy, Default)]
pub struct CollectionFilter<'a> {
    pub viewer: Option<UserId>,
    pub owner: Option<&'a str>,
    pub paper: Option<&'a str>,
    pub offset: i64,
    pub limit: i64,
}

/// Moves the row of `$table` with id `$id` from `$from` to `$to` (already clamped) among the
/// rows where `$scope` = `$scope_value`, shifting those between by one, in `$tx`.
macro_rules! move_row {
    ($tx:ident, $table:literal, $scope:literal, $scope_value:expr, $id:expr, $from:expr, $to:expr) => {{
        let (from, to): (i64, i64) = ($from, $to);
        if from != to {
            let (step, low, high) = if to < from { (1_i64, to, from - 1) } else { (-1_i64, from + 1, to) };
            sqlx::query(concat!(
                "UPDATE ",
                $table,
                " SET position = position + $1 WHERE ",
                $scope,
                " = $2 AND position BETWEEN $3 AND $4"
            ))
            .bind(step)
            .bind($scope_value)
            .bind(low)
            .bind(high)
            .execute(&mut *$tx)
            .await?;
            sqlx::query(concat!("UPDATE ", $table, " SET position = $1 WHERE id = $2"))
                .bind(to)
                .bind($id)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Locks the collection `$key` for a write by `$user` in `$tx`, marking it changed at `$now`,
/// and evaluates to its id; refused when it is missing, or not `$user`'s.
macro_rules! own_collection {
    ($tx:ident, $user:expr, $key:expr, $now:expr) => {{
        let row: Option<(i64, UserId, bool)> = sqlx::query_as(
            "UPDATE collections SET updated_at = $1 WHERE key = $2 RETURNING id, user_id, private",
        )
        .bind($now)
        .bind($key.as_str())
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            Some((id, owner, _)) if owner == $user.id => id,
            Some((_, _, false)) => return Err(Refusal::NotYourCollection.into()),
            _ => return Err(Refusal::NoSuchCollection.into()),
        }
    }};
}

/// Inserts the collection `$new` of `$user` in `$tx` and evaluates to its key; refused when the
/// owner has one of that title or too many.
macro_rules! insert_collection {
    ($tx:ident, $user:expr, $new:expr, $reading_list:expr, $now:expr) => {{
        let new: NewCollection = $new;
        let slug = slug(new.title);
        let (count, clash): (i64, Option<String>) = sqlx::query_as(
            "SELECT COUNT(*), MAX(CASE WHEN slug = $2 THEN key END) FROM collections WHERE user_id = $1",
        )
        .bind($user.id)
        .bind(&slug)
        .fetch_one(&mut *$tx)
        .await?;
        if let Some(key) = clash {
            let slug = format!("{}/{slug}-{key}", $user.name);
            return Err(Refusal::CollectionExists { title: new.title.to_owned(), slug }.into());
        }
        if count >= MAX_COLLECTIONS {
            return Err(Refusal::TooManyCollections(count).into());
        }
        let key = CollectionKey::generate();
        sqlx::query(
            "INSERT INTO collections (user_id, key, slug, title, description, private, reading_list, theme, \
             position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind($user.id)
        .bind(key.as_str())
        .bind(&slug)
        .bind(new.title)
        .bind(new.description)
        .bind(new.private)
        .bind($reading_list)
        .bind(new.theme)
        .bind(count)
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        key
    }};
}

/// Adds `$paper` to the collection `$collection` in `$tx` with `$note`, last, and evaluates to
/// the item's id; refused for a paper the catalog lacks or hides, one in it already, or a full
/// collection.
macro_rules! insert_item {
    ($tx:ident, $collection:expr, $paper:expr, $note:expr, $now:expr) => {{
        let state: Option<(Option<DateTime<Utc>>,)> =
            sqlx::query_as("SELECT hidden_at FROM papers WHERE id = $1")
                .bind($paper.as_str())
                .fetch_optional(&mut *$tx)
                .await?;
        match state {
            None => return Err(Refusal::NoSuchPaper($paper.to_string()).into()),
            Some((Some(_),)) => return Err(Refusal::PaperHidden.into()),
            Some((None,)) => {}
        }
        let (count, present): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(CASE WHEN paper_id = $2 THEN 1 END) FROM collection_items WHERE collection_id = $1",
        )
        .bind($collection)
        .bind($paper.as_str())
        .fetch_one(&mut *$tx)
        .await?;
        if present > 0 {
            return Err(Refusal::InCollection($paper.to_string()).into());
        }
        if count >= MAX_ITEMS {
            return Err(Refusal::CollectionFull(MAX_ITEMS).into());
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO collection_items (collection_id, paper_id, position, note, added_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind($collection)
        .bind($paper.as_str())
        .bind(count)
        .bind($note)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        id
    }};
}

/// Removes the item `$item` from `$collection` in `$tx`, closing the gap; evaluates to whether
/// it was there.
macro_rules! delete_item {
    ($tx:ident, $collection:expr, $item:expr) => {{
        let position: Option<i64> = sqlx::query_scalar(
            "DELETE FROM collection_items WHERE id = $1 AND collection_id = $2 RETURNING position",
        )
        .bind($item)
        .bind($collection)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some(position) = position {
            sqlx::query("UPDATE collection_items SET position = position - 1 WHERE collection_id = $1 AND position > $2")
                .bind($collection)
                .bind(position)
                .execute(&mut *$tx)
                .await?;
        }
        position.is_some()
    }};
}

impl Db {
    /// Creates `user`'s collection, last among theirs.
    pub async fn create_collection(
        &self,
        user: &User,
        new: NewCollection<'_>,
    ) -> Result<Collection, DbError> {
        let now = Utc::now();
        let key = with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let key = insert_collection!(tx, user, new, false, now);
            set_clock!(tx, seq);
            tx.commit().await?;
            key
        });
        self.collection(&key, Some(user.id)).await?.ok_or_else(|| Refusal::NoSuchCollection.into())
    }

    /// The collection `key`, if `viewer` may see it: it is public, or theirs.
    pub async fn collection(
        &self,
        key: &CollectionKey,
        viewer: Option<UserId>,
    ) -> Result<Option<Collection>, DbError> {
        let row: Option<CollectionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLLECTION_SELECT} WHERE c.key = $1")))
                .bind(key.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Collection::from).filter(|c| !c.private || Some(c.owner_id) == viewer))
    }

    /// The collections of `owner` that `viewer` may see, in the owner's order.
    pub async fn collections_of(
        &self,
        owner: UserId,
        viewer: Option<UserId>,
    ) -> Result<Vec<Collection>, DbError> {
        let rows: Vec<CollectionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLLECTION_SELECT} WHERE c.user_id = $1 AND (NOT c.private OR c.user_id = $2) ORDER BY c.position"
            )))
            .bind(owner)
            .bind(viewer)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(Collection::from).collect())
    }

    /// The collections `filter` asks for, most recently changed first.
    pub async fn list_collections(&self, filter: CollectionFilter<'_>) -> Result<Vec<Collection>, DbError> {
        let rows: Vec<CollectionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLLECTION_SELECT} WHERE (NOT c.private OR c.user_id = $1) AND ($2 IS NULL OR u.name = $2) \
                 AND ($3 IS NULL OR EXISTS (SELECT 1 FROM collection_items i WHERE i.collection_id = c.id \
                 AND i.paper_id = $3)) ORDER BY c.updated_at DESC, c.id DESC LIMIT $4 OFFSET $5"
            )))
            .bind(filter.viewer)
            .bind(filter.owner)
            .bind(filter.paper)
            .bind(filter.limit)
            .bind(filter.offset)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(Collection::from).collect())
    }

    /// Changes `user`'s collection `key`.
    pub async fn update_collection(
        &self,
        user: &User,
        key: &CollectionKey,
        changes: CollectionChanges,
    ) -> Result<Collection, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let id = own_collection!(tx, user, key, now);
            if let Some(title) = &changes.title {
                let slug = slug(title);
                let clash: Option<String> = sqlx::query_scalar(
                    "SELECT key FROM collections WHERE user_id = $1 AND slug = $2 AND id <> $3",
                )
                .bind(user.id)
                .bind(&slug)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(other) = clash {
                    let slug = format!("{}/{slug}-{other}", user.name);
                    return Err(Refusal::CollectionExists { title: title.clone(), slug }.into());
                }
                sqlx::query("UPDATE collections SET title = $1, slug = $2 WHERE id = $3")
                    .bind(title)
                    .bind(&slug)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(
                "UPDATE collections SET description = COALESCE($1, description), private = COALESCE($2, private), \
                 theme = COALESCE($3, theme) WHERE id = $4",
            )
            .bind(changes.description.as_deref())
            .bind(changes.private)
            .bind(changes.theme)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if let Some(wanted) = changes.position {
                let (from, count): (i64, i64) = sqlx::query_as(
                    "SELECT position, (SELECT COUNT(*) FROM collections WHERE user_id = $1) FROM collections WHERE id = $2",
                )
                .bind(user.id)
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                move_row!(tx, "collections", "user_id", user.id, id, from, wanted.clamp(0, count - 1));
            }
            set_clock!(tx, seq);
            tx.commit().await?;
        });
        self.collection(key, Some(user.id)).await?.ok_or_else(|| Refusal::NoSuchCollection.into())
    }

    /// Deletes `user`'s collection `key` and its items.
    pub async fn delete_collection(&self, user: &User, key: &CollectionKey) -> Result<(), DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let id = own_collection!(tx, user, key, now);
            let position: i64 =
                sqlx::query_scalar("DELETE FROM collections WHERE id = $1 RETURNING position")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            sqlx::query(
                "UPDATE collections SET position = position - 1 WHERE user_id = $1 AND position > $2",
            )
            .bind(user.id)
            .bind(position)
            .execute(&mut *tx)
            .await?;
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Adds the paper to `user`'s collection `key`, last, and answers the item's id.
    pub async fn add_item(
        &self,
        user: &User,
        key: &CollectionKey,
        paper: &ArxivId,
        note: &str,
    ) -> Result<i64, DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let collection = own_collection!(tx, user, key, now);
            let item = insert_item!(tx, collection, paper, note, now);
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(item)
        })
    }

    /// Changes the note or the place of an item of `user`'s collection `key`.
    pub async fn update_item(
        &self,
        user: &User,
        key: &CollectionKey,
        item: i64,
        changes: ItemChanges,
    ) -> Result<(), DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let collection = own_collection!(tx, user, key, now);
            let found: Option<(i64, i64)> = sqlx::query_as(
                "SELECT position, (SELECT COUNT(*) FROM collection_items WHERE collection_id = $1) \
                 FROM collection_items WHERE id = $2 AND collection_id = $1",
            )
            .bind(collection)
            .bind(item)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((from, count)) = found else { return Err(Refusal::NoSuchItem.into()) };
            if let Some(note) = &changes.note {
                sqlx::query("UPDATE collection_items SET note = $1 WHERE id = $2")
                    .bind(note)
                    .bind(item)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(wanted) = changes.position {
                move_row!(
                    tx,
                    "collection_items",
                    "collection_id",
                    collection,
                    item,
                    from,
                    wanted.clamp(0, count - 1)
                );
            }
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Takes an item out of `user`'s collection `key`.
    pub async fn remove_item(&self, user: &User, key: &CollectionKey, item: i64) -> Result<(), DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let collection = own_collection!(tx, user, key, now);
            if !delete_item!(tx, collection, item) {
                return Err(Refusal::NoSuchItem.into());
            }
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(())
        })
    }

    /// The items of collection `collection` in `order`, `limit` from `offset`, leaving out
    /// hidden papers.
    pub async fn items(
        &self,
        collection: i64,
        order: ItemOrder,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Item>, DbError> {
        let order = match order {
            ItemOrder::Position => "i.position",
            ItemOrder::Newest => "i.added_at DESC, i.id DESC",
        };
        let rows: Vec<ItemRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT i.id AS item_id, i.position AS item_position, i.note, i.added_at, {PAPER_SELECT} \
                 FROM collection_items i JOIN papers p ON p.id = i.paper_id \
                 WHERE i.collection_id = $1 AND p.hidden_at IS NULL ORDER BY {order} LIMIT $2 OFFSET $3"
            )))
            .bind(collection)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
        });
        let mut items = rows
            .into_iter()
            .map(|row| {
                Ok(Item {
                    id: row.item_id,
                    position: row.item_position,
                    note: row.note,
                    added_at: row.added_at,
                    paper: StoredPaper::try_from(row.paper)?,
                })
            })
            .collect::<Result<Vec<Item>, DbError>>()?;
        self.attach_claims(items.iter_mut().map(|item| &mut item.paper)).await?;
        Ok(items)
    }

    /// `user`'s reading list, if they saved anything yet.
    pub async fn reading_list(&self, user: UserId) -> Result<Option<Collection>, DbError> {
        let row: Option<CollectionRow> = with_pool!(self, |pool, DB| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLLECTION_SELECT} WHERE c.user_id = $1 AND c.reading_list"
            )))
            .bind(user)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(Collection::from))
    }

    /// Puts the paper on `user`'s reading list (`saved`), making the list on the first save, or
    /// takes it off. Saving twice, or taking off what is not there, changes nothing.
    pub async fn save(&self, user: &User, paper: &ArxivId, saved: bool) -> Result<(), DbError> {
        let now = Utc::now();
        with_pool!(self, |pool, DB| {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let seq = take_clock!(tx) + 1;
            let list: Option<String> =
                sqlx::query_scalar("SELECT key FROM collections WHERE user_id = $1 AND reading_list")
                    .bind(user.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let key = match list {
                Some(key) => CollectionKey::from_stored(key),
                None if saved => {
                    let new = NewCollection {
                        title: READING_LIST_TITLE,
                        description: "",
                        private: true,
                        theme: DEFAULT_THEME,
                    };
                    insert_collection!(tx, user, new, true, now)
                }
                None => return Ok(()),
            };
            let collection = own_collection!(tx, user, key, now);
            let item: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM collection_items WHERE collection_id = $1 AND paper_id = $2",
            )
            .bind(collection)
            .bind(paper.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match (item, saved) {
                (None, true) => {
                    insert_item!(tx, collection, paper, "", now);
                }
                (Some(item), false) if delete_item!(tx, collection, item) => {}
                _ => return Ok(()),
            }
            set_clock!(tx, seq);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Whether the paper is on `user`'s reading list.
    pub async fn is_saved(&self, user: UserId, paper: &ArxivId) -> Result<bool, DbError> {
        let count: i64 = with_pool!(self, |pool, DB| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM collection_items i JOIN collections c ON c.id = i.collection_id \
                 WHERE c.user_id = $1 AND c.reading_list AND i.paper_id = $2",
            )
            .bind(user)
            .bind(paper.as_str())
            .fetch_one(pool)
            .await?
        });
        Ok(count > 0)
    }

    /// `user`'s collections, in their order, each with the item that holds the paper, if one
    /// does.
    pub async fn collections_with(
        &self,
        user: UserId,
        paper: &ArxivId,
    ) -> Result<Vec<(Collection, Option<i64>)>, DbError> {
        let collections = self.collections_of(user, Some(user)).await?;
        let holding: Vec<(i64, i64)> = with_pool!(self, |pool, DB| {
            sqlx::query_as(
                "SELECT i.collection_id, i.id FROM collection_items i JOIN collections c ON c.id = i.collection_id \
                 WHERE c.user_id = $1 AND i.paper_id = $2",
            )
            .bind(user)
            .bind(paper.as_str())
            .fetch_all(pool)
            .await?
        });
        let holding: HashMap<i64, i64> = holding.into_iter().collect();
        Ok(collections.into_iter().map(|c| (c.clone(), holding.get(&c.id).copied())).collect())
    }
}
