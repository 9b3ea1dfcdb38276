//! arXiv categories and archives as readers type them: `cs.CL`, `hep-th`, `math`.

/// Whether `text` looks like an arXiv category or archive: `cs.CL`, `hep-th`, `math`.
pub fn is_category(text: &str) -> bool {
    let mut parts = text.split('.');
    let valid = |part: &str| {
        !part.is_empty() && part.len() <= 20 && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    parts.next().is_some_and(valid) && parts.next().is_none_or(valid) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_recognised_by_shape() {
        for good in ["cs.CL", "hep-th", "math", "cond-mat.mes-hall"] {
            assert!(is_category(good), "{good}");
        }
        for bad in ["", "cs.", ".CL", "cs.CL.x", "<script>", "cs CL"] {
            assert!(!is_category(bad), "{bad}");
        }
    }
}
