//! Reading a tree as Arrow columns: the schema (one column per top-level branch, split objects
//! and collections grouped into structs and lists of structs), the basket plan of every branch,
//! and the decoding of an entry range into arrays.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, ArrayRef, ListArray, StructArray};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use bytes::Bytes;

use crate::ttree::basket::{parse_basket, Basket, EntryOffsets};
use crate::ttree::decode::ColumnBuilder;
use crate::error::{Result, RootError};
use crate::file::{RootFile, TreeEntry};
use crate::ttree::interpretation::{interpret, list_of, Interpretation, Layout};
use crate::io::source::Source;
use crate::models::tree::{Branch, Tree};

/// How a tree is turned into a table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ReaderOptions {
    /// Group NanoAOD-style branches sharing a counter (`nJet`, `Jet_pt`, `Jet_eta`) into one
    /// `Jet: List<Struct<pt, eta>>` column.
    pub group_counters: bool,
    /// Fail on branches that cannot be read instead of leaving them out of the schema.
    pub strict: bool,
}

/// Where a basket's bytes are.
#[derive(Debug, Clone)]
enum BasketLoc {
    External { seek: u64, bytes: u64 },
    Embedded(usize),
}

#[derive(Debug, Clone)]
struct BasketRef {
    start: u64,
    stop: u64,
    loc: BasketLoc,
}

/// A branch with data of its own (no sub-branches), by its full path.
#[derive(Debug, Clone)]
pub struct FlatBranch {
    /// Branch names from the top-level branch down, joined with '/', as uproot names them.
    pub path: String,
    pub interpretation: std::result::Result<Interpretation, String>,
    branch: Arc<Branch>,
    baskets: Vec<BasketRef>,
    /// The flat branch holding this branch's counter leaf (`x[n]`), to derive entry sizes in
    /// baskets written without offset tables.
    counter: Option<usize>,
}

/// Every branch of the tree, for listings: groups, readable branches, unsupported ones.
#[derive(Debug, Clone)]
pub struct BranchStatus {
    pub path: String,
    /// `Ok(Some(type))` for a readable branch, `Ok(None)` for a group, `Err(reason)` otherwise.
    pub status: std::result::Result<Option<DataType>, String>,
    /// For a readable branch, its index in `TreeReader::flat_branches`.
    pub flat: Option<usize>,
}

/// How one output column is built from flat branches.
#[derive(Debug, Clone)]
enum Node {
    Leaf { name: String, flat: usize },
    /// A split object: a struct of its members, one per entry (or per collection element).
    Object { name: String, children: Vec<Node>, in_collection: bool },
    /// A TClonesArray, split STL collection or NanoAOD counter group: a list of structs.
    Collection { name: String, children: Vec<Node> },
}

impl Node {
    fn name(&self) -> &str {
        match self {
            Node::Leaf { name, .. } | Node::Object { name, .. } | Node::Collection { name, .. } => name,
        }
    }
}

/// What a read did, for a scan's metrics: basket bytes fetched from storage (compressed, keys
/// included), baskets and branches read, and the time spent decompressing baskets and
/// decoding them into Arrow.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ReadStats {
    pub bytes: u64,
    pub baskets: u64,
    pub branches: u64,
    pub decompress: Duration,
    pub decode: Duration,
}

pub struct TreeReader {
    source: Source,
    pub tree_path: String,
    pub tree: Arc<Tree>,
    flat: Vec<FlatBranch>,
    columns: Vec<Node>,
    schema: SchemaRef,
    statuses: Vec<BranchStatus>,
    clusters: Vec<(u64, u64)>,
}

fn strip_name(child: &str, parent: &str) -> String {
    let n = child.strip_prefix(parent).and_then(|r| r.strip_prefix('.')).unwrap_or(child);
    let n = n.split('[').next().unwrap_or(n);
    n.to_string()
}

impl TreeReader {
    /// Opens `tree` (or the file's only tree) in `source`.
    pub async fn open(source: Source, tree: Option<&str>, opts: &ReaderOptions) -> Result<TreeReader> {
        let file = RootFile::open(source).await?;
        let entry = file.find_tree(tree).await?;
        Self::open_entry(&file, &entry, opts).await
    }

    /// Opens the tree `entry` of a file already open (listings open each of a file's trees).
    pub async fn open_entry(file: &RootFile, entry: &TreeEntry, opts: &ReaderOptions) -> Result<TreeReader> {
        let t = file.read_tree(entry).await?;
        Self::from_tree(file, entry.path.clone(), t, opts).map_err(|e| e.in_file(file.name()))
    }

