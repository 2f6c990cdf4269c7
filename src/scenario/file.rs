//! Reading and writing a scenario file: RON with the `implicit_some`
//! extension, the version read first, a saved file loading back identical
//! and written atomically.

use std::path::Path;

use serde::Deserialize;

use super::check::check_version;
use super::{Scenario, ScenarioError};

/// The RON options of every scenario read: optional fields are written
/// without `Some(..)`.
fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Just the version, read before the whole file so that a file from a newer
/// tokenplan (whose new fields this build does not know) gets a message
/// about the version, not about the first unknown field.
#[derive(Deserialize)]
#[serde(rename = "Scenario")]
struct VersionProbe {
    version: Option<u32>,
}

impl Scenario {
    /// Parses and validates a scenario from RON text.
    ///
    /// # Errors
    /// [`ScenarioError::Syntax`] with line and column when the text is not
    /// a scenario, [`ScenarioError::Invalid`] naming the field when a value is
    /// not allowed (including a version this build does not read).
    pub fn from_ron(text: &str) -> Result<Scenario, ScenarioError> {
        let options = ron_options();
        if let Ok(probe) = options.from_str::<VersionProbe>(text) {
            check_version(probe.version)?;
        }
        let scenario: Scenario = options
            .from_str(text)
            .map_err(|e| ScenarioError::syntax(&e))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Reads, parses and validates a scenario file.
    ///
    /// # Errors
    /// As [`Scenario::from_ron`], every error naming the file; and
    /// [`ScenarioError::Io`] when the file cannot be read.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
        // A BOM left by a Windows editor is not RON.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        Scenario::from_ron(text).map_err(|e| e.in_file(path))
    }

    /// The scenario as pretty RON, fields in declaration order and maps
    /// sorted, so a saved file diffs cleanly and loads back identical.
    ///
    /// # Errors
    /// The serialiser's error (none is known for these types: names are
    /// fixed identifiers and strings are escaped).
    pub fn to_ron(&self) -> Result<String, ron::Error> {
        let config = ron::ser::PrettyConfig::new()
            .struct_names(true)
            .indentor("    ")
            // Deeper levels (a rate, a tier, a rule's parameters, a list of
            // codes) stay on one line, as in SPEC §3's example.
            .depth_limit(3)
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        let raw = ron::ser::to_string_pretty(self, config)?;
        // ron escapes the variant `None` as `r#None` (it reads both); the
        // pretty printer puts the field on a line of its own, and a string
        // cannot hold a raw line break, so this line is always the field.
        let mut text = String::with_capacity(raw.len() + 1);
        for line in raw.lines() {
            match line.strip_suffix("overdraft: r#None,") {
                Some(indent) if indent.trim().is_empty() => {
                    text.push_str(indent);
                    text.push_str("overdraft: None,");
                }
                _ => text.push_str(line),
            }
            text.push('\n');
        }
        Ok(text)
    }

    /// Writes the scenario to `path` atomically: to a temporary file in the
    /// same directory, flushed and synced, then renamed over `path`, so a
    /// crash leaves either the old file or the new one, never half of one.
    ///
    /// # Errors
    /// [`ScenarioError::Io`] when the file cannot be written; the temporary
    /// file is removed and `path` is left as it was.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ScenarioError> {
        let path = path.as_ref();
        let io_error = |source| ScenarioError::Io {
            path: path.to_path_buf(),
            action: "write",
            source,
        };
        let text = self
            .to_ron()
            .map_err(|e| io_error(std::io::Error::other(e.to_string())))?;
        crate::atomic::write(path, text.as_bytes()).map_err(io_error)
    }
}
