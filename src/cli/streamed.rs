//! `meter` and `recommend` on inputs bigger than memory: whether a run
//! streams its session CSVs ([`crate::meter::StreamMeter`]) or stores
//! them, and the streamed import itself. Both give the same output.

use clap::ValueEnum;

use crate::ingest::{self, SourceKind};
use crate::meter::{RuleKind, StreamMeter};
use crate::progress::NoProgress;

use super::common::{Prepared, import_options, imported_reports, prepared, required_scenario};
use super::{ExportArgs, Fail, InputArgs};

/// Whether `meter` and `recommend` stream their session CSVs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Streaming {
    /// Stream when the input files add up to a quarter or more of the
    /// memory available (stored sessions take about half their CSV's size,
    /// metering them as much again).
    #[default]
    Auto,
    /// Stream whenever the inputs allow it.
    Always,
    /// Store every session, then meter.
    Never,
}

/// Inputs this large or larger stream under [`Streaming::Auto`] when the
/// memory available cannot be read.
const AUTO_BYTES_UNKNOWN_MEMORY: u64 = 4 << 30;

/// Imports the inputs streamed when `mode` says so and they allow it,
/// returning the prepared usage (no session stored) and the meter that
/// folded its sessions; `None` when the run is to store its sessions. A
/// run that would stream but cannot, or that streams but keeps some
/// products' sessions, says so in one line on stderr.
pub(super) fn load_streamed(
    input: &InputArgs,
    export: &ExportArgs,
    command: &str,
    mode: Streaming,
) -> Result<Option<(Prepared, StreamMeter)>, Fail> {
    if mode == Streaming::Never {
        return Ok(None);
    }
    let scenario = required_scenario(input, command)?;
    let opts = import_options(input, Some(&scenario))?;
    if mode == Streaming::Auto && !large(input) {
        return Ok(None);
    }
    // An alias table renames users once their sessions are read. Only
    // plain files are looked at: reading the head of a pipe would take it
    // from the import (a pipe that was an alias table is caught below).
    let alias_table = input.files.iter().find(|path| {
        std::fs::metadata(path).is_ok_and(|m| m.is_file())
            && ingest::kind_of_path(path, &opts).is_ok_and(|k| k == SourceKind::Aliases)
    });
    if let Some(path) = alias_table {
        eprintln!(
            "{command}: not streaming: {} is an alias table, which renames users after their sessions are read, so the sessions are kept in memory",
            path.display()
        );
        return Ok(None);
    }
    let kept = StreamMeter::kept_rules(&scenario).map_err(Fail::input)?;
    if !kept.is_empty() {
        eprintln!(
            "{command}: streaming the sessions; those of {} are kept in memory (their rules need each user's or pool's sessions in time order)",
            kept_list(&kept)
        );
    }
    let mut meter = StreamMeter::new(&scenario).map_err(Fail::input)?;
    let mut usage = crate::usage::Usage::default();
    let imported =
        ingest::import_files_into(&mut usage, &input.files, &opts, &NoProgress, &mut meter);
    if !usage.aliases.is_empty() {
        // The day sets are keyed by the users as they were before the
        // table renamed them: no output rather than a wrong one.
        return Err(Fail::usage(format!(
            "{command}: an alias table came through a pipe after sessions were streamed; give it as a file, or use --stream never"
        )));
    }
    let reports = imported_reports(&usage, imported);
    let p = prepared(scenario, usage, &reports, export)?;
    Ok(Some((p, meter)))
}

/// `ACD (Rolling24h), TLS (Concurrent)`.
fn kept_list(kept: &[(String, RuleKind)]) -> String {
    kept.iter()
        .map(|(code, rule)| format!("{code} ({rule})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when the input files add up to a quarter or more of the memory
/// available ([`Streaming::Auto`]).
fn large(input: &InputArgs) -> bool {
    let bytes: u64 = input
        .files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    match available_memory() {
        Some(avail) => bytes >= avail / 4,
        None => bytes >= AUTO_BYTES_UNKNOWN_MEMORY,
    }
}

/// Bytes of memory available (Linux: `MemAvailable` of `/proc/meminfo`).
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn kept_rules_are_the_products_not_under_calendar_day() {
        let mut scenario: Scenario = crate::sample::scenario().expect("sample");
        // The sample meters every product under CalendarDay: nothing kept.
        assert_eq!(StreamMeter::kept_rules(&scenario).expect("rules"), []);
        for (code, rule) in [
            (
                "MAX",
                crate::scenario::Rule::Rolling24h {
                    grace_minutes: None,
                },
            ),
            ("INV", crate::scenario::Rule::Hourly { time_zone: None }),
        ] {
            scenario.products.get_mut(code).expect("product").rule = rule;
        }
        let kept = StreamMeter::kept_rules(&scenario).expect("rules");
        assert_eq!(kept_list(&kept), "INV (Hourly), MAX (Rolling24h)");
    }

    #[test]
    fn meminfo_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(available_memory().is_some_and(|b| b > 0));
        }
    }
}