    fn from_tree(file: &RootFile, tree_path: String, tree: Tree, opts: &ReaderOptions) -> Result<TreeReader> {
        let mut b = Builder { tree: &tree, file, flat: Vec::new(), statuses: Vec::new() };
        let mut columns = Vec::new();
        for br in &tree.branches {
            if let Some(n) = b.node(br, &br.name, br.name.clone(), true, false) {
                columns.push(n);
            }
        }
        let (mut flat, statuses) = (b.flat, b.statuses);
        link_counters(&tree, &mut flat);
        if opts.group_counters {
            columns = group_counters(columns, &flat, &tree);
        }
        // Trees may hold two branches of one name (Delphes files do): column names must differ.
        dedup_names(&mut columns);
        if opts.strict {
            if let Some(s) = statuses.iter().find(|s| s.status.is_err()) {
                return Err(RootError::unsupported(format!(
                    "{} (with 'strict' off, such branches are left out of the table)",
                    s.status.as_ref().err().map(String::as_str).unwrap_or("")
                ))
                .in_branch(&s.path)
                .in_tree(&tree_path));
            }
        }
        let fields: Vec<Field> = columns.iter().map(|c| Field::new(c.name(), node_type(c, &flat), false)).collect();
        let schema = Arc::new(Schema::new(fields));
        let clusters = clusters(&tree, &flat);
        Ok(TreeReader { source: file.source.clone(), tree_path, tree: Arc::new(tree), flat, columns, schema, statuses, clusters })
    }

    pub fn source(&self) -> &Source {
        &self.source
    }
    /// Approximate bytes this reader holds (basket tables, embedded baskets), for caches.
    pub fn memory_size(&self) -> usize {
        let flat: usize = self
            .flat
            .iter()
            .map(|f| {
                let embedded: usize = f.branch.embedded.iter().map(|e| e.data.len() + e.offsets.as_ref().map_or(0, |o| o.len() * 8)).sum();
                std::mem::size_of::<FlatBranch>() + f.path.len() + f.baskets.len() * std::mem::size_of::<BasketRef>() + embedded
            })
            .sum();
        std::mem::size_of::<Self>() + flat + self.clusters.len() * 16 + self.statuses.len() * 64
    }
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    pub fn entries(&self) -> u64 {
        self.tree.entries.max(0) as u64
    }
    /// Entry ranges at which every branch starts a new basket: the units of parallel reads.
    pub fn clusters(&self) -> &[(u64, u64)] {
        &self.clusters
    }
    pub fn branch_statuses(&self) -> &[BranchStatus] {
        &self.statuses
    }
    pub fn flat_branches(&self) -> &[FlatBranch] {
        &self.flat
    }

    /// Reads columns `cols` (indices into the schema) for entries `start..stop`.
    pub async fn read_columns(&self, cols: &[usize], start: u64, stop: u64) -> Result<Vec<ArrayRef>> {
        let nodes = cols.iter().map(|&c| self.column(c).map(Cow::Borrowed)).collect::<Result<Vec<_>>>()?;
        self.read_nodes(&nodes, start, stop, &mut ReadStats::default()).await
    }

