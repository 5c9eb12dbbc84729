//! Models of TTree, TBranch, TBranchElement and TLeaf, hard-coded per class version as uproot
//! does (TTree v16-v20, TBranch v10-v13, TBranchElement v8-v10), so that opening a tree never
//! needs the file's own streamers.

use crate::io::cursor::Cursor;
use crate::error::{Result, RootError};
use crate::models::objects::{read_object_any, read_tnamed, read_tobjarray, Obj, ReadContext};

#[derive(Debug, Clone)]
pub struct Leaf {
    pub class: String,
    pub name: String,
    pub title: String,
    /// Number of values per entry for fixed-size leaves (product of the dimensions).
    pub len: i32,
    pub len_type: i32,
    pub is_unsigned: bool,
    /// The counter leaf of a variable-length array (`x[n]`), as an index into the leaf arena.
    pub leaf_count: Option<usize>,
    /// TLeafElement: the streamer type code.
    pub elem_type: Option<i32>,
}

/// TBranchElement's own members.
#[derive(Debug, Clone)]
pub struct ElementInfo {
    pub class_name: String,
    pub parent_name: String,
    pub clones_name: String,
    pub class_version: i32,
    pub id: i32,
    /// 0: member or top-level object, 3: TClonesArray, 31: its member, 4: STL collection, 41: its member.
    pub btype: i32,
    pub streamer_type: i32,
}

/// A basket stored inside the TTree record rather than in its own key (always uncompressed).
#[derive(Debug, Clone)]
pub struct EmbeddedBasket {
    pub entries: usize,
    pub key_len: usize,
    pub data: Vec<u8>,
    /// Entry boundaries in `data` (entries + 1 values), when entries vary in size.
    pub offsets: Option<Vec<usize>>,
}

#[derive(Debug, Clone)]
pub struct Branch {
    pub class: String,
    pub name: String,
    pub title: String,
    pub entry_offset_len: i32,
    pub write_basket: i32,
    pub entries: i64,
    /// `fTotBytes` and `fZipBytes`: the branch's baskets before and after compression, keys
    /// included, as the branch records them.
    pub tot_bytes: i64,
    pub zip_bytes: i64,
    pub basket_bytes: Vec<i32>,
    pub basket_entry: Vec<i64>,
    pub basket_seek: Vec<i64>,
    pub embedded: Vec<EmbeddedBasket>,
    pub branches: Vec<Branch>,
    /// Indices into the tree's leaf arena.
    pub leaves: Vec<usize>,
    pub element: Option<ElementInfo>,
    /// A name of another file holding the baskets; not supported when non-empty.
    pub file_name: String,
}

impl Branch {
    /// Baskets in their own keys: up to the first unset seek or `fWriteBasket`, as ROOT and
    /// uproot count them.
    pub fn normal_baskets(&self) -> usize {
        let n = self.basket_seek.len().min(self.basket_entry.len()).min(self.basket_bytes.len());
        let mut normal = 0;
        while normal < n && self.basket_seek[normal] != 0 && normal as i32 != self.write_basket {
            normal += 1;
        }
        normal
    }

    /// Baskets in their own keys plus the non-empty ones embedded in the tree record (g4tools
    /// leaves an empty one).
    pub fn baskets(&self) -> usize {
        self.normal_baskets() + self.embedded.iter().filter(|b| b.entries > 0).count()
    }
}

#[derive(Debug, Clone)]
pub struct Tree {
    pub name: String,
    pub title: String,
    pub entries: i64,
    pub branches: Vec<Branch>,
    pub leaves: Vec<Leaf>,
    /// Entry boundaries of the tree's clusters, if the tree records them.
    pub auto_flush: i64,
    pub cluster_range_end: Vec<i64>,
    pub cluster_size: Vec<i64>,
}

fn invalid_version(class: &str, v: u16) -> RootError {
    RootError::unsupported(format!("{class} class version {v} (supported: TTree 5 and 16-20, TBranch 8 and 10-13)"))
}

