//! Finding a model's files on disk: a plain directory in the sentence-transformers layout, or a
//! Hugging Face hub cache.
//!
//! This module only resolves paths and reports what is missing; it reads no weights and never
//! downloads anything.

use std::fs;
use std::path::{Path, PathBuf};

use crate::EmbedError;

/// The three files a model directory must hold.
pub(crate) const CONFIG_FILE: &str = "config.json";
pub(crate) const TOKENIZER_FILE: &str = "tokenizer.json";
pub(crate) const WEIGHTS_FILE: &str = "model.safetensors";
const MODEL_FILES: [&str; 3] = [CONFIG_FILE, TOKENIZER_FILE, WEIGHTS_FILE];

/// The hub cache folder of the one model this crate runs.
const HUB_REPO_DIR: &str = "models--sentence-transformers--all-MiniLM-L6-v2";

/// Resolves `path` to the directory that directly holds the model's files.
///
/// Accepted, in this order: a directory holding the files itself; a hub repository folder
/// (`models--ORG--NAME`, whose `refs/main` names the snapshot to use, or which holds exactly
/// one snapshot); a hub cache root that contains the all-MiniLM-L6-v2 repository folder,
/// directly or under `hub/` (as `$HF_HOME` does).
pub(crate) fn resolve_model_dir(path: &Path) -> Result<PathBuf, EmbedError> {
    if has_any_model_file(path) {
        return complete_model_dir(path);
    }
    if let Some(snapshot) = hub_snapshot(path) {
        return complete_model_dir(&snapshot);
    }
    for repo in [path.join(HUB_REPO_DIR), path.join("hub").join(HUB_REPO_DIR)] {
        if let Some(snapshot) = hub_snapshot(&repo) {
            return complete_model_dir(&snapshot);
        }
    }
    Err(EmbedError::ModelNotFound { dir: path.to_path_buf() })
}

fn has_any_model_file(dir: &Path) -> bool {
    MODEL_FILES.iter().any(|file| dir.join(file).is_file())
}

/// `dir` itself when it holds all three files, otherwise an error naming the missing ones.
fn complete_model_dir(dir: &Path) -> Result<PathBuf, EmbedError> {
    // `is_file` follows symbolic links, so a hub snapshot whose blob is gone counts as missing.
    let missing: Vec<&str> = MODEL_FILES.into_iter().filter(|file| !dir.join(file).is_file()).collect();
    if missing.is_empty() {
        Ok(dir.to_path_buf())
    } else {
        Err(EmbedError::IncompleteModel { dir: dir.to_path_buf(), missing: missing.join(", ") })
    }
}

/// The snapshot directory of a hub repository folder, if `repo` is one.
fn hub_snapshot(repo: &Path) -> Option<PathBuf> {
    let snapshots = repo.join("snapshots");
    if !snapshots.is_dir() {
        return None;
    }
    if let Ok(revision) = fs::read_to_string(repo.join("refs").join("main")) {
        let snapshot = snapshots.join(revision.trim());
        if snapshot.is_dir() {
            return Some(snapshot);
        }
    }
    only_subdirectory(&snapshots)
}

fn only_subdirectory(dir: &Path) -> Option<PathBuf> {
    let mut subdirectories =
        fs::read_dir(dir).ok()?.filter_map(Result::ok).map(|entry| entry.path()).filter(|path| path.is_dir());
    let first = subdirectories.next()?;
    subdirectories.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_model_files(dir: &Path, files: &[&str]) {
        fs::create_dir_all(dir).expect("create model dir");
        for file in files {
            fs::write(dir.join(file), b"{}").expect("write model file");
        }
    }

    #[test]
    fn plain_directory_with_all_files_resolves_to_itself() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write_model_files(tmp.path(), &MODEL_FILES);
        assert_eq!(resolve_model_dir(tmp.path()).expect("resolves"), tmp.path());
    }

    #[test]
    fn empty_directory_is_reported_with_the_expected_layouts() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let error = resolve_model_dir(tmp.path()).expect_err("no model");
        let message = error.to_string();
        assert!(matches!(error, EmbedError::ModelNotFound { .. }));
        assert!(message.contains(&tmp.path().display().to_string()), "{message}");
        assert!(message.contains("config.json, tokenizer.json and model.safetensors"));
        assert!(message.contains("models--ORG--NAME/snapshots/REV/"));
    }

    #[test]
    fn missing_directory_is_model_not_found() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let error = resolve_model_dir(&tmp.path().join("nowhere")).expect_err("no model");
        assert!(matches!(error, EmbedError::ModelNotFound { .. }));
    }

    #[test]
    fn partial_directory_names_the_missing_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        write_model_files(tmp.path(), &[CONFIG_FILE]);
        let message = resolve_model_dir(tmp.path()).expect_err("incomplete").to_string();
        assert!(message.ends_with("missing tokenizer.json, model.safetensors"), "{message}");
    }

    #[test]
    fn hub_repository_follows_refs_main() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = tmp.path().join(HUB_REPO_DIR);
        write_model_files(&repo.join("snapshots/old"), &MODEL_FILES);
        write_model_files(&repo.join("snapshots/abc123"), &MODEL_FILES);
        write_model_files(&repo.join("refs"), &[]);
        fs::write(repo.join("refs/main"), "abc123\n").expect("write ref");
        let expected = repo.join("snapshots/abc123");
        assert_eq!(resolve_model_dir(&repo).expect("repo"), expected);
        assert_eq!(resolve_model_dir(tmp.path()).expect("cache root"), expected);
    }

    #[test]
    fn hub_repository_without_refs_uses_its_only_snapshot() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let snapshot = tmp.path().join("hub").join(HUB_REPO_DIR).join("snapshots/rev");
        write_model_files(&snapshot, &MODEL_FILES);
        assert_eq!(resolve_model_dir(tmp.path()).expect("HF_HOME"), snapshot);
    }

    #[test]
    fn hub_snapshot_without_weights_is_incomplete() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let snapshot = tmp.path().join(HUB_REPO_DIR).join("snapshots/rev");
        write_model_files(&snapshot, &[CONFIG_FILE, TOKENIZER_FILE]);
        let error = resolve_model_dir(tmp.path()).expect_err("incomplete");
        assert!(error.to_string().contains("missing model.safetensors"), "{error}");
    }
}
