//! TBasket records: the key header, the (possibly compressed) buffer, and the entry-offset
//! table that follows the data when entries vary in size.

use std::borrow::Cow;

use crate::io::compression;
use crate::io::cursor::Cursor;
use crate::error::{Result, RootError};

/// One basket's uncompressed content, borrowed from the record or from a scratch buffer.
#[derive(Debug, Clone)]
pub struct Basket<'a> {
    pub entries: usize,
    /// The entry data (without the offset table).
    pub data: &'a [u8],
    /// Entry boundaries in `data`, when the basket records them.
    pub offsets: Option<EntryOffsets<'a>>,
}

/// Entry boundaries in a basket's data: `entries + 1` positions, checked ordered and within
/// the data when made, so that entry `i` is `data[get(i)..get(i + 1)]`.
#[derive(Debug, Clone)]
pub enum EntryOffsets<'a> {
    /// The basket's own table, read in place: big-endian i32 positions counted from the key,
    /// one per entry, then `end`. Copying it into a vector of positions first was a tenth of
    /// the work outside decompression in reading a jagged branch.
    Table { table: &'a [u8], key_len: usize, end: usize },
    /// Positions found elsewhere: embedded baskets, a counter branch, a walk over strings.
    Positions(Cow<'a, [usize]>),
}

impl<'a> EntryOffsets<'a> {
    /// The offset table after a basket's data (a count word, then one position per entry),
    /// for a basket of `end` data bytes. Checks folded into one flag over the raw table: a
    /// cursor read per entry was a sixth of the time of reading a jagged LZ4 file.
    pub fn table(raw: &'a [u8], entries: usize, key_len: usize, end: usize) -> Result<Self> {
        let table = entries.checked_mul(4).and_then(|n| raw.get(4..4 + n)).ok_or_else(|| {
            RootError::format(format!(
                "basket entry-offset table truncated: {entries} entries need {} bytes, {} left",
                4 + 4 * entries as u64,
                raw.len()
            ))
        })?;
        // Ordered as stored i32s (pairs compared independently, so that the loop vectorizes),
        // the first not before the data, the last not past it.
        let ordered = table.chunks_exact(4).zip(table.get(4..).unwrap_or_default().chunks_exact(4)).fold(true, |ok, (p, q)| ok & (stored(p) <= stored(q)));
        let (first, last) = match table.len() {
            0 => (key_len as i64, key_len as i64),
            n => (stored(table), stored(&table[n - 4..])),
        };
        if !ordered || first < key_len as i64 || last - key_len as i64 > end as i64 {
            return Err(RootError::format(format!("basket entry offsets out of order or outside its {end} bytes")));
        }
        Ok(EntryOffsets::Table { table, key_len, end })
    }

    /// Positions from elsewhere, `entries + 1` of them, checked like a table.
    pub fn positions(p: impl Into<Cow<'a, [usize]>>, end: usize) -> Result<Self> {
        let p = p.into();
        let ordered = p.windows(2).fold(true, |ok, w| ok & (w[0] <= w[1]));
        if !ordered || p.last().is_some_and(|&last| last > end) || p.is_empty() {
            return Err(RootError::format(format!("basket entry offsets out of order or outside its {end} bytes")));
        }
        Ok(EntryOffsets::Positions(p))
    }

    /// How many positions: entries + 1.
    pub fn len(&self) -> usize {
        match self {
            EntryOffsets::Table { table, .. } => table.len() / 4 + 1,
            EntryOffsets::Positions(p) => p.len(),
        }
    }

    pub fn get(&self, i: usize) -> usize {
        match self {
            EntryOffsets::Table { table, key_len, end } => match table.get(4 * i..4 * i + 4) {
                Some(b) => position(b, *key_len),
                None => *end,
            },
            EntryOffsets::Positions(p) => p[i],
        }
    }

    /// Appends, for each entry `lo..hi`, where it ends as an index into values of `elem`
    /// bytes stored from position `from`, plus `base`: the offsets of a list column. False if
    /// an entry is not a whole number of values. `hi` is at most the number of entries and
    /// `from` at most `get(lo)`: callers check `hi` against [`Self::len`] first.
    pub fn push_value_ends(&self, (lo, hi): (usize, usize), from: usize, elem: usize, base: usize, out: &mut Vec<i32>) -> bool {
        if lo >= hi {
            return true;
        }
        let at = out.len();
        out.resize(at + (hi - lo), 0);
        let dst = &mut out[at..];
        match self {
            EntryOffsets::Table { table, key_len, end } => {
                // Positions lo + 1 ..= hi: from the table below n, then `end` for position n.
                let n = table.len() / 4;
                let from_table = table[4 * (lo + 1)..4 * (hi + 1).min(n)].chunks_exact(4);
                let (body, last) = dst.split_at_mut(from_table.len());
                value_ends(body, from_table.map(|b| position(b, *key_len)), from, elem, base)
                    & value_ends(last, std::iter::once(*end), from, elem, base)
            }
            EntryOffsets::Positions(p) => value_ends(dst, p[lo + 1..=hi].iter().copied(), from, elem, base),
        }
    }
}

/// The loop of [`EntryOffsets::push_value_ends`], with its state in locals so that it
/// vectorizes; a closure passed down captured them by reference and kept them in memory.
#[inline(always)]
fn value_ends(dst: &mut [i32], ends: impl Iterator<Item = usize>, from: usize, elem: usize, base: usize) -> bool {
    let mut misaligned = 0;
    if elem.is_power_of_two() {
        // Shifts and one folded check: a division per entry was 5% of a read.
        let (shift, mask) = (elem.trailing_zeros(), elem - 1);
        for (d, o) in dst.iter_mut().zip(ends) {
            misaligned |= (o - from) & mask;
            *d = (base + ((o - from) >> shift)) as i32;
        }
    } else {
        for (d, o) in dst.iter_mut().zip(ends) {
            misaligned |= (o - from) % elem;
            *d = (base + (o - from) / elem) as i32;
        }
    }
    misaligned == 0
}

/// A table entry as stored: a big-endian i32 counted from the start of the key.
#[inline(always)]
fn stored(b: &[u8]) -> i64 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as i64
}

