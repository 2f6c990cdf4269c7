//! What every command shares: loading the scenario, importing the files
//! with their reports on stderr, metering, and writing the output
//! (atomically to `--out`, or to stdout, guarded when pseudonymised).

use std::collections::BTreeMap;
use std::path::Path;

use crate::ingest::{self, ImportOptions, Report, SourceKind};
use crate::meter::{self, Metered};
use crate::privacy::{self, Pseudonymizer};
use crate::progress::NoProgress;
use crate::scenario::{self, Scenario};
use crate::usage::Usage;

use super::{ExportArgs, Fail, InputArgs};

/// Writes `text` to `out` atomically, or to stdout; a pseudonymised
/// export is checked for original names first and not written if any is
/// left.
pub(super) fn emit(
    text: &str,
    out: Option<&Path>,
    privacy: Option<&Pseudonymizer>,
) -> Result<(), Fail> {
    if let Some(p) = privacy {
        p.guard(text.as_bytes()).map_err(Fail::input)?;
    }
    match out {
        Some(path) => crate::atomic::write(path, text.as_bytes())
            .map_err(|e| Fail::input(format!("{}: cannot write: {e}", path.display()))),
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Fail::input(format!("cannot write output: {e}")))
        }
    }
}

pub(super) fn load_scenario(path: &Path) -> Result<Scenario, Fail> {
    Scenario::load(path).map_err(Fail::input)
}

pub(super) fn required_scenario(input: &InputArgs, command: &str) -> Result<Scenario, Fail> {
    match input.scenario.as_deref() {
        Some(path) => load_scenario(path),
        None => Err(Fail::usage(format!("{command} needs --scenario S.ron"))),
    }
}

/// Imports every file; returns the usage and one report per file.
pub(super) fn import_all(
    input: &InputArgs,
    scenario: Option<&Scenario>,
) -> Result<(Usage, Vec<Report>), Fail> {
    let opts = import_options(input, scenario)?;
    let mut usage = Usage::default();
    let imported = ingest::import_files(
        &mut usage,
        &input.files,
        &opts,
        ingest::OnFatal::KeepPartial,
        &NoProgress,
    );
    let reports = imported_reports(&usage, imported);
    Ok((usage, reports))
}

/// How the files are read: the arguments, clocks in `--time-zone` or the
/// scenario's server zone.
pub(super) fn import_options(
    input: &InputArgs,
    scenario: Option<&Scenario>,
) -> Result<ImportOptions, Fail> {
    let zone = match (&input.time_zone, scenario) {
        (Some(z), _) => z.clone(),
        (None, Some(s)) => s.server_time_zone.clone(),
        (None, None) => "America/New_York".to_string(),
    };
    let time_zone = scenario::parse_tz(&zone).map_err(Fail::usage)?;
    Ok(ImportOptions {
        time_zone,
        kind: input.kind,
        start_date: input.start_date,
        sheet: input.sheet.clone(),
        columns: input.columns.clone(),
    })
}

/// Says what the imports found across files; the reports.
pub(super) fn imported_reports(usage: &Usage, imported: ingest::Imported) -> Vec<Report> {
    print_identities(&ingest::identities(usage));
    if let Some(note) = imported.missing_note() {
        eprintln!("{note}");
    }
    imported.reports()
}

/// Says what the alias tables joined and which names look like one
/// person's but are not joined.
fn print_identities(id: &ingest::Identities) {
    const SHOWN: usize = 10;
    if id.aliases > 0 {
        let records: u64 = id.applied.iter().map(|a| a.3).sum();
        eprintln!(
            "identities: {} aliases; {} input names joined to their user ({records} records renamed)",
            id.aliases,
            id.names_joined()
        );
        if !id.unused.is_empty() {
            eprintln!(
                "  {} aliases match no input name: {}",
                id.unused.len(),
                id.unused.join(", ")
            );
        }
    }
    if !id.likely_duplicates.is_empty() {
        let groups: Vec<String> = id
            .likely_duplicates
            .iter()
            .take(SHOWN)
            .map(|g| g.join(" = "))
            .collect();
        let more = id.likely_duplicates.len().saturating_sub(SHOWN);
        eprintln!(
            "{} groups of user names look like one person (same login or e-mail local part) but are not joined; an alias table (alias,user) joins them: {}{}",
            id.likely_duplicates.len(),
            groups.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        );
    }
}

