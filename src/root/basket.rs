//! TBasket records: the key header, the (possibly compressed) buffer, and the entry-offset
//! table that follows the data when entries vary in size.

use super::compression;
use super::cursor::Cursor;
use super::error::{Result, RootError};

/// One basket's uncompressed content, borrowed from the record or from a scratch buffer.
#[derive(Debug, Clone)]
pub struct Basket<'a> {
    pub entries: usize,
    /// The entry data (without the offset table).
    pub data: &'a [u8],
    /// Entry boundaries in `data` (entries + 1 values), when the basket records them.
    pub offsets: Option<Vec<usize>>,
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
        scratch.clear();
        scratch.resize(objlen, 0);
        compression::decompress_into(body, scratch)?;
        scratch
    };
    let border = last as usize - key_len;
    let offsets = if border == objlen { None } else { Some(entry_offsets(&buf[border..], entries, key_len, border)?) };
    Ok(Basket { entries, data: &buf[..border], offsets })
}

/// The entry-offset table after a basket's data (a count, then one big-endian i32 per entry,
/// relative to the key), as offsets into the data ending with `border`. Bulk passes over the
/// raw table, checks folded into one flag: a cursor read per entry was a sixth of the time
/// of reading a jagged LZ4 file.
fn entry_offsets(table: &[u8], entries: usize, key_len: usize, border: usize) -> Result<Vec<usize>> {
    let raw = entries
        .checked_mul(4)
        .and_then(|n| table.get(4..4 + n))
        .ok_or_else(|| RootError::format(format!("basket entry-offset table truncated: {entries} entries need {} bytes, {} left", 4 + 4 * entries as u64, table.len())))?;
    // A negative offset wraps to a huge one, which fails the order or the bound check.
    let mut offsets = Vec::with_capacity(entries + 1);
    offsets.extend(raw.chunks_exact(4).map(|b| (i32::from_be_bytes([b[0], b[1], b[2], b[3]]) as i64 - key_len as i64) as usize));
    let ordered = offsets.windows(2).fold(true, |ok, w| ok & (w[0] <= w[1]));
    if !ordered || offsets.last().is_some_and(|&last| last > border) {
        return Err(RootError::format(format!("basket entry offsets out of order or outside its {border} bytes")));
    }
    offsets.push(border);
    Ok(offsets)
}

#[cfg(test)]
mod tests {
    use super::entry_offsets;

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
