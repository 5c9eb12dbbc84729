//! The `hepfusion` binary: `-c`, `-f` in order, output formats, warnings, errors and exit codes.

use std::process::Command;

fn skhep(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/skhep-testdata").join(name);
    assert!(p.exists(), "test data {} is missing", p.display());
    p.display().to_string()
}

fn hepfusion(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hepfusion")).args(args).output().expect("run hepfusion");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn command_with_csv_output() {
    let sql = format!("SELECT count(*) AS n, sum(NMuon) AS muons FROM read_root('{}')", skhep("uproot-HZZ.root"));
    let (ok, out, err) = hepfusion(&["--format", "csv", "-c", &sql]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "n,muons");
    assert!(lines[1].starts_with("2421,"), "{out}");
}

#[test]
fn scripts_run_in_order_and_errors_set_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.sql");
    let b = dir.path().join("b.sql");
    std::fs::write(&a, format!("CREATE EXTERNAL TABLE ev STORED AS ROOT LOCATION '{}';\n", skhep("uproot-Zmumu.root"))).unwrap();
    std::fs::write(&b, "SELECT count(*) AS n FROM ev; -- a comment; with a semicolon\n").unwrap();
    let (ok, out, err) = hepfusion(&["--format", "json", "-f", a.to_str().unwrap(), "-f", b.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("\"n\":2304"), "{out}");
    let (ok, _, err) = hepfusion(&["-c", "SELECT * FROM read_root('/no/such/file.root')"]);
    assert!(!ok);
    assert!(err.contains("file.root"), "{err}");
}

#[test]
fn left_out_branches_are_warned_about_once_per_table_and_can_be_silenced() {
    // std::bitset members, which Arrow has no type for
    let file = skhep("uproot-mc10events.root");
    let sql = format!("SELECT count(*) FROM read_root('{file}')");
    let (ok, _, err) = hepfusion(&["-c", &sql]);
    assert!(ok, "{err}");
    assert!(err.contains("warning:") && err.contains("'Info/triggerBits' left out") && err.contains("bitset<256>"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("left out")).collect();
    let mut unique = lines.clone();
    unique.sort();
    unique.dedup();
    assert!(lines.len() >= 2 && lines.len() == unique.len(), "each warning once:\n{err}");
    // The same table twice, and a query that reads no left-out branch: still once each.
    let (ok, _, again) = hepfusion(&["-c", &sql, "-c", &format!("SELECT count(*) FROM read_root('{file}', 'Events')")]);
    assert!(ok, "{again}");
    assert_eq!(again.lines().filter(|l| l.contains("left out")).count(), lines.len(), "{again}");
    // -q and SET hepfusion.warnings = false silence them.
    let (ok, _, quiet) = hepfusion(&["-q", "-c", &sql]);
    assert!(ok && !quiet.contains("left out"), "{quiet}");
    let (ok, _, set) = hepfusion(&["-c", "SET hepfusion.warnings = false", "-c", &sql]);
    assert!(ok && !set.contains("left out"), "{set}");
}

#[test]
fn a_query_whose_lists_outgrow_the_memory_limit_is_an_error_not_a_crash() {
    let cms = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/cms-opendata-2012/Run2012B_SingleMu-restructured-1000.parquet");
    let sql = format!("SELECT cardinality(array_pad(Jet, 1000000000, NULL)) FROM '{}'", cms.display());
    let out = Command::new(env!("CARGO_BIN_EXE_hepfusion")).env("HEPFUSION_MEMORY_LIMIT", "1G").args(["-c", &sql]).output().expect("run hepfusion");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "exited by itself with an error, not killed: {err}");
    assert!(err.contains("array_pad(Jet, ...) would produce") && err.contains("HEPFUSION_MEMORY_LIMIT"), "{err}");
}