    /// Reads columns as [`Self::read_columns`] does, each as the type given with it: the
    /// schema's, or a narrower one that keeps only some fields of a struct or collection (the
    /// members a query uses), whose other members' branches are then not read at all. A struct
    /// decoded from one branch (a leaf list, a TLorentzVector) comes whole, with its stored type.
    /// Also says what the read did ([`ReadStats`]): the scan's metrics.
    pub async fn read_columns_as(&self, cols: &[(usize, DataType)], start: u64, stop: u64) -> Result<(Vec<ArrayRef>, ReadStats)> {
        let nodes = cols
            .iter()
            .map(|(c, t)| {
                let node = self.column(*c)?;
                if self.schema.field(*c).data_type() == t {
                    Ok(Cow::Borrowed(node))
                } else {
                    pruned(node, t).map(Cow::Owned).map_err(|e| e.in_tree(&self.tree_path).in_file(self.source.name()))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let mut stats = ReadStats::default();
        let arrays = self.read_nodes(&nodes, start, stop, &mut stats).await?;
        Ok((arrays, stats))
    }

    fn column(&self, c: usize) -> Result<&Node> {
        self.columns.get(c).ok_or_else(|| RootError::not_found(format!("column {c}")))
    }

    async fn read_nodes(&self, nodes: &[Cow<'_, Node>], start: u64, stop: u64, stats: &mut ReadStats) -> Result<Vec<ArrayRef>> {
        let mut flats = Vec::new();
        for node in nodes {
            collect_flats(node, &mut flats);
        }
        let arrays = self.read_flats(&flats, start, stop, stats).await.map_err(|e| e.in_tree(&self.tree_path).in_file(self.source.name()))?;
        let by_flat: HashMap<usize, ArrayRef> = flats.into_iter().zip(arrays).collect();
        nodes
            .iter()
            .map(|n| build_node(n, &by_flat).map_err(|e| e.in_tree(&self.tree_path).in_file(self.source.name())))
            .collect()
    }

    /// Reads one flat branch (by index into `flat_branches`) for entries `start..stop`.
    pub async fn read_flat(&self, flat: usize, start: u64, stop: u64) -> Result<ArrayRef> {
        if flat >= self.flat.len() {
            return Err(RootError::not_found(format!("flat branch {flat}")));
        }
        let mut v = self.read_flats(&[flat], start, stop, &mut ReadStats::default()).await.map_err(|e| e.in_tree(&self.tree_path).in_file(self.source.name()))?;
        Ok(v.remove(0))
    }

    async fn read_flats(&self, flats: &[usize], start: u64, stop: u64, stats: &mut ReadStats) -> Result<Vec<ArrayRef>> {
        let fetched = self.fetch(flats, start, stop).await?;
        stats.bytes += fetched.values().map(|b| b.len() as u64).sum::<u64>();
        stats.branches += flats.len() as u64;
        let mut out = Vec::with_capacity(flats.len());
        // One buffer for every compressed basket of this read: a fresh one per branch faulted
        // its pages in again each time.
        let mut scratch = Vec::new();
        for &f in flats {
            out.push(self.decode(f, start, stop, &fetched, &mut scratch, stats).await?);
        }
        Ok(out)
    }

    /// Fetches, in one batch of range requests, every external basket of `flats` that overlaps
    /// `start..stop`.
    async fn fetch(&self, flats: &[usize], start: u64, stop: u64) -> Result<HashMap<u64, Bytes>> {
        let mut ranges = Vec::new();
        for &f in flats {
            for b in self.flat[f].baskets.iter().filter(|b| b.stop > start && b.start < stop) {
                if let BasketLoc::External { seek, bytes } = b.loc {
                    ranges.push(seek..seek + bytes);
                }
            }
        }
        ranges.sort_by_key(|r| r.start);
        ranges.dedup();
        let data = self.source.read_many(&ranges).await?;
        Ok(ranges.into_iter().map(|r| r.start).zip(data).collect())
    }

    async fn decode(&self, f: usize, start: u64, stop: u64, fetched: &HashMap<u64, Bytes>, scratch: &mut Vec<u8>, stats: &mut ReadStats) -> Result<ArrayRef> {
        let fb = &self.flat[f];
        let interp = fb.interpretation.as_ref().map_err(|e| RootError::unsupported(e.clone()).in_branch(&fb.path))?;
        let mut builder = ColumnBuilder::new(interp, (stop - start) as usize);
        let mut counts: Option<(u64, Vec<usize>)> = None;
        for (i, b) in fb.baskets.iter().enumerate().filter(|(_, b)| b.stop > start && b.start < stop) {
            let basket = match &b.loc {
                BasketLoc::External { seek, .. } => {
                    let raw = fetched.get(seek).ok_or_else(|| RootError::io("basket not fetched"))?;
                    let started = Instant::now();
                    let basket = parse_basket(raw, scratch).map_err(|e| e.in_basket(i).in_branch(&fb.path))?;
                    stats.decompress += started.elapsed();
                    basket
                }
                BasketLoc::Embedded(k) => {
                    let e = &fb.branch.embedded[*k];
                    let offsets = e.offsets.as_deref().map(|o| EntryOffsets::positions(o, e.data.len())).transpose();
                    Basket { entries: e.entries, data: &e.data, offsets: offsets.map_err(|e| e.in_basket(i).in_branch(&fb.path))? }
                }
            };
            let n = (b.stop - b.start) as usize;
            if basket.entries != n {
                return Err(RootError::format(format!(
                    "basket holds {} entries, the branch's basket table says {n}",
                    basket.entries
                ))
                .in_basket(i)
                .in_branch(&fb.path));
            }
            let lo = start.saturating_sub(b.start) as usize;
            let hi = (stop.min(b.stop) - b.start) as usize;
            let mut offsets = basket.offsets;
            if offsets.is_none() && matches!(interp.layout, Layout::Jagged { .. }) {
                let derived = self.derived_offsets(fb, b, (start, stop), &mut counts, interp).await;
                offsets = Some(derived.and_then(|o| EntryOffsets::positions(o, basket.data.len())).map_err(|e| e.in_basket(i).in_branch(&fb.path))?);
            }
            stats.baskets += 1;
            let started = Instant::now();
            builder
                .append(basket.data, offsets.as_ref(), lo, hi)
                .map_err(|e| e.in_basket(i).in_branch(&fb.path))?;
            stats.decode += started.elapsed();
        }
        if builder.entries() as u64 != stop - start {
            return Err(RootError::format(format!(
                "baskets cover {} of the {} entries requested",
                builder.entries(),
                stop - start
            ))
            .in_branch(&fb.path));
        }
        let started = Instant::now();
        let array = builder.finish().map_err(|e| e.in_branch(&fb.path));
        stats.decode += started.elapsed();
        array
    }

    /// Entry offsets of a basket written without an offset table (`kGenerateOffsetMap`),
    /// computed from the values of the branch's counter leaf.
    async fn derived_offsets(
        &self,
        fb: &FlatBranch,
        b: &BasketRef,
        (start, stop): (u64, u64),
        counts: &mut Option<(u64, Vec<usize>)>,
        interp: &Interpretation,
    ) -> Result<Vec<usize>> {
        let Layout::Jagged { header: 0, inner } = &interp.layout else {
            return Err(RootError::unsupported("variable-size basket without entry offsets"));
        };
        let counter = fb.counter.ok_or_else(|| RootError::format("variable-size basket without entry offsets or counter"))?;
        if counts.as_ref().is_none_or(|(s, c)| *s > b.start || s + (c.len() as u64) < b.stop) {
            // The counter is decoded once per read, over the baskets this read touches only.
            let touched = fb.baskets.iter().filter(|x| x.stop > start && x.start < stop);
            let first = touched.clone().map(|x| x.start).min().unwrap_or(b.start).min(b.start);
            let last = touched.map(|x| x.stop).max().unwrap_or(b.stop).max(b.stop);
            let arr = Box::pin(self.read_flats(&[counter], first, last, &mut ReadStats::default())).await?.remove(0);
            let arr = arrow::compute::cast(&arr, &DataType::Int64).map_err(|e| RootError::format(e.to_string()))?;
            let ints = arr.as_any().downcast_ref::<arrow::array::Int64Array>().ok_or_else(|| RootError::format("counter is not an integer"))?;
            *counts = Some((first, ints.values().iter().map(|&v| v.max(0) as usize).collect()));
        }
        let Some((s, c)) = counts.as_ref() else {
            return Err(RootError::format("counter values unavailable"));
        };
        let elem = interp.scalar.size() * inner.iter().product::<usize>();
        let mut offs = Vec::with_capacity((b.stop - b.start) as usize + 1);
        let mut pos = 0usize;
        offs.push(0);
        for e in b.start..b.stop {
            pos += c[(e - s) as usize] * elem;
            offs.push(pos);
        }
        Ok(offs)
    }
}

struct Builder<'a> {
    tree: &'a Tree,
    file: &'a RootFile,
    flat: Vec<FlatBranch>,
    statuses: Vec<BranchStatus>,
}

impl Builder<'_> {
    /// Builds the node for `br` (None when nothing in it can be read).
    fn node(&mut self, br: &Branch, name: &str, path: String, top: bool, in_collection: bool) -> Option<Node> {
        let field_name = name.to_string();
        if br.branches.is_empty() {
            let interp = interpret(br, &self.tree.leaves, &self.file.streamers, top);
            let interp = match (interp, &self.file.streamer_error) {
                (Err(e), Some(se)) if br.element.is_some() => Err(format!("{e}; the file's streamer infos are unreadable: {se}")),
                (r, _) => r,
            };
            let baskets = basket_plan(br, self.tree.entries);
            let interp = match (interp, baskets) {
                (Ok(i), Ok(_)) if in_collection && !i.in_collection => {
                    Err(format!("branch of type {} inside a collection", i.data_type()))
                }
                (Ok(i), Ok(b)) => Ok((i, b)),
                (Err(e), _) => Err(e),
                (Ok(_), Err(e)) => Err(e),
            };
            match interp {
                Ok((i, baskets)) => {
                    self.statuses.push(BranchStatus { path: path.clone(), status: Ok(Some(i.data_type())), flat: Some(self.flat.len()) });
                    self.flat.push(FlatBranch { path, interpretation: Ok(i), branch: Arc::new(br.clone()), baskets, counter: None });
                    Some(Node::Leaf { name: field_name, flat: self.flat.len() - 1 })
                }
                Err(e) => {
                    self.statuses.push(BranchStatus { path, status: Err(e), flat: None });
                    None
                }
            }
        } else {
            self.statuses.push(BranchStatus { path: path.clone(), status: Ok(None), flat: None });
            let btype = br.element.as_ref().map(|e| e.btype).unwrap_or(0);
            let is_collection = btype == 3 || btype == 4;
            if is_collection && in_collection {
                for c in &br.branches {
                    self.mark_unsupported(c, &format!("{path}/{}", c.name), "collection nested in a collection");
                }
                return None;
            }
            let child_in_coll = in_collection || is_collection;
            let mut children: Vec<Node> = Vec::new();
            for c in &br.branches {
                let cname = strip_name(&c.name, &br.name);
                if let Some(n) = self.node(c, &cname, format!("{path}/{}", c.name), false, child_in_coll) {
                    children.push(n);
                }
            }
            dedup_names(&mut children);
            if children.is_empty() {
                return None;
            }
            Some(if is_collection {
                Node::Collection { name: field_name, children }
            } else {
                Node::Object { name: field_name, children, in_collection }
            })
        }
    }

    fn mark_unsupported(&mut self, br: &Branch, path: &str, why: &str) {
        if br.branches.is_empty() {
            self.statuses.push(BranchStatus { path: path.to_string(), status: Err(why.to_string()), flat: None });
        } else {
            self.statuses.push(BranchStatus { path: path.to_string(), status: Ok(None), flat: None });
            for c in &br.branches {
                self.mark_unsupported(c, &format!("{path}/{}", c.name), why);
            }
        }
    }
}

fn dedup_names(children: &mut [Node]) {
    let mut seen = std::collections::HashSet::new();
    for (i, c) in children.iter_mut().enumerate() {
        if !seen.insert(c.name().to_string()) {
            let n = format!("{}_{i}", c.name());
            match c {
                Node::Leaf { name, .. } | Node::Object { name, .. } | Node::Collection { name, .. } => *name = n.clone(),
            }
            seen.insert(n);
        }
    }
}

/// The baskets of a branch with their entry ranges: the external ones from the basket tables,
/// then those embedded in the tree record.
fn basket_plan(br: &Branch, tree_entries: i64) -> std::result::Result<Vec<BasketRef>, String> {
    let mut out = Vec::new();
    let normal = br.normal_baskets();
    for i in 0..normal {
        let start = br.basket_entry[i];
        let stop = if i + 1 < br.basket_entry.len() && (i + 1 < normal || br.basket_entry[i + 1] > start) {
            br.basket_entry[i + 1]
        } else {
            br.entries
        };
        if start < 0 || stop < start || br.basket_bytes[i] <= 0 {
            return Err(format!("corrupt basket table (basket {i}: entries {start}..{stop}, {} bytes)", br.basket_bytes[i]));
        }
        out.push(BasketRef {
            start: start as u64,
            stop: stop as u64,
            loc: BasketLoc::External { seek: br.basket_seek[i] as u64, bytes: br.basket_bytes[i] as u64 },
        });
    }
    let mut next = out.last().map(|b| b.stop).unwrap_or(0);
    for (k, e) in br.embedded.iter().enumerate() {
        out.push(BasketRef { start: next, stop: next + e.entries as u64, loc: BasketLoc::Embedded(k) });
        next += e.entries as u64;
    }
    let expected = br.entries.max(0) as u64;
    if next != expected {
        return Err(format!("baskets hold {next} entries, the branch has {expected}"));
    }
    if expected != tree_entries.max(0) as u64 {
        return Err(format!("branch has {expected} entries, the tree has {tree_entries}"));
    }
    Ok(out)
}

/// Points every `x[n]` branch at the flat branch holding its counter leaf `n`.
fn link_counters(tree: &Tree, flat: &mut [FlatBranch]) {
    let leaf_owner: HashMap<usize, usize> = flat
        .iter()
        .enumerate()
        .flat_map(|(i, f)| f.branch.leaves.iter().map(move |&l| (l, i)))
        .collect();
    for f in flat.iter_mut() {
        let counter_leaf = f.branch.leaves.first().and_then(|&l| tree.leaves.get(l)).and_then(|l| l.leaf_count);
        f.counter = counter_leaf.and_then(|cl| leaf_owner.get(&cl).copied());
    }
}

/// Groups NanoAOD-style top-level branches `X_a`, `X_b` counted by `nX` into `X: List<Struct>`.
fn group_counters(columns: Vec<Node>, flat: &[FlatBranch], tree: &Tree) -> Vec<Node> {
    let counter_of = |n: &Node| -> Option<String> {
        let Node::Leaf { flat: f, name } = n else { return None };
        let fb = &flat[*f];
        let Ok(Interpretation { layout: Layout::Jagged { header: 0, .. }, .. }) = &fb.interpretation else { return None };
        let counter_leaf = fb.branch.leaves.first().and_then(|&l| tree.leaves.get(l))?.leaf_count?;
        let cname = &tree.leaves.get(counter_leaf)?.name;
        let group = cname.strip_prefix('n')?;
        (name.strip_prefix(group)?.starts_with('_') && !group.is_empty()).then(|| group.to_string())
    };
    let mut out: Vec<Node> = Vec::new();
    let mut group_index: HashMap<String, usize> = HashMap::new();
    for c in columns {
        match (counter_of(&c), c) {
            (Some(g), Node::Leaf { name, flat: f }) => {
                let member = Node::Leaf { name: name[g.len() + 1..].to_string(), flat: f };
                match group_index.get(&g) {
                    Some(&i) => {
                        if let Node::Collection { children, .. } = &mut out[i] {
                            children.push(member);
                        }
                    }
                    None if out.iter().any(|n| n.name() == g) => out.push(Node::Leaf { name, flat: f }),
                    None => {
                        group_index.insert(g.clone(), out.len());
                        out.push(Node::Collection { name: g, children: vec![member] });
                    }
                }
            }
            (_, c) => out.push(c),
        }
    }
    out
}

fn element_type(t: &DataType) -> DataType {
    match t {
        DataType::List(f) => f.data_type().clone(),
        other => other.clone(),
    }
}

fn node_type(n: &Node, flat: &[FlatBranch]) -> DataType {
    match n {
        Node::Leaf { flat: f, .. } => flat[*f].interpretation.as_ref().map(|i| i.data_type()).unwrap_or(DataType::Null),
        Node::Object { children, in_collection, .. } => {
            let fields: Fields = children
                .iter()
                .map(|c| {
                    let t = node_type(c, flat);
                    Field::new(c.name(), if *in_collection { element_type(&t) } else { t }, false)
                })
                .collect();
            if *in_collection {
                list_of(DataType::Struct(fields))
            } else {
                DataType::Struct(fields)
            }
        }
        Node::Collection { children, .. } => list_of(DataType::Struct(
            children.iter().map(|c| Field::new(c.name(), element_type(&node_type(c, flat)), false)).collect(),
        )),
    }
}

/// `n` with only the members that `t`, its column type narrowed to some struct fields, names.
/// A leaf is kept whole (a leaf list or a TLorentzVector is one branch): its array then has
/// the stored type, which callers narrow.
fn pruned(n: &Node, t: &DataType) -> Result<Node> {
    let fields = match t {
        DataType::Struct(fields) => fields,
        DataType::List(element) => match element.data_type() {
            DataType::Struct(fields) => fields,
            _ => return Ok(n.clone()),
        },
        _ => return Ok(n.clone()),
    };
    let keep = |name: &str, children: &[Node]| -> Result<Vec<Node>> {
        fields
            .iter()
            .map(|f| {
                let child = children
                    .iter()
                    .find(|c| c.name() == f.name())
                    .ok_or_else(|| RootError::not_found(format!("member '{}' of '{name}'", f.name())))?;
                pruned(child, f.data_type())
            })
            .collect()
    };
    Ok(match n {
        Node::Leaf { .. } => n.clone(),
        Node::Object { name, children, in_collection } => {
            Node::Object { name: name.clone(), children: keep(name, children)?, in_collection: *in_collection }
        }
        Node::Collection { name, children } => Node::Collection { name: name.clone(), children: keep(name, children)? },
    })
}

fn collect_flats(n: &Node, out: &mut Vec<usize>) {
    match n {
        Node::Leaf { flat, .. } => {
            if !out.contains(flat) {
                out.push(*flat)
            }
        }
        Node::Object { children, .. } | Node::Collection { children, .. } => children.iter().for_each(|c| collect_flats(c, out)),
    }
}

fn build_node(n: &Node, by_flat: &HashMap<usize, ArrayRef>) -> Result<ArrayRef> {
    match n {
        Node::Leaf { flat, .. } => by_flat.get(flat).cloned().ok_or_else(|| RootError::format("column not read")),
        Node::Object { children, in_collection: false, .. } => {
            let arrays = children.iter().map(|c| build_node(c, by_flat)).collect::<Result<Vec<_>>>()?;
            let fields: Fields = children.iter().zip(&arrays).map(|(c, a)| Field::new(c.name(), a.data_type().clone(), false)).collect();
            Ok(Arc::new(StructArray::try_new(fields, arrays, None).map_err(|e| RootError::format(e.to_string()))?))
        }
        Node::Object { children, name, .. } | Node::Collection { children, name } => {
            let arrays = children.iter().map(|c| build_node(c, by_flat)).collect::<Result<Vec<_>>>()?;
            zip_lists(name, children, &arrays)
        }
    }
}

/// Zips list columns with identical offsets into one list of structs.
fn zip_lists(name: &str, children: &[Node], arrays: &[ArrayRef]) -> Result<ArrayRef> {
    let lists: Vec<&ListArray> = arrays
        .iter()
        .map(|a| a.as_any().downcast_ref::<ListArray>().ok_or_else(|| RootError::format(format!("member of '{name}' is not a list"))))
        .collect::<Result<_>>()?;
    let first = lists[0];
    let base = first.value_offsets()[0];
    for (c, l) in children.iter().zip(&lists).skip(1) {
        let ob = l.value_offsets()[0];
        let same = l.len() == first.len()
            && l.value_offsets().iter().zip(first.value_offsets()).all(|(a, b)| a - ob == b - base);
        if !same {
            return Err(RootError::format(format!(
                "members of collection '{name}' disagree on the number of elements ('{}' vs '{}')",
                c.name(),
                children[0].name()
            )));
        }
    }
    let len = (first.value_offsets()[first.len()] - base) as usize;
    let values: Vec<ArrayRef> = lists
        .iter()
        .map(|l| {
            let ob = l.value_offsets()[0] as usize;
            l.values().slice(ob, len)
        })
        .collect();
    let fields: Fields = children.iter().zip(&values).map(|(c, a)| Field::new(c.name(), a.data_type().clone(), false)).collect();
    let st = StructArray::try_new(fields, values, None).map_err(|e| RootError::format(e.to_string()))?;
    let offsets: Vec<i32> = first.value_offsets().iter().map(|o| o - base).collect();
    let field = Arc::new(Field::new("item", st.data_type().clone(), false));
    Ok(Arc::new(
        ListArray::try_new(field, arrow::buffer::OffsetBuffer::new(offsets.into()), Arc::new(st), None)
            .map_err(|e| RootError::format(e.to_string()))?,
    ))
}

/// Entry boundaries shared by every readable branch; a tree with no common boundary inside is
/// one cluster.
fn clusters(tree: &Tree, flat: &[FlatBranch]) -> Vec<(u64, u64)> {
    let n = tree.entries.max(0) as u64;
    if n == 0 {
        return Vec::new();
    }
    let mut common: Option<std::collections::BTreeSet<u64>> = None;
    for f in flat.iter().filter(|f| f.interpretation.is_ok()) {
        let starts: std::collections::BTreeSet<u64> = f.baskets.iter().map(|b| b.start).collect();
        common = Some(match common {
            None => starts,
            Some(c) => c.intersection(&starts).copied().collect(),
        });
    }
    let mut bounds: Vec<u64> = common.unwrap_or_default().into_iter().filter(|&s| s > 0 && s < n).collect();
    bounds.insert(0, 0);
    bounds.push(n);
    bounds.windows(2).map(|w| (w[0], w[1])).collect()
}
