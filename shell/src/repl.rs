//! The interactive shell: line editing and history, statements over several lines, and a few
//! meta-commands. An error is printed and the shell goes on.

use datafusion::error::Result;
use datafusion::prelude::SessionContext;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::output::{Format, Printer};
use crate::run::run_script;

const HELP: &str = "\\q              quit
\\?              this help
\\d              list tables
\\d NAME         describe a table
\\format FORMAT  table, csv, tsv, json or ndjson
\\maxrows N      rows shown per result (0: all)
Statements end with ';' and may span lines.";

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".hepfusion_history"))
}

pub async fn run(ctx: &SessionContext, printer: &mut Printer) -> Result<()> {
    if printer.maxrows.is_none() {
        printer.maxrows = Some(40);
    }
    let mut rl = DefaultEditor::new().map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!("hepfusion {} — SQL over ROOT files. \\? for help, \\q to quit.", env!("CARGO_PKG_VERSION"));
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "hepfusion> " } else { "       ..> " };
        match rl.readline(prompt) {
            Ok(line) => {
                let trimmed = line.trim();
                if buffer.is_empty() && trimmed.starts_with('\\') {
                    let _ = rl.add_history_entry(trimmed);
                    if !meta(ctx, trimmed, printer).await {
                        break;
                    }
                    continue;
                }
                if !buffer.is_empty() {
                    buffer.push('\n');
                }
                buffer.push_str(&line);
                if trimmed.ends_with(';') {
                    let _ = rl.add_history_entry(buffer.as_str());
                    if let Err(e) = run_script(ctx, &buffer, printer).await {
                        eprintln!("Error: {e}");
                    }
                    buffer.clear();
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("hepfusion: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    Ok(())
}

/// Runs a meta-command; false means quit.
async fn meta(ctx: &SessionContext, cmd: &str, printer: &mut Printer) -> bool {
    let mut parts = cmd.split_whitespace();
    let name = parts.next().unwrap_or("");
    let arg = parts.next();
    let sql = match (name, arg) {
        ("\\q", _) | ("\\quit", _) => return false,
        ("\\?", _) | ("\\h", _) | ("\\help", _) => {
            println!("{HELP}");
            return true;
        }
        ("\\d", None) => "SHOW TABLES".to_string(),
        ("\\d", Some(t)) => format!("DESCRIBE {t}"),
        ("\\format", Some(f)) => {
            match f.parse::<Format>() {
                Ok(f) => printer.format = f,
                Err(e) => eprintln!("Error: {e}"),
            }
            return true;
        }
        ("\\maxrows", Some(n)) => {
            match n.parse::<usize>() {
                Ok(0) => printer.maxrows = None,
                Ok(n) => printer.maxrows = Some(n),
                Err(_) => eprintln!("Error: \\maxrows takes a number"),
            }
            return true;
        }
        _ => {
            eprintln!("Error: unknown command {cmd}; \\? lists the commands");
            return true;
        }
    };
    if let Err(e) = run_script(ctx, &sql, printer).await {
        eprintln!("Error: {e}");
    }
    true
}
