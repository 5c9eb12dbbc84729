//! The generic object stream: `ReadObjectAny` with class tags and back references, and the
//! container classes (TObjArray, TList) that hold trees' branches and the streamer infos.
//!
//! Only the classes a TTree reader needs are modelled (see `tree.rs`, `streamers.rs`); any
//! other object is skipped by its byte count and kept as its class name.

use std::collections::HashMap;

use crate::io::cursor::{Cursor, K_BYTE_COUNT_MASK};
use crate::error::{Result, RootError};
use crate::models::streamers::{self, StreamerElement, StreamerInfo};
use crate::models::tree::{self, Branch, EmbeddedBasket, Leaf};

const K_NEW_CLASS_TAG: u32 = 0xFFFF_FFFF;
const K_CLASS_MASK: u32 = 0x8000_0000;
const K_MAP_OFFSET: i64 = 2;
/// TObject::fBits flag: the object was referenced and a process id follows.
pub(crate) const K_IS_REFERENCED: u32 = 1 << 4;

/// A deserialised object of one of the modelled classes.
#[derive(Debug)]
pub enum Obj {
    Branch(Box<Branch>),
    /// Index into `ReadContext::leaves`.
    Leaf(usize),
    StreamerInfo(Box<StreamerInfo>),
    Element(Box<StreamerElement>),
    Array(Vec<Option<Obj>>),
    Basket(Box<EmbeddedBasket>),
    /// An object of a class we skip, by class name.
    Other(String),
}

#[derive(Debug, Clone)]
enum Ref {
    Class(String),
    Leaf(usize),
    Object,
}

/// State shared while one record is deserialised: references seen so far and the leaf arena
/// (leaves reference their counter leaves, which may sit anywhere in the tree).
#[derive(Default)]
pub struct ReadContext {
    refs: HashMap<i64, Ref>,
    pub leaves: Vec<Leaf>,
}

impl ReadContext {
    pub fn new() -> Self {
        Self::default()
    }
}

/// Reads TObject's streamed members (unique id and bits); nothing in them matters to us.
pub fn read_tobject(c: &mut Cursor) -> Result<()> {
    let f = c.frame()?;
    if f.count.is_some() {
        return c.skip_frame(&f);
    }
    let _unique_id = c.u32()?;
    let bits = c.u32()?;
    if bits & K_IS_REFERENCED != 0 {
        c.skip(2)?;
    }
    Ok(())
}

/// TNamed: TObject, name, title.
pub fn read_tnamed(c: &mut Cursor) -> Result<(String, String)> {
    let f = c.frame()?;
    read_tobject(c)?;
    let name = c.tstring()?;
    let title = c.tstring()?;
    if let Some(e) = f.end() {
        c.seek(e)?;
    }
    Ok((name, title))
}

/// A TObjArray streamed in place (not through a pointer).
pub fn read_tobjarray(c: &mut Cursor, ctx: &mut ReadContext) -> Result<Vec<Option<Obj>>> {
    let f = c.frame()?;
    if f.version > 2 {
        read_tobject(c)?;
    }
    if f.version > 1 {
        let _name = c.tstring()?;
    }
    let n = c.i32()?;
    let _lower = c.i32()?;
    if n < 0 || n as usize > c.remaining() {
        return Err(RootError::format(format!("TObjArray claims {n} entries")));
    }
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(read_object_any(c, ctx)?);
    }
    if let Some(e) = f.end() {
        c.seek(e)?;
    }
    Ok(out)
}

/// A TList streamed in place: objects each followed by an option string.
pub fn read_tlist(c: &mut Cursor, ctx: &mut ReadContext) -> Result<Vec<Option<Obj>>> {
    let f = c.frame()?;
    if f.version > 3 {
        read_tobject(c)?;
        let _name = c.tstring()?;
    }
    let n = c.i32()?;
    if n < 0 || n as usize > c.remaining() {
        return Err(RootError::format(format!("TList claims {n} entries")));
    }
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        out.push(read_object_any(c, ctx)?);
        let _option = c.tstring()?;
    }
    if let Some(e) = f.end() {
        c.seek(e)?;
    }
    Ok(out)
}