/// Reads a pointer-to-array member: a byte saying whether the pointer is set, then the values.
fn pointer_array_i32(c: &mut Cursor, n: usize) -> Result<Vec<i32>> {
    if c.u8()? == 0 {
        return Ok(vec![0; n]);
    }
    c.array_i32(n)
}
fn pointer_array_i64(c: &mut Cursor, n: usize) -> Result<Vec<i64>> {
    if c.u8()? == 0 {
        return Ok(vec![0; n]);
    }
    c.array_i64(n)
}

pub fn read_tree(c: &mut Cursor) -> Result<Tree> {
    let mut ctx = ReadContext::new();
    let f = c.frame()?;
    if !(16..=20).contains(&f.version) && f.version != 5 {
        return Err(invalid_version("TTree", f.version));
    }
    let (name, title) = read_tnamed(c)?;
    c.skip_object()?; // TAttLine
    c.skip_object()?; // TAttFill
    c.skip_object()?; // TAttMarker
    if f.version == 5 {
        return read_tree_v5(c, &mut ctx, name, title);
    }
    let entries = c.i64()?;
    let _tot_bytes = c.i64()?;
    let _zip_bytes = c.i64()?;
    let _saved_bytes = c.i64()?;
    if f.version >= 18 {
        let _flushed_bytes = c.i64()?;
    }
    let _weight = c.f64()?;
    let _timer_interval = c.i32()?;
    let _scan_field = c.i32()?;
    let _update = c.i32()?;
    if f.version >= 17 {
        let _default_entry_offset_len = c.i32()?;
    }
    let n_cluster_range = if f.version >= 19 { c.u32()? as usize } else { 0 };
    let _max_entries = c.i64()?;
    let _max_entry_loop = c.i64()?;
    let _max_virtual_size = c.i64()?;
    let _auto_save = c.i64()?;
    let auto_flush = if f.version >= 18 { c.i64()? } else { 0 };
    let _estimate = c.i64()?;
    let (mut cluster_range_end, mut cluster_size) = (Vec::new(), Vec::new());
    if f.version >= 19 {
        if n_cluster_range > c.remaining() / 16 {
            return Err(RootError::format(format!("TTree claims {n_cluster_range} cluster ranges")));
        }
        cluster_range_end = pointer_array_i64(c, n_cluster_range)?;
        cluster_size = pointer_array_i64(c, n_cluster_range)?;
    }
    if f.version >= 20 {
        c.skip_object()?; // ROOT::TIOFeatures
    }
    let mut branches = Vec::new();
    for o in read_tobjarray(c, &mut ctx)?.into_iter().flatten() {
        if let Obj::Branch(b) = o {
            branches.push(*b);
        }
    }
    Ok(Tree {
        name,
        title,
        entries,
        branches,
        leaves: ctx.leaves,
        auto_flush,
        cluster_range_end,
        cluster_size,
    })
}

/// TTree version 5, as written by Geant4's g4tools: counts as doubles, no cluster information.
fn read_tree_v5(c: &mut Cursor, ctx: &mut ReadContext, name: String, title: String) -> Result<Tree> {
    let entries = c.f64()?;
    let _tot_bytes = c.f64()?;
    let _zip_bytes = c.f64()?;
    let _saved_bytes = c.f64()?;
    for _ in 0..7 {
        let _ = c.i32()?; // fTimerInterval .. fEstimate
    }
    if !(0.0..9.0e15).contains(&entries) || entries.fract() != 0.0 {
        return Err(RootError::format(format!("TTree claims {entries} entries")));
    }
    let mut branches = Vec::new();
    for o in read_tobjarray(c, ctx)?.into_iter().flatten() {
        if let Obj::Branch(b) = o {
            branches.push(*b);
        }
    }
    Ok(Tree {
        name,
        title,
        entries: entries as i64,
        branches,
        leaves: std::mem::take(&mut ctx.leaves),
        auto_flush: 0,
        cluster_range_end: Vec::new(),
        cluster_size: Vec::new(),
    })
}