/// A table entry as a position in the data.
#[inline(always)]
fn position(b: &[u8], key_len: usize) -> usize {
    (stored(b) - key_len as i64) as usize
}

/// Parses a basket from the bytes of its whole record (key and buffer). A compressed basket is
/// expanded into `scratch`, which callers reuse so that every basket does not fault in fresh
/// pages; an uncompressed one is not copied.
pub fn parse_basket<'a>(raw: &'a [u8], scratch: &'a mut Vec<u8>) -> Result<Basket<'a>> {
    let mut c = Cursor::new(raw);
    let nbytes = c.i32()?;
    let _key_version = c.i16()?;
    let objlen = c.i32()?;
    let _datime = c.u32()?;
    let key_len = c.i16()?;
    let _cycle = c.i16()?;
    if key_len < 19 || nbytes < key_len as i32 || objlen < 0 || nbytes as usize != raw.len() {
        return Err(RootError::format(format!(
            "corrupt basket key (fNbytes={nbytes}, fKeylen={key_len}, fObjlen={objlen}, {} bytes on file)",
            raw.len()
        )));
    }
    let key_len = key_len as usize;
    c.seek(key_len - 19)?;
    let _version = c.u16()?;
    let _buffer_size = c.i32()?;
    let _nev_buf_size = c.i32()?;
    let nev_buf = c.i32()?;
    let last = c.i32()?;
    if nev_buf < 0 || (last as i64) < key_len as i64 || (last as usize - key_len) > objlen as usize {
        return Err(RootError::format(format!(
            "corrupt basket header (fNevBuf={nev_buf}, fLast={last}, fKeylen={key_len}, fObjlen={objlen})"
        )));
    }
    let entries = nev_buf as usize;
    let objlen = objlen as usize;
    let body = &raw[key_len..];
    let buf: &[u8] = if body.len() == objlen {
        body
    } else {
        compression::check_sizes(body, objlen)?;
        // Only grows: zeroing the whole buffer for every basket was 3% of a zstd read.
        if scratch.len() < objlen {
            scratch.resize(objlen, 0);
        }
        let out = &mut scratch[..objlen];
        compression::decompress_into(body, out)?;
        out
    };
    let border = last as usize - key_len;
    let offsets = if border == objlen { None } else { Some(EntryOffsets::table(&buf[border..], entries, key_len, border)?) };
    Ok(Basket { entries, data: &buf[..border], offsets })
}

