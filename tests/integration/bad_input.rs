//! Corrupt, truncated and missing files: clear errors naming the file, never a panic.

use std::path::Path;

use hepfusion::root::{ReaderOptions, Source, TreeReader};
use crate::support::*;

async fn read_everything(path: &Path, tree: Option<&str>) -> Result<u64, String> {
    let src = Source::local(path).await.map_err(|e| e.to_string())?;
    let r = TreeReader::open(src, tree, &ReaderOptions::default()).await.map_err(|e| e.to_string())?;
    let cols: Vec<usize> = (0..r.schema().fields().len()).collect();
    let mut n = 0;
    for &(s, e) in r.clusters() {
        let arrays = r.read_columns(&cols, s, e).await.map_err(|e| e.to_string())?;
        n += arrays.first().map(|a| a.len() as u64).unwrap_or(0);
    }
    Ok(n)
}

fn copy_to(dir: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> std::path::PathBuf {
    let mut bytes = std::fs::read(skhep(name)).unwrap();
    edit(&mut bytes);
    let p = dir.join(format!("bad-{name}"));
    std::fs::write(&p, bytes).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_files_give_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["uproot-HZZ.root", "uproot-HZZ-lz4.root", "uproot-HZZ-zstd.root", "nanoAOD_2015_CMS_Open_Data_ttbar.root"] {
        let size = std::fs::metadata(skhep(name)).unwrap().len() as usize;
        for cut in [10, 200, size / 3, size / 2, size - 100] {
            let p = copy_to(dir.path(), name, |b| b.truncate(cut));
            let err = read_everything(&p, None).await.expect_err("truncated file must fail");
            assert!(err.contains("bad-"), "error should name the file: {err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_bytes_never_panic_and_mostly_fail() {
    let dir = tempfile::tempdir().unwrap();
    let name = "uproot-HZZ-zlib.root";
    let size = std::fs::metadata(skhep(name)).unwrap().len() as usize;
    let good = read_everything(Path::new(&skhep(name)), None).await.unwrap();
    assert_eq!(good, 2421);
    let mut failures = 0;
    // A deterministic spread of positions over headers, keys, baskets and compressed blocks.
    let mut pos = 7usize;
    for _ in 0..300 {
        pos = (pos * 7919 + 104729) % size;
        let p = copy_to(dir.path(), name, |b| b[pos] ^= 0x5a);
        if let Err(e) = read_everything(&p, None).await {
            assert!(e.contains("bad-"), "error should name the file: {e}");
            failures += 1;
        }
    }
    // Flips inside zlib streams are caught by their checksums; a flip in an unused byte may pass.
    assert!(failures > 100, "only {failures} of 300 corruptions were detected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_compressed_block_names_branch_and_basket() {
    let dir = tempfile::tempdir().unwrap();
    let name = "uproot-HZZ-lz4.root";
    // Corrupt every LZ4 block's checksum region after the header: the checksum must catch it.
    let p = copy_to(dir.path(), name, |b| {
        let mut i = 1000;
        while i + 20 < b.len() {
            if &b[i..i + 2] == b"L4" {
                b[i + 17] ^= 0xff;
            }
            i += 1;
        }
    });
    let err = read_everything(&p, None).await.expect_err("corrupt blocks must fail");
    assert!(err.contains("bad-uproot-HZZ-lz4.root"), "{err}");
    assert!(err.contains("lz4") || err.contains("checksum"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_errors_do_not_kill_the_session() {
    let ctx = hepfusion::new_context().unwrap();
    let missing = query_err(&ctx, "SELECT * FROM read_root('/nonexistent/file.root')").await;
    assert!(missing.contains("/nonexistent/file.root") || missing.contains("nonexistent"), "{missing}");
    let dir = tempfile::tempdir().unwrap();
    let not_root = dir.path().join("text.root");
    std::fs::write(&not_root, "hello, this is not ROOT").unwrap();
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{}')", not_root.display())).await;
    // The file by its absolute path, as the user wrote it (object-store paths drop the '/').
    let named = format!("'{}'", std::fs::canonicalize(&not_root).unwrap().display());
    assert!(err.contains("not a ROOT file") && err.contains(&named), "{err}");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("zero.root"), b"").unwrap();
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{}/')", empty.display())).await;
    assert!(err.contains("no ROOT files") && err.contains(&format!("'{}/'", empty.display())), "{err}");
    let err = query_err(&ctx, "SELECT * FROM read_root(42)").await;
    assert!(err.contains("read_root") && err.contains("string"), "{err}");
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{}', 'events', 'colour=blue')", skhep("uproot-HZZ.root"))).await;
    assert!(err.contains("colour"), "{err}");
    // The session still works.
    assert_eq!(scalar_i64(&ctx, &format!("SELECT count(*) FROM read_root('{}')", skhep("uproot-HZZ.root"))).await, 2421);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_branches_are_left_out_or_refused_in_strict_mode() {
    let ctx = hepfusion::new_context().unwrap();
    let f = skhep("uproot-stl_containers.root");
    // map<...> and set<...> branches are not in the schema; the rest reads.
    let b = query(&ctx, &format!("SELECT * FROM read_root('{f}') LIMIT 1")).await;
    let names: Vec<String> = b[0].schema().fields().iter().map(|f| f.name().clone()).collect();
    assert!(names.iter().any(|n| n == "vector_int32"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("map_")), "{names:?}");
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{f}', 'tree', 'strict=true')")).await;
    assert!(err.contains("unsupported") && err.contains("branch '") && err.contains("uproot-stl_containers.root"), "{err}");
}

/// Errors that say what to do: the trees a file holds, RNTuple not yet, not a ROOT file, a
/// path that does not exist, the closest few of a misspelled column (not all of them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_guide_to_what_the_file_holds() {
    let ctx = hepfusion::new_context().unwrap();
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{}', 'evnts')", skhep("uproot-HZZ.root"))).await;
    assert!(err.contains("no TTree named 'evnts'") && err.contains("trees: 'events'"), "{err}");
    let rntuple = skhep("Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root");
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{rntuple}')")).await;
    assert!(err.contains("RNTuple 'Events'") && err.contains("cannot read yet"), "{err}");
    let parquet = shared().join("cms-opendata-2012/Run2012B_SingleMu-restructured-1000.parquet");
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{}')", parquet.display())).await;
    assert!(err.contains("a Parquet file, not a ROOT file") && err.contains("restructured-1000.parquet"), "{err}");
    let err = query_err(&ctx, "SELECT * FROM read_root('/no/such/dir/run.root')").await;
    assert!(err.contains("'/no/such/dir/run.root' does not exist") && !err.contains("schema"), "{err}");
    // NanoAOD without grouping: 1000+ columns; the error names five, the right one first.
    let nano = skhep("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    let err = match hepfusion_udfs::sql::sql(&ctx, &format!("SELECT Jet_PT FROM read_root('{nano}')")).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a misspelled column must fail"),
    };
    assert!(err.contains("no column named 'Jet_PT'; closest: Jet_pt,"), "{err}");
    assert!(err.len() < 400, "{} characters: {err}", err.len());
}
