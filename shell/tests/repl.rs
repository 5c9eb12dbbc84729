//! The interactive shell, driven through a pseudo-terminal as a person types: Ctrl-C during a
//! query and at the prompt, history, completion, quitting, output that fits the terminal.

use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::session::{spawn_with_options, PtySession};
use rexpect::reader::Options;

fn skhep(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/skhep-testdata").join(name);
    assert!(p.exists(), "test data {} is missing", p.display());
    p.display().to_string()
}

const PROMPT: &str = "hepfusion> ";

/// The shell in a terminal of `columns` columns, with its history in `home`. The pseudo-terminal
/// gets that size (by `stty`, before the shell starts) so that the line editor wraps long lines
/// where the shell's output does; a terminal of no size is taken as 80 columns.
fn shell(home: &std::path::Path, columns: usize) -> PtySession {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &format!("stty cols {columns} rows 50 && exec \"$0\""), env!("CARGO_BIN_EXE_hepfusion")]);
    cmd.env("HOME", home).env("COLUMNS", columns.to_string()).env("TERM", "xterm");
    let mut s = spawn_with_options(cmd, Options { timeout_ms: Some(30_000), strip_ansi_escape_codes: true }).expect("start the shell");
    s.exp_string(PROMPT).expect("first prompt");
    s
}

/// CPU seconds the process has used (user + system), from /proc.
fn cpu_seconds(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

#[test]
fn ctrl_c_cancels_a_join_and_frees_the_cores_and_the_shell_goes_on() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), 200);
    let f = skhep("uproot-issue79.root");
    s.send_line(&format!("SELECT count(*) FROM read_root('{f}') a, read_root('{f}') b WHERE a.pt + b.pt > 100;")).unwrap();
    // After 2 s a progress line says what the scans have done.
    s.exp_string("rows read").unwrap();
    let pid = s.process().child_pid.as_raw();
    let sent = Instant::now();
    s.send_control('c').unwrap();
    s.exp_string("cancelled").unwrap();
    s.exp_string(PROMPT).unwrap();
    let took = sent.elapsed();
    eprintln!("{:.3} s from Ctrl-C to the prompt", took.as_secs_f64());
    assert!(took < Duration::from_secs(3), "{took:?}");
    // The join's work has stopped, not only been abandoned.
    let before = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_seconds(pid) - before;
    assert!(used < 0.3, "the shell used {used} s of CPU in the second after the prompt came back");
    s.send_line("SELECT 40 + 2 AS answer;").unwrap();
    s.exp_string("42").unwrap();
    s.exp_string(PROMPT).unwrap();
}

#[test]
fn ctrl_c_twice_at_an_empty_prompt_quits_and_history_is_saved_per_statement() {
    let home = tempfile::tempdir().unwrap();
    let history = home.path().join(".hepfusion_history");
    let mut s = shell(home.path(), 100);
    s.send_line("SELECT 'first statement' AS x;").unwrap();
    s.exp_string(PROMPT).unwrap();
    // Saved before the shell ends.
    let saved = std::fs::read_to_string(&history).unwrap_or_default();
    assert!(saved.contains("SELECT 'first statement' AS x;"), "{saved}");
    // Ctrl-C on a half-typed statement clears it; the shell stays.
    s.send("SELECT 1").unwrap();
    s.send_control('c').unwrap();
    s.exp_string(PROMPT).unwrap();
    s.send_control('c').unwrap();
    s.exp_string("Ctrl-C again to quit").unwrap();
    s.send_control('c').unwrap();
    s.exp_eof().unwrap();
}

#[test]
fn exit_quit_and_dot_quit_leave() {
    for word in ["exit", "quit", ".quit", "\\q"] {
        let home = tempfile::tempdir().unwrap();
        let mut s = shell(home.path(), 100);
        s.send_line(word).unwrap();
        s.exp_eof().unwrap_or_else(|e| panic!("{word}: {e}"));
    }
}

