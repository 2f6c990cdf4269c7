//! Why a scenario could not be loaded, parsed or saved: [`ScenarioError`],
//! each variant saying where (the file, the line and column, or the field
//! path).

use std::path::{Path, PathBuf};

/// Why a scenario could not be loaded, parsed or saved. Every variant says
/// where: the file, the line and column, or the field path.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read or written.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// `read` or `write`.
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a well-formed scenario (RON syntax, unknown or
    /// missing field, wrong type).
    #[error("{}:{line}:{column}: {message}", source_name(file.as_deref()))]
    Syntax {
        /// The file, when the text came from one.
        file: Option<PathBuf>,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The scenario parses but a value is not allowed.
    #[error("{}{field}: {message}", file_prefix(file.as_deref()))]
    Invalid {
        /// The file, when the text came from one.
        file: Option<PathBuf>,
        /// Path of the field, e.g. `products.ACD.rates[0].tokens`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ScenarioError {
    /// The same error, naming `path` as the file it came from.
    pub(super) fn in_file(self, path: &Path) -> Self {
        match self {
            ScenarioError::Syntax {
                line,
                column,
                message,
                ..
            } => ScenarioError::Syntax {
                file: Some(path.to_path_buf()),
                line,
                column,
                message,
            },
            ScenarioError::Invalid { field, message, .. } => ScenarioError::Invalid {
                file: Some(path.to_path_buf()),
                field,
                message,
            },
            io @ ScenarioError::Io { .. } => io,
        }
    }

    pub(super) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid {
            file: None,
            field: field.into(),
            message: message.into(),
        }
    }

    pub(super) fn syntax(error: &ron::error::SpannedError) -> Self {
        ScenarioError::Syntax {
            file: None,
            line: error.span.start.line,
            column: error.span.start.col,
            message: error.code.to_string(),
        }
    }
}

fn source_name(file: Option<&Path>) -> String {
    file.map_or_else(|| "<scenario>".to_owned(), |f| f.display().to_string())
}

fn file_prefix(file: Option<&Path>) -> String {
    file.map_or_else(String::new, |f| format!("{}: ", f.display()))
}
