//! How a branch's bytes become Arrow values: the C++ type of every branch is worked out once,
//! from its leaves, its TBranchElement fields and the file's streamers, into an
//! [`Interpretation`]. Anything that does not map onto Arrow is reported as unsupported with
//! the branch's C++ type, never guessed.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields};

use crate::models::streamers::{kind, StreamerElement, Streamers};
use crate::models::tree::{Branch, Leaf};

/// A primitive value type as stored on disk (big-endian).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// `Double32_t` stored as a float (no range in its title): widened to f64.
    F32AsF64,
    /// `Double32_t` / `Float16_t` packed in `bits` bits over [low, high], stored as u32.
    Packed { low: f64, high: f64, bits: u32, as_f64: bool },
    /// `Double32_t` / `Float16_t` with a zero range: a truncated float in 3 bytes.
    Truncated { bits: u32, as_f64: bool },
}

impl Scalar {
    pub fn size(&self) -> usize {
        match self {
            Scalar::Bool | Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 | Scalar::F32AsF64 | Scalar::Packed { .. } => 4,
            Scalar::I64 | Scalar::U64 | Scalar::F64 => 8,
            Scalar::Truncated { .. } => 3,
        }
    }

    pub fn data_type(&self) -> DataType {
        match self {
            Scalar::Bool => DataType::Boolean,
            Scalar::I8 => DataType::Int8,
            Scalar::U8 => DataType::UInt8,
            Scalar::I16 => DataType::Int16,
            Scalar::U16 => DataType::UInt16,
            Scalar::I32 => DataType::Int32,
            Scalar::U32 => DataType::UInt32,
            Scalar::I64 => DataType::Int64,
            Scalar::U64 => DataType::UInt64,
            Scalar::F32 => DataType::Float32,
            Scalar::F64 | Scalar::F32AsF64 => DataType::Float64,
            Scalar::Packed { as_f64, .. } | Scalar::Truncated { as_f64, .. } => {
                if *as_f64 {
                    DataType::Float64
                } else {
                    DataType::Float32
                }
            }
        }
    }

    /// The C++ name uproot gives the type.
    pub fn typename(&self) -> &'static str {
        match self {
            Scalar::Bool => "bool",
            Scalar::I8 => "int8_t",
            Scalar::U8 => "uint8_t",
            Scalar::I16 => "int16_t",
            Scalar::U16 => "uint16_t",
            Scalar::I32 => "int32_t",
            Scalar::U32 => "uint32_t",
            Scalar::I64 => "int64_t",
            Scalar::U64 => "uint64_t",
            // A Double32_t without a range is a float on disk, which uproot names it by.
            Scalar::F32 | Scalar::F32AsF64 => "float",
            Scalar::F64 => "double",
            Scalar::Packed { as_f64, .. } | Scalar::Truncated { as_f64, .. } => {
                if *as_f64 {
                    "Double32_t"
                } else {
                    "Float16_t"
                }
            }
        }
    }

    /// The scalar for a streamer type code (1..19), if it is a number.
    pub fn from_streamer_type(t: i32, unsigned_hint: bool, title: &str) -> Option<Scalar> {
        Some(match t {
            kind::BOOL => Scalar::Bool,
            kind::CHAR => {
                if unsigned_hint {
                    Scalar::U8
                } else {
                    Scalar::I8
                }
            }
            kind::UCHAR => Scalar::U8,
            kind::SHORT => Scalar::I16,
            kind::USHORT => Scalar::U16,
            kind::INT => Scalar::I32,
            kind::UINT | kind::BITS | kind::COUNTER => Scalar::U32,
            kind::LONG | kind::LONG64 => Scalar::I64,
            kind::ULONG | kind::ULONG64 => Scalar::U64,
            kind::FLOAT => Scalar::F32,
            kind::DOUBLE => Scalar::F64,
            kind::DOUBLE32 => truncated_float(title, true),
            kind::FLOAT16 => truncated_float(title, false),
            _ => return None,
        })
    }
}

