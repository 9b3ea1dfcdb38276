//! Rendered pages and feeds, kept while the catalog does not change, and served with
//! validators: `ETag`, `Last-Modified`, `304 Not Modified`, and gzip compressed once.
//!
//! Everything a page shows comes from the catalog, and every write to the catalog moves its
//! clock ([`crate::db::Db::catalog_version`]). A rendered page is kept with the version it was
//! rendered at and served again while the version is the same, so a day page costs a hash
//! lookup instead of queries and a template. The version is read from the database at most
//! every [`CatalogVersion::freshness`], so a change shows within that time on every server
//! sharing the database.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crc32fast::Hasher as Crc;
use flate2::{Compress, FlushCompress, Status};

use crate::db::{Db, DbError};
use crate::http::corner;

/// How stale a served page may be: the catalog version is read again after this long.
pub const FRESHNESS: Duration = Duration::from_millis(250);

/// Pages kept at most, and their bodies' bytes at most (plain and gzip together); when either
/// is reached, pages of older versions go, then the least recently used quarter.
const CAPACITY: usize = 4096;
const MAX_BYTES: usize = 64 << 20;

/// Bodies shorter than this are not worth compressing.
const MIN_GZIP_BYTES: usize = 1024;

/// The catalog clock, read from the database at most once per `freshness`.
#[derive(Debug)]
pub struct CatalogVersion {
    value: AtomicI64,
    checked: Mutex<Option<Instant>>,
    pub freshness: Duration,
}

impl Default for CatalogVersion {
    fn default() -> Self {
        CatalogVersion { value: AtomicI64::new(-1), checked: Mutex::new(None), freshness: FRESHNESS }
    }
}

impl CatalogVersion {
    /// The current version: the last one read if it is fresh enough, else read now.
    pub async fn current(&self, db: &Db) -> Result<i64, DbError> {
        let due = {
            let mut checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
            let due = checked.is_none_or(|at| at.elapsed() >= self.freshness);
            if due {
                // Claimed: other requests use the value at hand until this read is done.
                *checked = Some(Instant::now());
            }
            due || self.value.load(Ordering::Acquire) < 0
        };
        if due {
            let version = db.catalog_version().await?;
            self.value.store(version, Ordering::Release);
        }
        Ok(self.value.load(Ordering::Acquire))
    }
}

/// A response body ready to serve, with its validators.
#[derive(Debug)]
pub struct CachedPage {
    pub version: i64,
    pub status: StatusCode,
    pub content_type: &'static str,
    pub etag: HeaderValue,
    pub last_modified: HeaderValue,
    pub body: Bytes,
    pub gzip: Option<Bytes>,
    /// The `Link` header it is served with (the next page of a listing), if any.
    pub link: Option<HeaderValue>,
    /// Where the account corner is, and the page around it compressed, for signed-in readers.
    personal: Option<Personal>,
    last_used: AtomicU64,
}

/// A page with an account corner ([`crate::http::corner`]), ready to be served to one reader:
/// the parts before and after the corner are deflated once, each on its own (no back
/// reference crosses the corner), so a reader's page is a gzip member made of the first part,
/// their corner deflated on the spot, and the second part, with the checksum combined from the
/// parts'. No reader waits for the whole page to be compressed again.
#[derive(Debug)]
struct Personal {
    corner: std::ops::Range<usize>,
    head: Option<Deflated>,
    tail: Option<Deflated>,
}

/// Raw deflate data, and the CRC-32 and length of what it holds.
#[derive(Debug)]
struct Deflated {
    data: Bytes,
    crc: Crc,
    len: usize,
}

/// The rendered pages, by path and query.
#[derive(Debug, Default)]
pub struct PageCache {
    pages: Mutex<HashMap<String, std::sync::Arc<CachedPage>>>,
    clock: AtomicU64,
}

/// What a handler renders: a status, a content type and a body, and for a page of a JSON
/// listing the `Link` to the next.
#[derive(Debug)]
pub struct Rendered {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: String,
    pub link: Option<HeaderValue>,
}

impl Rendered {
    pub fn html(status: StatusCode, body: String) -> Rendered {
        Rendered { status, content_type: "text/html; charset=utf-8", body, link: None }
    }