#[cfg(test)]
mod tests {
    use super::EntryOffsets;

    fn entry_offsets(table: &[u8], entries: usize, key_len: usize, end: usize) -> super::Result<Vec<usize>> {
        let o = EntryOffsets::table(table, entries, key_len, end)?;
        let mut ends = Vec::new();
        assert!(o.push_value_ends((0, entries), o.get(0), 1, o.get(0), &mut ends));
        let ends: Vec<usize> = ends.into_iter().map(|e| e as usize).collect();
        assert_eq!(ends, (1..o.len()).map(|i| o.get(i)).collect::<Vec<_>>(), "push_value_ends and get agree");
        Ok([o.get(0)].into_iter().chain(ends).collect())
    }

    /// A table as ROOT writes it: a count word, then one offset per entry counted from the key.
    fn table(offsets: &[i32]) -> Vec<u8> {
        let mut t = (offsets.len() as i32 + 1).to_be_bytes().to_vec();
        offsets.iter().for_each(|o| t.extend_from_slice(&o.to_be_bytes()));
        t
    }

    #[test]
    fn offsets_become_positions_in_the_data() {
        assert_eq!(entry_offsets(&table(&[70, 70, 78, 90]), 4, 70, 100).unwrap(), vec![0, 0, 8, 20, 100]);
        assert_eq!(entry_offsets(&table(&[]), 0, 70, 100).unwrap(), vec![100]);
    }

    #[test]
    fn ends_of_any_entry_range() {
        let t = table(&[70, 70, 78, 90]);
        let o = EntryOffsets::table(&t, 4, 70, 100).unwrap();
        let all = [0, 0, 8, 20, 100];
        for lo in 0..=4 {
            for hi in lo..=4 {
                // As 2-byte values counted from the first entry's start, after 7 values.
                let mut ends = Vec::new();
                assert!(o.push_value_ends((lo, hi), all[lo], 2, 7, &mut ends));
                let want: Vec<i32> = all[lo + 1..=hi.max(lo)].iter().map(|&e| 7 + (e - all[lo]) as i32 / 2).collect();
                assert_eq!(ends, want, "entries {lo}..{hi}");
            }
        }
        let mut ends = vec![-1];
        assert!(!o.push_value_ends((1, 3), 0, 16, 0, &mut ends), "8 bytes is half a 16-byte value");
        assert!(!o.push_value_ends((1, 3), 0, 3, 0, &mut ends), "8 bytes is no whole number of 3-byte values");
        let mut ends = Vec::new();
        assert!(o.push_value_ends((0, 4), 0, 4, 0, &mut ends));
        assert_eq!(ends, [0, 2, 5, 25]);
        let p = EntryOffsets::positions(all.to_vec(), 100).unwrap();
        let mut ends = Vec::new();
        assert!(p.push_value_ends((1, 3), 0, 4, 1, &mut ends));
        assert_eq!(ends, [3, 6]);
        assert!(EntryOffsets::positions(vec![0, 9, 8], 100).is_err(), "out of order");
        assert!(EntryOffsets::positions(vec![0, 101], 100).is_err(), "past the data");
    }

    #[test]
    fn bad_tables_are_errors() {
        for (offsets, why) in [
            (&[70, 90, 80][..], "out of order"),
            (&[60, 70, 80][..], "before the data (negative)"),
            (&[70, 80, 171][..], "past the data"),
        ] {
            let err = entry_offsets(&table(offsets), 3, 70, 100).expect_err(why).to_string();
            assert!(err.contains("out of order or outside its 100 bytes"), "{why}: {err}");
        }
        let err = entry_offsets(&table(&[70, 80]), 3, 70, 100).expect_err("truncated").to_string();
        assert!(err.contains("truncated"), "{err}");
    }
}
