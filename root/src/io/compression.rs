//! ROOT compression blocks: a 9-byte header (algorithm, method, compressed and uncompressed
//! sizes as 3-byte little-endian integers) followed by the compressed bytes. A record larger
//! than 16 MiB is stored as several consecutive blocks.



use crate::error::{Result, RootError};

const HEADER: usize = 9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Zlib,
    Lzma,
    Lz4,
    Zstd,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zlib => "zlib",
            Codec::Lzma => "lzma",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
        }
    }
}

/// Decompresses a whole record of `uncompressed_len` bytes.
///
/// `compressed` must hold exactly the record's blocks. A record whose stored size equals its
/// uncompressed size is stored raw (ROOT does that whenever compression does not help, per
/// basket), and callers must not call this for it.
pub fn decompress(compressed: &[u8], uncompressed_len: usize) -> Result<Vec<u8>> {
    check_sizes(compressed, uncompressed_len)?;
    let mut out = vec![0u8; uncompressed_len];
    decompress_into(compressed, &mut out)?;
    Ok(out)
}

/// Checks, before anything is allocated, that the block headers add up to the size the record
/// claims: a corrupt size then fails at once instead of asking for gigabytes.
pub fn check_sizes(compressed: &[u8], uncompressed_len: usize) -> Result<()> {
    let (mut src, mut total) = (0usize, 0usize);
    while src + HEADER <= compressed.len() && total < uncompressed_len {
        let h = &compressed[src..src + HEADER];
        total += u32::from_le_bytes([h[6], h[7], h[8], 0]) as usize;
        src += HEADER + u32::from_le_bytes([h[3], h[4], h[5], 0]) as usize;
    }
    if total != uncompressed_len {
        return Err(RootError::format(format!(
            "compressed record claims {uncompressed_len} bytes, its blocks hold {total}"
        )));
    }
    Ok(())
}

/// Decompresses the blocks of `compressed` into `out`, which must have the exact total size.
pub fn decompress_into(compressed: &[u8], out: &mut [u8]) -> Result<()> {
    let mut src = 0usize;
    let mut dst = 0usize;
    let mut block = 0usize;
    while dst < out.len() {
        if src + HEADER > compressed.len() {
            return Err(RootError::format(format!(
                "compressed record truncated: block {block} header at byte {src} of {}",
                compressed.len()
            )));
        }
        let h = &compressed[src..src + HEADER];
        let csize = u32::from_le_bytes([h[3], h[4], h[5], 0]) as usize;
        let usize_ = u32::from_le_bytes([h[6], h[7], h[8], 0]) as usize;
        let body_start = src + HEADER;
        let body_end = body_start + csize;
        if body_end > compressed.len() {
            return Err(RootError::format(format!(
                "compressed block {block} claims {csize} bytes but only {} remain",
                compressed.len() - body_start
            )));
        }
        if dst + usize_ > out.len() {
            return Err(RootError::format(format!(
                "compressed block {block} expands to {usize_} bytes, beyond the record's {} bytes",
                out.len()
            )));
        }
        let body = &compressed[body_start..body_end];
        let target = &mut out[dst..dst + usize_];
        let codec = match &h[0..2] {
            b"ZL" => Codec::Zlib,
            b"XZ" => Codec::Lzma,
            b"L4" => Codec::Lz4,
            b"ZS" => Codec::Zstd,
            b"CS" => {
                return Err(RootError::unsupported(
                    "ROOT's legacy 'CS' compression (pre-2005 files) is not supported",
                ))
            }
            other => {
                return Err(RootError::format(format!(
                    "unknown compression algorithm {:?} in block {block}",
                    String::from_utf8_lossy(other)
                )))
            }
        };
        decompress_block(codec, body, target)
            .map_err(|e| RootError::format(format!("{} block {block}: {e}", codec.name())))?;
        src = body_end;
        dst += usize_;
        block += 1;
        if usize_ == 0 {
            return Err(RootError::format(format!("compressed block {block} is empty")));
        }
    }
    Ok(())
}

thread_local! {
    /// libdeflate's decompressor holds ~32 kB of tables: one per thread, reused for every block.
    static ZLIB: std::cell::RefCell<libdeflater::Decompressor> = std::cell::RefCell::new(libdeflater::Decompressor::new());
    /// Likewise libzstd's context (~100 kB, its window buffers allocated on first use): a new
    /// one per block cost as much as the decompression of a small block.
    static ZSTD: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { std::cell::RefCell::new(None) };
}

