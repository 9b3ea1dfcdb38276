//! Streaming reader of import files: JSON Lines or one JSON array, plain or gzip-compressed.
//!
//! [`RecordReader::open`] looks at the bytes, not the file name: a gzip header means gzip, a
//! leading `[` means one array of records, anything else one record per line. Records are read
//! one at a time in constant memory, each tagged with the line it starts on, and parsed in the
//! [`Format`] given or detected from the first record. A bad record becomes an [`Item::Rejected`]
//! naming its line and reason, and reading goes on; only damage that makes the rest of the file
//! unreadable (a truncated gzip stream, an unclosed array) ends it, with a [`FileError`].

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;
use serde_json::{Map, Value};

use crate::formats::Format;
use crate::paper::Paper;

/// The largest record accepted, in bytes; a longer line is rejected without being held in memory.
pub const MAX_RECORD_BYTES: usize = 32 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const BUFFER_BYTES: usize = 256 << 10;

/// One record read from a file.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one item per record, moved once; boxing would cost an allocation each"
)]
pub enum Item {
    /// A valid paper, found on `line`.
    Paper { line: u64, paper: Paper },
    /// A record that cannot be imported, and why.
    Rejected { line: u64, reason: String },
}

/// Damage that makes the rest of a file unreadable. Records before it were read normally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FileError {
    pub line: u64,
    pub message: String,
}

/// How many bytes of the underlying file have been read, for progress bars.
#[derive(Debug, Clone, Default)]
pub struct BytesRead(Arc<AtomicU64>);

impl BytesRead {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct CountingReader<R> {
    inner: R,
    count: BytesRead,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Lines,
    Array,
}

/// Reads the records of one file in order. See the module docs.
pub struct RecordReader {
    source: Box<dyn BufRead + Send>,
    layout: Layout,
    format: Option<Format>,
    compressed: bool,
    /// Lines fully consumed so far.
    line: u64,
    record: Vec<u8>,
    /// Where the array scan stands; kept across elements, which all end at depth zero.
    scan: ElementScan,
    finished: bool,
}

impl RecordReader {
    /// Opens `path`, detecting compression and layout. `format` forces a record format.
    pub fn open(path: &Path, format: Option<Format>) -> io::Result<(RecordReader, BytesRead)> {
        let file = File::open(path)?;
        Self::from_reader(file, format)
    }

    /// Reads from any byte source, as [`RecordReader::open`] does from a file.
    pub fn from_reader(
        reader: impl Read + Send + 'static,
        format: Option<Format>,
    ) -> io::Result<(RecordReader, BytesRead)> {
        let count = BytesRead::default();
        let counting = CountingReader { inner: reader, count: count.clone() };
        let mut raw = BufReader::with_capacity(BUFFER_BYTES, counting);
        let compressed = raw.fill_buf()?.starts_with(&GZIP_MAGIC);
        let mut source: Box<dyn BufRead + Send> = if compressed {
            Box::new(BufReader::with_capacity(BUFFER_BYTES, MultiGzDecoder::new(raw)))
        } else {
            Box::new(raw)
        };
        let layout = match first_significant_byte(&mut source) {
            Ok(Some(b'[')) => Layout::Array,
            Ok(_) => Layout::Lines,
            Err(e) => return Err(e),
        };
        let reader = RecordReader {
            source,
            layout,
            format,
            compressed,
            line: 0,
            record: Vec::new(),
            scan: ElementScan::default(),
            finished: false,
        };
        Ok((reader, count))
    }

    fn io_error(&mut self, err: io::Error) -> FileError {
        self.finished = true;
        let what = if self.compressed {
            "the gzip stream is truncated or corrupt"
        } else {
            "the file cannot be read further"
        };
        FileError { line: self.line, message: format!("{what} after this line ({err})") }
    }

