//! The Data view's column mapping (SPEC §1.5): a [`MappingForm`] for each
//! file whose header is of no known kind (what it holds, a column per role,
//! a preview of its first rows), and the [`Mappings`] of the app: the forms
//! open and the loaded files that were read through a mapping the user
//! chose (the view says so, and offers to forget it).
//!
//! The picks are the form's own state; applying one remembers the map in
//! the preferences (`prefs::RememberedColumns`) and imports the file again,
//! which reads it through the engine's `--kind`/`--columns` path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::ingest::{ColumnMap, MapTarget, Role, TablePreview};

/// Rows of a file a form shows.
pub const PREVIEW_ROWS: usize = 8;

/// The form of one file whose columns the user is asked to name.
#[derive(Clone, Debug, PartialEq)]
pub struct MappingForm {
    /// The file.
    pub path: PathBuf,
    /// Its header and first rows.
    pub preview: TablePreview,
    /// What the user says it holds.
    pub target: MapTarget,
    /// The column picked per role (for any target picked so far; only the
    /// target's own roles are applied).
    pub picks: ColumnMap,
    /// True when the file, once mapped, replaces the data loaded (it was
    /// opened to replace it, and nothing else of that import was kept).
    pub replace: bool,
}

impl MappingForm {
    /// A form for the file at `path` with nothing picked yet, or the picks
    /// of an earlier mapping (`earlier`) when one did not fit.
    pub fn new(
        path: PathBuf,
        preview: TablePreview,
        replace: bool,
        earlier: Option<(MapTarget, ColumnMap)>,
    ) -> MappingForm {
        let (target, picks) = earlier.unwrap_or((MapTarget::DayReport, ColumnMap::new()));
        MappingForm {
            path,
            preview,
            target,
            picks,
            replace,
        }
    }

    /// The file's name without its folder.
    pub fn file_name(&self) -> String {
        file_name(&self.path)
    }

    /// The column picked for `role`, when it is one of the header's.
    pub fn pick(&self, role: Role) -> Option<&str> {
        self.picks
            .get(role)
            .filter(|c| self.preview.header.iter().any(|h| h == c))
    }

    /// Picks `column` for `role` (`None`: the file has no such column).
    pub fn set_pick(&mut self, role: Role, column: Option<String>) {
        match column {
            Some(c) => self.picks.set(role, c),
            None => self.picks.clear(role),
        }
    }

    /// Why the form can't be applied yet (`None`: it can).
    pub fn lacks(&self) -> Option<String> {
        self.target.lacks(&self.chosen())
    }

    /// The map to apply: the target's roles picked.
    pub fn chosen(&self) -> ColumnMap {
        self.target.keep_own(&self.picks)
    }
}

/// The app's column mappings: forms open, files read through one.
#[derive(Clone, Debug, Default)]
pub struct Mappings {
    /// One form per file waiting to be mapped, in the order they came.
    pub forms: Vec<MappingForm>,
    /// Loaded files read through a remembered mapping: file → header
    /// signature.
    pub mapped: BTreeMap<PathBuf, String>,
}

impl Mappings {
    /// Opens `form`, replacing an open form of the same file.
    pub fn open(&mut self, form: MappingForm) {
        self.forms.retain(|f| f.path != form.path);
        self.forms.push(form);
    }

    /// Closes the form of `path` and returns it.
    pub fn take(&mut self, path: &Path) -> Option<MappingForm> {
        let at = self.forms.iter().position(|f| f.path == path)?;
        Some(self.forms.remove(at))
    }

    /// The form of `path`.
    pub fn form_mut(&mut self, path: &Path) -> Option<&mut MappingForm> {
        self.forms.iter_mut().find(|f| f.path == path)
    }
}

/// `path`'s file name without its folder.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{ImportOptions, preview_bytes};

    #[test]
    fn a_form_applies_only_its_target_s_picks_of_the_header_s_columns() {
        let text = "Benutzer;Produkt;Nutzungstag;Stunden\njdoe;AutoCAD;06.01.2025;7,5\n";
        let preview =
            preview_bytes("n.csv", text.as_bytes(), &ImportOptions::default(), 8).unwrap();
        let mut form = MappingForm::new("n.csv".into(), preview, false, None);
        assert_eq!(form.target, MapTarget::DayReport);
        assert_eq!(
            form.lacks().as_deref(),
            Some("Pick the column of User, Product, Date used.")
        );
        form.set_pick(Role::User, Some("Benutzer".into()));
        form.set_pick(Role::Product, Some("Produkt".into()));
        form.set_pick(Role::Start, Some("Stunden".into()));
        form.set_pick(Role::Date, Some("Nutzungstag".into()));
        assert_eq!(form.lacks(), None);
        assert_eq!(
            form.chosen().to_arg(),
            "user=Benutzer,product=Produkt,date=Nutzungstag"
        );
        form.set_pick(Role::Date, None);
        assert!(form.lacks().is_some());
        // A remembered pick of a column this header lacks shows as none.
        form.set_pick(Role::Tokens, Some("Tokens".into()));
        assert_eq!(form.pick(Role::Tokens), None);

        let mut m = Mappings::default();
        m.open(form.clone());
        m.open(form);
        assert_eq!(m.forms.len(), 1, "one form per file");
        assert!(m.take(Path::new("n.csv")).is_some());
        assert!(m.forms.is_empty());
    }
}