pub fn read_branch(c: &mut Cursor, ctx: &mut ReadContext, class: &str) -> Result<Branch> {
    match class {
        "TBranch" => read_tbranch(c, ctx),
        "TBranchElement" => {
            let f = c.frame()?;
            if !(8..=10).contains(&f.version) {
                return Err(RootError::unsupported(format!(
                    "TBranchElement class version {} (supported: 8-10)",
                    f.version
                )));
            }
            let mut b = read_tbranch(c, ctx)?;
            let class_name = c.tstring()?;
            let parent_name = c.tstring()?;
            let clones_name = c.tstring()?;
            let _checksum = c.u32()?;
            let class_version = if f.version >= 10 { c.i16()? as i32 } else { c.i32()? };
            let id = c.i32()?;
            let btype = c.i32()?;
            let streamer_type = c.i32()?;
            let _maximum = c.i32()?;
            let _branch_count = read_object_any(c, ctx)?;
            let _branch_count2 = read_object_any(c, ctx)?;
            if let Some(e) = f.end() {
                c.seek(e)?;
            }
            b.class = class.to_string();
            b.element = Some(ElementInfo { class_name, parent_name, clones_name, class_version, id, btype, streamer_type });
            Ok(b)
        }
        _ => {
            // TBranchObject: a TBranch plus the class name of an unsplit object.
            let f = c.frame()?;
            let mut b = read_tbranch(c, ctx)?;
            let class_name = c.tstring()?;
            if let Some(e) = f.end() {
                c.seek(e)?;
            }
            b.class = class.to_string();
            b.element = Some(ElementInfo {
                class_name,
                parent_name: String::new(),
                clones_name: String::new(),
                class_version: 0,
                id: -1,
                btype: -1,
                streamer_type: -1,
            });
            Ok(b)
        }
    }
}

/// TBranch v10-v13, and v8 as written by Geant4's g4tools (32-bit entry numbers, counts as
/// doubles, 32-bit basket tables).
fn read_tbranch(c: &mut Cursor, ctx: &mut ReadContext) -> Result<Branch> {
    let f = c.frame()?;
    let v8 = f.version == 8;
    if !v8 && !(10..=13).contains(&f.version) {
        return Err(invalid_version("TBranch", f.version));
    }
    let (name, title) = read_tnamed(c)?;
    c.skip_object()?; // TAttFill
    let _compress = c.i32()?;
    let _basket_size = c.i32()?;
    let entry_offset_len = c.i32()?;
    let write_basket = c.i32()?;
    let _entry_number = if v8 { c.i32()? as i64 } else { c.i64()? };
    if f.version >= 13 {
        c.skip_object()?; // ROOT::TIOFeatures
    }
    let _offset = c.i32()?;
    let max_baskets = c.u32()? as usize;
    let _split_level = c.i32()?;
    let entries = if v8 {
        let e = c.f64()?;
        if !(0.0..9.0e15).contains(&e) || e.fract() != 0.0 {
            return Err(RootError::format(format!("branch '{name}' claims {e} entries")));
        }
        e as i64
    } else {
        c.i64()?
    };
    if f.version >= 11 {
        let _first_entry = c.i64()?;
    }
    let tot_bytes = if v8 { c.f64()? as i64 } else { c.i64()? };
    let zip_bytes = if v8 { c.f64()? as i64 } else { c.i64()? };
    let mut branches = Vec::new();
    for o in read_tobjarray(c, ctx)?.into_iter().flatten() {
        if let Obj::Branch(b) = o {
            branches.push(*b);
        }
    }
    let mut leaves = Vec::new();
    for o in read_tobjarray(c, ctx)?.into_iter().flatten() {
        if let Obj::Leaf(i) = o {
            leaves.push(i);
        }
    }
    let mut embedded = Vec::new();
    for o in read_tobjarray(c, ctx)?.into_iter().flatten() {
        if let Obj::Basket(b) = o {
            embedded.push(*b);
        }
    }
    if max_baskets > c.remaining() / 4 {
        return Err(RootError::format(format!("branch '{name}' claims {max_baskets} baskets")));
    }
    let basket_bytes = pointer_array_i32(c, max_baskets)?;
    let (basket_entry, basket_seek) = if v8 {
        let entry = pointer_array_i32(c, max_baskets)?.into_iter().map(i64::from).collect();
        (entry, pointer_array_i32(c, max_baskets)?.into_iter().map(i64::from).collect())
    } else {
        (pointer_array_i64(c, max_baskets)?, pointer_array_i64(c, max_baskets)?)
    };
    let file_name = c.tstring()?;
    if let Some(e) = f.end() {
        c.seek(e)?;
    }
    Ok(Branch {
        class: "TBranch".into(),
        name,
        title,
        entry_offset_len,
        write_basket,
        entries,
        tot_bytes,
        zip_bytes,
        basket_bytes,
        basket_entry,
        basket_seek,
        embedded,
        branches,
        leaves,
        element: None,
        file_name,
    })
}

