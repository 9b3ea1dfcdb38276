//! Paging parameters and links: `limit` and `p` checked with Hugging Face's messages, and the
//! `Link: rel="next"` address of the next page.

use crate::error::AppError;

/// `limit`: `default` when absent, else a whole number from 1 to `max`, with Hugging Face's
/// messages.
pub fn parse_limit(text: Option<&str>, default: u64, max: u64) -> Result<u64, AppError> {
    let Some(text) = text else { return Ok(default) };
    let limit: i64 = text
        .parse()
        .map_err(|_| AppError::BadRequest(format!("limit must be a whole number from 1 to {max}")))?;
    if limit < 1 {
        return Err(AppError::BadRequest("expected number to be >=1".into()));
    }
    if limit as u64 > max {
        return Err(AppError::BadRequest(format!("expected number to be <={max}")));
    }
    Ok(limit as u64)
}

/// `p`: the 0-based page, 0 when absent.
pub fn parse_page(text: Option<&str>) -> Result<u64, AppError> {
    let Some(text) = text else { return Ok(0) };
    text.parse::<u64>().ok().filter(|page| *page <= 1_000_000).ok_or_else(|| {
        AppError::BadRequest("p must be a whole number from 0 (the first page) to 1000000".into())
    })
}

/// A `Link` header value pointing at the next page: the request's own query with `key` set to
/// `value` (already URL-safe).
pub fn next_link(base_url: &str, path: &str, raw_query: Option<&str>, key: &str, value: &str) -> String {
    let mut pairs: Vec<&str> = raw_query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(key))
        .collect();
    let last = format!("{key}={value}");
    pairs.push(&last);
    format!("<{base_url}{path}?{}>; rel=\"next\"", pairs.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_pages_are_checked_with_hugging_faces_messages() {
        assert_eq!(parse_limit(None, 50, 100).unwrap(), 50);
        assert_eq!(parse_limit(Some("100"), 50, 100).unwrap(), 100);
        assert_eq!(parse_limit(Some("101"), 50, 100).unwrap_err().to_string(), "expected number to be <=100");
        assert_eq!(parse_limit(Some("0"), 50, 100).unwrap_err().to_string(), "expected number to be >=1");
        assert!(parse_limit(Some("ten"), 50, 100).is_err());
        assert_eq!(parse_page(Some("2")).unwrap(), 2);
        assert!(parse_page(Some("-1")).is_err());
    }

    #[test]
    fn the_next_link_replaces_the_page_and_keeps_the_rest() {
        let link = next_link("http://x", "/api/daily_papers", Some("date=2026-05-11&p=0&limit=2"), "p", "1");
        assert_eq!(link, "<http://x/api/daily_papers?date=2026-05-11&limit=2&p=1>; rel=\"next\"");
        assert_eq!(
            next_link("http://x", "/api/papers", None, "cursor", "c"),
            "<http://x/api/papers?cursor=c>; rel=\"next\""
        );
    }
}
