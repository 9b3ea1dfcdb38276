//! What a member does with collections and their reading list, for the site's forms and the
//! API alike: every title, description, note and theme is checked here ([`crate::domain::collections`]),
//! every write counts against the member's quota, and the database refuses the rest (not the
//! owner, a paper twice, a full collection) inside the write's transaction.

use paperboy_arxiv::ArxivId;

use crate::actions::community::{Community, parse_paper_id};
use crate::db::collections::{Collection, CollectionChanges, ItemChanges, NewCollection};
use crate::db::users::User;
use crate::domain::Refusal;
use crate::domain::collections::{
    CollectionKey, DEFAULT_THEME, MAX_DESCRIPTION_CHARS, MAX_NOTE_CHARS, check_text, check_theme, check_title,
};
use crate::error::AppError;

/// The key of a collection's address as a client wrote it (the part after its owner's name): a
/// 404 when it ends with none, as an address that names no collection.
pub fn parse_address(address: &str) -> Result<CollectionKey, AppError> {
    CollectionKey::from_address(address).ok_or_else(|| {
        AppError::NotFound(format!(
            "there is no collection `{}`: an address ends with a dash and 24 hex digits, as in graphs-0123456789abcdef01234567",
            address.chars().take(60).collect::<String>()
        ))
    })
}

/// What an edit of a collection asks, unchecked; `None` keeps a value.
#[derive(Debug, Clone, Copy, Default)]
pub struct CollectionEdit<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub private: Option<bool>,
    pub theme: Option<&'a str>,
    pub position: Option<i64>,
}

fn bad(message: String) -> AppError {
    AppError::BadRequest(message)
}

impl Community<'_> {
    /// The collection `key` of `owner`, if `viewer` may see it: a private one of someone else
    /// is as missing as one that never was (404).
    pub async fn find_collection(
        &self,
        owner: &str,
        key: &CollectionKey,
        viewer: Option<&User>,
    ) -> Result<Collection, AppError> {
        self.db
            .collection(key, viewer.map(|v| v.id))
            .await?
            .filter(|c| c.owner == owner)
            .ok_or_else(|| Refusal::NoSuchCollection.into())
    }

    /// Creates one of `user`'s collections.
    pub async fn create_collection(
        &self,
        user: &User,
        title: &str,
        description: Option<&str>,
        private: bool,
        theme: Option<&str>,
    ) -> Result<Collection, AppError> {
        let title = check_title(title).map_err(bad)?;
        let description =
            check_text("description", description.unwrap_or_default(), MAX_DESCRIPTION_CHARS).map_err(bad)?;
        let theme = theme.map(check_theme).transpose().map_err(bad)?.unwrap_or(DEFAULT_THEME);
        self.quotas.collect.within(user.id, "collection").await?;
        let new = NewCollection { title: &title, description: &description, private, theme };
        Ok(self.db.create_collection(user, new).await?)
    }

    /// Changes one of `user`'s collections.
    pub async fn update_collection(
        &self,
        user: &User,
        key: &CollectionKey,
        edit: CollectionEdit<'_>,
    ) -> Result<Collection, AppError> {
        let changes = CollectionChanges {
            title: edit.title.map(check_title).transpose().map_err(bad)?,
            description: edit
                .description
                .map(|text| check_text("description", text, MAX_DESCRIPTION_CHARS))
                .transpose()
                .map_err(bad)?,
            private: edit.private,
            theme: edit.theme.map(check_theme).transpose().map_err(bad)?,
            position: edit.position,
        };
        self.quotas.collect.within(user.id, "collection").await?;
        Ok(self.db.update_collection(user, key, changes).await?)
    }

    /// Deletes one of `user`'s collections.
    pub async fn delete_collection(&self, user: &User, key: &CollectionKey) -> Result<(), AppError> {
        self.quotas.collect.within(user.id, "collection").await?;
        Ok(self.db.delete_collection(user, key).await?)
    }

    /// Adds a paper (an id or arXiv address) to one of `user`'s collections, with a note, and
    /// answers the item's id.
    pub async fn add_item(
        &self,
        user: &User,
        key: &CollectionKey,
        paper: &str,
        note: Option<&str>,
    ) -> Result<i64, AppError> {
        let id = parse_paper_id(paper)?;
        let note = check_text("note", note.unwrap_or_default(), MAX_NOTE_CHARS).map_err(bad)?;
        self.quotas.collect.within(user.id, "collection").await?;
        Ok(self.db.add_item(user, key, &id, &note).await?)
    }

    /// Changes the note or the place of an item of one of `user`'s collections.
    pub async fn update_item(
        &self,
        user: &User,
        key: &CollectionKey,
        item: i64,
        note: Option<&str>,
        position: Option<i64>,
    ) -> Result<(), AppError> {
        let note = note.map(|text| check_text("note", text, MAX_NOTE_CHARS)).transpose().map_err(bad)?;
        self.quotas.collect.within(user.id, "collection").await?;
        Ok(self.db.update_item(user, key, item, ItemChanges { note, position }).await?)
    }

    /// Takes an item out of one of `user`'s collections.
    pub async fn remove_item(&self, user: &User, key: &CollectionKey, item: i64) -> Result<(), AppError> {
        self.quotas.collect.within(user.id, "collection").await?;
        Ok(self.db.remove_item(user, key, item).await?)
    }

    /// Puts the paper on `user`'s reading list (`saved`) or takes it off.
    pub async fn save(&self, user: &User, id: &ArxivId, saved: bool) -> Result<(), AppError> {
        self.quotas.collect.within(user.id, "collection").await?;
        Ok(self.db.save(user, id, saved).await?)
    }
}
