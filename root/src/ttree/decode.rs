//! Whole-basket decoding into Arrow buffers. A builder receives the entries of one basket at a
//! time, converts big-endian values in bulk, and produces one Arrow array at the end.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, FixedSizeListArray, ListArray, PrimitiveArray, StringArray, StructArray};
use arrow::buffer::{BooleanBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::*;

use crate::ttree::basket::EntryOffsets;
use crate::io::cursor::Cursor;
use crate::error::{Result, RootError};
use crate::models::objects::K_IS_REFERENCED;
use crate::ttree::interpretation::{Interpretation, Layout, Scalar, Stl, VectorClass};

/// The flag marking an object's first four bytes as a byte count.
const K_BYTE_COUNT: u32 = 0x4000_0000;
/// TObject::fBits flag of a TRef: the reference is a UUID string, not a process id.
const K_HAS_UUID: u32 = 1 << 7;

/// Decoded values of one scalar type, in native byte order.
enum Values {
    /// The stored bytes, any non-zero one true: packed into bits once, at the end.
    Bool(Vec<u8>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

macro_rules! extend_be {
    ($v:expr, $bytes:expr, $t:ty) => {{
        const N: usize = std::mem::size_of::<$t>();
        $v.extend($bytes.chunks_exact(N).map(|c| <$t>::from_be_bytes(be::<N>(c))))
    }};
}

/// The first N bytes of a chunk from `chunks_exact(N)` as an array.
#[inline(always)]
fn be<const N: usize>(c: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(&c[..N]);
    a
}

fn truncated(exponent: u8, mantissa: u16, bits: u32) -> f32 {
    let mut e = (exponent as u32) << 23;
    e |= ((mantissa as u32) & ((1u32 << (bits + 1)) - 1)) << (23 - bits);
    let v = f32::from_bits(e);
    if (1u32 << (bits + 1)) & mantissa as u32 != 0 {
        -v
    } else {
        v
    }
}

impl Values {
    fn new(s: &Scalar, capacity: usize) -> Values {
        match s.data_type() {
            DataType::Boolean => Values::Bool(Vec::with_capacity(capacity)),
            DataType::Int8 => Values::I8(Vec::with_capacity(capacity)),
            DataType::UInt8 => Values::U8(Vec::with_capacity(capacity)),
            DataType::Int16 => Values::I16(Vec::with_capacity(capacity)),
            DataType::UInt16 => Values::U16(Vec::with_capacity(capacity)),
            DataType::Int32 => Values::I32(Vec::with_capacity(capacity)),
            DataType::UInt32 => Values::U32(Vec::with_capacity(capacity)),
            DataType::Int64 => Values::I64(Vec::with_capacity(capacity)),
            DataType::UInt64 => Values::U64(Vec::with_capacity(capacity)),
            DataType::Float32 => Values::F32(Vec::with_capacity(capacity)),
            _ => Values::F64(Vec::with_capacity(capacity)),
        }
    }

    /// Appends the values in `bytes` (a whole number of `s.size()`-byte values).
    fn extend(&mut self, s: &Scalar, bytes: &[u8]) {
        self.reserve(bytes.len() / s.size());
        match (self, s) {
            (Values::Bool(v), _) => v.extend_from_slice(bytes),
            (Values::I8(v), _) => v.extend(bytes.iter().map(|&b| b as i8)),
            (Values::U8(v), _) => v.extend_from_slice(bytes),
            (Values::I16(v), _) => extend_be!(v, bytes, i16),
            (Values::U16(v), _) => extend_be!(v, bytes, u16),
            (Values::I32(v), _) => extend_be!(v, bytes, i32),
            (Values::U32(v), _) => extend_be!(v, bytes, u32),
            (Values::I64(v), _) => extend_be!(v, bytes, i64),
            (Values::U64(v), _) => extend_be!(v, bytes, u64),
            (Values::F32(v), Scalar::Packed { low, high, bits, .. }) => {
                let scale = ((high - low) / (1u64 << bits) as f64) as f32;
                let low = *low as f32;
                v.extend(bytes.chunks_exact(4).map(|c| {
                    u32::from_be_bytes(be::<4>(c)) as f32 * scale + low
                }))
            }
            (Values::F64(v), Scalar::Packed { low, high, bits, .. }) => {
                let scale = (high - low) / (1u64 << bits) as f64;
                v.extend(bytes.chunks_exact(4).map(|c| u32::from_be_bytes(be::<4>(c)) as f64 * scale + low))
            }
            (Values::F32(v), Scalar::Truncated { bits, .. }) => {
                v.extend(bytes.chunks_exact(3).map(|c| truncated(c[0], u16::from_be_bytes([c[1], c[2]]), *bits)))
            }
            (Values::F64(v), Scalar::Truncated { bits, .. }) => v.extend(
                bytes.chunks_exact(3).map(|c| truncated(c[0], u16::from_be_bytes([c[1], c[2]]), *bits) as f64),
            ),
            (Values::F64(v), Scalar::F32AsF64) => {
                v.extend(bytes.chunks_exact(4).map(|c| f32::from_be_bytes(be::<4>(c)) as f64))
            }
            (Values::F32(v), _) => extend_be!(v, bytes, f32),
            (Values::F64(v), _) => extend_be!(v, bytes, f64),
        }
    }

    fn reserve(&mut self, n: usize) {
        match self {
            Values::Bool(v) => v.reserve(n),
            Values::I8(v) => v.reserve(n),
            Values::U8(v) => v.reserve(n),
            Values::I16(v) => v.reserve(n),
            Values::U16(v) => v.reserve(n),
            Values::I32(v) => v.reserve(n),
            Values::U32(v) => v.reserve(n),
            Values::I64(v) => v.reserve(n),
            Values::U64(v) => v.reserve(n),
            Values::F32(v) => v.reserve(n),
            Values::F64(v) => v.reserve(n),
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::Bool(v) => v.len(),
            Values::I8(v) => v.len(),
            Values::U8(v) => v.len(),
            Values::I16(v) => v.len(),
            Values::U16(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::U32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::U64(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::F64(v) => v.len(),
        }
    }

    fn finish(self) -> ArrayRef {
        fn p<T: ArrowPrimitiveType>(v: Vec<T::Native>) -> ArrayRef {
            Arc::new(PrimitiveArray::<T>::new(ScalarBuffer::from(v), None))
        }
        match self {
            // Packed 64 at a time; `From<Vec<bool>>` appends bit by bit.
            Values::Bool(v) => Arc::new(BooleanArray::new(BooleanBuffer::collect_bool(v.len(), |i| v[i] != 0), None)),
            Values::I8(v) => p::<Int8Type>(v),
            Values::U8(v) => p::<UInt8Type>(v),
            Values::I16(v) => p::<Int16Type>(v),
            Values::U16(v) => p::<UInt16Type>(v),
            Values::I32(v) => p::<Int32Type>(v),
            Values::U32(v) => p::<UInt32Type>(v),
            Values::I64(v) => p::<Int64Type>(v),
            Values::U64(v) => p::<UInt64Type>(v),
            Values::F32(v) => p::<Float32Type>(v),
            Values::F64(v) => p::<Float64Type>(v),
        }
    }
}

fn wrap_fixed(values: ArrayRef, dims: &[usize]) -> Result<ArrayRef> {
    let mut arr = values;
    for &d in dims.iter().rev() {
        let field = Arc::new(Field::new("item", arr.data_type().clone(), false));
        arr = Arc::new(
            FixedSizeListArray::try_new(field, d as i32, arr, None).map_err(|e| RootError::format(e.to_string()))?,
        );
    }
    Ok(arr)
}

fn list(offsets: Vec<i32>, values: ArrayRef) -> Result<ArrayRef> {
    let field = Arc::new(Field::new("item", values.data_type().clone(), false));
    Ok(Arc::new(
        ListArray::try_new(field, OffsetBuffer::new(ScalarBuffer::from(offsets)), values, None)
            .map_err(|e| RootError::format(e.to_string()))?,
    ))
}

fn to_i32(n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| RootError::unsupported("more than 2^31 values in one batch"))
}

/// Strings as offsets + bytes, validated as UTF-8 at the end.
#[derive(Default)]
struct Strings {
    offsets: Vec<i32>,
    bytes: Vec<u8>,
}

impl Strings {
    fn new() -> Self {
        Strings { offsets: vec![0], bytes: Vec::new() }
    }
    /// Reads one length-prefixed string.
    fn push_prefixed(&mut self, c: &mut Cursor) -> Result<()> {
        let mut n = c.u8()? as usize;
        if n == 255 {
            n = c.u32()? as usize;
        }
        self.bytes.extend_from_slice(c.bytes(n)?);
        self.offsets.push(to_i32(self.bytes.len())?);
        Ok(())
    }
    fn finish(self) -> Result<ArrayRef> {
        let arr = StringArray::try_new(OffsetBuffer::new(ScalarBuffer::from(self.offsets)), self.bytes.into(), None)
            .map_err(|e| RootError::format(format!("string that is not valid UTF-8: {e}")))?;
        Ok(Arc::new(arr))
    }
}

/// Entry boundaries of the first `n` length-prefixed strings of `data`.
fn string_offsets(data: &[u8], n: usize) -> Result<Vec<usize>> {
    let mut c = Cursor::new(data);
    let mut out = Vec::with_capacity(n + 1);
    out.push(0);
    for _ in 0..n {
        let mut len = c.u8()? as usize;
        if len == 255 {
            len = c.u32()? as usize;
        }
        c.skip(len)?;
        out.push(c.pos());
    }
    Ok(out)
}

/// Accumulates the entries of one branch, basket by basket.
pub struct ColumnBuilder {
    interp: Interpretation,
    values: Values,
    /// Entry offsets into `values` (or into nested lists) for list layouts.
    offsets: Vec<i32>,
    /// Offsets of each list level of STL objects, outermost (entries) first.
    levels: Vec<Vec<i32>>,
    strings: Strings,
    fields: Vec<Values>,
    entries: usize,
}

impl ColumnBuilder {
    /// `capacity_entries` is a hint (clamped: it comes from file metadata).
    pub fn new(interp: &Interpretation, capacity_entries: usize) -> Self {
        let capacity_entries = capacity_entries.min(1 << 20);
        let per = match &interp.layout {
            Layout::Fixed { dims } => dims.iter().product::<usize>().max(1),
            _ => 1,
        };
        let fields = match &interp.layout {
            Layout::LeafList { fields } => fields.iter().map(|(_, s, _)| Values::new(s, capacity_entries)).collect(),
            Layout::Vectors { class, dims, .. } => {
                let n = capacity_entries.saturating_mul(dims.iter().product::<usize>().max(1));
                class.doubles().iter().map(|_| Values::new(&Scalar::F64, n)).collect()
            }
            _ => Vec::new(),
        };
        ColumnBuilder {
            values: Values::new(&interp.scalar, capacity_entries.saturating_mul(per).min(1 << 24)),
            interp: interp.clone(),
            offsets: vec![0],
            levels: match &interp.layout {
                Layout::Objects { shape } => vec![vec![0]; shape.depth() + usize::from(interp.in_collection)],
                Layout::RefArray => vec![vec![0]],
                _ => Vec::new(),
            },
            strings: Strings::new(),
            fields,
            entries: 0,
        }
    }

    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Appends entries `lo..hi` of a basket whose entry data is `data`, with entry boundaries
    /// `offsets` (entries + 1 values) when the basket has them.
    pub fn append(&mut self, data: &[u8], offsets: Option<&EntryOffsets>, lo: usize, hi: usize) -> Result<()> {
        let s = self.interp.scalar;
        let size = s.size();
        if let Some(e) = self.interp.fixed_entry_size() {
            let (a, b) = (lo * e, hi * e);
            if b > data.len() {
                return Err(RootError::format(format!(
                    "basket holds {} bytes, entries {lo}..{hi} of {e} bytes need {b}",
                    data.len()
                )));
            }
            match &self.interp.layout {
                Layout::LeafList { fields } => {
                    let mut pos = 0;
                    for ((_, fs, dims), vals) in fields.iter().zip(self.fields.iter_mut()) {
                        let w = fs.size() * dims.iter().product::<usize>();
                        for entry in data[a..b].chunks_exact(e) {
                            vals.extend(fs, &entry[pos..pos + w]);
                        }
                        pos += w;
                    }
                }
                Layout::Vectors { class, dims, .. } => {
                    let per = dims.iter().product::<usize>().max(1);
                    self.push_vectors(*class, &data[a..b], |r| lo + r / per)?;
                }
                _ => self.values.extend(&s, &data[a..b]),
            }
            self.entries += hi - lo;
            return Ok(());
        }
        let scanned;
        let offsets = match offsets {
            Some(o) => o,
            None if self.interp.layout == (Layout::String { header: 0 }) => {
                // Strings are self-delimiting: a basket written without offsets is walked.
                scanned = EntryOffsets::positions(string_offsets(data, hi)?, data.len())?;
                &scanned
            }
            None => {
                return Err(RootError::format(
                    "basket of a variable-size branch has no entry offsets and no counter to derive them",
                ))
            }
        };
        if offsets.len() < hi + 1 || offsets.get(hi) > data.len() {
            return Err(RootError::format("basket entry offsets do not cover the requested entries"));
        }
        match self.interp.layout.clone() {
            Layout::Jagged { header, inner } => {
                let elem = size * inner.iter().product::<usize>();
                if header == 0 {
                    let (a, b) = (offsets.get(lo), offsets.get(hi));
                    self.check_multiple(b - a, elem)?;
                    let base = self.values.len() / inner.iter().product::<usize>().max(1);
                    to_i32(base + (b - a) / elem)?;
                    if !offsets.push_value_ends((lo, hi), a, elem, base, &mut self.offsets) {
                        return Err(RootError::format(format!("an entry is not a whole number of {elem}-byte values")));
                    }
                    self.values.extend(&s, &data[a..b]);
                } else {
                    let per = inner.iter().product::<usize>().max(1);
                    for i in lo..hi {
                        let (a, b) = (offsets.get(i), offsets.get(i + 1));
                        if b < a + header {
                            return Err(RootError::format(format!("entry {i} is shorter than its {header}-byte header")));
                        }
                        self.check_multiple(b - a - header, elem)?;
                        self.values.extend(&s, &data[a + header..b]);
                        self.offsets.push(to_i32(self.values.len() / per)?);
                    }
                }
            }
            Layout::String { header } => {
                for i in lo..hi {
                    let mut c = Cursor::new(&data[offsets.get(i)..offsets.get(i + 1)]);
                    c.skip(header)?;
                    if c.remaining() == 0 {
                        // An empty entry (e.g. a null char*) is an empty string.
                        self.strings.offsets.push(to_i32(self.strings.bytes.len())?);
                    } else {
                        self.strings.push_prefixed(&mut c)?;
                    }
                }
            }
            Layout::Objects { shape } => {
                for i in lo..hi {
                    let mut c = Cursor::new(&data[offsets.get(i)..offsets.get(i + 1)]);
                    let entry = |e: RootError| RootError::format(format!("entry {i}: {e}"));
                    if !self.interp.in_collection {
                        c.skip(6).map_err(entry)?;
                        self.read_object(&shape, 0, &mut c).map_err(entry)?;
                    } else {
                        // An empty collection may be written without the header.
                        if c.remaining() > 0 {
                            c.skip(6).map_err(entry)?;
                        }
                        while c.remaining() > 0 {
                            self.read_object(&shape, 1, &mut c).map_err(entry)?;
                        }
                        let n = self.items(1, &shape);
                        self.levels[0].push(to_i32(n)?);
                    }
                }
            }
            Layout::Vectors { class, dims, header } => {
                let per = dims.iter().product::<usize>().max(1);
                let size = class.record_size() * per;
                for i in lo..hi {
                    let entry = &data[offsets.get(i)..offsets.get(i + 1)];
                    let Some(entry) = entry.get(header..) else {
                        return Err(RootError::format(format!("entry {i} is shorter than its {header}-byte header")));
                    };
                    if entry.len() % size != 0 {
                        return Err(RootError::format(format!(
                            "entry {i}: {} bytes are not a whole number of {size}-byte values",
                            entry.len()
                        )));
                    }
                    self.push_vectors(class, entry, |_| i)?;
                    self.offsets.push(to_i32(self.fields[0].len() / per)?);
                }
            }
            Layout::TObjectBits => {
                let Values::U32(v) = &mut self.values else {
                    return Err(RootError::format("TObject bits decoded into a non-u32 column"));
                };
                for i in lo..hi {
                    let mut c = Cursor::new(&data[offsets.get(i)..offsets.get(i + 1)]);
                    let before = v.len();
                    while c.remaining() > 0 {
                        let bits = c.u32()?;
                        v.push(bits);
                        if bits & K_IS_REFERENCED != 0 {
                            c.skip(2)?;
                        }
                    }
                    if self.interp.in_collection {
                        self.offsets.push(to_i32(v.len())?);
                    } else if v.len() != before + 1 {
                        return Err(RootError::format(format!("entry {i}: {} TObject bit words, expected 1", v.len() - before)));
                    }
                }
            }
            Layout::Ref | Layout::RefArray => {
                let array = self.interp.layout == Layout::RefArray;
                for i in lo..hi {
                    let mut c = Cursor::new(&data[offsets.get(i)..offsets.get(i + 1)]);
                    let entry = |e: RootError| RootError::format(format!("entry {i}: {e}"));
                    while c.remaining() > 0 {
                        if array { self.read_ref_array(&mut c) } else { self.read_ref(&mut c) }.map_err(entry)?;
                    }
                    let n = if array { self.levels[0].len() - 1 } else { self.values.len() };
                    self.offsets.push(to_i32(n)?);
                }
            }
            Layout::Fixed { .. } | Layout::LeafList { .. } => {
                return Err(RootError::unsupported("fixed-size values inside a collection"));
            }
        }
        self.entries += hi - lo;
        Ok(())
    }

    /// Appends the TVector3/TLorentzVector records of `bytes` (a whole number of them);
    /// `entry` names the entry of the r-th record in errors.
    fn push_vectors(&mut self, class: VectorClass, bytes: &[u8], entry: impl Fn(usize) -> usize) -> Result<()> {
        for (r, record) in bytes.chunks_exact(class.record_size()).enumerate() {
            for &(at, want) in class.byte_counts() {
                let count = u32::from_be_bytes(be::<4>(&record[at..]));
                if count != K_BYTE_COUNT | want {
                    return Err(RootError::format(format!(
                        "entry {}: a {} of {} bytes, expected {} (a referenced object?)",
                        entry(r),
                        class.name(),
                        (count & !K_BYTE_COUNT) + 4,
                        want + 4
                    )));
                }
            }
            for (field, &at) in self.fields.iter_mut().zip(class.doubles()) {
                field.extend(&Scalar::F64, &record[at..at + 8]);
            }
        }
        Ok(())
    }

    /// Reads the TObject part of a TRef or TRefArray (its version, `fUniqueID`, `fBits`, and
    /// the process id ROOT adds when the object is itself referenced): `(fUniqueID, fBits)`.
    fn read_tobject(c: &mut Cursor) -> Result<(u32, u32)> {
        c.frame()?;
        let uid = c.u32()?;
        let bits = c.u32()?;
        if bits & K_IS_REFERENCED != 0 {
            c.skip(2)?;
        }
        Ok((uid, bits))
    }

    /// One TRef (`TRef::Streamer`): the TObject whose `fUniqueID` is the referenced object's,
    /// then its process id (or, rarely, a UUID string).
    fn read_ref(&mut self, c: &mut Cursor) -> Result<()> {
        let (uid, bits) = Self::read_tobject(c)?;
        if bits & K_HAS_UUID != 0 {
            c.tstring()?;
        } else {
            c.u16()?;
        }
        match &mut self.values {
            Values::U32(v) => v.push(uid),
            _ => return Err(RootError::format("TRef decoded into a non-u32 column")),
        }
        Ok(())
    }

    /// One TRefArray (`TRefArray::Streamer`): byte count and version, the TObject, its name,
    /// the number of references, the lower bound and process id, then the `fUniqueID`s.
    fn read_ref_array(&mut self, c: &mut Cursor) -> Result<()> {
        let frame = c.frame()?;
        let Some(end) = frame.end() else {
            return Err(RootError::format("TRefArray without a byte count"));
        };
        Self::read_tobject(c)?;
        c.tstring()?;
        let n = c.i32()?;
        c.skip(6)?;
        if n < 0 || n as usize * 4 != end.saturating_sub(c.pos()) {
            return Err(RootError::format(format!("TRefArray of {n} references in a record of {} bytes", end.saturating_sub(frame.start))));
        }
        self.values.extend(&Scalar::U32, c.bytes(n as usize * 4)?);
        self.levels[0].push(to_i32(self.values.len())?);
        Ok(())
    }

    /// Reads one STL object whose outermost vector (if any) is list level `depth`.
    fn read_object(&mut self, shape: &Stl, depth: usize, c: &mut Cursor) -> Result<()> {
        match shape {
            Stl::Number => {
                let size = self.interp.scalar.size();
                self.values.extend(&self.interp.scalar, c.bytes(size)?)
            }
            Stl::String => self.strings.push_prefixed(c)?,
            Stl::Vector(inner) => {
                let n = c.i32()?;
                // Every item takes at least one byte (four for a vector's length).
                let least = match **inner {
                    Stl::Number => self.interp.scalar.size(),
                    Stl::String => 1,
                    Stl::Vector(_) => 4,
                };
                if n < 0 || n as usize > c.remaining() / least {
                    return Err(RootError::format(format!("vector of {n} items in {} bytes", c.remaining())));
                }
                if **inner == Stl::Number {
                    let bytes = c.bytes(n as usize * least)?;
                    self.values.extend(&self.interp.scalar, bytes);
                } else {
                    for _ in 0..n {
                        self.read_object(inner, depth + 1, c)?;
                    }
                }
                let len = self.items(depth + 1, inner);
                self.levels[depth].push(to_i32(len)?);
            }
        }
        Ok(())
    }

    /// Items so far at list level `depth`, whose items are `shape`s (below the innermost
    /// level: the leaf strings or numbers).
    fn items(&self, depth: usize, shape: &Stl) -> usize {
        match self.levels.get(depth) {
            Some(level) => level.len() - 1,
            None if *shape == Stl::String => self.strings.offsets.len() - 1,
            None => self.values.len(),
        }
    }

    fn check_multiple(&self, n: usize, elem: usize) -> Result<()> {
        if elem == 0 || n % elem != 0 {
            return Err(RootError::format(format!("entry of {n} bytes is not a whole number of {elem}-byte values")));
        }
        Ok(())
    }

    pub fn finish(self) -> Result<ArrayRef> {
        let arr = match &self.interp.layout {
            Layout::Fixed { dims } => wrap_fixed(self.values.finish(), dims)?,
            Layout::Jagged { inner, .. } => list(self.offsets, wrap_fixed(self.values.finish(), inner)?)?,
            Layout::TObjectBits if self.interp.in_collection => list(self.offsets, self.values.finish())?,
            // References are read only as members of collections (see `interpret`).
            Layout::Ref => list(self.offsets, self.values.finish())?,
            Layout::RefArray => {
                let per_element = self.levels.into_iter().next().unwrap_or_else(|| vec![0]);
                list(self.offsets, list(per_element, self.values.finish())?)?
            }
            Layout::TObjectBits => self.values.finish(),
            Layout::String { .. } => self.strings.finish()?,
            Layout::Objects { shape } => {
                let mut arr = if *shape.leaf() == Stl::String { self.strings.finish()? } else { self.values.finish() };
                for level in self.levels.into_iter().rev() {
                    arr = list(level, arr)?;
                }
                arr
            }
            Layout::Vectors { class, dims, .. } => {
                let err = |e: arrow::error::ArrowError| RootError::format(e.to_string());
                let mut cols: Vec<ArrayRef> = self.fields.into_iter().map(Values::finish).collect();
                let fields = class.fields();
                if *class == VectorClass::Lorentz {
                    let e = cols.pop().ok_or_else(|| RootError::format("TLorentzVector without fE"))?;
                    let DataType::Struct(three) = fields[0].data_type() else {
                        return Err(RootError::format("TLorentzVector's fP is not a struct"));
                    };
                    let p = StructArray::try_new(three.clone(), cols, None).map_err(err)?;
                    cols = vec![Arc::new(p), e];
                }
                let v: ArrayRef = Arc::new(StructArray::try_new(fields, cols, None).map_err(err)?);
                let v = wrap_fixed(v, dims)?;
                if self.interp.in_collection { list(self.offsets, v)? } else { v }
            }
            Layout::LeafList { fields } => {
                let mut cols = Vec::new();
                let mut defs = Vec::new();
                for ((name, _, dims), vals) in fields.iter().zip(self.fields) {
                    let a = wrap_fixed(vals.finish(), dims)?;
                    defs.push(Arc::new(Field::new(name, a.data_type().clone(), false)));
                    cols.push(a);
                }
                Arc::new(StructArray::try_new(defs.into(), cols, None).map_err(|e| RootError::format(e.to_string()))?)
            }
        };
        Ok(arr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};

    const HEADER: [u8; 6] = [0x40, 0, 0, 0, 0, 9];

    fn vector_i32(items: &[i32]) -> Vec<u8> {
        let mut out = (items.len() as i32).to_be_bytes().to_vec();
        items.iter().for_each(|v| out.extend(v.to_be_bytes()));
        out
    }

    fn string(s: &str) -> Vec<u8> {
        let mut out = vec![s.len() as u8];
        out.extend(s.as_bytes());
        out
    }

    /// Decodes whole entries (each a byte string) with `interp`.
    fn decode(interp: &Interpretation, entries: &[Vec<u8>]) -> Result<ArrayRef> {
        let mut offsets = vec![0];
        let mut data = Vec::new();
        for e in entries {
            data.extend(e);
            offsets.push(data.len());
        }
        let mut b = ColumnBuilder::new(interp, entries.len());
        b.append(&data, Some(&EntryOffsets::positions(offsets, data.len())?), 0, entries.len())?;
        b.finish()
    }

    fn vector(inner: Stl) -> Stl {
        Stl::Vector(Box::new(inner))
    }

    #[test]
    fn stl_members_of_a_collection_are_one_object_per_element() {
        let interp = Interpretation { layout: Layout::Objects { shape: vector(Stl::Number) }, scalar: Scalar::I32, in_collection: true };
        let first = [HEADER.to_vec(), vector_i32(&[1, 3, 5]), vector_i32(&[]), vector_i32(&[7])].concat();
        // The third entry is an empty collection written without a header.
        let arr = decode(&interp, &[first, HEADER.to_vec(), vec![]]).unwrap();
        assert_eq!(arr.data_type(), &interp.data_type());
        let entries = arr.as_list::<i32>();
        assert_eq!(entries.value_offsets(), &[0, 3, 3, 3]);
        let elements = entries.values().as_list::<i32>();
        assert_eq!(elements.value_offsets(), &[0, 3, 3, 4]);
        assert_eq!(elements.values().as_primitive::<Int32Type>().values(), &[1, 3, 5, 7]);
    }

    #[test]
    fn nested_vectors_of_strings() {
        let shape = vector(vector(Stl::String));
        let interp = Interpretation { layout: Layout::Objects { shape }, scalar: Scalar::U8, in_collection: false };
        let inner = |s: &[&str]| [(s.len() as i32).to_be_bytes().to_vec(), s.iter().flat_map(|x| string(x)).collect()].concat();
        let entry = [HEADER.to_vec(), 2i32.to_be_bytes().to_vec(), inner(&["mu", ""]), inner(&["jet"])].concat();
        let empty = [HEADER.to_vec(), 0i32.to_be_bytes().to_vec()].concat();
        let arr = decode(&interp, &[entry, empty]).unwrap();
        let outer = arr.as_list::<i32>();
        assert_eq!(outer.value_offsets(), &[0, 2, 2]);
        let middle = outer.values().as_list::<i32>();
        assert_eq!(middle.value_offsets(), &[0, 2, 3]);
        let strings: Vec<&str> = middle.values().as_string::<i32>().iter().map(|s| s.unwrap()).collect();
        assert_eq!(strings, ["mu", "", "jet"]);
    }

    /// One TLorentzVector as written in a split collection (uproot's strided layout:
    /// byte count and version, TObject, then fP's own header, TObject and three doubles, fE).
    fn lorentz(x: f64, y: f64, z: f64, e: f64, byte_count: u32) -> Vec<u8> {
        let tobject = [0u8, 1, 0, 0, 0, 0, 3, 0, 0, 0];
        let mut out = byte_count.to_be_bytes().to_vec();
        out.extend([0, 4]);
        out.extend(tobject);
        out.extend((K_BYTE_COUNT | 36).to_be_bytes());
        out.extend([0, 3]);
        out.extend(tobject);
        for v in [x, y, z, e] {
            out.extend(v.to_be_bytes());
        }
        assert_eq!(out.len(), VectorClass::Lorentz.record_size());
        out
    }

    #[test]
    fn lorentz_vectors_of_a_collection() {
        let ok = K_BYTE_COUNT | 60;
        let interp = Interpretation { layout: Layout::Vectors { class: VectorClass::Lorentz, dims: vec![2], header: 0 }, scalar: Scalar::F64, in_collection: true };
        let entry = [lorentz(1.0, 2.0, 3.0, 4.0, ok), lorentz(5.0, 6.0, 7.0, 8.0, ok)].concat();
        let arr = decode(&interp, &[entry.clone(), vec![]]).unwrap();
        assert_eq!(arr.data_type(), &interp.data_type());
        let list = arr.as_list::<i32>();
        assert_eq!(list.value_offsets(), &[0, 1, 1]);
        let v = list.values().as_fixed_size_list().values().as_struct().clone();
        let fp = v.column_by_name("fP").unwrap().as_struct();
        let col = |a: &ArrayRef| a.as_primitive::<Float64Type>().values().to_vec();
        assert_eq!(col(fp.column_by_name("fX").unwrap()), [1.0, 5.0]);
        assert_eq!(col(fp.column_by_name("fZ").unwrap()), [3.0, 7.0]);
        assert_eq!(col(v.column_by_name("fE").unwrap()), [4.0, 8.0]);
        // Half an element of [2], and a referenced object (66 bytes), are errors.
        assert!(decode(&interp, &[lorentz(1.0, 2.0, 3.0, 4.0, ok)]).is_err());
        let single = Interpretation { layout: Layout::Vectors { class: VectorClass::Lorentz, dims: vec![], header: 0 }, ..interp };
        let err = decode(&single, &[lorentz(1.0, 2.0, 3.0, 4.0, K_BYTE_COUNT | 62)]).unwrap_err().to_string();
        assert!(err.contains("entry 0") && err.contains("66 bytes"), "{err}");
    }

    #[test]
    fn corrupt_vector_lengths_are_errors_naming_the_entry() {
        let interp = Interpretation { layout: Layout::Objects { shape: vector(Stl::String) }, scalar: Scalar::U8, in_collection: true };
        let huge = [HEADER.to_vec(), 1_000_000i32.to_be_bytes().to_vec(), string("x")].concat();
        let err = decode(&interp, &[vec![], huge]).unwrap_err().to_string();
        assert!(err.contains("entry 1") && err.contains("vector of 1000000 items"), "{err}");
        let negative = [HEADER.to_vec(), (-2i32).to_be_bytes().to_vec()].concat();
        assert!(decode(&interp, &[negative]).is_err());
        let truncated = [HEADER.to_vec(), 1i32.to_be_bytes().to_vec(), vec![5, b'a']].concat();
        assert!(decode(&interp, &[truncated]).is_err());
    }
}
