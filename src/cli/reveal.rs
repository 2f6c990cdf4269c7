//! `tokenplan reveal`: put the names back into a pseudonymised export, the
//! inputs it was made from supplying the names (SPEC §1.6).

use std::path::Path;

use crate::privacy;

use super::common::{emit, had_errors, import_all, load_scenario, print_reports};
use super::{Fail, InputArgs};

/// `reveal KEYFILE FILE INPUTS...`: the names the inputs supply put back in
/// place of their pseudonyms.
pub(super) fn run(
    keyfile: &Path,
    file: &Path,
    input: &InputArgs,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    // Revealing never creates a key: a missing one is a mistake to report.
    let key = privacy::Key::load(keyfile).map_err(Fail::input)?;
    let scenario = input.scenario.as_deref().map(load_scenario).transpose()?;
    let (usage, reports) = import_all(input, scenario.as_ref())?;
    print_reports(&reports, false);
    let content = std::fs::read_to_string(file)
        .map_err(|e| Fail::input(format!("{}: cannot read: {e}", file.display())))?;
    let names = privacy::names_of(&key, &usage, scenario.as_ref());
    let format = privacy::Format::guess(&file.display().to_string(), &content);
    let revealed = privacy::reveal(&content, format, &names);
    emit(&revealed.text, out, None)?;
    eprintln!(
        "{}: {} pseudonyms replaced",
        file.display(),
        revealed.replaced
    );
    if revealed.unknown.is_empty() {
        return Ok(had_errors(&reports));
    }
    const SHOWN: usize = 10;
    let shown: Vec<&str> = revealed
        .unknown
        .keys()
        .take(SHOWN)
        .map(String::as_str)
        .collect();
    eprintln!(
        "{}: {} pseudonyms are of no user or host in the inputs (left as they are): {}{}",
        file.display(),
        revealed.unknown.len(),
        shown.join(", "),
        if revealed.unknown.len() > SHOWN {
            ", ..."
        } else {
            ""
        }
    );
    Ok(1)
}