    /// Turns the bytes of one record into an item.
    fn parse(&mut self, line: u64, bytes: &[u8]) -> Item {
        let rejected = |reason: String| Item::Rejected { line, reason };
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                return rejected(format!("not UTF-8: invalid byte at offset {}", e.valid_up_to()));
            }
        };
        let format = match self.format {
            Some(format) => format,
            None => match serde_json::from_str::<Map<String, Value>>(text) {
                Ok(object) => match Format::detect(&object) {
                    Some(format) => *self.format.insert(format),
                    None => {
                        return rejected(format!(
                            "cannot tell the record format from its fields; pass --format ({})",
                            Format::NAMES
                        ));
                    }
                },
                Err(e) => return rejected(format!("not valid JSON: {e}")),
            },
        };
        match format.parse(bytes) {
            Err(reason) => rejected(reason),
            Ok(raw) => match raw.validate() {
                Ok(paper) => Item::Paper { line, paper },
                Err(invalid) => rejected(invalid.to_string()),
            },
        }
    }

    fn next_line(&mut self) -> Option<Result<Item, FileError>> {
        loop {
            self.record.clear();
            let start_line = self.line + 1;
            let too_long = match read_bounded_line(&mut self.source, &mut self.record) {
                Ok(None) => return None,
                Ok(Some(too_long)) => too_long,
                Err(e) => return Some(Err(self.io_error(e))),
            };
            self.line = start_line;
            if too_long {
                let reason = format!("the record is longer than {} MiB", MAX_RECORD_BYTES >> 20);
                return Some(Ok(Item::Rejected { line: start_line, reason }));
            }
            if self.record.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let bytes = std::mem::take(&mut self.record);
            let item = self.parse(start_line, &bytes);
            self.record = bytes;
            return Some(Ok(item));
        }
    }

    fn next_array_element(&mut self) -> Option<Result<Item, FileError>> {
        self.record.clear();
        let mut start_line = None;
        loop {
            let buf = match self.source.fill_buf() {
                Ok(buf) => buf,
                Err(e) => return Some(Err(self.io_error(e))),
            };
            if buf.is_empty() {
                self.finished = true;
                let message = match start_line {
                    Some(line) => format!("the file ends inside the record that starts on line {line}"),
                    None => "the file ends before the JSON array is closed with `]`".to_owned(),
                };
                return Some(Err(FileError { line: self.line + 1, message }));
            }
            let mut consumed = 0;
            let mut end = None;
            for &byte in buf {
                consumed += 1;
                if byte == b'\n' {
                    self.line += 1;
                }
                match self.scan.feed(byte) {
                    Step::Skip => {}
                    Step::Take => {
                        start_line.get_or_insert(self.line + 1);
                        self.record.push(byte);
                    }
                    Step::End(closed) => {
                        end = Some(closed);
                        break;
                    }
                }
            }
            self.source.consume(consumed);
            if self.record.len() > MAX_RECORD_BYTES {
                self.finished = true;
                let line = start_line.unwrap_or(self.line);
                let message = format!(
                    "the record is longer than {} MiB; giving up on the array",
                    MAX_RECORD_BYTES >> 20
                );
                return Some(Err(FileError { line, message }));
            }
            if let Some(array_closed) = end {
                if array_closed {
                    self.finished = true;
                }
                let Some(line) = start_line else {
                    // `[]`, or a trailing comma before `]`.
                    return None;
                };
                let bytes = std::mem::take(&mut self.record);
                let item = self.parse(line, &bytes);
                self.record = bytes;
                return Some(Ok(item));
            }
        }
    }
}

impl Iterator for RecordReader {
    type Item = Result<Item, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.layout {
            Layout::Lines => self.next_line(),
            Layout::Array => self.next_array_element(),
        }
    }
}

/// Skips a byte-order mark and peeks at the first non-whitespace byte of the first buffer,
/// consuming nothing else so that line numbers stay right.
fn first_significant_byte(source: &mut Box<dyn BufRead + Send>) -> io::Result<Option<u8>> {
    if source.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        source.consume(3);
    }
    Ok(source.fill_buf()?.iter().copied().find(|b| !b.is_ascii_whitespace()))
}

/// Reads one line into `out` without its newline. Returns `None` at the end of input, and
/// `Some(true)` when the line was longer than [`MAX_RECORD_BYTES`] (its bytes are dropped).
fn read_bounded_line(source: &mut dyn BufRead, out: &mut Vec<u8>) -> io::Result<Option<bool>> {
    let mut seen_any = false;
    let mut too_long = false;
    loop {
        let buf = source.fill_buf()?;
        if buf.is_empty() {
            return Ok(seen_any.then_some(too_long));
        }
        seen_any = true;
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if !too_long {
            if out.len() + chunk.len() > MAX_RECORD_BYTES {
                too_long = true;
                out.clear();
            } else {
                out.extend_from_slice(chunk);
            }
        }
        let consumed = done.unwrap_or(buf.len());
        source.consume(consumed);
        if done.is_some() {
            if out.last() == Some(&b'\r') {
                out.pop();
            }
            return Ok(Some(too_long));
        }
    }
}

/// Finds element boundaries in a JSON array byte by byte, tracking strings and nesting.
#[derive(Default)]
struct ElementScan {
    opened: bool,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

enum Step {
    /// Not part of an element (whitespace, the array's brackets and commas).
    Skip,
    /// Part of the current element.
    Take,
    /// The current element ended; `true` if the array ended with it.
    End(bool),
}

impl ElementScan {
    fn feed(&mut self, byte: u8) -> Step {
        if !self.opened {
            if byte == b'[' {
                self.opened = true;
            }
            return Step::Skip;
        }
        if self.in_string {
            match (self.escaped, byte) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => self.in_string = false,
                _ => {}
            }
            return Step::Take;
        }
        match byte {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' if self.depth > 0 => self.depth -= 1,
            b']' => return Step::End(true),
            b',' if self.depth == 0 => return Step::End(false),
            b if b.is_ascii_whitespace() && self.depth == 0 => return Step::Skip,
            _ => {}
        }
        Step::Take
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const GOOD: &str = r#"{"id":"2503.11731","title":"A","summary":"S","authors":["X"],"categories":["cs.CL"],"comment":null,"announce_date":"2025-03-18"}"#;

    fn good(id: &str) -> String {
        GOOD.replace("2503.11731", id)
    }

