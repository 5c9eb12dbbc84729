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

/// Queries that keep both cores busy for minutes: a nested-loop join of two 10⁶-entry trees,
/// and a sort, an aggregate and a COPY over it.
fn endless_queries() -> Vec<String> {
    let f = skhep("uproot-issue79.root");
    let join = format!("read_root('{f}') a, read_root('{f}') b WHERE a.pt + b.pt > 100");
    let out = std::env::temp_dir().join(format!("hepfusion-cancel-{}.parquet", std::process::id()));
    vec![
        format!("SELECT count(*) FROM {join}"),
        format!("SELECT a.pt FROM {join} ORDER BY b.pt LIMIT 3"),
        format!("SELECT round(a.pt) AS x, count(*) FROM {join} GROUP BY 1"),
        format!("COPY (SELECT a.pt FROM {join}) TO '{}'", out.display()),
    ]
}

#[test]
fn ctrl_c_stops_a_running_command_within_a_second() {
    for sql in endless_queries() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hepfusion")).args(["-c", &sql]).stderr(std::process::Stdio::piped()).spawn().expect("run hepfusion");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert!(child.try_wait().unwrap().is_none(), "still running when interrupted: {sql}");
        let sent = std::time::Instant::now();
        // SAFETY: a signal to our own child process.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) }, 0);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(sent.elapsed().as_secs() < 10, "still running 10 s after Ctrl-C: {sql}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let took = sent.elapsed();
        eprintln!("{:.3} s from SIGINT to exit: {sql}", took.as_secs_f64());
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(130), "{err}");
        assert!(err.contains("cancelled"), "{err}");
        assert!(!err.contains("rows read"), "no progress line in a pipe: {err}");
        assert!(took.as_secs_f64() < 3.0, "{took:?} from Ctrl-C to exit: {sql}");
    }
}

#[test]
fn version_and_datafusion_table_functions() {
    let (ok, out, err) = hepfusion(&["--version"]);
    assert!(ok, "{err}");
    assert!(out.starts_with(&format!("hepfusion {} (DataFusion 55.", env!("CARGO_PKG_VERSION"))), "{out}");
    let (ok, out, err) = hepfusion(&["--format", "csv", "-c", "SELECT sum(value) AS s FROM generate_series(1, 10)", "-c", "SELECT count(*) AS n FROM range(5)"]);
    assert!(ok, "{err}");
    assert_eq!(out, "s\n55\nn\n5\n");
}

#[test]
fn misspelled_columns_and_members_name_the_closest() {
    let nano = skhep("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    let (ok, _, err) = hepfusion(&["-c", &format!("SELECT Muon_PT FROM read_root('{nano}')")]);
    assert!(!ok && err.contains("no column named 'Muon_PT'; closest: Muon_pt"), "{err}");
    assert!(err.len() < 600, "{} characters: {err}", err.len());
    let grouped = format!("read_root('{nano}', 'Events', 'group_counters=true')");
    let (ok, _, err) = hepfusion(&["-c", &format!("SELECT transform(Jet, j -> j.PT) FROM {grouped}")]);
    assert!(!ok && err.contains("has no member 'PT'; closest: pt;") && err.contains("its members: area, btagCSVV2,") && err.contains("more"), "{err}");
}

#[test]
fn explain_analyze_prints_whole_plans_with_the_bytes_a_root_scan_fetched() {
    // NMuon: one basket of 1269 bytes (its fZipBytes, as root_ls and uproot give it).
    let (ok, out, err) = hepfusion(&["-c", &format!("EXPLAIN ANALYZE SELECT sum(NMuon) FROM read_root('{}')", skhep("uproot-HZZ.root"))]);
    assert!(ok, "{err}");
    assert!(out.contains("DataSourceExec: file_groups=") && out.contains("bytes_scanned=1.27 K"), "{out}");
}
