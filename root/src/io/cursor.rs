//! A bounds-checked big-endian reader over an in-memory record (a key payload or a basket).
//!
//! ROOT's serialisation is a stream of big-endian fields in which objects carry a byte count;
//! every read here is checked so that truncated or corrupt records give errors, never panics.

use crate::error::{Result, RootError};

/// Marks a byte count (as opposed to a class tag) in the 4 bytes before an object.
pub const K_BYTE_COUNT_MASK: u32 = 0x4000_0000;

#[derive(Clone)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
    /// Added to `pos` to get the "displacement" ROOT uses in object references: for a key
    /// payload this is the key length, because ROOT's buffers start with the key header.
    origin: i64,
}

/// The framing ROOT writes before a versioned object: its byte count (if any) and version.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// Position of the byte-count field.
    pub start: usize,
    /// Number of bytes after the byte-count field, when the object has one.
    pub count: Option<u32>,
    pub version: u16,
}

impl Frame {
    /// Position just past the object.
    pub fn end(&self) -> Option<usize> {
        self.count.map(|c| self.start + 4 + c as usize)
    }
}

macro_rules! be_reader {
    ($name:ident, $t:ty) => {
        pub fn $name(&mut self) -> Result<$t> {
            const N: usize = std::mem::size_of::<$t>();
            let b = self.bytes(N)?;
            let mut a = [0u8; N];
            a.copy_from_slice(b);
            Ok(<$t>::from_be_bytes(a))
        }
    };
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data, pos: 0, origin: 0 }
    }

    pub fn with_origin(data: &'a [u8], origin: i64) -> Self {
        Cursor { data, pos: 0, origin }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// Position as ROOT's reference tags count it.
    pub fn displacement(&self) -> i64 {
        self.pos as i64 + self.origin
    }
    pub fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.data.len() {
            return Err(RootError::format(format!(
                "seek to {pos} beyond a record of {} bytes",
                self.data.len()
            )));
        }
        self.pos = pos;
        Ok(())
    }
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len()).ok_or_else(|| {
            RootError::format(format!(
                "record truncated: need {n} bytes at offset {}, only {} left",
                self.pos,
                self.remaining()
            ))
        })?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    be_reader!(u8, u8);
    be_reader!(i8, i8);
    be_reader!(u16, u16);
    be_reader!(i16, i16);
    be_reader!(u32, u32);
    be_reader!(i32, i32);
    be_reader!(u64, u64);
    be_reader!(i64, i64);
    be_reader!(f32, f32);
    be_reader!(f64, f64);

    pub fn bool(&mut self) -> Result<bool> {
        Ok(self.u8()? != 0)
    }

    /// A TString: one length byte, or 255 followed by a 4-byte length.
    pub fn tstring(&mut self) -> Result<String> {
        let mut n = self.u8()? as usize;
        if n == 255 {
            n = self.u32()? as usize;
        }
        let b = self.bytes(n)?;
        Ok(String::from_utf8_lossy(b).into_owned())
    }

    /// A NUL-terminated C string (class names after a new-class tag).
    pub fn cstring(&mut self) -> Result<String> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| RootError::format("unterminated class name"))?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }

    /// Reads the byte count and version that precede a versioned object.
    pub fn frame(&mut self) -> Result<Frame> {
        let start = self.pos;
        let first = self.u32()?;
        if first & K_BYTE_COUNT_MASK != 0 {
            let count = first & !K_BYTE_COUNT_MASK;
            if count < 2 || start + 4 + count as usize > self.data.len() {
                return Err(RootError::format(format!(
                    "object at offset {start} claims {count} bytes, beyond its record of {} bytes",
                    self.data.len()
                )));
            }
            let version = self.u16()?;
            Ok(Frame { start, count: Some(count), version })
        } else {
            // Old objects without byte count: the 4 bytes held the version in their high half.
            self.pos = start;
            let version = self.u16()?;
            Ok(Frame { start, count: None, version })
        }
    }

    /// Moves past an object whose frame was read; fails if the object has no byte count.
    pub fn skip_frame(&mut self, f: &Frame) -> Result<()> {
        match f.end() {
            Some(e) => self.seek(e),
            None => Err(RootError::format(format!(
                "object at offset {} has no byte count and cannot be skipped",
                f.start
            ))),
        }
    }

    /// Skips a whole framed object (for base classes such as TAttLine whose content we ignore).
    pub fn skip_object(&mut self) -> Result<()> {
        let f = self.frame()?;
        self.skip_frame(&f)
    }

    /// Reads `n` big-endian values into a Vec.
    pub fn array_i32(&mut self, n: usize) -> Result<Vec<i32>> {
        let b = self.bytes(n.checked_mul(4).ok_or_else(|| RootError::format("array too long"))?)?;
        Ok(b.chunks_exact(4).map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
    pub fn array_i64(&mut self, n: usize) -> Result<Vec<i64>> {
        let b = self.bytes(n.checked_mul(8).ok_or_else(|| RootError::format("array too long"))?)?;
        Ok(b
            .chunks_exact(8)
            .map(|c| i64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect())
    }
}
