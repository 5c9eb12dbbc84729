//! TStreamerInfo: the class layouts a file carries. The reader needs them for the C++ type of
//! split members (`std::vector<float>`, `Double32_t` ranges in titles, TClonesArray contents).

use std::collections::HashMap;

use crate::io::cursor::Cursor;
use crate::error::Result;
use crate::models::objects::{read_object_any, read_tnamed, Obj, ReadContext};

/// The streamer type codes of `TVirtualStreamerInfo::EReadWrite` that the reader acts on.
pub mod kind {
    pub const CHAR: i32 = 1;
    pub const SHORT: i32 = 2;
    pub const INT: i32 = 3;
    pub const LONG: i32 = 4;
    pub const FLOAT: i32 = 5;
    pub const COUNTER: i32 = 6;
    pub const DOUBLE: i32 = 8;
    pub const DOUBLE32: i32 = 9;
    pub const UCHAR: i32 = 11;
    pub const USHORT: i32 = 12;
    pub const UINT: i32 = 13;
    pub const ULONG: i32 = 14;
    pub const BITS: i32 = 15;
    pub const LONG64: i32 = 16;
    pub const ULONG64: i32 = 17;
    pub const BOOL: i32 = 18;
    pub const FLOAT16: i32 = 19;
    /// Added to a basic type for a fixed-size array member (`float x[5]`).
    pub const OFFSET_L: i32 = 20;
    /// Added to a basic type for a variable array member (`float* x //[n]`).
    pub const OFFSET_P: i32 = 40;
    pub const OBJECT: i32 = 61;
    pub const TSTRING: i32 = 65;
    pub const STL: i32 = 300;
    pub const STL_STRING: i32 = 365;
    pub const STREAMER: i32 = 500;
}

#[derive(Debug, Clone)]
pub struct StreamerElement {
    pub class: String,
    pub name: String,
    pub title: String,
    pub etype: i32,
    pub size: i32,
    pub array_length: i32,
    pub array_dim: i32,
    pub max_index: Vec<i32>,
    pub type_name: String,
    /// For TStreamerBasicPointer / TStreamerLoop: the counter member.
    pub count_name: Option<String>,
    /// For TStreamerSTL: the container kind (1 = vector) and the element's type code.
    pub stl_type: Option<i32>,
    pub ctype: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct StreamerInfo {
    pub name: String,
    pub class_version: i32,
    pub elements: Vec<StreamerElement>,
}

/// All streamer infos of a file, by class name (the latest version read wins).
#[derive(Debug, Default, Clone)]
pub struct Streamers {
    by_name: HashMap<String, StreamerInfo>,
}

impl Streamers {
    pub fn from_objects(objs: Vec<Option<Obj>>) -> Self {
        let mut by_name = HashMap::new();
        for o in objs.into_iter().flatten() {
            if let Obj::StreamerInfo(si) = o {
                by_name.insert(si.name.clone(), *si);
            }
        }
        Streamers { by_name }
    }
    pub fn get(&self, class: &str) -> Option<&StreamerInfo> {
        self.by_name.get(class).or_else(|| self.by_name.get(class.trim()))
    }
    pub fn len(&self) -> usize {
        self.by_name.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

pub fn read_streamer_info(c: &mut Cursor, ctx: &mut ReadContext) -> Result<StreamerInfo> {
    let f = c.frame()?;
    let (name, _title) = read_tnamed(c)?;
    let _checksum = c.u32()?;
    let class_version = c.i32()?;
    let mut elements = Vec::new();
    if let Some(Obj::Array(items)) = read_object_any(c, ctx)? {
        for it in items.into_iter().flatten() {
            if let Obj::Element(e) = it {
                elements.push(*e);
            }
        }
    }
    if let Some(e) = f.end() {
        c.seek(e)?;
    }
    Ok(StreamerInfo { name, class_version, elements })
}

/// A TStreamerElement subclass: the common element, then the few subclass fields we use.
pub fn read_element(c: &mut Cursor, class: &str) -> Result<StreamerElement> {
    let outer = c.frame()?;
    // TStreamerSTLstring derives from TStreamerSTL: one more level of framing.
    let middle = if class == "TStreamerSTLstring" { Some(c.frame()?) } else { None };
    let inner = c.frame()?;
    let (name, title) = read_tnamed(c)?;
    let mut etype = c.i32()?;
    let size = c.i32()?;
    let array_length = c.i32()?;
    let array_dim = c.i32()?;
    let max_index = if inner.version == 1 {
        let n = c.i32()?.clamp(0, 5) as usize;
        c.array_i32(n)?
    } else {
        c.array_i32(5)?
    };
    let type_name = c.tstring()?;
    if etype == kind::UCHAR && (type_name == "Bool_t" || type_name == "bool") {
        etype = kind::BOOL;
    }
    if let Some(e) = inner.end() {
        c.seek(e)?;
    }
    let mut el = StreamerElement {
        class: class.to_string(),
        name,
        title,
        etype,
        size,
        array_length,
        array_dim,
        max_index,
        type_name,
        count_name: None,
        stl_type: None,
        ctype: None,
    };
    match class {
        "TStreamerBasicPointer" | "TStreamerLoop" => {
            let _count_version = c.i32()?;
            el.count_name = Some(c.tstring()?);
            let _count_class = c.tstring()?;
        }
        "TStreamerSTL" | "TStreamerSTLstring" => {
            el.stl_type = Some(c.i32()?);
            el.ctype = Some(c.i32()?);
        }
        _ => {}
    }
    if let Some(e) = middle.and_then(|m| m.end()) {
        c.seek(e)?;
    }
    if let Some(e) = outer.end() {
        c.seek(e)?;
    }
    Ok(el)
}