pub fn read_leaf(c: &mut Cursor, ctx: &mut ReadContext, class: &str) -> Result<Leaf> {
    let outer = c.frame()?;
    let inner = c.frame()?; // TLeaf
    let (name, title) = read_tnamed(c)?;
    let len = c.i32()?;
    let len_type = c.i32()?;
    let _offset = c.i32()?;
    let _is_range = c.bool()?;
    let is_unsigned = c.bool()?;
    let leaf_count = match read_object_any(c, ctx)? {
        Some(Obj::Leaf(i)) => Some(i),
        _ => None,
    };
    if let Some(e) = inner.end() {
        c.seek(e)?;
    }
    let elem_type = if class == "TLeafElement" {
        let _id = c.i32()?;
        Some(c.i32()?)
    } else {
        None
    };
    if let Some(e) = outer.end() {
        c.seek(e)?;
    }
    Ok(Leaf { class: class.to_string(), name, title, len, len_type, is_unsigned, leaf_count, elem_type })
}

/// A TBasket held in a branch's fBaskets array (the key header and buffer are streamed inline).
/// `None` for a basket already written to its own key (only its header is streamed here).
pub fn read_embedded_basket(c: &mut Cursor, end: Option<usize>) -> Result<Option<EmbeddedBasket>> {
    let start = c.pos();
    let nbytes = c.i32()?;
    let _key_version = c.i16()?;
    let _objlen = c.i32()?;
    let _datime = c.u32()?;
    let key_len = c.i16()?;
    let _cycle = c.i16()?;
    if key_len < 19 {
        return Err(RootError::format(format!("embedded basket with key length {key_len}")));
    }
    if nbytes > key_len as i32 {
        return Ok(None);
    }
    let key_len = key_len as usize;
    c.seek(start + key_len - 19)?;
    let _version = c.u16()?;
    let _buffer_size = c.i32()?;
    let nev_buf_size = c.i32()?;
    let nev_buf = c.i32()?;
    let last = c.i32()?;
    c.skip(1)?; // flag
    if nev_buf < 0 || last < key_len as i32 {
        return Err(RootError::format(format!("embedded basket with {nev_buf} entries and fLast {last}")));
    }
    let entries = nev_buf as usize;
    let border = last as usize - key_len;
    let fixed = nev_buf_size as i64 * nev_buf as i64 + key_len as i64 == last as i64;
    let offsets = if fixed {
        None
    } else {
        let raw = c.array_i32(entries + 2)?;
        c.seek(c.pos() - 4)?;
        let mut offs = Vec::with_capacity(entries + 1);
        for &o in &raw[1..=entries] {
            let o = o as i64 - key_len as i64;
            if o < 0 || o as usize > border {
                return Err(RootError::format(format!("embedded basket entry offset {o} outside its {border} bytes")));
            }
            offs.push(o as usize);
        }
        offs.push(border);
        Some(offs)
    };
    c.skip(key_len)?; // the buffer starts with a copy of the key
    let data = c.bytes(border)?.to_vec();
    if let Some(e) = end {
        if c.pos() > e {
            return Err(RootError::format("embedded basket overruns its object"));
        }
    }
    Ok(Some(EmbeddedBasket { entries, key_len, data, offsets }))
}
