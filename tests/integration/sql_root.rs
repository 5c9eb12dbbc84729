//! SQL over ROOT files: `read_root`, `CREATE EXTERNAL TABLE ... STORED AS ROOT`, projections,
//! LIMIT, statistics, several files per table, subdirectories and counter grouping.

use crate::support::*;

fn ctx() -> datafusion::prelude::SessionContext {
    hepfusion::new_context().expect("context")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_root_counts_and_sums() {
    let ctx = ctx();
    let f = skhep("uproot-HZZ.root");
    assert_eq!(scalar_i64(&ctx, &format!("SELECT count(*) FROM read_root('{f}', 'events')")).await, 2421);
    // The counter and the lists it counts agree entry by entry.
    let mismatches = scalar_i64(
        &ctx,
        &format!("SELECT CAST(count(*) AS BIGINT) FROM read_root('{f}') WHERE NJet <> cardinality(Jet_Px)"),
    )
    .await;
    assert_eq!(mismatches, 0);
    let total = scalar_i64(&ctx, &format!("SELECT CAST(sum(NJet) AS BIGINT) FROM read_root('{f}')")).await;
    let flat = scalar_i64(&ctx, &format!("SELECT CAST(count(*) AS BIGINT) FROM (SELECT unnest(Jet_Px) FROM read_root('{f}'))")).await;
    assert_eq!(total, flat);
    assert!(total > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_codec_gives_the_same_table() {
    let ctx = ctx();
    let sum = |name: &str| format!(
        "SELECT CAST(sum(NJet) * 1000000 + sum(NMuon) * 1000 + count(*) AS BIGINT) FROM read_root('{}')",
        skhep(name)
    );
    let reference = scalar_i64(&ctx, &sum("uproot-HZZ.root")).await;
    for codec in ["zlib", "lz4", "lzma", "zstd", "uncompressed"] {
        let got = scalar_i64(&ctx, &sum(&format!("uproot-HZZ-{codec}.root"))).await;
        assert_eq!(got, reference, "{codec}");
    }
    let px = |name: &str| format!("SELECT CAST(sum(Jet_Px[1]) * 1000 AS BIGINT) FROM read_root('{}') WHERE NJet > 0", skhep(name));
    let reference = scalar_i64(&ctx, &px("uproot-HZZ.root")).await;
    for codec in ["zlib", "lz4", "lzma", "zstd", "uncompressed"] {
        assert_eq!(scalar_i64(&ctx, &px(&format!("uproot-HZZ-{codec}.root"))).await, reference, "{codec}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_external_table_with_options_directories_and_limit() {
    let ctx = ctx();
    let dir = tempfile::tempdir().unwrap();
    for (i, name) in ["uproot-HZZ.root", "uproot-HZZ-zlib.root"].iter().enumerate() {
        std::fs::copy(skhep(name), dir.path().join(format!("part{i}.root"))).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "not a ROOT file").unwrap();
    let loc = format!("{}/", dir.path().display());
    query(&ctx, &format!("CREATE EXTERNAL TABLE ev STORED AS ROOT LOCATION '{loc}' OPTIONS ('root.tree' 'events')")).await;
    assert_eq!(scalar_i64(&ctx, "SELECT count(*) FROM ev").await, 2 * 2421);
    let b = query(&ctx, "SELECT MET_px FROM ev LIMIT 7").await;
    assert_eq!(b.iter().map(|b| b.num_rows()).sum::<usize>(), 7);
    // A glob, and an option without the root. prefix.
    let glob = format!("{}/*.root", dir.path().display());
    query(&ctx, &format!("CREATE EXTERNAL TABLE ev2 STORED AS ROOT LOCATION '{glob}' OPTIONS ('tree' 'events')")).await;
    assert_eq!(scalar_i64(&ctx, "SELECT count(*) FROM ev2").await, 2 * 2421);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trees_in_subdirectories_and_choice_of_tree() {
    let ctx = ctx();
    let f = skhep("uproot-nesteddirs.root");
    assert_eq!(scalar_i64(&ctx, &format!("SELECT count(*) FROM read_root('{f}', 'one/two/tree')")).await, 100);
    assert_eq!(scalar_i64(&ctx, &format!("SELECT count(*) FROM read_root('{f}', 'one/tree')")).await, 4);
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{f}')")).await;
    assert!(err.contains("trees") && err.contains("one/two/tree"), "{err}");
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('{f}', 'nope')")).await;
    assert!(err.contains("nope") && err.contains("uproot-nesteddirs.root"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nanoaod_counter_groups_become_lists_of_structs() {
    let ctx = ctx();
    let f = skhep("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    let sql = format!("SELECT CAST(count(*) AS BIGINT) FROM read_root('{f}', 'Events', 'group_counters=true') WHERE cardinality(Jet) <> nJet");
    assert_eq!(scalar_i64(&ctx, &sql).await, 0);
    let sql = format!(
        "SELECT CAST(sum(cardinality(Jet)) AS BIGINT) FROM read_root('{f}', 'Events', 'group_counters=true')"
    );
    let grouped = scalar_i64(&ctx, &sql).await;
    let plain = scalar_i64(&ctx, &format!("SELECT CAST(sum(nJet) AS BIGINT) FROM read_root('{f}', 'Events')")).await;
    assert_eq!(grouped, plain);
    // The grouped field equals the plain branch, value by value.
    let a = query(&ctx, &format!("SELECT Jet FROM read_root('{f}', 'Events', 'group_counters=true')")).await;
    let b = query(&ctx, &format!("SELECT Jet_pt FROM read_root('{f}', 'Events')")).await;
    let a = datafusion::arrow::compute::concat_batches(&a[0].schema(), &a).unwrap();
    let b = datafusion::arrow::compute::concat_batches(&b[0].schema(), &b).unwrap();
    use datafusion::arrow::array::{Array, AsArray};
    let jets = a.column(0).as_list::<i32>();
    let pts = b.column(0).as_list::<i32>();
    assert_eq!(jets.len(), pts.len());
    let jet_pt = jets.values().as_struct().column_by_name("pt").expect("pt field").clone();
    assert_eq!(jet_pt.as_ref(), pts.values().as_ref());
    assert_eq!(jets.value_offsets(), pts.value_offsets());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_statistics_answer_count_without_scanning() {
    let ctx = ctx();
    let f = skhep("uproot-issue412.root");
    let b = query(&ctx, &format!("EXPLAIN SELECT count(*) FROM read_root('{f}')")).await;
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&b).unwrap().to_string();
    assert!(!text.contains("DataSourceExec"), "count(*) should come from statistics:\n{text}");
    assert_eq!(scalar_i64(&ctx, &format!("SELECT count(*) FROM read_root('{f}')")).await, 1_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_big_file_is_split_across_partitions() {
    let f = skhep("uproot-issue412.root");
    let q = format!("SELECT CAST(sum(b1) AS BIGINT), CAST(count(*) AS BIGINT) FROM read_root('{f}') WHERE b2");
    let cfg = hepfusion::session_config().with_target_partitions(1);
    let one = hepfusion::session::new_context_with_config(cfg).unwrap();
    let cfg = hepfusion::session_config().with_target_partitions(4).with_repartition_file_min_size(1);
    let many = hepfusion::session::new_context_with_config(cfg).unwrap();
    let plan = query(&many, &format!("EXPLAIN {q}")).await;
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&plan).unwrap().to_string();
    assert!(text.contains("file_groups={4 groups"), "expected 4 byte-range groups:\n{text}");
    let a = datafusion::arrow::util::pretty::pretty_format_batches(&query(&one, &q).await).unwrap().to_string();
    let b = datafusion::arrow::util::pretty::pretty_format_batches(&query(&many, &q).await).unwrap().to_string();
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opened_trees_are_cached_until_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sample.root");
    std::fs::copy(skhep("uproot-HZZ.root"), &file).unwrap();
    let ctx = ctx();
    let cache = ctx.runtime_env().cache_manager.get_file_metadata_cache();
    let count = format!("SELECT count(*) FROM read_root('{}')", file.display());
    assert_eq!(scalar_i64(&ctx, &count).await, 2421);
    // Schema inference, statistics and the scan opened the file once.
    assert_eq!(cache.len(), 1);
    let sum = format!("SELECT CAST(sum(NMuon) AS BIGINT) FROM read_root('{}')", file.display());
    let muons = scalar_i64(&ctx, &sum).await;
    // Another file at the same path (other size and time): opened again, not the stale tree.
    std::fs::copy(skhep("uproot-Zmumu.root"), &file).unwrap();
    assert_eq!(scalar_i64(&ctx, &count).await, 2304);
    assert_eq!(cache.len(), 1);
    std::fs::copy(skhep("uproot-HZZ.root"), &file).unwrap();
    assert_eq!(scalar_i64(&ctx, &sum).await, muons);
}

/// The whole `column` of `table`, and the result of `narrowed` (a query reading some of its
/// members), each as one batch, after checking that the scan reads `column` narrowed.
async fn whole_and_narrowed(
    ctx: &datafusion::prelude::SessionContext,
    table: &str,
    column: &str,
    narrowed: &str,
) -> (datafusion::arrow::array::RecordBatch, datafusion::arrow::array::RecordBatch) {
    let plan = query(ctx, &format!("EXPLAIN {narrowed}")).await;
    let plan = datafusion::arrow::util::pretty::pretty_format_batches(&plan).unwrap().to_string();
    assert!(plan.contains(&format!("CAST({column}@")), "{column} is not narrowed in the scan:\n{plan}");
    let mut out = Vec::new();
    for sql in [format!("SELECT {column} FROM {table}"), narrowed.to_string()] {
        let batches = query(ctx, &sql).await;
        out.push(datafusion::arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap());
    }
    let narrowed = out.pop().unwrap();
    (out.pop().unwrap(), narrowed)
}

/// A query that uses two members of a collection reads those two members' branches only
/// (the struct-pruning rule narrows the column; the ROOT source reads the narrower type), with
/// the same values as the whole collection: a real Delphes file (split TClonesArray) and
/// NanoAOD counter groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_members_a_query_uses_are_read() {
    use datafusion::arrow::array::{Array, AsArray};
    let ctx = ctx();
    let delphes = format!("read_root('{}', 'Delphes')", skhep("uproot-issue513.root"));
    let nano = format!("read_root('{}', 'Events', 'group_counters=true')", skhep("nanoAOD_2015_CMS_Open_Data_ttbar.root"));
    for (table, column, a, b) in [(&delphes, "EFlowTrack", "PT", "Z"), (&nano, "Jet", "pt", "eta"), (&nano, "Muon", "phi", "charge")] {
        let narrowed = format!("SELECT transform({column}, x -> named_struct('a', x.{a}, 'b', x.{b})) AS x FROM {table}");
        let (whole, part) = whole_and_narrowed(&ctx, table, column, &narrowed).await;
        let (whole, part) = (whole.column(0).as_list::<i32>(), part.column(0).as_list::<i32>());
        assert!(whole.values().len() > 30, "{column}: too few elements to compare");
        assert_eq!(whole.value_offsets(), part.value_offsets(), "{column}");
        for (name, member) in [("a", a), ("b", b)] {
            let expected = whole.values().as_struct().column_by_name(member).unwrap();
            assert_eq!(part.values().as_struct().column_by_name(name).unwrap().as_ref(), expected.as_ref(), "{column}.{member}");
        }
    }
}

/// Structs that are one branch (a leaf list, `vector<TLorentzVector>`) are read whole and
/// narrowed after reading: the narrowed scan gives the same values as the whole column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structs_of_one_branch_are_narrowed_after_reading() {
    use datafusion::arrow::array::{Array, AsArray};
    let ctx = ctx();
    let leaflist = format!("read_root('{}')", skhep("uproot-leaflist.root"));
    let objects = format!("read_root('{}', 'events')", skhep("uproot-HZZ-objects.root"));
    let cases = [
        (&leaflist, "leaflist", "SELECT leaflist.y AS x FROM {t}", "y", false),
        (&objects, "jetp4", "SELECT transform(jetp4, p -> p.fE) AS x FROM {t}", "fE", true),
    ];
    for (table, column, narrowed, member, is_list) in cases {
        let (whole, part) = whole_and_narrowed(&ctx, table, column, &narrowed.replace("{t}", table)).await;
        let (expected, got) = if is_list {
            let (w, p) = (whole.column(0).as_list::<i32>(), part.column(0).as_list::<i32>());
            assert_eq!(w.value_offsets(), p.value_offsets(), "{column}");
            (w.values().as_struct().column_by_name(member).unwrap().clone(), p.values().clone())
        } else {
            (whole.column(0).as_struct().column_by_name(member).unwrap().clone(), part.column(0).clone())
        };
        assert!(expected.len() >= 5, "{column}: too few values to compare");
        assert_eq!(got.as_ref(), expected.as_ref(), "{column}.{member}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delphes_references_are_read_and_followed() {
    let ctx = ctx();
    let f = skhep("uproot-issue513.root");
    // TRef members give the referenced object's fUniqueID, TRefArray members the list of them
    // (uproot: Track.Particle of event 0 starts 1317, 1318, 1343; its first jet's constituents).
    let b = query(&ctx, &format!("SELECT Track[1].Particle AS a, Track[3].Particle AS c, Jet[1].Constituents AS j FROM read_root('{f}', 'Delphes') LIMIT 1")).await;
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&b).unwrap().to_string();
    assert!(text.contains("| 1317 | 1343 | [4060, 3549, 4053, 3561, 4054, 4056] |"), "{text}");
    // 818 track references and 636 jet constituents over the ten events, as uproot counts them.
    let counts = format!(
        "SELECT CAST(sum(cardinality(Track)) AS BIGINT) AS tracks,
                CAST(sum(array_sum(transform(Jet, j -> cardinality(j.Constituents)))) AS BIGINT) AS constituents
         FROM read_root('{f}', 'Delphes')"
    );
    let b = query(&ctx, &counts).await;
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&b).unwrap().to_string();
    assert!(text.contains("| 818    | 636          |"), "{text}");
    // Following a track to its generated particle (the join documented in the README): this
    // file's tracks carry their particle's pT unsmeared, so every pair must agree.
    let follow = format!(
        "SELECT CAST(sum(cardinality(filter(Track, t ->
                    abs(array_first(Particle, p -> p.fUniqueID = t.Particle).PT - t.PT) < 1e-4))) AS BIGINT)
         FROM read_root('{f}', 'Delphes')"
    );
    assert_eq!(scalar_i64(&ctx, &follow).await, 818);
    // The README's jet-constituent join: every constituent is one of the event's EFlow objects
    // (636, as matched by fUniqueID in uproot's arrays).
    let constituents = format!(
        "SELECT CAST(sum(array_sum(transform(jet_constituents, c -> cardinality(c)))) AS BIGINT) FROM (
           SELECT transform(Jet, j -> filter(array_concat_struct(EFlowTrack, array_concat_struct(EFlowPhoton, EFlowNeutralHadron)),
                                             c -> array_position(j.Constituents, c.fUniqueID) IS NOT NULL)) AS jet_constituents
           FROM read_root('{f}', 'Delphes'))"
    );
    assert_eq!(scalar_i64(&ctx, &constituents).await, 636);
}

/// The metrics of the query's ROOT scans after running it: what `EXPLAIN ANALYZE` shows.
async fn scan_metrics(ctx: &datafusion::prelude::SessionContext, sql: &str) -> datafusion::physical_plan::metrics::MetricsSet {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    let df = hepfusion_udfs::sql::sql(ctx, sql).await.unwrap();
    let task = std::sync::Arc::new(df.task_ctx());
    let plan = df.create_physical_plan().await.unwrap();
    datafusion::physical_plan::collect(plan.clone(), task).await.unwrap();
    let mut found = datafusion::physical_plan::metrics::MetricsSet::new();
    plan.apply(|node| {
        if node.name() == "DataSourceExec" {
            for m in node.metrics().unwrap().iter() {
                found.push(m.clone());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    })
    .unwrap();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_scans_report_bytes_baskets_and_times() {
    let cfg = hepfusion::session_config().with_target_partitions(1);
    let ctx = hepfusion::session::new_context_with_config(cfg).unwrap();
    let count = |m: &datafusion::physical_plan::metrics::MetricsSet, name: &str| m.sum_by_name(name).map(|v| v.as_usize()).unwrap_or(usize::MAX);
    // HZZ's NMuon: one zlib basket of 1269 bytes, its fZipBytes (root_ls and uproot say so).
    let m = scan_metrics(&ctx, &format!("SELECT sum(NMuon) FROM read_root('{}')", skhep("uproot-HZZ.root"))).await;
    assert_eq!((count(&m, "bytes_scanned"), count(&m, "baskets_read"), count(&m, "branch_reads")), (1269, 1, 1));
    assert!(count(&m, "time_elapsed_decompressing") > 0 && count(&m, "time_elapsed_decoding") > 0);
    assert_eq!(count(&m, "clusters_pruned_by_limit"), 0);
    // issue412's b1: 10⁶ entries in 100 clusters; LIMIT 5 reads the first only.
    let m = scan_metrics(&ctx, &format!("SELECT b1 FROM read_root('{}') LIMIT 5", skhep("uproot-issue412.root"))).await;
    assert_eq!((count(&m, "baskets_read"), count(&m, "clusters_pruned_by_limit")), (1, 99));
}