    /// A JSON answer of the API.
    pub fn json(body: String, link: Option<HeaderValue>) -> Rendered {
        Rendered { status: StatusCode::OK, content_type: "application/json", body, link }
    }
}

impl PageCache {
    /// The page kept for `key`, if it was rendered at `version`.
    pub fn get(&self, key: &str, version: i64) -> Option<std::sync::Arc<CachedPage>> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let page = pages.get(key).filter(|page| page.version == version)?;
        page.last_used.store(self.clock.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
        Some(page.clone())
    }

    /// Keeps `rendered` for `key` at `version`. Its `Last-Modified` is the previous page's when
    /// the body is the same, and now otherwise.
    pub fn put(&self, key: &str, version: i64, rendered: Rendered) -> std::sync::Arc<CachedPage> {
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", fnv1a(rendered.body.as_bytes())))
            .unwrap_or(HeaderValue::from_static("\"0\""));
        let previous = self.pages.lock().unwrap_or_else(|e| e.into_inner()).get(key).cloned();
        let last_modified = match previous {
            Some(previous) if previous.etag == etag => previous.last_modified.clone(),
            _ => http_date(SystemTime::now()),
        };
        let personal = corner::corner_range(&rendered.body).map(|corner| {
            let compress = rendered.body.len() >= MIN_GZIP_BYTES;
            Personal {
                head: compress.then(|| deflate(&rendered.body.as_bytes()[..corner.start], false)).flatten(),
                tail: compress.then(|| deflate(&rendered.body.as_bytes()[corner.end..], true)).flatten(),
                corner,
            }
        });
        let body = Bytes::from(rendered.body);
        let gzip = (body.len() >= MIN_GZIP_BYTES).then(|| gzip(&body)).flatten();
        let page = std::sync::Arc::new(CachedPage {
            version,
            status: rendered.status,
            content_type: rendered.content_type,
            etag,
            last_modified,
            body,
            gzip,
            link: rendered.link,
            personal,
            last_used: AtomicU64::new(self.clock.fetch_add(1, Ordering::Relaxed)),
        });
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= CAPACITY || size(&pages) + page.size() > MAX_BYTES {
            evict(&mut pages);
        }
        pages.insert(key.to_owned(), page.clone());
        page
    }
}

/// The bytes the pages' bodies take.
fn size(pages: &HashMap<String, std::sync::Arc<CachedPage>>) -> usize {
    pages.values().map(|page| page.size()).sum()
}

/// Drops pages of old versions, then the least recently used quarter while still too full.
fn evict(pages: &mut HashMap<String, std::sync::Arc<CachedPage>>) {
    let newest = pages.values().map(|p| p.version).max().unwrap_or_default();
    pages.retain(|_, page| page.version == newest);
    while !pages.is_empty() && (pages.len() >= CAPACITY || size(pages) > MAX_BYTES * 3 / 4) {
        let mut uses: Vec<u64> = pages.values().map(|p| p.last_used.load(Ordering::Relaxed)).collect();
        uses.sort_unstable();
        let cutoff = uses[uses.len() / 4];
        pages.retain(|_, page| page.last_used.load(Ordering::Relaxed) > cutoff);
    }
}

impl CachedPage {
    fn size(&self) -> usize {
        let parts = self.personal.as_ref().map_or(0, |p| {
            p.head.as_ref().map_or(0, |d| d.data.len()) + p.tail.as_ref().map_or(0, |d| d.data.len())
        });
        self.body.len() + self.gzip.as_ref().map_or(0, Bytes::len) + parts
    }