#[test]
fn tab_completes_functions_tables_columns_and_paths() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), 200);
    s.send_line(&format!("CREATE EXTERNAL TABLE zmumu STORED AS ROOT LOCATION '{}';", skhep("uproot-Zmumu.root"))).unwrap();
    s.exp_string(PROMPT).unwrap();
    // A unique completion is inserted: the statement runs as completed.
    s.send("SELECT count(*) AS n, max(Ty").unwrap();
    s.send("\t").unwrap();
    s.send(") FROM zmu").unwrap();
    s.send("\t").unwrap();
    s.send_line(";").unwrap();
    s.exp_string("max(zmumu.Type)").unwrap();
    s.exp_string("2304").unwrap();
    s.exp_string(PROMPT).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/skhep-testdata");
    s.send(&format!("SELECT count(*) FROM read_root('{}/uproot-Zmumu.r", dir.display())).unwrap();
    s.send("\t").unwrap();
    s.send_line("');").unwrap();
    s.exp_string("2304").unwrap();
    s.exp_string(PROMPT).unwrap();
}

#[test]
fn a_delphes_event_fits_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), 120);
    s.send_line(&format!("SELECT * FROM read_root('{}', 'Delphes') LIMIT 1;", skhep("uproot-issue513.root"))).unwrap();
    let table = s.exp_string("1 row").unwrap();
    let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(table.lines().filter(|l| l.starts_with('|') || l.starts_with('+')).all(|l| l.chars().count() <= 120), "{table}");
    assert!(rows[0].starts_with("| Event ") && rows[1].contains(" more}]"), "{table}");
    assert!(table.contains("columns shown"), "{table}");
    s.exp_string(PROMPT).unwrap();
}

#[test]
fn describe_root_and_timing_commands() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), 200);
    let nano = skhep("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    s.send_line(&format!("CREATE EXTERNAL TABLE nano STORED AS ROOT LOCATION '{nano}';")).unwrap();
    s.exp_string(PROMPT).unwrap();
    // Every column, not the 40 rows a result shows.
    s.send_line("\\d nano").unwrap();
    s.exp_string("nano: ").unwrap();
    let listing = s.exp_string(PROMPT).unwrap();
    let columns = listing.lines().filter(|l| l.starts_with("  ")).count();
    let said: usize = listing.split(' ').next().and_then(|n| n.parse().ok()).expect("the column count");
    assert_eq!(said, columns, "{listing}");
    assert!(columns > 40, "{listing}");
    s.send_line(&format!("\\root {nano}")).unwrap();
    s.exp_string("| object ").unwrap();
    let root = s.exp_string(PROMPT).unwrap();
    assert!(root.contains("| Events ") && root.contains("TTree") && root.contains("uint32_t"), "{root}");
    s.send_line("\\timing off").unwrap();
    s.exp_string("timing off").unwrap();
    s.send_line("SELECT 1 AS one;").unwrap();
    s.exp_string("1 row").unwrap();
    let rest = s.exp_string(PROMPT).unwrap();
    assert!(!rest.contains(" in "), "no time with timing off: {rest:?}");
}

#[test]
fn statements_pasted_at_once_all_run() {
    // Lines typed or pasted while a statement runs wait for the next prompt; none is lost.
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), 100);
    let zmumu = skhep("uproot-Zmumu.root");
    s.send(&format!("CREATE EXTERNAL TABLE z STORED AS ROOT LOCATION '{zmumu}';\rSELECT count(*) * 10 AS n FROM z;\rSELECT 'third' AS x;\r")).unwrap();
    s.flush().unwrap();
    s.exp_string("23040").unwrap();
    s.exp_string("| third").unwrap();
    s.exp_string(PROMPT).unwrap();
}

#[test]
fn h_shows_a_functions_documentation() {
    let home = tempfile::tempdir().unwrap();
    let mut s = shell(home.path(), 120);
    s.send_line("\\h").unwrap();
    let list = s.exp_string("Physics").unwrap() + &s.exp_string(PROMPT).unwrap();
    assert!(list.contains("delta_r") && list.contains("train_classifier") && list.contains("filter"), "{list}");
    // A scalar function of ours, a table function, one of DataFusion's, and an alias.
    for (name, shows) in [("delta_r", "The angular distance"), ("train_classifier", "epochs =>"), ("abs", "absolute value"), ("deltar", "delta_r (scalar function")] {
        s.send_line(&format!("\\h {name}")).unwrap();
        s.exp_string(shows).unwrap_or_else(|e| panic!("\\h {name}: {e}"));
        s.exp_string(PROMPT).unwrap();
    }
    s.send_line("\\h no_such_function").unwrap();
    s.exp_string("no function named 'no_such_function'").unwrap();
    s.exp_string(PROMPT).unwrap();
}
