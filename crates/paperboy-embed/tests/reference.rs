//! `MiniLm` against sentence-transformers: the vectors in `fixtures/reference.json` were made
//! by `reference_vectors.py` with the real Python package, from the same model files.
//!
//! Needs the model in `PAPERBOY_TEST_MODEL_DIR` (`.ci/run` fetches it with
//! `scripts/fetch-model.sh`). Without that variable these tests print a notice and pass; with
//! it set to a directory that lacks the model, they fail.

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use paperboy_embed::{Embedder, MiniLm};
use serde::Deserialize;

/// Agreement required with sentence-transformers, per text.
const MIN_COSINE: f32 = 0.999;

#[derive(Deserialize)]
struct Fixture {
    texts: Vec<Reference>,
}

#[derive(Deserialize)]
struct Reference {
    name: String,
    text: String,
    vector: Vec<f32>,
}

fn references() -> Vec<Reference> {
    let fixture: Fixture = serde_json::from_str(include_str!("fixtures/reference.json"))
        .expect("fixtures/reference.json is valid");
    fixture.texts
}

/// The model, loaded once for all tests; `None` (after a notice) when no model is configured.
fn model() -> Option<&'static MiniLm> {
    static MODEL: OnceLock<Option<MiniLm>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let Some(dir) = std::env::var_os("PAPERBOY_TEST_MODEL_DIR") else {
                // Straight to the stream: the test harness captures `eprintln!` of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** SKIPPED: PAPERBOY_TEST_MODEL_DIR is not set, so MiniLm is NOT checked \
                     against sentence-transformers. To check it (CI does): \
                     export PAPERBOY_TEST_MODEL_DIR=$(scripts/fetch-model.sh) ***\n"
                );
                return None;
            };
            let dir = PathBuf::from(dir);
            Some(
                MiniLm::load(&dir)
                    .unwrap_or_else(|error| panic!("PAPERBOY_TEST_MODEL_DIR={}: {error}", dir.display())),
            )
        })
        .as_ref()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

fn assert_matches_references(references: &[Reference], vectors: &[Vec<f32>], how: &str) {
    assert_eq!(vectors.len(), references.len());
    for (reference, vector) in references.iter().zip(vectors) {
        let agreement = cosine(&reference.vector, vector);
        eprintln!("{how}: cosine {agreement:.7} for {}", reference.name);
        assert!(
            agreement >= MIN_COSINE,
            "{how}: {} has cosine {agreement} with sentence-transformers",
            reference.name
        );
    }
}

#[test]
fn each_text_alone_matches_sentence_transformers() {
    let Some(model) = model() else { return };
    let references = references();
    let vectors: Vec<Vec<f32>> = references
        .iter()
        .map(|reference| {
            let mut vectors = model.embed(&[&reference.text]).expect("embed");
            vectors.pop().expect("one vector")
        })
        .collect();
    assert_matches_references(&references, &vectors, "alone");
}

#[test]
fn padding_in_one_batch_does_not_change_vectors() {
    let Some(model) = model() else { return };
    let references = references();
    let texts: Vec<&str> = references.iter().map(|r| r.text.as_str()).collect();
    // The default batching groups texts of similar length; here every text is padded to the
    // longest, the worst case for padding.
    let one_batch =
        MiniLm::load(&model_dir()).expect("load").with_batch_tokens(usize::MAX).embed(&texts).expect("embed");
    assert_matches_references(&references, &one_batch, "one batch");
    let default_batching = model.embed(&texts).expect("embed");
    assert_matches_references(&references, &default_batching, "default batching");
}

#[test]
fn vectors_are_unit_length_with_the_declared_dimension() {
    let Some(model) = model() else { return };
    let vectors = model.embed(&["", "attention is all you need"]).expect("embed");
    for vector in vectors {
        assert_eq!(vector.len(), model.dim());
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
}

#[test]
fn hostile_texts_embed_without_panicking() {
    let Some(model) = model() else { return };
    let long = "transformer ".repeat(5_000);
    let texts = [
        "",
        " \t\n ",
        "\u{0}\u{1}\u{7}\u{1b}[31m\u{7f}",
        "🚀🎉🔥👀🧑‍🔬",
        "\u{202e}reversed\u{200b}zero width\u{feff}",
        &long,
    ];
    let vectors = model.embed(&texts).expect("embed");
    assert_eq!(vectors.len(), texts.len());
    assert!(model.embed(&[]).expect("embed nothing").is_empty());
}

fn model_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("PAPERBOY_TEST_MODEL_DIR").expect("checked by model()"))
}