/// Parses `[low, high]` or `[low, high, bits]` from a title, as ROOT's
/// `TStreamerElement::GetRange` does (`pi`, `2pi`, `twopi` and products allowed).
fn truncated_float(title: &str, as_f64: bool) -> Scalar {
    let spec = title.find('[').and_then(|l| title[l + 1..].find(']').map(|r| &title[l + 1..l + 1 + r]));
    let parts: Option<Vec<&str>> = spec.map(|s| s.split(',').map(str::trim).collect());
    let parsed = parts.and_then(|p| match p.len() {
        2 => Some((parse_range_value(p[0])?, parse_range_value(p[1])?, None)),
        3 => Some((parse_range_value(p[0])?, parse_range_value(p[1])?, Some(p[2].parse::<i64>().ok()?))),
        _ => None,
    });
    match parsed {
        None if as_f64 => Scalar::F32AsF64,
        None => Scalar::Truncated { bits: 12, as_f64 },
        Some((low, high, bits)) => {
            let bits = match bits {
                Some(b) if (2..=32).contains(&b) => b as u32,
                _ => 32,
            };
            if low == 0.0 && high == 0.0 {
                Scalar::Truncated { bits: bits.min(23), as_f64 }
            } else {
                Scalar::Packed { low, high, bits, as_f64 }
            }
        }
    }
}

fn parse_range_value(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        return Some(v);
    }
    // Products and quotients of numbers and pi, e.g. "-pi", "2*pi", "pi/2", "twopi".
    let (sign, body) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest.trim()),
        None => (1.0, s),
    };
    let mut value = 1.0;
    let mut op = '*';
    let mut rest = body;
    loop {
        let end = rest.find(['*', '/']).unwrap_or(rest.len());
        let tok = rest[..end].trim().to_ascii_lowercase();
        let v = match tok.as_str() {
            "pi" => std::f64::consts::PI,
            "twopi" | "2pi" => 2.0 * std::f64::consts::PI,
            t => t.parse::<f64>().ok()?,
        };
        value = if op == '*' { value * v } else { value / v };
        if end == rest.len() {
            break;
        }
        op = rest.as_bytes()[end] as char;
        rest = &rest[end + 1..];
    }
    Some(sign * value)
}

/// How each entry's bytes are laid out.
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    /// Every entry holds `dims` values (none: one value). `float x[3][4]` → dims [3, 4].
    Fixed { dims: Vec<usize> },
    /// A variable number of values per entry (`x[n]`, `std::vector<T>`, collection members),
    /// after `header` bytes per entry; each value is itself `inner` fixed-size.
    Jagged { header: usize, inner: Vec<usize> },
    /// One string per entry after `header` bytes; its length is 1 byte (or 255 + 4 bytes).
    String { header: usize },
    /// STL objects after a 6-byte object header (`vector<vector<T>>`, `vector<string>`, ...):
    /// one per entry, or, for members of a collection, one per element until the entry ends.
    /// Vectors nested inside them are written without headers.
    Objects { shape: Stl },
    /// TObject::fBits of split objects: a u32, followed by a 2-byte process id when the object
    /// is referenced (`kIsReferenced`), so element sizes vary.
    TObjectBits,
    /// `TRef` members of a split collection (Delphes' `Track.Particle`): per element, the
    /// `fUniqueID` of the referenced object (a u32; 0 for none).
    Ref,
    /// `TRefArray` members of a split collection (Delphes' `Jet.Constituents`): per element,
    /// the list of the referenced objects' `fUniqueID`s.
    RefArray,
    /// A leaf list `"x/D:y/I:z/B"`: a struct of fixed fields packed in each entry.
    LeafList { fields: Vec<(String, Scalar, Vec<usize>)> },
    /// `TVector3` / `TLorentzVector` members, `dims` fixed records of
    /// [`VectorClass::record_size`] bytes per value: one value per entry, or, in a split
    /// collection (Delphes' `Jet.SoftDroppedJet`, `Jet.TrimmedP4[5]`), one per element.
    /// `std::vector<TLorentzVector>` is a list of records after a `header` of 10 bytes.
    Vectors { class: VectorClass, dims: Vec<usize>, header: usize },
}

