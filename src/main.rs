//! tokenplan: with no arguments or `gui`, the desktop app; the CLI
//! subcommands come with `src/cli.rs`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1).peekable();
    if args.peek().is_some_and(|a| a != "gui") {
        eprintln!("tokenplan: usage: tokenplan [gui [FILES...] [--scenario S.ron]]");
        return ExitCode::from(2);
    }
    args.next();
    let (mut files, mut scenario) = (Vec::new(), None);
    while let Some(arg) = args.next() {
        if arg == "--scenario" {
            scenario = args.next().map(PathBuf::from);
        } else {
            files.push(PathBuf::from(arg));
        }
    }
    match tokenplan::gui::run_gui(files, scenario) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokenplan: cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}
