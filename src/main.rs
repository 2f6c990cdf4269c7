//! `tokenplan`: the command line, or the desktop app when no command is given.

use std::process::ExitCode;

use clap::Parser as _;
use tokenplan::cli::{self, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Gui { .. }) => cli::run_sample(),
        Some(command) => cli::run(command),
    }
}