/// ROOT's vector classes (`TVector2`, `TVector3`, `TLorentzVector`), written as fixed
/// records: a byte count and version (6 bytes), the TObject (10), then the doubles; `TLorentzVector` holds its `fP` as a whole
/// `TVector3` record, then `fE`. Field names are ROOT's, as uproot gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorClass {
    Two,
    Three,
    Lorentz,
}

impl VectorClass {
    pub fn name(self) -> &'static str {
        match self {
            VectorClass::Two => "TVector2",
            VectorClass::Three => "TVector3",
            VectorClass::Lorentz => "TLorentzVector",
        }
    }

    fn from_name(t: &str) -> Option<Self> {
        [VectorClass::Two, VectorClass::Three, VectorClass::Lorentz].into_iter().find(|c| c.name() == t)
    }

    pub fn record_size(self) -> usize {
        match self {
            VectorClass::Two => 32,
            VectorClass::Three => 40,
            VectorClass::Lorentz => 64,
        }
    }

    /// Where the record's byte counts are, and what they must say (bytes after the count):
    /// fixed sizes hold only while no object is referenced, which adds a process id.
    pub fn byte_counts(self) -> &'static [(usize, u32)] {
        match self {
            VectorClass::Two => &[(0, 28)],
            VectorClass::Three => &[(0, 36)],
            VectorClass::Lorentz => &[(0, 60), (16, 36)],
        }
    }

    /// Positions of the doubles, in field order: fX, fY (, fZ (, fE)).
    pub fn doubles(self) -> &'static [usize] {
        match self {
            VectorClass::Two => &[16, 24],
            VectorClass::Three => &[16, 24, 32],
            VectorClass::Lorentz => &[32, 40, 48, 56],
        }
    }

    /// `{fX, fY}`, `{fX, fY, fZ}`, and `{fP: {fX, fY, fZ}, fE}`.
    pub fn fields(self) -> Fields {
        let f = |n: &str| Arc::new(Field::new(n, DataType::Float64, false));
        let three: Fields = vec![f("fX"), f("fY"), f("fZ")].into();
        match self {
            VectorClass::Two => vec![f("fX"), f("fY")].into(),
            VectorClass::Three => three,
            VectorClass::Lorentz => vec![Arc::new(Field::new("fP", DataType::Struct(three), false)), f("fE")].into(),
        }
    }
}

/// The structure of an STL object: vectors nested around numbers (of the interpretation's
/// scalar type) or strings (`std::string` and `TString` are written alike inside vectors).
#[derive(Debug, Clone, PartialEq)]
pub enum Stl {
    Number,
    String,
    Vector(Box<Stl>),
}

impl Stl {
    fn typename(&self, scalar: &str, strings: &str) -> String {
        match self {
            Stl::Number => scalar.to_string(),
            Stl::String => strings.to_string(),
            Stl::Vector(inner) => format!("std::vector<{}>", inner.typename(scalar, strings)),
        }
    }

    fn data_type(&self, scalar: &Scalar) -> DataType {
        match self {
            Stl::Number => scalar.data_type(),
            Stl::String => DataType::Utf8,
            Stl::Vector(inner) => list_of(inner.data_type(scalar)),
        }
    }

    /// The innermost item: a number or a string.
    pub fn leaf(&self) -> &Stl {
        match self {
            Stl::Vector(inner) => inner.leaf(),
            other => other,
        }
    }

