//! Entry order: queries without ORDER BY return entries as uproot and ROOT do (files in path
//! order, then entries), whatever the number of partitions, while still reading in parallel.

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float32Type, Int64Type};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::prelude::SessionContext;

use crate::support::*;

fn ctx_with(partitions: usize, preserve_order: bool) -> SessionContext {
    let mut cfg = hepfusion::session_config().with_target_partitions(partitions);
    cfg.options_mut().set("hepfusion.preserve_order", &preserve_order.to_string()).unwrap();
    hepfusion::session::new_context_with_config(cfg).unwrap()
}

fn f32s(batches: &[RecordBatch], col: usize) -> Vec<f32> {
    batches.iter().flat_map(|b| b.column(col).as_primitive::<Float32Type>().values().to_vec()).collect()
}

fn i64s(batches: &[RecordBatch], col: usize) -> Vec<i64> {
    batches.iter().flat_map(|b| b.column(col).as_primitive::<Int64Type>().values().to_vec()).collect()
}

async fn plan_text(ctx: &SessionContext, sql: &str) -> String {
    pretty_format_batches(&query(ctx, &format!("EXPLAIN {sql}")).await).unwrap().to_string()
}

/// `got == want`, without printing a million values when not.
#[track_caller]
fn same<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
    if got != want {
        let first = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        panic!("{what}: {} values, expected {}; first difference at {first}: {:?} vs {:?}", got.len(), want.len(), got.get(first), want.get(first));
    }
}

/// The entries of one partition read alone: the order of the file, without any merge.
async fn file_order(sql: &str) -> Vec<RecordBatch> {
    let ctx = ctx_with(1, false);
    assert!(!plan_text(&ctx, sql).await.contains("InOrderMergeExec"));
    query(&ctx, sql).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_filters_and_limits_keep_entry_order_in_every_partitioning() {
    let taus = skhep("uproot-issue79.root");
    let scan = format!("SELECT pt, CAST(pt * 2 AS REAL) AS twice FROM read_root('{taus}', 'taus')");
    let filtered = format!("SELECT CAST(pt * 2 AS REAL) AS pt2 FROM read_root('{taus}', 'taus') WHERE pt > 40");
    let expected_scan = file_order(&scan).await;
    let expected_filtered = file_order(&filtered).await;
    let all = f32s(&expected_scan, 0);
    // uproot and ROOT give these first entries.
    assert_eq!(all.len(), 1_000_000);
    for (got, want) in all.iter().zip([26.47, 21.15, 66.06]) {
        assert!((got - want).abs() < 0.01, "{:?}", &all[..3]);
    }
    for partitions in [1, 2, 4] {
        let ctx = ctx_with(partitions, true);
        if partitions > 1 {
            // Read in parallel, merged in order: the file is cut into several partitions.
            let plan = plan_text(&ctx, &scan).await;
            let merged: usize = plan.split("InOrderMergeExec: partitions=").nth(1).and_then(|s| s.split(',').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
            assert!(merged >= partitions, "{plan}");
        }
        same(&f32s(&query(&ctx, &scan).await, 0), &all, &format!("{partitions} partitions"));
        same(&f32s(&query(&ctx, &scan).await, 1), &f32s(&expected_scan, 1), &format!("{partitions} partitions"));
        same(&f32s(&query(&ctx, &filtered).await, 0), &f32s(&expected_filtered, 0), &format!("{partitions} partitions"));
        let first = query(&ctx, &format!("{scan} LIMIT 5")).await;
        same(&f32s(&first, 0), &all[..5], &format!("{partitions} partitions"));
        let skipped = query(&ctx, &format!("{scan} LIMIT 3 OFFSET 400000")).await;
        same(&f32s(&skipped, 0), &all[400_000..400_003], &format!("{partitions} partitions"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_come_in_path_order_and_copies_keep_entry_order() {
    let dir = tempfile::tempdir().unwrap();
    // Two multi-cluster files of one tree, named so that path order is not the listing's.
    for (name, file) in [("b_first.root", "uproot-issue412.root"), ("c_second.root", "uproot-issue412.root"), ("a_zero.root", "uproot-issue412.root")] {
        std::fs::copy(skhep(file), dir.path().join(name)).unwrap();
    }
    let one = skhep("uproot-issue412.root");
    let single = i64s(&file_order(&format!("SELECT b1 FROM read_root('{one}')")).await, 0);
    assert_eq!(single.len(), 1_000_000);
    let thrice: Vec<i64> = single.iter().chain(&single).chain(&single).copied().collect();
    let loc = format!("{}/", dir.path().display());
    for partitions in [2, 4] {
        let ctx = ctx_with(partitions, true);
        query(&ctx, &format!("CREATE EXTERNAL TABLE t STORED AS ROOT LOCATION '{loc}'")).await;
        let sql = "SELECT b1 FROM t".to_string();
        same(&i64s(&query(&ctx, &sql).await, 0), &thrice, &format!("{partitions} partitions"));
        // COPY to Parquet, read back in order; CREATE TABLE AS likewise.
        let out = dir.path().join(format!("copy{partitions}.parquet"));
        query(&ctx, &format!("COPY ({sql}) TO '{}' STORED AS PARQUET", out.display())).await;
        let back = query(&ctx, &format!("SELECT * FROM '{}'", out.display())).await;
        same(&i64s(&back, 0), &thrice, &format!("COPY with {partitions} partitions"));
        query(&ctx, &format!("CREATE TABLE m AS {sql}")).await;
        same(&i64s(&query(&ctx, "SELECT * FROM m").await, 0), &thrice, &format!("CREATE TABLE AS with {partitions} partitions"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setting_trades_order_for_the_plain_coalesce_and_exchanges_are_left_alone() {
    let taus = skhep("uproot-issue79.root");
    let scan = format!("SELECT pt FROM read_root('{taus}', 'taus')");
    let off = ctx_with(2, false);
    let plan = plan_text(&off, &format!("{scan} LIMIT 5")).await;
    assert!(!plan.contains("InOrderMergeExec"), "{plan}");
    let on = ctx_with(2, true);
    query(&on, "SET hepfusion.preserve_order = false").await;
    assert!(!plan_text(&on, &format!("{scan} LIMIT 5")).await.contains("InOrderMergeExec"));
    // An aggregate's rows are not the input's: its plan keeps DataFusion's exchange.
    let on = ctx_with(2, true);
    let plan = plan_text(&on, &format!("SELECT count(*) AS n, pt > 30 AS hard FROM read_root('{taus}', 'taus') GROUP BY pt > 30")).await;
    assert!(!plan.contains("InOrderMergeExec") && plan.contains("RepartitionExec"), "{plan}");
}
