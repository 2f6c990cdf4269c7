//! `tokenplan`: the desktop app, or the command line when a command is given.

use std::process::ExitCode;

use clap::Parser as _;
use tokenplan::cli::{self, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => gui_exit(tokenplan::gui::run_gui(Vec::new(), None)),
        Some(Command::Gui { files, scenario }) => {
            gui_exit(tokenplan::gui::run_gui(files, scenario))
        }
        Some(command) => cli::run(command),
    }
}

fn gui_exit(result: eframe::Result) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokenplan: cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}
