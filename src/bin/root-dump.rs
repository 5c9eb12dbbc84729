//! `root-dump FILE.root OUTDIR`: writes every tree of a ROOT file as Arrow IPC, one column per
//! branch (named by its full path), plus `manifest.json` with each branch's status. The oracle
//! test compares these files with uproot, value by value.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{Field, Schema};
use arrow::ipc::writer::FileWriter;
use arrow::record_batch::RecordBatch;
use hepfusion::root::{ReaderOptions, RootFile, Source, TreeReader};

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt(s: Option<String>) -> String {
    s.map(|s| json_str(&s)).unwrap_or_else(|| "null".into())
}

async fn dump_tree(file: &Path, tree: &str, out: &Path, idx: usize) -> Result<String, String> {
    let source = Source::local(file).await.map_err(|e| e.to_string())?;
    let reader = TreeReader::open(source, Some(tree), &ReaderOptions::default()).await.map_err(|e| e.to_string())?;
    let entries = reader.entries();
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut branches = Vec::new();
    for st in reader.branch_statuses() {
        let (status, ty, msg) = match &st.status {
            Ok(None) => ("group", String::new(), None),
            Err(why) => ("unsupported", String::new(), Some(why.clone())),
            Ok(Some(t)) => {
                match reader.read_flat(st.flat.unwrap_or(usize::MAX), 0, entries).await {
                    Ok(a) => {
                        fields.push(Field::new(&st.path, a.data_type().clone(), false));
                        arrays.push(a);
                        ("ok", t.to_string(), None)
                    }
                    Err(e) => ("error", t.to_string(), Some(e.to_string())),
                }
            }
        };
        branches.push(format!(
            "{{\"branch\": {}, \"status\": \"{status}\", \"type\": {}, \"message\": {}}}",
            json_str(&st.path),
            json_str(&ty),
            opt(msg)
        ));
    }
    let ipc = format!("t{idx}.arrow");
    let schema = Arc::new(Schema::new(fields));
    let batch = if arrays.is_empty() {
        RecordBatch::try_new_with_options(schema.clone(), vec![], &arrow::array::RecordBatchOptions::new().with_row_count(Some(entries as usize)))
    } else {
        RecordBatch::try_new(schema.clone(), arrays)
    }
    .map_err(|e| e.to_string())?;
    let f = File::create(out.join(&ipc)).map_err(|e| e.to_string())?;
    let mut w = FileWriter::try_new(f, &schema).map_err(|e| e.to_string())?;
    w.write(&batch).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(format!(
        "{{\"path\": {}, \"entries\": {entries}, \"ipc\": {}, \"error\": null, \"branches\": [{}]}}",
        json_str(tree),
        json_str(&ipc),
        branches.join(", ")
    ))
}

async fn run(file: &Path, out: &Path) -> String {
    let name = file.display().to_string();
    let opened = match Source::local(file).await {
        Ok(s) => RootFile::open(s).await,
        Err(e) => Err(e),
    };
    let rf = match opened {
        Ok(f) => f,
        Err(e) => return format!("{{\"file\": {}, \"error\": {}, \"trees\": []}}", json_str(&name), json_str(&e.to_string())),
    };
    let trees = match rf.trees().await {
        Ok(t) => t,
        Err(e) => return format!("{{\"file\": {}, \"error\": {}, \"trees\": []}}", json_str(&name), json_str(&e.to_string())),
    };
    let mut items = Vec::new();
    for (i, t) in trees.iter().enumerate() {
        items.push(match dump_tree(file, &t.path, out, i).await {
            Ok(j) => j,
            Err(e) => format!(
                "{{\"path\": {}, \"entries\": null, \"ipc\": null, \"error\": {}, \"branches\": []}}",
                json_str(&t.path),
                json_str(&e)
            ),
        });
    }
    format!("{{\"file\": {}, \"error\": null, \"trees\": [{}]}}", json_str(&name), items.join(",\n"))
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    hepfusion::process::without_transparent_huge_pages();
    match hepfusion::process::runtime_builder().build() {
        Ok(runtime) => runtime.block_on(dump_main()),
        Err(e) => {
            eprintln!("root-dump: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    }
}

async fn dump_main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: root-dump FILE.root OUTDIR");
        std::process::exit(2);
    }
    let out = Path::new(&args[2]);
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("root-dump: cannot create {}: {e}", out.display());
        std::process::exit(2);
    }
    let manifest = run(Path::new(&args[1]), out).await;
    if let Err(e) = std::fs::write(out.join("manifest.json"), manifest) {
        eprintln!("root-dump: cannot write manifest: {e}");
        std::process::exit(2);
    }
}