    fn read(bytes: Vec<u8>) -> Vec<Result<(u64, String), FileError>> {
        let (reader, _) = RecordReader::from_reader(io::Cursor::new(bytes), None).unwrap();
        reader
            .map(|item| {
                item.map(|item| match item {
                    Item::Paper { line, paper } => (line, paper.id.to_string()),
                    Item::Rejected { line, reason } => (line, format!("rejected: {reason}")),
                })
            })
            .collect()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn reads_lines_and_reports_bad_ones_by_line_number() {
        let mut text = String::new();
        text.push_str(&good("2503.00001"));
        text.push_str("\n\nnot json at all\n");
        text.push_str(&good("2503.00002").replace("\"title\":\"A\"", "\"title\":\"\""));
        text.push('\n');
        text.push_str(&good("2503.00003"));
        let items = read(text.into_bytes());
        assert_eq!(items.len(), 4);
        assert_eq!(items[0], Ok((1, "2503.00001".into())));
        let (line, reason) = items[1].clone().unwrap();
        assert_eq!(line, 3);
        assert!(reason.contains("not valid JSON"), "{reason}");
        let (line, reason) = items[2].clone().unwrap();
        assert_eq!(line, 4);
        assert!(reason.contains("field `title`: is empty"), "{reason}");
        assert_eq!(items[3], Ok((5, "2503.00003".into())));
    }

    #[test]
    fn rejects_invalid_utf8_and_keeps_going() {
        let mut bytes = good("2503.00001").into_bytes();
        bytes.extend_from_slice(b"\n{\"id\":\"2503.00002\",\"title\":\"\xff\xfe\"}\n");
        bytes.extend_from_slice(good("2503.00003").as_bytes());
        let items = read(bytes);
        let (line, reason) = items[1].clone().unwrap();
        assert_eq!((line, reason.contains("not UTF-8")), (2, true), "{reason}");
        assert_eq!(items[2], Ok((3, "2503.00003".into())));
    }

    #[test]
    fn reads_gzip_and_reports_truncation_after_the_good_records() {
        let text: String = (1..=2000).map(|n| good(&format!("2503.{n:05}")) + "\n").collect();
        let compressed = gzip(text.as_bytes());
        let cut = compressed[..compressed.len() / 2].to_vec();
        let items = read(cut);
        let (last, good_items) = items.split_last().unwrap();
        let err = last.clone().unwrap_err();
        assert!(err.message.contains("gzip stream is truncated"), "{err}");
        assert!(good_items.len() > 100);
        assert!(good_items.iter().all(|i| i.as_ref().is_ok_and(|(_, id)| id.starts_with("2503."))));
        assert_eq!(err.line, good_items.len() as u64);
    }

    #[test]
    fn reads_a_hugging_face_array_with_line_numbers() {
        let text = r#"[
  {"paper": {"id": "2407.13168", "title": "SciCode", "summary": "S", "authors": [{"name": "Y"}],
             "publishedAt": "2024-07-18T05:15:24.000Z"}, "title": "SciCode, \"quoted\" ]}"},
  {"paper": {"id": "bad id", "title": "T", "summary": "S"}},
  {"paper": {"id": "2407.13169", "title": "T", "summary": "S"}}
]"#;
        let items = read(text.as_bytes().to_vec());
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], Ok((2, "2407.13168".into())));
        let (line, reason) = items[1].clone().unwrap();
        assert_eq!(line, 4);
        assert!(reason.contains("field `id`"), "{reason}");
        assert_eq!(items[2], Ok((5, "2407.13169".into())));
    }

    #[test]
    fn an_unclosed_array_is_a_file_error_after_its_good_records() {
        let text = r#"[{"paper": {"id": "2407.13168", "title": "T", "summary": "S"}}, {"paper": {"id": "24"#;
        let items = read(text.as_bytes().to_vec());
        assert_eq!(items[0], Ok((1, "2407.13168".into())));
        assert!(items[1].clone().unwrap_err().message.contains("ends inside the record"));
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn empty_input_and_an_empty_array_yield_nothing() {
        assert!(read(Vec::new()).is_empty());
        assert!(read(b"  \n\n".to_vec()).is_empty());
        assert!(read(b"[ ]".to_vec()).is_empty());
        assert!(read(gzip(b"")).is_empty());
    }

    #[test]
    fn an_overlong_line_is_rejected_without_losing_its_neighbours() {
        let mut text = good("2503.00001") + "\n";
        text.push_str(&"x".repeat(MAX_RECORD_BYTES + 10));
        text.push('\n');
        text.push_str(&good("2503.00003"));
        let items = read(text.into_bytes());
        assert_eq!(items.len(), 3);
        assert!(items[1].clone().unwrap().1.contains("longer than 32 MiB"));
        assert_eq!(items[2], Ok((3, "2503.00003".into())));
    }

    #[test]
    fn an_unrecognised_first_record_asks_for_a_format() {
        let items = read(br#"{"name": "not a paper"}"#.to_vec());
        assert!(items[0].clone().unwrap().1.contains("pass --format"));
    }
}