/// Prints what each import did to stderr; all problems when `all`, else the
/// first few per file.
pub(super) fn print_reports(reports: &[Report], all: bool) {
    const FEW: usize = 10;
    for r in reports {
        let kind = r.kind.map_or("unreadable", SourceKind::as_str);
        let skipped: Vec<String> = r.skipped.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", skipped.join(", "))
        };
        eprintln!(
            "{}: {kind}, {} lines read, {} used, {} skipped{skipped}",
            r.file,
            r.lines_read,
            r.lines_used,
            r.lines_skipped(),
        );
        if !r.counts.is_empty() {
            let counts: Vec<String> = r.counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            eprintln!("  {}", counts.join(", "));
        }
        let shown = if all {
            r.problems.len()
        } else {
            FEW.min(r.problems.len())
        };
        for p in &r.problems[..shown] {
            eprintln!("{p}");
        }
        let hidden = (r.problems.len() - shown) as u64 + r.problems_not_kept;
        if hidden > 0 {
            let hint = if all {
                "not kept"
            } else {
                "`tokenplan check` lists them"
            };
            eprintln!("{}: ... and {hidden} more problems ({hint})", r.file);
        }
    }
}

pub(super) fn had_errors(reports: &[Report]) -> u8 {
    u8::from(reports.iter().any(Report::has_errors))
}

/// Loads the scenario and imports the files, printing the import reports;
/// with `--pseudonymize`, users and hosts are renamed to their pseudonyms
/// before anything is computed from them.
pub(super) fn load(
    input: &InputArgs,
    export: &ExportArgs,
    command: &str,
) -> Result<Prepared, Fail> {
    let scenario = required_scenario(input, command)?;
    let (usage, reports) = import_all(input, Some(&scenario))?;
    prepared(scenario, usage, &reports, export)
}

/// The imported usage made ready for a command: the reports printed,
/// users and hosts renamed to their pseudonyms with `--pseudonymize`.
pub(super) fn prepared(
    mut scenario: Scenario,
    mut usage: Usage,
    reports: &[Report],
    export: &ExportArgs,
) -> Result<Prepared, Fail> {
    print_reports(reports, false);
    let privacy = match export.pseudonymize.as_deref() {
        None => None,
        Some(keyfile) => {
            Some(privacy::prepare(keyfile, &mut usage, Some(&mut scenario)).map_err(Fail::input)?)
        }
    };
    Ok(Prepared {
        scenario,
        usage,
        exit: had_errors(reports),
        privacy,
    })
}

/// What [`load`] prepared.
pub(super) struct Prepared {
    pub(super) scenario: Scenario,
    pub(super) usage: Usage,
    pub(super) exit: u8,
    pub(super) privacy: Option<Pseudonymizer>,
}

/// Says which features were not charged and which matched several products.
pub(super) fn print_mapping(unmapped: &BTreeMap<String, u64>, ambiguities: &[meter::Ambiguity]) {
    for (feature, sessions) in unmapped {
        eprintln!(
            "unmapped feature {feature}: {sessions} sessions not charged (map it to a product in the scenario)"
        );
    }
    for a in ambiguities {
        eprintln!(
            "feature {} matches products {}; charged as {}{}",
            a.feature,
            a.candidates.join(", "),
            a.chosen,
            if a.tied {
                " (equally specific patterns: first code wins; make the patterns distinct)"
            } else {
                " (the most specific pattern)"
            }
        );
    }
}

/// Says what use-days could not be metered exactly, or at all.
pub(super) fn print_use_days(use_days: &meter::UseDayMeter) {
    for w in use_days.warnings() {
        eprintln!("warning: {w}");
    }
}

/// Imports and meters.
pub(super) fn import_and_meter(
    input: &InputArgs,
    export: &ExportArgs,
    command: &str,
) -> Result<Loaded, Fail> {
    let p = load(input, export, command)?;
    let metered = meter::meter(&p.usage, &p.scenario, &NoProgress).map_err(Fail::input)?;
    Ok(loaded(p, metered))
}

/// A metered import, its mapping and use-days said on stderr.
pub(super) fn loaded(p: Prepared, metered: Metered) -> Loaded {
    print_mapping(&metered.unmapped, &metered.ambiguities);
    print_use_days(&metered.use_days);
    Loaded {
        exit: p.exit,
        scenario: p.scenario,
        usage: p.usage,
        metered,
        privacy: p.privacy,
    }
}

/// Everything a command works from.
pub(super) struct Loaded {
    pub(super) exit: u8,
    pub(super) scenario: Scenario,
    pub(super) usage: Usage,
    pub(super) metered: Metered,
    pub(super) privacy: Option<Pseudonymizer>,
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Fail> {
    let mut s = serde_json::to_string_pretty(value).map_err(Fail::input)?;
    s.push('\n');
    Ok(s)
}
