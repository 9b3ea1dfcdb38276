//! Mail as tests read it: the messages of a mail directory, quoted-printable and RFC 2047 undone,
//! headers and links found; and a real SMTP server (aiosmtpd, `tests/clients/smtp_sink.py`) that
//! stores what it receives and can be killed and restarted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

/// The messages written to `dir`, oldest first.
pub fn read_mails(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.iter().map(|path| decode_quoted_printable(&std::fs::read_to_string(path).unwrap())).collect()
}

/// The message with quoted-printable soft line breaks and escapes undone (headers untouched
/// by it), as a mail client shows it.
pub fn decode_quoted_printable(message: &str) -> String {
    if !message.contains("Content-Transfer-Encoding: quoted-printable") {
        return message.to_owned();
    }
    let joined = message.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| u8::from_str_radix(&joined[i + 1..i + 3], 16).ok())
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of header `name` in a raw message, unfolded and with RFC 2047 words decoded.
pub fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    let mut lines = head.split("\r\n").peekable();
    while let Some(line) = lines.next() {
        if let Some((key, value)) = line.split_once(':')
            && key.eq_ignore_ascii_case(name)
        {
            let mut value = value.trim().to_owned();
            while lines.peek().is_some_and(|next| next.starts_with([' ', '\t'])) {
                value.push(' ');
                value.push_str(lines.next().unwrap().trim());
            }
            return Some(decode_words(&value));
        }
    }
    None
}

/// RFC 2047 encoded words decoded; adjacent ones join without the space between them.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut previous_encoded = false;
    for word in value.split(' ').filter(|word| !word.is_empty()) {
        let encoded = word
            .strip_prefix("=?utf-8?b?")
            .or_else(|| word.strip_prefix("=?UTF-8?B?"))
            .and_then(|w| w.strip_suffix("?="));
        let joins_previous = encoded.is_some() && previous_encoded;
        if !out.is_empty() && !joins_previous {
            out.push(' ');
        }
        match encoded {
            Some(encoded) => {
                let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
                out.push_str(&String::from_utf8(bytes).unwrap());
            }
            None => out.push_str(word),
        }
        previous_encoded = encoded.is_some();
    }
    out
}

/// The first link in `message` that starts with `prefix`.
pub fn link(message: &str, prefix: &str) -> String {
    let start = message.find(prefix).unwrap_or_else(|| panic!("no {prefix} in:\n{message}"));
    message[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
        .collect()
}

/// The Python with aiosmtpd, or `None` after saying loudly that the calling test checks nothing.
pub fn python() -> Option<PathBuf> {
    let python = std::env::var_os("PAPERBOY_TEST_PYTHON").map(PathBuf::from);
    if python.is_none() {
        eprintln!(
            "\n*** SKIPPED: PAPERBOY_TEST_PYTHON is not set, so this SMTP test checked NOTHING. Set it up with\n\
             ***   export PAPERBOY_TEST_PYTHON=$(scripts/test-tools.sh)\n"
        );
    }
    python
}

/// The SMTP sink on a port of its own, storing messages in a directory; killed on drop.
pub struct Sink {
    child: Child,
    python: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    pub fn start(python: &Path) -> Sink {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let child = spawn_sink(python, port, dir.path());
        Sink { child, python: python.to_owned(), port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Kills the server as a crash would.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts it again on the same port, keeping what it stored.
    pub fn restart(&mut self) {
        self.child = spawn_sink(&self.python, self.port, self.dir.path());
    }

    /// Every stored message, raw.
    pub fn messages(&self) -> Vec<String> {
        let mut messages = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).unwrap().flatten() {
            if entry.path().extension().is_some_and(|e| e == "eml") {
                messages.push(std::fs::read_to_string(entry.path()).unwrap());
            }
        }
        messages
    }

    pub fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|e| e == "eml"))
            .count()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_sink(python: &Path, port: u16, dir: &Path) -> Child {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/smtp_sink.py");
    let child = Command::new(python)
        .arg(script)
        .arg(port.to_string())
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the SMTP sink did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}