    /// The response to a request with `headers`: `304` when its validators match, the gzip
    /// body when it accepts gzip, the plain body otherwise.
    pub fn respond(&self, headers: &HeaderMap) -> Response {
        let mut response = if self.not_modified(headers) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let gzip = self.gzip.as_ref().filter(|_| accepts_gzip(headers));
            let mut response = (self.status, gzip.unwrap_or(&self.body).clone()).into_response();
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
            if gzip.is_some() {
                response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::LAST_MODIFIED, self.last_modified.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding, cookie"));
        if let Some(link) = &self.link {
            headers.insert(header::LINK, link.clone());
        }
        response
    }

    /// The page for a signed-in reader, with `corner` in place of the account corner: gzipped
    /// from the parts made once when the client accepts gzip, never stored by the browser or a
    /// proxy. `None` when the page has no corner.
    pub fn respond_personal(&self, headers: &HeaderMap, corner: &str) -> Option<Response> {
        let personal = self.personal.as_ref()?;
        let gzipped = match (&personal.head, &personal.tail) {
            (Some(head), Some(tail)) if accepts_gzip(headers) => gzip_around(head, corner.as_bytes(), tail),
            _ => None,
        };
        let mut response = match gzipped {
            Some(body) => {
                let mut response = (self.status, body).into_response();
                response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            None => {
                let mut body = Vec::with_capacity(self.body.len() + corner.len());
                body.extend_from_slice(&self.body[..personal.corner.start]);
                body.extend_from_slice(corner.as_bytes());
                body.extend_from_slice(&self.body[personal.corner.end..]);
                (self.status, body).into_response()
            }
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding, cookie"));
        Some(response)
    }

    fn not_modified(&self, headers: &HeaderMap) -> bool {
        if !self.status.is_success() {
            return false;
        }
        if let Some(tags) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            let ours = self.etag.to_str().unwrap_or_default();
            return tags
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours);
        }
        let since =
            headers.get(header::IF_MODIFIED_SINCE).and_then(|v| v.to_str().ok()).and_then(parse_http_date);
        let modified = self.last_modified.to_str().ok().and_then(parse_http_date);
        matches!((since, modified), (Some(since), Some(modified)) if modified <= since)
    }
}

/// Whether the request's `Accept-Encoding` allows gzip (and does not refuse it with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|value| {
        value.split(',').any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
    })
}

/// Raw deflate of `data` with a fresh dictionary: ending in a sync flush (more may follow) or,
/// with `last`, in the final block.
fn deflate(data: &[u8], last: bool) -> Option<Deflated> {
    let flush = if last { FlushCompress::Finish } else { FlushCompress::Sync };
    let mut compress = Compress::new(flate2::Compression::default(), false);
    let mut out = Vec::with_capacity(data.len() / 3 + 256);
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(4096));
        }
        let read = usize::try_from(compress.total_in()).ok()?;
        let status = compress.compress_vec(&data[read..], &mut out, flush).ok()?;
        let all_read = usize::try_from(compress.total_in()).ok()? == data.len();
        // A flush is complete once a call leaves output space unused.
        let flushed = out.len() < out.capacity();
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError if !last && all_read && flushed => break,
            Status::Ok | Status::BufError => {}
        }
    }
    let mut crc = Crc::new();
    crc.update(data);
    Some(Deflated { data: Bytes::from(out), crc, len: data.len() })
}

/// One gzip member: `head`, then `middle` deflated now, then `tail` (which ends the stream).
fn gzip_around(head: &Deflated, middle: &[u8], tail: &Deflated) -> Option<Bytes> {
    let middle = deflate(middle, false)?;
    let mut crc = head.crc.clone();
    crc.combine(&middle.crc);
    crc.combine(&tail.crc);
    let mut out = Vec::with_capacity(18 + head.data.len() + middle.data.len() + tail.data.len());
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    out.extend_from_slice(&head.data);
    out.extend_from_slice(&middle.data);
    out.extend_from_slice(&tail.data);
    let len = head.len + middle.len + tail.len;
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE is the length modulo 2^32.
    out.extend_from_slice(&(len as u32).to_le_bytes());
    Some(Bytes::from(out))
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::default());
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

/// FNV-1a, 64 bits: a stable hash for entity tags.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

