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
fn left_out_branches_are_warned_about_once() {
    // Delphes' TRef members (out of scope: references between collections)
    let sql = format!("SELECT count(*) FROM read_root('{}')", skhep("uproot-issue513.root"));
    let (ok, _, err) = hepfusion(&["-c", &sql]);
    assert!(ok, "{err}");
    assert!(err.contains("warning:") && err.contains("'Track/Track.Particle' left out") && err.contains("TRef"), "{err}");
    assert_eq!(err.matches("'Track/Track.Particle' left out").count(), 1, "{err}");
}
