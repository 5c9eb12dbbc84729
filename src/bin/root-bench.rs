//! `root-bench`: timing runs for `tools/bench` (not a test).
//!
//! ```text
//! root-bench read FILE TREE [--repeat N]            decode every column on one thread
//! root-bench sql FILE TREE --query SQL [--partitions P] [--threads T] [--repeat N] [--set KEY=VALUE]...
//!                                                   SQL over table `t`, with session options set
//! root-bench open FILE TREE [--repeat N]            open the file and infer the schema
//! ```
//! Prints one JSON line: mode, entries, best seconds (for `sql`: of the query alone, with the
//! session and table set-up as `setup_seconds`), peak RSS in kB.

use std::time::Instant;

use hepfusion::root::{ReaderOptions, Source, TreeReader};

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

async fn read_all(file: &str, tree: &str) -> Result<u64, String> {
    let src = Source::local(file).await.map_err(|e| e.to_string())?;
    let r = TreeReader::open(src, Some(tree), &ReaderOptions::default()).await.map_err(|e| e.to_string())?;
    let cols: Vec<usize> = (0..r.schema().fields().len()).collect();
    let mut n = 0;
    for &(s, e) in r.clusters() {
        let a = r.read_columns(&cols, s, e).await.map_err(|e| e.to_string())?;
        n += a.first().map(|a| a.len() as u64).unwrap_or(0);
    }
    Ok(n)
}

/// Runs `query` over the file as table `t`; returns the tree's entries and the first result row.
/// A fresh session, `CREATE EXTERNAL TABLE t`, then `query`: (entries, first row, seconds of
/// the set-up, seconds of the query). The two are timed apart because the set-up (opening the
/// file, reading its streamers and tree) is serial: timed together, a 2-partition run on a
/// 1M-event file measures Amdahl's law more than the scan.
async fn run_sql(file: &str, tree: &str, query: &str, partitions: usize, options: &[(String, String)]) -> Result<(u64, String, f64, f64), String> {
    let t = Instant::now();
    let mut cfg = hepfusion::session_config().with_target_partitions(partitions);
    for (key, value) in options {
        cfg.options_mut().set(key, value).map_err(|e| e.to_string())?;
    }
    let ctx = hepfusion::session::new_context_with_config(cfg).map_err(|e| e.to_string())?;
    ctx.sql(&format!("CREATE EXTERNAL TABLE t STORED AS ROOT LOCATION '{file}' OPTIONS ('root.tree' '{tree}')"))
        .await
        .map_err(|e| e.to_string())?;
    let setup = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let b = ctx.sql(query).await.map_err(|e| e.to_string())?.collect().await.map_err(|e| e.to_string())?;
    let seconds = t.elapsed().as_secs_f64();
    let first = match b.iter().find(|b| b.num_rows() > 0) {
        Some(batch) => (0..batch.num_columns())
            .map(|c| datafusion::arrow::util::display::array_value_to_string(batch.column(c), 0).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(", "),
        None => String::new(),
    };
    let src = Source::local(file).await.map_err(|e| e.to_string())?;
    let entries = TreeReader::open(src, Some(tree), &ReaderOptions::default()).await.map_err(|e| e.to_string())?.entries();
    Ok((entries, first, setup, seconds))
}

async fn open_only(file: &str, tree: &str) -> Result<u64, String> {
    let src = Source::local(file).await.map_err(|e| e.to_string())?;
    let r = TreeReader::open(src, Some(tree), &ReaderOptions::default()).await.map_err(|e| e.to_string())?;
    Ok(r.schema().fields().len() as u64)
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    hepfusion::process::without_transparent_huge_pages();
    let args: Vec<String> = std::env::args().collect();
    // `--threads 1` is the single-core figure: clusters are read as tasks, so a 1-partition
    // query on a 2-thread runtime already uses both cores.
    let threads = arg(&args, "--threads").and_then(|t| t.parse().ok()).unwrap_or_else(|| {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    });
    let runtime = hepfusion::process::runtime_builder().worker_threads(threads).build();
    match runtime {
        Ok(rt) => rt.block_on(run(args)),
        Err(e) => {
            eprintln!("root-bench: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(args: Vec<String>) {
    if args.len() < 4 {
        eprintln!("usage: root-bench read|sql|open FILE TREE [--query SQL] [--partitions P] [--threads T] [--repeat N] [--set KEY=VALUE]...");
        std::process::exit(2);
    }
    let (mode, file, tree) = (args[1].as_str(), args[2].as_str(), args[3].as_str());
    let repeat: usize = arg(&args, "--repeat").and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    let partitions: usize = arg(&args, "--partitions").and_then(|r| r.parse().ok()).unwrap_or(1).max(1);
    let query = arg(&args, "--query").unwrap_or_else(|| "SELECT count(*) FROM t".into());
    let options: Vec<(String, String)> = args
        .windows(2)
        .filter(|w| w[0] == "--set")
        .filter_map(|w| w[1].split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();
    let mut best = f64::INFINITY;
    let mut best_setup = f64::INFINITY;
    let mut result = 0;
    let mut first_row = String::new();
    for _ in 0..repeat {
        let t = Instant::now();
        let r = match mode {
            "read" => read_all(file, tree).await.map(|n| (n, t.elapsed().as_secs_f64())),
            "sql" => run_sql(file, tree, &query, partitions, &options).await.map(|(n, row, setup, seconds)| {
                first_row = row;
                best_setup = best_setup.min(setup);
                (n, seconds)
            }),
            "open" => open_only(file, tree).await.map(|n| (n, t.elapsed().as_secs_f64())),
            other => Err(format!("unknown mode {other}")),
        };
        match r {
            Ok((n, seconds)) => {
                result = n;
                best = best.min(seconds);
            }
            Err(e) => {
                eprintln!("root-bench: {e}");
                std::process::exit(1);
            }
        }
    }
    let setup = if best_setup.is_finite() { format!(", \"setup_seconds\": {best_setup:.6}") } else { String::new() };
    println!(
        "{{\"mode\": \"{mode}\", \"entries\": {result}, \"seconds\": {best:.6}{setup}, \"partitions\": {partitions}, \"peak_rss_kb\": {}, \"result\": \"{}\"}}",
        peak_rss_kb(),
        first_row.replace('"', "'")
    );
}