    /// How many vectors are nested, outermost included.
    pub fn depth(&self) -> usize {
        match self {
            Stl::Vector(inner) => 1 + inner.depth(),
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interpretation {
    pub layout: Layout,
    pub scalar: Scalar,
    /// True when the branch is a member of a TClonesArray or split STL collection: its values
    /// per entry are a list whose offsets come from the basket.
    pub in_collection: bool,
}

fn fixed_size_list(inner: DataType, dims: &[usize]) -> DataType {
    dims.iter().rev().fold(inner, |t, &d| {
        DataType::FixedSizeList(Arc::new(Field::new("item", t, false)), d as i32)
    })
}

pub fn list_of(t: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", t, false)))
}

impl Interpretation {
    pub fn data_type(&self) -> DataType {
        let s = self.scalar.data_type();
        let t = match &self.layout {
            Layout::Fixed { dims } => fixed_size_list(s, dims),
            Layout::Jagged { inner, .. } => list_of(fixed_size_list(s, inner)),
            Layout::String { .. } => DataType::Utf8,
            Layout::Objects { shape } => shape.data_type(&self.scalar),
            Layout::Vectors { class, dims, .. } => fixed_size_list(DataType::Struct(class.fields()), dims),
            Layout::TObjectBits | Layout::Ref => s,
            Layout::RefArray => list_of(s),
            Layout::LeafList { fields } => DataType::Struct(
                fields
                    .iter()
                    .map(|(n, sc, d)| Arc::new(Field::new(n, fixed_size_list(sc.data_type(), d), false)))
                    .collect(),
            ),
        };
        if self.in_collection && !matches!(self.layout, Layout::Jagged { .. }) {
            list_of(t)
        } else {
            t
        }
    }

    /// The C++ type of the branch, as uproot's `typename` writes it: `float`, `int32_t[3]`,
    /// `float[]` (a variable-length array or a collection member), `std::vector<double>`,
    /// `std::vector<std::vector<float>>`, `TLorentzVector`.
    /// `strings` names the branch's string class (`char*`, `TString`, `std::string`), which
    /// the interpretation does not keep: all three are read alike.
    pub fn typename(&self, strings: &str) -> String {
        let s = self.scalar.typename();
        let dims = |d: &[usize]| d.iter().map(|n| format!("[{n}]")).collect::<String>();
        // A collection's list comes before the fixed dimensions of its values: `float[][3]`.
        let list = if self.in_collection { "[]" } else { "" };
        match &self.layout {
            Layout::Fixed { dims: d } => format!("{s}{list}{}", dims(d)),
            // A vector's values follow a 10-byte header; a C array's counter is another leaf.
            Layout::Jagged { header: 10, inner } if inner.is_empty() => format!("std::vector<{s}>"),
            Layout::Jagged { inner, .. } => format!("{s}[]{}", dims(inner)),
            Layout::String { .. } => format!("{strings}{list}"),
            Layout::Objects { shape } => format!("{}{list}", shape.typename(s, strings)),
            // The vector is what makes the list (`in_collection`).
            Layout::Vectors { class, dims: d, header } if *header > 0 => format!("std::vector<{}{}>", class.name(), dims(d)),
            Layout::Vectors { class, dims: d, .. } => format!("{}{list}{}", class.name(), dims(d)),
            Layout::TObjectBits => format!("uint32_t{list}"),
            Layout::Ref => format!("TRef{list}"),
            Layout::RefArray => format!("TRefArray{list}"),
            Layout::LeafList { fields } => {
                let members: Vec<String> = fields.iter().map(|(n, sc, d)| format!("{}{} {n};", sc.typename(), dims(d))).collect();
                format!("struct {{{}}}{list}", members.join(" "))
            }
        }
    }

    /// Bytes per entry when every entry has the same size.
    pub fn fixed_entry_size(&self) -> Option<usize> {
        match &self.layout {
            Layout::Fixed { dims } if !self.in_collection => Some(self.scalar.size() * dims.iter().product::<usize>()),
            Layout::LeafList { fields } => {
                Some(fields.iter().map(|(_, s, d)| s.size() * d.iter().product::<usize>()).sum())
            }
            Layout::Vectors { class, dims, .. } if !self.in_collection => Some(class.record_size() * dims.iter().product::<usize>()),
            _ => None,
        }
    }
}

/// A reason a branch cannot be read, naming its C++ type.
pub type Unsupported = String;

/// Dimensions from a leaf title such as `x[3][4]` or `x[n][3]`: (counter name, numeric dims).
fn title_dims(title: &str) -> (Option<String>, Vec<usize>) {
    let mut counter = None;
    let mut dims = Vec::new();
    let mut rest = match title.find('[') {
        Some(i) => &title[i..],
        None => return (None, dims),
    };
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(end) = stripped.find(']') else { break };
        let tok = stripped[..end].trim();
        match tok.parse::<usize>() {
            Ok(d) => dims.push(d),
            Err(_) if dims.is_empty() && counter.is_none() => counter = Some(tok.to_string()),
            Err(_) => {}
        }
        rest = &stripped[end + 1..];
    }
    (counter, dims)
}

fn leaf_scalar(leaf: &Leaf) -> Result<Scalar, Unsupported> {
    let u = leaf.is_unsigned;
    Ok(match leaf.class.as_str() {
        "TLeafO" => Scalar::Bool,
        "TLeafB" => if u { Scalar::U8 } else { Scalar::I8 },
        "TLeafS" => if u { Scalar::U16 } else { Scalar::I16 },
        "TLeafI" => if u { Scalar::U32 } else { Scalar::I32 },
        "TLeafL" | "TLeafG" => if u { Scalar::U64 } else { Scalar::I64 },
        "TLeafF" => Scalar::F32,
        "TLeafD" => Scalar::F64,
        "TLeafD32" => truncated_float(&leaf.title, true),
        "TLeafF16" => truncated_float(&leaf.title, false),
        "TLeafElement" => {
            let t = leaf.elem_type.unwrap_or(-1);
            let t = if t > kind::OFFSET_L && t < kind::OFFSET_P { t - kind::OFFSET_L } else { t };
            Scalar::from_streamer_type(t, u, &leaf.title).ok_or_else(|| format!("leaf type code {t}"))?
        }
        other => return Err(format!("leaf class {other}")),
    })
}

/// The interpretation of a branch of a plain TBranch (leaves only).
fn plain_branch(branch: &Branch, leaves: &[Leaf]) -> Result<Interpretation, Unsupported> {
    let ls: Vec<&Leaf> = branch.leaves.iter().filter_map(|&i| leaves.get(i)).collect();
    match ls.as_slice() {
        [] => Err("branch without leaves".into()),
        [leaf] => {
            if leaf.class == "TLeafC" {
                return Ok(Interpretation { layout: Layout::String { header: 0 }, scalar: Scalar::U8, in_collection: false });
            }
            let scalar = leaf_scalar(leaf)?;
            let (counter, mut dims) = title_dims(&leaf.title);
            if leaf.leaf_count.is_some() {
                if counter.is_none() && !dims.is_empty() {
                    // "x[n]" where the counter is parsed as a number cannot happen; be safe.
                    dims.remove(0);
                }
                Ok(Interpretation { layout: Layout::Jagged { header: 0, inner: dims }, scalar, in_collection: false })
            } else {
                if dims.is_empty() && leaf.len > 1 {
                    dims.push(leaf.len as usize);
                }
                Ok(Interpretation { layout: Layout::Fixed { dims }, scalar, in_collection: false })
            }
        }
        many => {
            let mut fields = Vec::new();
            for leaf in many {
                if leaf.leaf_count.is_some() {
                    return Err("leaf list with a variable-length leaf".into());
                }
                if leaf.class == "TLeafC" {
                    return Err("leaf list with a string leaf".into());
                }
                let (_, mut dims) = title_dims(&leaf.title);
                if dims.is_empty() && leaf.len > 1 {
                    dims.push(leaf.len as usize);
                }
                fields.push((leaf.name.clone(), leaf_scalar(leaf)?, dims));
            }
            Ok(Interpretation { layout: Layout::LeafList { fields }, scalar: Scalar::U8, in_collection: false })
        }
    }
}

/// Normalises a C++ type name: no spaces around template brackets, `std::` dropped.
fn normalize_type(t: &str) -> String {
    let t = t.replace("std::", "");
    let mut out = String::with_capacity(t.len());
    for ch in t.chars() {
        if ch == ' ' {
            continue;
        }
        out.push(ch);
    }
    out.replace("unsignedint", "unsigned int")
        .replace("unsignedshort", "unsigned short")
        .replace("unsignedchar", "unsigned char")
        .replace("unsignedlonglong", "unsigned long long")
        .replace("unsignedlong", "unsigned long")
        .replace("longlong", "long long")
}

fn scalar_from_cpp(t: &str) -> Option<Scalar> {
    Some(match t {
        "bool" | "Bool_t" => Scalar::Bool,
        "char" | "Char_t" | "int8_t" => Scalar::I8,
        "unsigned char" | "UChar_t" | "uint8_t" => Scalar::U8,
        "short" | "Short_t" | "int16_t" => Scalar::I16,
        "unsigned short" | "UShort_t" | "uint16_t" => Scalar::U16,
        "int" | "Int_t" | "int32_t" => Scalar::I32,
        "unsigned int" | "UInt_t" | "uint32_t" => Scalar::U32,
        "long" | "Long_t" | "long long" | "Long64_t" | "int64_t" => Scalar::I64,
        "unsigned long" | "ULong_t" | "unsigned long long" | "ULong64_t" | "uint64_t" => Scalar::U64,
        "float" | "Float_t" => Scalar::F32,
        "double" | "Double_t" => Scalar::F64,
        "Double32_t" => Scalar::F32AsF64,
        "Float16_t" => Scalar::Truncated { bits: 12, as_f64: false },
        _ => return None,
    })
}

/// The structure of an STL type name (`vector<vector<float>>`, `vector<string>`, ...) and its
/// number type (`U8` when it holds strings).
fn stl_shape(t: &str) -> Option<(Stl, Scalar)> {
    if t == "string" || t == "TString" {
        return Some((Stl::String, Scalar::U8));
    }
    if let Some(elem) = t.strip_prefix("vector<").and_then(|x| x.strip_suffix('>')) {
        let (inner, s) = stl_shape(elem)?;
        return Some((Stl::Vector(Box::new(inner)), s));
    }
    scalar_from_cpp(t).map(|s| (Stl::Number, s))
}

/// The interpretation of an STL type name as a whole-object column (`vector<T>`, `string`, ...).
/// `member` is true for members of split classes, whose strings carry an object header.
fn stl_type(type_name: &str, member: bool) -> Result<Interpretation, Unsupported> {
    let t = normalize_type(type_name);
    let it = |layout, scalar| Ok(Interpretation { layout, scalar, in_collection: false });
    match stl_shape(&t) {
        Some((Stl::String, s)) if t == "string" => it(Layout::String { header: if member { 6 } else { 0 } }, s),
        Some((Stl::String, s)) => it(Layout::String { header: 0 }, s),
        Some((Stl::Vector(inner), s)) if *inner == Stl::Number => it(Layout::Jagged { header: 10, inner: vec![] }, s),
        Some((shape @ Stl::Vector(_), s)) => it(Layout::Objects { shape }, s),
        _ => Err(format!("C++ type {type_name}")),
    }
}

/// A whole `TVector3`/`TLorentzVector` per entry, or a `std::vector` of them.
fn vectors_object(class_name: &str) -> Option<Interpretation> {
    let t = normalize_type(class_name);
    let (t, list) = match t.strip_prefix("vector<").and_then(|x| x.strip_suffix('>')) {
        Some(inner) => (inner, true),
        None => (t.as_str(), false),
    };
    let class = VectorClass::from_name(t)?;
    let header = if list { 10 } else { 0 };
    Some(Interpretation { layout: Layout::Vectors { class, dims: vec![], header }, scalar: Scalar::F64, in_collection: list })
}

/// The interpretation of an STL member of a split collection (`vector<double>`, `string`, ...
/// inside a `TClonesArray` or `vector<Class>`): a list of such objects per entry.
fn stl_in_collection(type_name: &str) -> Option<Interpretation> {
    let (shape, scalar) = stl_shape(&normalize_type(type_name))?;
    (shape != Stl::Number).then_some(Interpretation { layout: Layout::Objects { shape }, scalar, in_collection: true })
}

fn element_of<'a>(b: &Branch, streamers: &'a Streamers) -> Option<&'a StreamerElement> {
    let e = b.element.as_ref()?;
    let info = streamers.get(&e.class_name)?;
    usize::try_from(e.id).ok().and_then(|i| info.elements.get(i))
}