/// An HTTP date (RFC 9110 IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(time: SystemTime) -> HeaderValue {
    let time: chrono::DateTime<chrono::Utc> = time.into();
    HeaderValue::from_str(&time.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

fn parse_http_date(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::NaiveDateTime::parse_from_str(text, "%a, %d %b %Y %H:%M:%S GMT").ok().map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap())).collect()
    }

    async fn body_of(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap().to_vec()
    }

    #[tokio::test]
    async fn a_readers_corner_is_put_into_the_page_gzipped_from_parts() {
        use std::io::Read;
        // Long and varied enough to span several deflate blocks on both sides of the corner.
        let prose: String =
            (0..4000).map(|i| format!("line {i} of the page, {} ", i * 7919 % 104_729)).collect();
        let body = format!(
            "<html>{prose}{ACCOUNT}<main>{prose}</main></html>",
            ACCOUNT = "<!--account--><a>Sign in</a><!--/account-->"
        );
        let cache = PageCache::default();
        let page = cache.put("/p", 1, Rendered::html(StatusCode::OK, body.clone()));
        let corner = "<!--account--><a>ada</a><!--/account-->";
        let expected = body.replace("<!--account--><a>Sign in</a><!--/account-->", corner);

        let gzipped = page.respond_personal(&headers(&[(header::ACCEPT_ENCODING, "gzip")]), corner).unwrap();
        assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gzipped.headers()[header::CACHE_CONTROL], "private, no-store");
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&body_of(gzipped).await[..]).read_to_string(&mut decoded).unwrap();
        assert_eq!(decoded, expected, "the checksum and length are checked by the decoder too");

        let plain = page.respond_personal(&HeaderMap::new(), corner).unwrap();
        assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
        assert_eq!(String::from_utf8(body_of(plain).await).unwrap(), expected);

        let feed = cache.put("/feed", 1, Rendered::html(StatusCode::OK, "<rss/>".into()));
        assert!(feed.respond_personal(&HeaderMap::new(), corner).is_none(), "no corner, nothing to fill in");
    }

    #[test]
    fn validators_answer_304_and_a_changed_body_a_new_etag() {
        let cache = PageCache::default();
        let body = "x".repeat(2000);
        let page = cache.put("/p", 1, Rendered::html(StatusCode::OK, body.clone()));
        let etag = page.etag.to_str().unwrap().to_owned();
        let fresh = page.respond(&headers(&[(header::IF_NONE_MATCH, &etag)]));
        assert_eq!(fresh.status(), StatusCode::NOT_MODIFIED);
        let since = page.last_modified.to_str().unwrap().to_owned();
        assert_eq!(
            page.respond(&headers(&[(header::IF_MODIFIED_SINCE, &since)])).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(page.respond(&headers(&[(header::IF_NONE_MATCH, "\"other\"")])).status(), StatusCode::OK);

        assert!(cache.get("/p", 2).is_none(), "a page of an older version is not served");
        let same = cache.put("/p", 2, Rendered::html(StatusCode::OK, body));
        assert_eq!(
            (same.etag.clone(), same.last_modified.clone()),
            (page.etag.clone(), page.last_modified.clone())
        );
        let changed = cache.put("/p", 3, Rendered::html(StatusCode::OK, "y".repeat(2000)));
        assert_ne!(changed.etag, page.etag);
    }

    #[test]
    fn gzip_is_served_only_to_clients_that_accept_it() {
        let page = PageCache::default().put("/p", 1, Rendered::html(StatusCode::OK, "paper ".repeat(500)));
        let zipped = page.respond(&headers(&[(header::ACCEPT_ENCODING, "br, gzip;q=0.8")]));
        assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
        for refusing in ["identity", "gzip;q=0", "br"] {
            let plain = page.respond(&headers(&[(header::ACCEPT_ENCODING, refusing)]));
            assert!(plain.headers().get(header::CONTENT_ENCODING).is_none(), "{refusing}");
        }
    }

    #[test]
    fn the_cache_stays_within_its_bytes() {
        let cache = PageCache::default();
        // Incompressible bodies of 1 MiB: 64 of them would fill the cache.
        let body = |i: u64| {
            (0..1 << 20).map(|j| char::from(b'a' + ((j * 7919 + i * 31) % 26) as u8)).collect::<String>()
        };
        for i in 0..100 {
            cache.put(&format!("/{i}"), 1, Rendered::html(StatusCode::OK, body(i)));
        }
        let pages = cache.pages.lock().unwrap();
        assert!(size(&pages) <= MAX_BYTES && pages.contains_key("/99"), "{} bytes", size(&pages));
    }

    #[test]
    fn a_full_cache_drops_old_versions_and_the_least_used() {
        let cache = PageCache::default();
        for i in 0..CAPACITY + 10 {
            cache.put(&format!("/{i}"), 1, Rendered::html(StatusCode::OK, String::new()));
            cache.get("/0", 1);
        }
        let pages = cache.pages.lock().unwrap();
        assert!(pages.len() < CAPACITY && pages.contains_key("/0"));
    }
}