/// ROOT's `TBufferFile::ReadObjectAny`: a (possibly null) pointer to an object of any class,
/// introduced by a new-class tag, a class reference, or a reference to an earlier object.
pub fn read_object_any(c: &mut Cursor, ctx: &mut ReadContext) -> Result<Option<Obj>> {
    let beg_pos = c.pos();
    let beg = c.displacement();
    let first = c.u32()?;
    let (has_count, count, start, tag) = if first & K_BYTE_COUNT_MASK == 0 || first == K_NEW_CLASS_TAG {
        (false, 0u32, 0i64, first)
    } else {
        let start = c.displacement();
        (true, first & !K_BYTE_COUNT_MASK, start, c.u32()?)
    };
    let end_pos = beg_pos + 4 + count as usize;
    if has_count && end_pos > c.len() {
        return Err(RootError::format(format!(
            "object at offset {beg_pos} claims {count} bytes, beyond its record"
        )));
    }

    if tag & K_CLASS_MASK == 0 {
        // A reference to an object read earlier (or null).
        if tag == 0 {
            return Ok(None);
        }
        return match ctx.refs.get(&(tag as i64)) {
            Some(Ref::Leaf(i)) => Ok(Some(Obj::Leaf(*i))),
            Some(_) => Ok(None),
            None => {
                // Unresolved (e.g. the parent being read): skip it as ROOT does.
                if has_count {
                    c.seek(end_pos)?;
                }
                Ok(None)
            }
        };
    }

    let class = if tag == K_NEW_CLASS_TAG {
        let name = c.cstring()?;
        let key = if has_count { start + K_MAP_OFFSET } else { ctx.refs.len() as i64 + 1 };
        ctx.refs.insert(key, Ref::Class(name.clone()));
        name
    } else {
        let r = (tag & !K_CLASS_MASK) as i64;
        match ctx.refs.get(&r) {
            Some(Ref::Class(name)) => name.clone(),
            _ => return Err(RootError::format(format!("invalid class reference {r} at offset {beg_pos}"))),
        }
    };

    let obj = read_class(c, ctx, &class, has_count.then_some(end_pos))?;
    if has_count {
        c.seek(end_pos)?;
    }
    let key = if has_count { beg + K_MAP_OFFSET } else { ctx.refs.len() as i64 + 1 };
    let r = match &obj {
        Obj::Leaf(i) => Ref::Leaf(*i),
        _ => Ref::Object,
    };
    ctx.refs.insert(key, r);
    Ok(Some(obj))
}

fn read_class(c: &mut Cursor, ctx: &mut ReadContext, class: &str, end: Option<usize>) -> Result<Obj> {
    let obj = match class {
        "TBranch" | "TBranchElement" | "TBranchObject" => Obj::Branch(Box::new(tree::read_branch(c, ctx, class)?)),
        "TLeafB" | "TLeafS" | "TLeafI" | "TLeafL" | "TLeafG" | "TLeafF" | "TLeafD" | "TLeafO" | "TLeafC"
        | "TLeafF16" | "TLeafD32" | "TLeafElement" => {
            let leaf = tree::read_leaf(c, ctx, class)?;
            ctx.leaves.push(leaf);
            Obj::Leaf(ctx.leaves.len() - 1)
        }
        "TObjArray" => Obj::Array(read_tobjarray(c, ctx)?),
        "TList" => Obj::Array(read_tlist(c, ctx)?),
        "TStreamerInfo" => Obj::StreamerInfo(Box::new(streamers::read_streamer_info(c, ctx)?)),
        "TBasket" => match tree::read_embedded_basket(c, end)? {
            Some(b) => Obj::Basket(Box::new(b)),
            None => Obj::Other(class.to_string()),
        },
        _ if class.starts_with("TStreamer") => Obj::Element(Box::new(streamers::read_element(c, class)?)),
        _ => match end {
            Some(e) => {
                c.seek(e)?;
                Obj::Other(class.to_string())
            }
            None => {
                return Err(RootError::unsupported(format!(
                    "object of class {class} without byte count cannot be skipped"
                )))
            }
        },
    };
    Ok(obj)
}