fn zstd_decompress(body: &[u8], target: &mut [u8]) -> std::io::Result<usize> {
    ZSTD.with(|slot| {
        let mut slot = slot.borrow_mut();
        let mut context = match slot.take() {
            Some(c) => c,
            None => zstd::bulk::Decompressor::new()?,
        };
        let n = context.decompress_to_buffer(body, target);
        *slot = Some(context);
        n
    })
}

fn decompress_block(codec: Codec, body: &[u8], target: &mut [u8]) -> std::result::Result<(), String> {
    let n = match codec {
        Codec::Zlib => ZLIB.with(|d| d.borrow_mut().zlib_decompress(body, target)).map_err(|e| e.to_string())?,
        Codec::Lz4 => {
            if body.len() < 8 {
                return Err("block shorter than its checksum".into());
            }
            let (sum, data) = body.split_at(8);
            let want = u64::from_be_bytes([sum[0], sum[1], sum[2], sum[3], sum[4], sum[5], sum[6], sum[7]]);
            let got = twox_hash::XxHash64::oneshot(0, data);
            if want != got {
                return Err(format!("checksum mismatch (stored {want:#x}, computed {got:#x})"));
            }
            lz4_flex::block::decompress_into(data, target).map_err(|e| e.to_string())?
        }
        Codec::Zstd => zstd_decompress(body, target).map_err(|e| e.to_string())?,
        Codec::Lzma => {
            let mut out = Vec::with_capacity(target.len());
            lzma_rs::xz_decompress(&mut std::io::BufReader::new(body), &mut out).map_err(|e| e.to_string())?;
            if out.len() > target.len() {
                return Err("xz stream longer than the block header says".into());
            }
            target[..out.len()].copy_from_slice(&out);
            out.len()
        }
    };
    if n != target.len() {
        return Err(format!("expanded to {n} bytes, header says {}", target.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Builds ROOT compression blocks of at most `block` bytes of input each.
    fn blocks(codec: Codec, data: &[u8], block: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in data.chunks(block) {
            let (tag, body): (&[u8], Vec<u8>) = match codec {
                Codec::Zlib => {
                    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(1));
                    e.write_all(chunk).unwrap();
                    (b"ZL", e.finish().unwrap())
                }
                Codec::Lz4 => {
                    let c = lz4_flex::block::compress(chunk);
                    let mut b = twox_hash::XxHash64::oneshot(0, &c).to_be_bytes().to_vec();
                    b.extend(c);
                    (b"L4", b)
                }
                Codec::Zstd => (b"ZS", zstd::bulk::compress(chunk, 3).unwrap()),
                Codec::Lzma => {
                    let mut b = Vec::new();
                    lzma_rs::xz_compress(&mut std::io::Cursor::new(chunk), &mut b).unwrap();
                    (b"XZ", b)
                }
            };
            out.extend_from_slice(tag);
            out.push(1);
            out.extend_from_slice(&(body.len() as u32).to_le_bytes()[..3]);
            out.extend_from_slice(&(chunk.len() as u32).to_le_bytes()[..3]);
            out.extend(body);
        }
        out
    }

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| ((i * 2654435761usize) >> 13) as u8 % 17).collect()
    }

    #[test]
    fn every_codec_round_trips_over_several_blocks() {
        let data = sample(100_000);
        for codec in [Codec::Zlib, Codec::Lz4, Codec::Zstd, Codec::Lzma] {
            let c = blocks(codec, &data, 30_000);
            assert_eq!(decompress(&c, data.len()).unwrap(), data, "{codec:?}");
        }
    }

    #[test]
    fn corruption_and_truncation_are_errors() {
        let data = sample(50_000);
        for codec in [Codec::Zlib, Codec::Lz4, Codec::Zstd, Codec::Lzma] {
            let c = blocks(codec, &data, 20_000);
            assert!(decompress(&c[..c.len() - 5], data.len()).is_err(), "{codec:?} truncated");
            assert!(decompress(&c, data.len() + 10).is_err(), "{codec:?} too short");
            let mut bad = c.clone();
            let mid = 9 + (c.len() / 3).min(40);
            bad[mid] ^= 0xff;
            match decompress(&bad, data.len()) {
                Err(_) => {}
                Ok(out) => assert_ne!(out, data, "{codec:?}: corruption went unnoticed but data equal?"),
            }
        }
        // LZ4 blocks carry a checksum: any flip in the body is caught.
        let c = blocks(Codec::Lz4, &data, 60_000);
        for pos in (17..c.len()).step_by(97) {
            let mut bad = c.clone();
            bad[pos] ^= 0x01;
            assert!(decompress(&bad, data.len()).is_err(), "flip at {pos}");
        }
        assert!(decompress(b"QQ\x01\x00\x00\x00\x00\x00\x00", 4).is_err());
    }
}
