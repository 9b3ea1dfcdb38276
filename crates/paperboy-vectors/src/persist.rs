//! Saving and loading a `VectorIndex` as one file, so that a restart does not rebuild.
//!
//! Layout: 8 bytes of magic, a little-endian `u32` format version, the index state in bincode,
//! and a CRC-32 of everything before it. Loading streams through the file (no second copy of a
//! gigabyte in memory), bounds every length by the file's size, and checks the CRC before the
//! state is used, so a truncated, damaged or foreign file is an error and never a panic (a bad
//! link inside the graph would otherwise index out of bounds at search time).
//!
//! Writing goes to a temporary file beside the target, which is synced and then renamed over it:
//! a crash leaves the old index or the new one, never half of one.
//!
//! Not here: deciding when to save, or where (the caller owns the path).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use bincode::Options;

use crate::error::VectorError;
use crate::index::{State, VectorIndex};

const MAGIC: &[u8; 8] = b"PBVECTRS";
/// Bump on any change to `State` or the quantisation.
const FORMAT_VERSION: u32 = 1;

impl VectorIndex {
    /// Writes the index to `path` atomically (temporary file, sync, rename).
    pub fn save(&self, path: &Path) -> Result<(), VectorError> {
        let temporary = temporary_path(path);
        let written = write_file(self, &temporary)
            .and_then(|()| std::fs::rename(&temporary, path).map_err(|source| io_error(path, source)));
        if written.is_err() {
            // Best effort: the error that matters is the one returned.
            let _ = std::fs::remove_file(&temporary);
        }
        written
    }

    /// Reads an index that `save` wrote. Any damage is `VectorError::Corrupt` (rebuild then).
    pub fn load(path: &Path) -> Result<Self, VectorError> {
        let file = File::open(path).map_err(|source| io_error(path, source))?;
        let size = file.metadata().map_err(|source| io_error(path, source))?.len();
        let mut reader = Checksummed::new(BufReader::new(file));
        read_header(&mut reader, path)?;
        let state: State = bincode::DefaultOptions::new()
            .with_limit(size)
            .deserialize_from(&mut reader)
            .map_err(|error| corrupt(path, format!("unreadable state: {error}")))?;
        let computed = reader.hasher.clone().finalize();
        let mut trailer = [0u8; 4];
        reader
            .inner
            .read_exact(&mut trailer)
            .map_err(|_| corrupt(path, "missing checksum (truncated file)"))?;
        if u32::from_le_bytes(trailer) != computed {
            return Err(corrupt(path, "checksum mismatch"));
        }
        if reader.inner.read(&mut [0u8; 1]).map_err(|source| io_error(path, source))? != 0 {
            return Err(corrupt(path, "trailing bytes after the checksum"));
        }
        check_consistency(&state).map_err(|reason| corrupt(path, reason))?;
        Ok(Self::from_state(state))
    }
}

fn write_file(index: &VectorIndex, path: &Path) -> Result<(), VectorError> {
    let file = File::create(path).map_err(|source| io_error(path, source))?;
    let mut writer = Checksummed::new(BufWriter::new(file));
    writer.write_all(MAGIC).map_err(|source| io_error(path, source))?;
    writer.write_all(&FORMAT_VERSION.to_le_bytes()).map_err(|source| io_error(path, source))?;
    bincode::DefaultOptions::new().serialize_into(&mut writer, index.state()).map_err(
        |error| match *error {
            bincode::ErrorKind::Io(source) => io_error(path, source),
            other => corrupt(path, format!("cannot encode: {other}")),
        },
    )?;
    let checksum = writer.hasher.clone().finalize();
    let mut inner = writer.inner;
    inner.write_all(&checksum.to_le_bytes()).map_err(|source| io_error(path, source))?;
    let file = inner.into_inner().map_err(|error| io_error(path, error.into_error()))?;
    file.sync_all().map_err(|source| io_error(path, source))
}

fn read_header(reader: &mut impl Read, path: &Path) -> Result<(), VectorError> {
    let mut header = [0u8; 12];
    reader.read_exact(&mut header).map_err(|_| corrupt(path, "too short for a header"))?;
    if &header[..8] != MAGIC {
        return Err(corrupt(path, "not a Paperboy vector index"));
    }
    let version = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    if version != FORMAT_VERSION {
        return Err(corrupt(path, format!("format version {version}, this build reads {FORMAT_VERSION}")));
    }
    Ok(())
}

/// Invariants the rest of the crate indexes by; a checksum match makes failures here unlikely,
/// but a file from a buggy writer must still not panic a search.
fn check_consistency(state: &State) -> Result<(), String> {
    state.graph.check()?;
    let points = state.graph.len();
    if state.graph_keys.len() != points || state.stale.len() != points {
        return Err(format!(
            "{points} graph points but {} keys and {} stale flags",
            state.graph_keys.len(),
            state.stale.len()
        ));
    }
    let graph_vectors = state.graph.iter().map(|(_, vector)| vector);
    let pending_vectors = state.pending.iter().map(|(_, vector)| vector);
    if graph_vectors.chain(pending_vectors).any(|vector| vector.codes().len() != state.dim) {
        return Err(format!("a vector does not have {} dimensions", state.dim));
    }
    Ok(())
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

fn io_error(path: &Path, source: std::io::Error) -> VectorError {
    VectorError::Io { path: path.to_path_buf(), source }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> VectorError {
    VectorError::Corrupt { path: path.to_path_buf(), reason: reason.into() }
}

/// A reader or writer that keeps a CRC-32 of the bytes passing through it.
struct Checksummed<T> {
    inner: T,
    hasher: crc32fast::Hasher,
}

impl<T> Checksummed<T> {
    fn new(inner: T) -> Self {
        Self { inner, hasher: crc32fast::Hasher::new() }
    }
}

impl<R: Read> Read for Checksummed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.update(&buf[..read]);
        Ok(read)
    }
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
