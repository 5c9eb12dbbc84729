//! `root_ls('file.root' [, 'tree'])`: what a ROOT file holds, as a table — its directories,
//! trees (with their entries), RNTuples and other objects, and per branch its C++ type (as
//! uproot's `typename`), the Arrow type hepfusion reads it as, its compressed and uncompressed
//! bytes, its baskets, and whether it is read (and why not). `rootls -t` and uproot's
//! `show()` for SQL; the shell's `\root file` runs it.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanBuilder, Int64Builder, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use object_store::ObjectStoreExt;

use super::df_err;
use super::metadata::display_name;
use crate::arguments::{Args, TableSignature};
use crate::blocking::block_on;
use crate::root::{Branch, BranchStatus, Leaf, Streamers};
use crate::root::{ReaderOptions, RootFile, Source, TreeReader};
use crate::states::States;

#[derive(Debug)]
pub struct RootLs {
    states: States,
}

impl RootLs {
    pub fn new(states: States) -> Self {
        Self { states }
    }
}

pub(crate) static SIGNATURE: TableSignature = TableSignature {
    name: "root_ls",
    section: "ROOT files",
    description: "What a ROOT file holds, as `rootls -t` and uproot's `show()` tell it: a row per directory, tree and RNTuple (with its entries), and per branch its C++ type, the Arrow type hepfusion reads it as, compressed and uncompressed bytes, baskets, and whether it is read (with the reason if not).",
    syntax: "root_ls('path' [, 'tree'])",
    arguments: &[("path", "A ROOT file, local, `http(s)://` or `s3://`."), ("tree", "Only this tree's branches.")],
    required: 1,
    options: &[],
    example: r#"```sql
> SELECT object, branch, class, entries, cpp_type, arrow_type FROM root_ls('uproot-Zmumu.root') LIMIT 4;
+--------+--------+---------+---------+----------+------------+
| object | branch | class   | entries | cpp_type | arrow_type |
+--------+--------+---------+---------+----------+------------+
| events |        | TTree   | 2304    |          |            |
| events | Type   | TBranch | 2304    | char*    | Utf8       |
| events | Run    | TBranch | 2304    | int32_t  | Int32      |
| events | Event  | TBranch | 2304    | int32_t  | Int32      |
+--------+--------+---------+---------+----------+------------+

```"#,
};

impl TableFunctionImpl for RootLs {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let a = Args::parse(&SIGNATURE, args.exprs())?;
        let (path, tree) = (a.string_at(0)?, a.optional_string_at(1)?);
        let state = self.states.of(args.session())?;
        let batch = block_on(async move { listing(&state, &path, tree.as_deref()).await })?;
        Ok(Arc::new(MemTable::try_new(batch.schema(), vec![vec![batch]])?))
    }
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("object", DataType::Utf8, false),
        Field::new("branch", DataType::Utf8, true),
        Field::new("class", DataType::Utf8, false),
        Field::new("entries", DataType::Int64, true),
        Field::new("cpp_type", DataType::Utf8, true),
        Field::new("arrow_type", DataType::Utf8, true),
        Field::new("compressed_bytes", DataType::Int64, true),
        Field::new("uncompressed_bytes", DataType::Int64, true),
        Field::new("baskets", DataType::Int64, true),
        Field::new("read", DataType::Boolean, true),
        Field::new("reason", DataType::Utf8, true),
    ]))
}

#[derive(Default)]
struct Rows {
    object: StringBuilder,
    branch: StringBuilder,
    class: StringBuilder,
    entries: Int64Builder,
    cpp_type: StringBuilder,
    arrow_type: StringBuilder,
    compressed: Int64Builder,
    uncompressed: Int64Builder,
    baskets: Int64Builder,
    read: BooleanBuilder,
    reason: StringBuilder,
}

impl Rows {
    /// A row of an object that is not a tree: its path and class, and for an RNTuple why it
    /// is not read.
    fn object(&mut self, path: &str, class: &str, rntuple: bool) {
        self.object.append_value(path);
        self.branch.append_null();
        self.class.append_value(class);
        self.entries.append_null();
        self.cpp_type.append_null();
        self.arrow_type.append_null();
        self.compressed.append_null();
        self.uncompressed.append_null();
        self.baskets.append_null();
        if rntuple {
            self.read.append_value(false);
            self.reason.append_value("RNTuple: not supported yet (only TTrees are read)");
        } else {
            self.read.append_null();
            self.reason.append_null();
        }
    }

    fn tree(&mut self, path: &str, class: &str, tree: Result<&TreeReader, String>) {
        self.object.append_value(path);
        self.branch.append_null();
        self.class.append_value(class);
        self.entries.append_option(tree.as_ref().ok().map(|t| t.entries() as i64));
        self.cpp_type.append_null();
        self.arrow_type.append_null();
        let branches = tree.as_ref().map(|t| all_branches(&t.tree.branches)).unwrap_or_default();
        self.compressed.append_option(tree.is_ok().then(|| branches.iter().map(|(_, b)| b.zip_bytes).sum()));
        self.uncompressed.append_option(tree.is_ok().then(|| branches.iter().map(|(_, b)| b.tot_bytes).sum()));
        self.baskets.append_option(tree.is_ok().then(|| branches.iter().map(|(_, b)| b.baskets() as i64).sum()));
        self.read.append_value(tree.is_ok());
        self.reason.append_option(tree.err());
    }

    fn branch(&mut self, tree_path: &str, path: &str, b: &Branch, status: Option<&BranchStatus>, reader: &TreeReader, streamers: &Streamers) {
        self.object.append_value(tree_path);
        self.branch.append_value(path);
        self.class.append_value(&b.class);
        self.entries.append_value(b.entries);
        let interpretation = status.and_then(|s| s.flat).and_then(|i| reader.flat_branches().get(i)).and_then(|f| f.interpretation.as_ref().ok());
        self.cpp_type.append_option(interpretation.map(|i| i.typename(string_class(b, &reader.tree.leaves, streamers))));
        self.compressed.append_value(b.zip_bytes);
        self.uncompressed.append_value(b.tot_bytes);
        self.baskets.append_value(b.baskets() as i64);
        match status.map(|s| &s.status) {
            Some(Ok(Some(t))) => {
                self.arrow_type.append_value(t.to_string());
                self.read.append_value(true);
                self.reason.append_null();
            }
            Some(Ok(None)) => {
                self.arrow_type.append_null();
                self.read.append_value(true);
                self.reason.append_value("read through its sub-branches");
            }
            Some(Err(why)) => {
                self.arrow_type.append_null();
                self.read.append_value(false);
                self.reason.append_value(why);
            }
            None => {
                self.arrow_type.append_null();
                self.read.append_value(false);
                self.reason.append_value("not part of the table");
            }
        }
    }

    fn finish(mut self) -> Result<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.object.finish()),
            Arc::new(self.branch.finish()),
            Arc::new(self.class.finish()),
            Arc::new(self.entries.finish()),
            Arc::new(self.cpp_type.finish()),
            Arc::new(self.arrow_type.finish()),
            Arc::new(self.compressed.finish()),
            Arc::new(self.uncompressed.finish()),
            Arc::new(self.baskets.finish()),
            Arc::new(self.read.finish()),
            Arc::new(self.reason.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}

/// The C++ class of a branch's strings: a `TString` member or vector says so (in the branch
/// or in its class's streamer), other objects'
/// strings are `std::string`, and a plain leaf of characters (`TLeafC`) is a `char*`.
fn string_class(b: &Branch, leaves: &[Leaf], streamers: &Streamers) -> &'static str {
    const K_TSTRING: i32 = 65;
    let member = b.name.rsplit('.').next().unwrap_or(&b.name);
    let declared = |class: &str| streamers.get(class).and_then(|s| s.elements.iter().find(|m| m.name == member)).is_some_and(|m| m.type_name.contains("TString"));
    match &b.element {
        Some(e) if e.streamer_type == K_TSTRING || e.class_name.contains("TString") || declared(&e.class_name) => "TString",
        Some(_) => "std::string",
        None if b.leaves.first().and_then(|&i| leaves.get(i)).is_some_and(|l| l.title.contains("TString")) => "TString",
        None => "char*",
    }
}

/// Every branch under `branches`, parents before their sub-branches, with its path (names joined with '/', as
/// uproot's full paths and our branch statuses write them).
fn all_branches(branches: &[Branch]) -> Vec<(String, &Branch)> {
    fn walk<'a>(branches: &'a [Branch], prefix: &str, out: &mut Vec<(String, &'a Branch)>) {
        for b in branches {
            let path = if prefix.is_empty() { b.name.clone() } else { format!("{prefix}/{}", b.name) };
            out.push((path.clone(), b));
            walk(&b.branches, &path, out);
        }
    }
    let mut out = vec![];
    walk(branches, "", &mut out);
    out
}

async fn listing(state: &SessionState, path: &str, only_tree: Option<&str>) -> Result<RecordBatch> {
    let url = ListingTableUrl::parse(path)?;
    let store = state.runtime_env().object_store(&url)?;
    let meta = store.head(url.prefix()).await.map_err(|e| match e {
        object_store::Error::NotFound { .. } => DataFusionError::Plan(format!("root_ls: '{path}' does not exist (no such file)")),
        e => DataFusionError::External(Box::new(e)),
    })?;
    let name = display_name(store.as_ref(), &meta.location);
    let source = Source::new(store, meta.location.clone(), meta.size, name);
    let file = RootFile::open(source).await.map_err(df_err)?;
    // One tree by read_root's lookup (and its errors), or everything the file holds.
    let objects = match only_tree {
        Some(t) => vec![file.find_tree(Some(t)).await.map_err(df_err)?],
        None => file.objects().await.map_err(df_err)?,
    };
    let mut rows = Rows::default();
    for o in &objects {
        if !o.is_tree() {
            rows.object(&o.path, &o.key.class_name, o.is_rntuple());
            continue;
        }
        let reader = TreeReader::open_entry(&file, o, &ReaderOptions::default()).await.map_err(|e| e.to_string());
        rows.tree(&o.path, &o.key.class_name, reader.as_ref().map_err(Clone::clone));
        if let Ok(reader) = &reader {
            let statuses: HashMap<&str, &BranchStatus> = reader.branch_statuses().iter().map(|s| (s.path.as_str(), s)).collect();
            for (path, b) in all_branches(&reader.tree.branches) {
                rows.branch(&o.path, &path, b, statuses.get(path.as_str()).copied(), reader, &file.streamers);
            }
        }
    }
    rows.finish()
}
