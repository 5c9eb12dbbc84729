//! The interactive shell: line editing, tab completion and history (saved as each statement
//! runs), statements over several lines, and a few meta-commands. An error or a Ctrl-C
//! ends the statement, never the shell; Ctrl-C twice at an empty prompt (or Ctrl-D, `\q`,
//! `exit`, `quit`, `.quit`) leaves it.

use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustyline::config::{CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Cmd, ConditionalEventHandler, Editor, Event, EventContext, EventHandler, KeyEvent, RepeatCount};

use crate::complete::{Names, ShellHelper};
use crate::interrupt::Interrupts;
use crate::output::{Format, Printer};
use crate::run::{run_script, Stop};

const HELP: &str = "\\q                  quit (also Ctrl-D, exit, quit, .quit, Ctrl-C twice)
\\?                  this help
\\h                  hepfusion's functions by section
\\h NAME             a function's documentation: syntax, arguments, an example
\\d                  list tables
\\d TABLE            every column of a table and its type
\\root FILE [TREE]   what a ROOT file holds: directories, trees, branches, sizes, types
\\format FORMAT      table, csv, tsv, json or ndjson
\\maxrows N          rows a table shows, the first and last half (0: all)
\\timing [on|off]    show the time each statement takes
Statements end with ';' and may span lines. Ctrl-C cancels a running statement.
Tab completes keywords, tables, columns, functions, commands, and file paths in quotes.";

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".hepfusion_history"))
}

pub async fn run(ctx: &SessionContext, printer: &mut Printer, interrupts: &Interrupts) -> Result<()> {
    if printer.maxrows.is_none() {
        printer.maxrows = Some(40);
    }
    let config = Config::builder().completion_type(CompletionType::List).auto_add_history(false).build();
    let mut rl: Editor<ShellHelper, DefaultHistory> = Editor::with_config(config).map_err(|e| DataFusionError::External(Box::new(e)))?;
    rl.set_helper(Some(ShellHelper { names: Names::read(ctx).await }));
    let line_was_empty = Arc::new(AtomicBool::new(true));
    rl.bind_sequence(KeyEvent::ctrl('C'), EventHandler::Conditional(Box::new(NoteEmptyLine(line_was_empty.clone()))));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!("hepfusion {} — SQL over ROOT files. \\? for help, \\q to quit.", env!("CARGO_PKG_VERSION"));
    let mut buffer = String::new();
    let mut interrupted_at_prompt = false;
    loop {
        let prompt = if buffer.is_empty() { "hepfusion> " } else { "       ..> " };
        let line = match rl.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                let idle = buffer.is_empty() && line_was_empty.load(Ordering::SeqCst);
                if idle && interrupted_at_prompt {
                    break;
                }
                if idle {
                    eprintln!("(Ctrl-C again to quit, or \\q)");
                }
                interrupted_at_prompt = idle;
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("hepfusion: {e}");
                break;
            }
        };
        interrupted_at_prompt = false;
        let trimmed = line.trim();
        if buffer.is_empty() && is_quit(trimmed) {
            remember(&mut rl, history.as_deref(), trimmed);
            break;
        }
        if buffer.is_empty() && trimmed.starts_with('\\') {
            remember(&mut rl, history.as_deref(), trimmed);
            if !meta(ctx, trimmed, printer, interrupts).await {
                break;
            }
            continue;
        }
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        if trimmed.ends_with(';') {
            remember(&mut rl, history.as_deref(), &buffer);
            report(run_script(ctx, &buffer, printer, interrupts).await);
            buffer.clear();
            if let Some(h) = rl.helper_mut() {
                h.names = Names::read(ctx).await;
            }
        }
    }
    Ok(())
}

/// Notes whether the line was empty when Ctrl-C was pressed (the editor's interrupt does not
/// say), then lets the editor interrupt as usual: Ctrl-C on typed text clears it, on an
/// empty prompt it counts towards quitting.
struct NoteEmptyLine(Arc<AtomicBool>);

impl ConditionalEventHandler for NoteEmptyLine {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        self.0.store(ctx.line().is_empty(), Ordering::SeqCst);
        None
    }
}

