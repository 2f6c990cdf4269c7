//! Files written atomically: a temporary file in the same directory,
//! flushed and synced, then renamed over the target, so a reader never sees
//! half a file and a failed write leaves the old one in place.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// The I/O error of creating, writing, syncing or renaming; the temporary
/// file is removed and `path` is left as it was.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = temp_path(path);
    let written = write_synced(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        // The temporary file may not exist; nothing more to report then.
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    sync_dir(path);
    Ok(())
}

/// `dir/.name.PID-N.tmp`: in the same directory, so the rename is atomic,
/// and unique per write, so two writes at once never share a temporary file.
fn temp_path(path: &Path) -> PathBuf {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.flush()?;
    file.sync_all()
}

/// Makes the rename itself durable where the platform allows it; a failure
/// only weakens durability after a power cut, the file is already in place.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_file_is_a_fresh_sibling() {
        let a = temp_path(Path::new("/data/plans/fy27.ron"));
        let b = temp_path(Path::new("/data/plans/fy27.ron"));
        assert_eq!(a.parent(), Some(Path::new("/data/plans")));
        assert_ne!(a, b);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".fy27.ron.") && name.ends_with(".tmp"),
            "{name}"
        );
        // A bare file name stays in the current directory.
        assert_eq!(temp_path(Path::new("s.ron")).parent(), Some(Path::new("")));
    }

    #[test]
    fn replaces_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("tokenplan-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.csv");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.csv")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir =
            std::env::temp_dir().join(format!("tokenplan-atomic-fail-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("taken")).unwrap();
        // Renaming a file over a non-empty directory fails.
        std::fs::write(dir.join("taken").join("x"), b"x").unwrap();
        assert!(write(&dir.join("taken"), b"new").is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
