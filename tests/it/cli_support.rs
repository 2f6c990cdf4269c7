//! What the command-line tests share: scratch directories, files written
//! into them, and running the `tokenplan` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh directory for one test's files (`group` keeps the test files'
/// names apart).
pub fn scratch(group: &str, test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tokenplan-{group}-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `content` written to `dir/name`.
pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs tokenplan; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tokenplan"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
