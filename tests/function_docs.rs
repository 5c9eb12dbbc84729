//! Every function hepfusion adds documents itself, its documented example prints what the
//! documentation says, and no two functions share a name except where ours replaces
//! DataFusion's on purpose.
//!
//! A test program of its own: the examples name files of the scikit-hep test data by their
//! names alone and write models and plots where they run, so the examples run in a directory
//! of their own (holding links to those files), as a reader of the documentation would run
//! them, and changing the directory cannot disturb other tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::SessionStateBuilder;
use hepfusion::functions::{hepfusion_functions, FunctionDoc};

/// The statements of an example, each with the output it shows (`None`: shows none).
fn statements(example: &str) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Vec<&str>)> = Vec::new();
    for line in example.lines().filter(|l| !l.starts_with("```")) {
        match line.strip_prefix("> ") {
            Some(statement) => out.push((statement.to_string(), Vec::new())),
            None => out.last_mut().expect("an example starts with a statement").1.push(line),
        }
    }
    out.into_iter().map(|(s, lines)| (s, (!lines.is_empty()).then(|| lines.join("\n")))).collect()
}

async fn run_example(f: &FunctionDoc, example: &str) -> Result<(), String> {
    let ctx = hepfusion::new_context().map_err(|e| e.to_string())?;
    for (statement, shown) in statements(example) {
        let batches = match hepfusion_udfs::sql::sql(&ctx, &statement).await {
            Ok(df) => df.collect().await,
            Err(e) => Err(e),
        }
        .map_err(|e| format!("{}: `{statement}` failed: {e}", f.name))?;
        let printed = pretty_format_batches(&batches).map_err(|e| e.to_string())?.to_string();
        match shown {
            Some(shown) if shown.trim() != printed.trim() => {
                return Err(format!("{}: `{statement}` printed\n{printed}\nwhere its documentation shows\n{shown}", f.name))
            }
            None if !batches.iter().all(|b| b.num_rows() == 0) => {
                return Err(format!("{}: `{statement}` printed rows its documentation does not show:\n{printed}", f.name))
            }
            _ => {}
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_is_documented_and_its_example_prints_what_it_shows() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/skhep-testdata");
    assert!(data.is_dir(), "test data {} is missing", data.display());
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&data).unwrap() {
        let entry = entry.unwrap();
        std::os::unix::fs::symlink(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    std::env::set_current_dir(dir.path()).unwrap();

    let functions = hepfusion_functions();
    assert!(functions.len() >= 50, "{} functions", functions.len());
    let mut failures = Vec::new();
    for f in &functions {
        let Some(d) = &f.documentation else {
            failures.push(format!("{} ({}) has no documentation", f.name, f.kind));
            continue;
        };
        for (what, text) in [("description", &d.description), ("syntax", &d.syntax_example)] {
            if text.trim().is_empty() {
                failures.push(format!("{}: empty {what}", f.name));
            }
        }
        if !d.syntax_example.contains(&f.name) {
            failures.push(format!("{}: the syntax '{}' does not name the function", f.name, d.syntax_example));
        }
        match &d.sql_example {
            Some(example) if example.contains(&format!("{}(", f.name)) => {
                if let Err(e) = run_example(f, example).await {
                    failures.push(e);
                }
            }
            _ => failures.push(format!("{}: no example that calls it", f.name)),
        }
    }
    assert!(failures.is_empty(), "{} of {} functions:\n\n{}", failures.len(), functions.len(), failures.join("\n\n"));
}

/// DataFusion's functions that ours replace on purpose (same results; see
/// `hepfusion_udfs::register_all`), with their aliases.
const REPLACED: &[&str] = &[
    // `array_sort` with a comparator lambda, as well as DataFusion's orders.
    "array_sort", "list_sort",
    // The lambda functions, with an index parameter and Spark's NULL semantics.
    "array_filter", "list_filter", "array_transform", "list_transform", "any_match", "array_any_match", "list_any_match",
    "array_first", "list_first",
    // `cardinality` from offsets; `array_sum` without a cast of float32 lists.
    "cardinality", "array_sum", "list_sum",
];

#[tokio::test]
async fn no_two_functions_share_a_name() {
    let ours = hepfusion_functions();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for f in &ours {
        for name in std::iter::once(&f.name).chain(&f.aliases) {
            if let Some(other) = seen.insert(name, &f.name) {
                panic!("'{name}' names both {other} and {}", f.name);
            }
        }
    }
    let theirs = SessionStateBuilder::new().with_default_features().build();
    let mut datafusion_names: BTreeSet<&str> = BTreeSet::new();
    datafusion_names.extend(theirs.scalar_functions().keys().map(String::as_str));
    datafusion_names.extend(theirs.aggregate_functions().keys().map(String::as_str));
    datafusion_names.extend(theirs.window_functions().keys().map(String::as_str));
    datafusion_names.extend(theirs.higher_order_functions().keys().map(String::as_str));
    datafusion_names.extend(theirs.table_functions().keys().map(String::as_str));
    let shared: BTreeSet<&str> = seen.keys().copied().filter(|n| datafusion_names.contains(n)).collect();
    assert_eq!(shared, REPLACED.iter().copied().collect(), "names ours shares with DataFusion's functions");
}

#[tokio::test]
async fn sql_shows_the_documentation() {
    let ctx = hepfusion::new_context().unwrap();
    let text = |sql: &'static str| {
        let ctx = ctx.clone();
        async move { pretty_format_batches(&hepfusion_udfs::sql::sql(&ctx, sql).await.unwrap().collect().await.unwrap()).unwrap().to_string() }
    };
    // Scalar and aggregate functions: DataFusion's information_schema. (Its SHOW FUNCTIONS
    // lists only functions with example argument types, which user-defined signatures such as
    // ours do not have.)
    let shown = text("SELECT description, syntax_example FROM information_schema.routines WHERE routine_name = 'delta_r'").await;
    assert!(shown.contains("The angular distance") && shown.contains("delta_r(eta1, phi1, eta2, phi2)"), "{shown}");
    let shown = text("SELECT description FROM information_schema.routines WHERE routine_name = 'roc_auc'").await;
    assert!(shown.contains("area under the ROC curve"), "{shown}");
    // Every kind, in hepfusion_functions().
    let shown = text("SELECT kind, count(*) AS n, count(description) AS described FROM hepfusion_functions() GROUP BY kind ORDER BY kind").await;
    let expected = ["| aggregate    | 6  | 6         |", "| higher-order | 13 | 13        |", "| scalar       | 22 | 22        |", "| table        | 9  | 9         |"];
    for row in expected {
        assert!(shown.contains(row), "{row} in\n{shown}");
    }
    let shown = text("SELECT arguments[1].name AS first FROM hepfusion_functions() WHERE name = 'train_classifier'").await;
    assert!(shown.contains("| name  |"), "{shown}");
}