fn is_quit(line: &str) -> bool {
    matches!(line.trim_end_matches(';').to_ascii_lowercase().as_str(), "exit" | "quit" | ".quit" | ".exit")
}

/// Adds an entry to the history and appends it to the history file at once, so that a shell
/// that is killed keeps what was typed.
fn remember(rl: &mut Editor<ShellHelper, DefaultHistory>, file: Option<&std::path::Path>, entry: &str) {
    let _ = rl.add_history_entry(entry);
    if let Some(f) = file {
        let _ = rl.append_history(f);
    }
}

/// hepfusion's functions by section, a line each: the names `\\h NAME` takes.
fn function_list() -> String {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for f in hepfusion::functions::hepfusion_functions() {
        let section = f.documentation.as_ref().map_or("Other", |d| d.doc_section.label).to_string();
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, names)) => names.push(f.name),
            None => sections.push((section, vec![f.name])),
        }
    }
    let width = sections.iter().map(|(s, _)| s.chars().count()).max().unwrap_or(0);
    let mut out: String = sections.iter().map(|(s, names)| format!("{s:width$}  {}\n", names.join(", "))).collect();
    out += "\\h NAME shows one (DataFusion's too); SELECT * FROM hepfusion_functions() has them all.\n";
    out
}

fn report(result: Result<(), Stop>) {
    match result {
        Ok(()) => {}
        Err(Stop::Cancelled) => eprintln!("cancelled"),
        Err(Stop::Error(e)) => eprintln!("Error: {e}"),
    }
}

/// Runs a meta-command; false means quit.
async fn meta(ctx: &SessionContext, cmd: &str, printer: &mut Printer, interrupts: &Interrupts) -> bool {
    let mut parts = cmd.split_whitespace();
    let name = parts.next().unwrap_or("");
    let args: Vec<&str> = parts.collect();
    let sql = match (name, args.as_slice()) {
        ("\\q" | "\\quit", _) => return false,
        ("\\?" | "\\help", _) => {
            println!("{HELP}");
            return true;
        }
        ("\\h", []) => {
            print!("{}", function_list());
            return true;
        }
        ("\\h", [function]) => {
            match hepfusion::functions::describe(&ctx.state(), function) {
                Some(doc) => print!("{}", doc.to_text()),
                None => eprintln!("Error: no function named '{function}'; \\h lists hepfusion's, SHOW FUNCTIONS all"),
            }
            return true;
        }
        ("\\d", []) => "SHOW TABLES".to_string(),
        ("\\d", [table]) => {
            match crate::describe::describe(ctx, table).await {
                Ok(text) => print!("{text}"),
                Err(e) => eprintln!("Error: {e}"),
            }
            return true;
        }
        ("\\root", [file]) => format!("SELECT * FROM root_ls({})", quote(file)),
        ("\\root", [file, tree]) => format!("SELECT * FROM root_ls({}, {})", quote(file), quote(tree)),
        ("\\format", [f]) => {
            match f.parse::<Format>() {
                Ok(f) => printer.format = f,
                Err(e) => eprintln!("Error: {e}"),
            }
            return true;
        }
        ("\\maxrows", [n]) => {
            match n.parse::<usize>() {
                Ok(0) => printer.maxrows = None,
                Ok(n) => printer.maxrows = Some(n),
                Err(_) => eprintln!("Error: \\maxrows takes a number"),
            }
            return true;
        }
        ("\\timing", []) | ("\\timing", ["on" | "off"]) => {
            printer.timing = args.first().map_or(!printer.timing, |a| *a == "on");
            eprintln!("timing {}", if printer.timing { "on" } else { "off" });
            return true;
        }
        _ => {
            eprintln!("Error: unknown command or arguments: {cmd}; \\? lists the commands");
            return true;
        }
    };
    report(run_script(ctx, &sql, printer, interrupts).await);
    true
}

/// An SQL string literal of a file or tree name given bare or in quotes.
fn quote(s: &str) -> String {
    format!("'{}'", s.trim_matches('\'').replace('\'', "''"))
}