/// Works out how to read a branch without sub-branches. `top_level` is true for branches
/// directly under the tree.
pub fn interpret(b: &Branch, leaves: &[Leaf], streamers: &Streamers, top_level: bool) -> Result<Interpretation, Unsupported> {
    if !b.file_name.is_empty() {
        return Err(format!("baskets stored in another file ({})", b.file_name));
    }
    let Some(e) = &b.element else {
        return plain_branch(b, leaves);
    };
    if b.class == "TBranchObject" {
        return Err(format!("unsplit object of class {}", e.class_name));
    }
    let in_collection = e.btype == 31 || e.btype == 41;
    if e.id < 0 {
        // A whole object: top-level STL containers and strings, ROOT's vector classes.
        return match stl_type(&e.class_name, !top_level) {
            Ok(i) => Ok(i),
            Err(_) => vectors_object(&e.class_name).ok_or_else(|| format!("unsplit object of class {}", e.class_name)),
        };
    }
    let element = element_of(b, streamers);
    let title = element.map(|el| el.title.as_str()).unwrap_or("");
    let mut st = e.streamer_type;
    if st < 0 {
        st = element.map(|el| el.etype).unwrap_or(-1);
    }
    let leaf_unsigned = b.leaves.first().and_then(|&i| leaves.get(i)).is_some_and(|l| l.is_unsigned);
    let dims = || -> Vec<usize> {
        element
            .map(|el| el.max_index.iter().take(el.array_dim.max(0) as usize).map(|&d| d.max(0) as usize).collect())
            .unwrap_or_default()
    };
    let type_name = element.map(|el| el.type_name.clone()).unwrap_or_default();
    let it = |layout, scalar| Ok(Interpretation { layout, scalar, in_collection });
    if st == kind::BITS {
        return it(Layout::TObjectBits, Scalar::U32);
    }
    if (1..=19).contains(&st) {
        let s = Scalar::from_streamer_type(st, leaf_unsigned, title).ok_or_else(|| format!("streamer type {st}"))?;
        return if in_collection { it(Layout::Jagged { header: 0, inner: vec![] }, s) } else { it(Layout::Fixed { dims: vec![] }, s) };
    }
    if st > kind::OFFSET_L && st < kind::OFFSET_P {
        let s = Scalar::from_streamer_type(st - kind::OFFSET_L, leaf_unsigned, title)
            .ok_or_else(|| format!("streamer type {st}"))?;
        let d = dims();
        if d.is_empty() {
            return Err(format!("fixed-size array member {} without dimensions", b.name));
        }
        return if in_collection { it(Layout::Jagged { header: 0, inner: d }, s) } else { it(Layout::Fixed { dims: d }, s) };
    }
    if st > kind::OFFSET_P && st < kind::OFFSET_P + 20 && !in_collection {
        let s = Scalar::from_streamer_type(st - kind::OFFSET_P, leaf_unsigned, title)
            .ok_or_else(|| format!("streamer type {st}"))?;
        return it(Layout::Jagged { header: 1, inner: vec![] }, s);
    }
    if st == kind::TSTRING && !in_collection {
        return it(Layout::String { header: 0 }, Scalar::U8);
    }
    if st == kind::STL || st == kind::STL_STRING || st == kind::STREAMER {
        if !in_collection {
            return stl_type(&type_name, true);
        }
        if let Some(i) = stl_in_collection(&type_name) {
            return Ok(i);
        }
    }
    if st == kind::OBJECT && in_collection {
        match normalize_type(&type_name).as_str() {
            "TRef" => return it(Layout::Ref, Scalar::U32),
            "TRefArray" => return it(Layout::RefArray, Scalar::U32),
            _ => {}
        }
    }
    // A fixed-size array of objects is typed OBJECT + OFFSET_L, as arrays of numbers are.
    if st == kind::OBJECT || st == kind::OBJECT + kind::OFFSET_L {
        if let Some(class) = VectorClass::from_name(&normalize_type(&type_name)) {
            // Outside collections, such arrays (`TLorentzVector pg[6]` of a split object) have
            // no reference to check them against: uproot reads them as lists of one array.
            if !in_collection && !dims().is_empty() {
                return Err(format!("fixed-size array of {type_name} outside a collection"));
            }
            return it(Layout::Vectors { class, dims: dims(), header: 0 }, Scalar::F64);
        }
    }
    let what = if type_name.is_empty() { format!("streamer type {st}") } else { format!("C++ type {type_name}") };
    Err(if in_collection { format!("{what} inside a collection") } else { what })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_from_leaf_titles() {
        assert_eq!(title_dims("x"), (None, vec![]));
        assert_eq!(title_dims("x[3]"), (None, vec![3]));
        assert_eq!(title_dims("x[3][4]"), (None, vec![3, 4]));
        assert_eq!(title_dims("Jet_pt[nJet]"), (Some("nJet".into()), vec![]));
        assert_eq!(title_dims("y[n][5]"), (Some("n".into()), vec![5]));
    }

    #[test]
    fn double32_ranges_from_titles() {
        assert_eq!(truncated_float("no range", true), Scalar::F32AsF64);
        assert_eq!(truncated_float("[0,0,14]", true), Scalar::Truncated { bits: 14, as_f64: true });
        assert_eq!(
            truncated_float("x[-1, 1, 10]", true),
            Scalar::Packed { low: -1.0, high: 1.0, bits: 10, as_f64: true }
        );
        assert_eq!(truncated_float("[0, 100]", true), Scalar::Packed { low: 0.0, high: 100.0, bits: 32, as_f64: true });
        let Scalar::Packed { low, high, .. } = truncated_float("phi[-pi, pi, 16]", true) else { panic!() };
        assert_eq!((low, high), (-std::f64::consts::PI, std::f64::consts::PI));
        let Scalar::Packed { high, .. } = truncated_float("[0, 2*pi, 16]", true) else { panic!() };
        assert_eq!(high, 2.0 * std::f64::consts::PI);
        assert_eq!(truncated_float("no range", false), Scalar::Truncated { bits: 12, as_f64: false });
    }

    #[test]
    fn stl_type_names() {
        let jag = stl_type("vector<float>", false).unwrap();
        assert_eq!(jag.layout, Layout::Jagged { header: 10, inner: vec![] });
        assert_eq!(jag.scalar, Scalar::F32);
        let vv = stl_type("std::vector<std::vector<double> >", false).unwrap();
        assert_eq!(vv.layout, Layout::Objects { shape: Stl::Vector(Box::new(Stl::Vector(Box::new(Stl::Number)))) });
        assert_eq!(vv.data_type(), list_of(list_of(DataType::Float64)));
        let vs = stl_type("vector<string>", false).unwrap();
        assert_eq!(vs.layout, Layout::Objects { shape: Stl::Vector(Box::new(Stl::String)) });
        let vvs = stl_type("vector<vector<TString> >", false).unwrap();
        assert_eq!(vvs.data_type(), list_of(list_of(DataType::Utf8)));
        assert!(stl_type("vector<vector<TVector3> >", false).is_err());
        let member = stl_in_collection("vector<int>").unwrap();
        assert_eq!(member.data_type(), list_of(list_of(DataType::Int32)));
        assert_eq!(stl_in_collection("string").unwrap().data_type(), list_of(DataType::Utf8));
        assert!(stl_in_collection("int").is_none());
        assert_eq!(stl_type("string", true).unwrap().layout, Layout::String { header: 6 });
        assert!(stl_type("map<int,float>", false).is_err());
        assert_eq!(stl_type("vector<unsigned int>", false).unwrap().scalar, Scalar::U32);
    }
}
