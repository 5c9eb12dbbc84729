//! The file layer: header, keys, directories, streamer infos, and finding trees by path.

use crate::io::compression;
use crate::io::cursor::Cursor;
use crate::error::{Result, RootError};
use crate::models::objects::{read_tlist, ReadContext};
use crate::io::source::Source;
use crate::models::streamers::Streamers;
use crate::models::tree::{read_tree, Tree};

/// The fixed file header (`TFile` record at byte 0).
#[derive(Debug, Clone)]
pub struct Header {
    pub version: i32,
    pub begin: u64,
    pub end: u64,
    pub nbytes_name: u32,
    pub compress: i32,
    pub seek_info: u64,
    pub nbytes_info: u32,
}

/// A TKey: the header in front of every object record.
#[derive(Debug, Clone)]
pub struct Key {
    pub nbytes: u32,
    pub objlen: u32,
    pub key_len: u32,
    pub cycle: i16,
    pub seek_key: u64,
    pub class_name: String,
    pub name: String,
    pub title: String,
}

impl Key {
    pub fn read(c: &mut Cursor) -> Result<Key> {
        let nbytes = c.i32()?;
        let version = c.i16()?;
        let objlen = c.i32()?;
        let _datime = c.u32()?;
        let key_len = c.i16()?;
        let cycle = c.i16()?;
        let (seek_key, _seek_pdir) = if version > 1000 {
            (c.i64()?, c.i64()?)
        } else {
            (c.i32()? as i64, c.i32()? as i64)
        };
        let class_name = c.tstring()?;
        let name = c.tstring()?;
        let title = c.tstring()?;
        if nbytes < 0 || objlen < 0 || key_len <= 0 || seek_key < 0 {
            return Err(RootError::format(format!(
                "key '{name}' has fNbytes={nbytes}, fObjlen={objlen}, fKeylen={key_len}, fSeekKey={seek_key}"
            )));
        }
        Ok(Key {
            nbytes: nbytes as u32,
            objlen: objlen as u32,
            key_len: key_len as u32,
            cycle,
            seek_key: seek_key as u64,
            class_name,
            name,
            title,
        })
    }

    /// The object's bytes, decompressed.
    pub async fn payload(&self, src: &Source) -> Result<Vec<u8>> {
        if self.nbytes < self.key_len {
            return Err(RootError::format(format!("key '{}' is shorter than its header", self.name)));
        }
        let raw = src.read(self.seek_key..self.seek_key + self.nbytes as u64).await?;
        let body = &raw[self.key_len as usize..];
        if body.len() == self.objlen as usize {
            Ok(body.to_vec())
        } else {
            compression::decompress(body, self.objlen as usize)
                .map_err(|e| e.in_file(src.name()))
                .map_err(|e| match e {
                    RootError::Format { msg, ctx } => {
                        RootError::Format { msg: format!("object '{}' ({}): {msg}", self.name, self.class_name), ctx }
                    }
                    other => other,
                })
        }
    }
}

#[derive(Debug, Clone)]
pub struct Directory {
    pub path: String,
    pub keys: Vec<Key>,
}

/// An open ROOT file: its header, top-level keys and streamer infos.
#[derive(Debug, Clone)]
pub struct RootFile {
    pub source: Source,
    pub header: Header,
    pub top: Directory,
    pub streamers: Streamers,
    /// Why the streamer infos could not be read, if they could not (trees of plain branches
    /// do not need them, so this is not fatal).
    pub streamer_error: Option<String>,
}

/// A tree found in a file: its path (directories joined with '/') and key.
#[derive(Debug, Clone)]
pub struct TreeEntry {
    pub path: String,
    pub key: Key,
}

const TREE_CLASSES: [&str; 3] = ["TTree", "TNtuple", "TNtupleD"];

/// RNTuple anchors: ROOT 6.34 on, and the experimental class of earlier releases.
const RNTUPLE_CLASSES: [&str; 2] = ["ROOT::RNTuple", "ROOT::Experimental::RNTuple"];

impl TreeEntry {
    pub fn is_tree(&self) -> bool {
        TREE_CLASSES.contains(&self.key.class_name.as_str())
    }

    pub fn is_rntuple(&self) -> bool {
        RNTUPLE_CLASSES.contains(&self.key.class_name.as_str())
    }

    pub fn is_directory(&self) -> bool {
        is_directory(&self.key.class_name)
    }
}

impl RootFile {
    /// Reads a file's header, top directory and streamer infos; trees are read when asked for.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> hepfusion_root::Result<()> {
    /// use hepfusion_root::{RootFile, Source};
    ///
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/skhep-testdata/uproot-HZZ.root");
    /// let file = RootFile::open(Source::local(path).await?).await?;
    /// let trees: Vec<String> = file.trees().await?.into_iter().map(|t| t.path).collect();
    /// assert_eq!(trees, ["events"]);
    /// // A wrong name is an error that lists what the file holds.
    /// let err = file.find_tree(Some("Events")).await.unwrap_err().to_string();
    /// assert!(err.contains("events"), "{err}");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn open(source: Source) -> Result<RootFile> {
        let name = source.name().to_string();
        Self::open_inner(source).await.map_err(|e| e.in_file(&name))
    }

    async fn open_inner(source: Source) -> Result<RootFile> {
        let head_len = source.size().min(256);
        let head = source.read(0..head_len).await?;
        let header = read_header(&head)?;
        if header.end > source.size() {
            return Err(RootError::format(format!(
                "file is truncated: its header says {} bytes, the file has {}",
                header.end,
                source.size()
            )));
        }
        let dir_start = header.begin + header.nbytes_name as u64;
        let dir_bytes = source.read(dir_start..(dir_start + 64).min(source.size())).await?;
        let top = read_directory(&source, &dir_bytes, String::new()).await?;
        let (streamers, streamer_error) = match read_streamers(&source, &header).await {
            Ok(s) => (s, None),
            Err(e) => (Streamers::default(), Some(e.to_string())),
        };
        Ok(RootFile { source, header, top, streamers, streamer_error })
    }

    pub fn name(&self) -> &str {
        self.source.name()
    }

    /// Every object in the file, subdirectories' included (directories themselves too), one
    /// entry per name (highest cycle), sorted by path.
    pub async fn objects(&self) -> Result<Vec<TreeEntry>> {
        let mut out = Vec::new();
        let mut stack = vec![self.top.clone()];
        while let Some(dir) = stack.pop() {
            for key in best_cycles(&dir.keys) {
                let path = join(&dir.path, &key.name);
                if is_directory(&key.class_name) {
                    let payload = key.payload(&self.source).await.map_err(|e| e.in_file(self.name()))?;
                    stack.push(read_directory(&self.source, &payload, path.clone()).await.map_err(|e| e.in_file(self.name()))?);
                }
                out.push(TreeEntry { path, key: key.clone() });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Every tree in the file, subdirectories included; one entry per name (highest cycle).
    pub async fn trees(&self) -> Result<Vec<TreeEntry>> {
        Ok(self.objects().await?.into_iter().filter(|o| o.is_tree()).collect())
    }

    /// Why a tree is not there: the trees among `objects` (the file's) instead, and its
    /// RNTuples, which hepfusion cannot read yet.
    fn missing_tree(&self, objects: &[TreeEntry], what: String) -> RootError {
        let list = |f: fn(&TreeEntry) -> bool| objects.iter().filter(|o| f(o)).map(|o| format!("'{}'", o.path)).collect::<Vec<_>>().join(", ");
        let (trees, rntuples) = (list(TreeEntry::is_tree), list(TreeEntry::is_rntuple));
        let mut msg = what;
        if trees.is_empty() {
            msg.push_str("; the file holds no TTree");
        } else {
            msg.push_str(&format!("; the file's trees: {trees}"));
        }
        if !rntuples.is_empty() {
            msg.push_str(&format!(
                "; it holds RNTuple {rntuples} (ROOT 6.34's columnar format, which the LHC's Run 4 writes), which hepfusion cannot read yet: only TTrees are supported"
            ));
            if trees.is_empty() {
                return RootError::unsupported(msg).in_file(self.name());
            }
        }
        RootError::not_found(msg).in_file(self.name())
    }

    /// Finds a tree by path (`dir/tree`, optionally `;cycle`), or the only tree when `path` is
    /// `None`.
    pub async fn find_tree(&self, path: Option<&str>) -> Result<TreeEntry> {
        let objects = self.objects().await?;
        let mut trees: Vec<TreeEntry> = objects.iter().filter(|o| o.is_tree()).cloned().collect();
        let Some(path) = path else {
            return match trees.len() {
                1 => Ok(trees.remove(0)),
                0 => Err(self.missing_tree(&objects, "no tree to read".into())),
                _ => Err(RootError::not_found(format!(
                    "the file holds {} trees ({}); name one with the 'root.tree' option or read_root's second argument",
                    trees.len(),
                    trees.iter().map(|t| t.path.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .in_file(self.name())),
            };
        };
        let (want, cycle) = match path.rsplit_once(';') {
            Some((p, c)) if c.parse::<i16>().is_ok() => (p.trim_matches('/'), c.parse::<i16>().ok()),
            _ => (path.trim_matches('/'), None),
        };
        if let Some(cycle) = cycle {
            return self.find_cycle(want, cycle).await;
        }
        match trees.into_iter().find(|t| t.path == want) {
            Some(t) => Ok(t),
            None => Err(self.missing_tree(&objects, format!("no TTree named '{want}'"))),
        }
    }

    async fn find_cycle(&self, want: &str, cycle: i16) -> Result<TreeEntry> {
        let (dir_path, name) = want.rsplit_once('/').unwrap_or(("", want));
        let mut dir = self.top.clone();
        for part in dir_path.split('/').filter(|p| !p.is_empty()) {
            let key = best_cycles(&dir.keys)
                .into_iter()
                .find(|k| k.name == part && is_directory(&k.class_name))
                .ok_or_else(|| RootError::not_found(format!("no directory '{part}'")).in_file(self.name()))?;
            let payload = key.payload(&self.source).await?;
            dir = read_directory(&self.source, &payload, join(&dir.path, part)).await?;
        }
        dir.keys
            .iter()
            .find(|k| k.name == name && k.cycle == cycle && TREE_CLASSES.contains(&k.class_name.as_str()))
            .map(|k| TreeEntry { path: want.to_string(), key: k.clone() })
            .ok_or_else(|| RootError::not_found(format!("no TTree named '{want};{cycle}'")).in_file(self.name()))
    }

    /// Reads a tree's metadata (branches, leaves, basket locations).
    pub async fn read_tree(&self, entry: &TreeEntry) -> Result<Tree> {
        let payload = entry.key.payload(&self.source).await.map_err(|e| e.in_file(self.name()))?;
        let mut c = Cursor::with_origin(&payload, entry.key.key_len as i64);
        let tree = if entry.key.class_name == "TTree" {
            read_tree(&mut c)
        } else {
            // TNtuple(D): a TTree base plus the number of variables.
            c.frame().and_then(|_| read_tree(&mut c))
        };
        tree.map_err(|e| e.in_tree(&entry.path).in_file(self.name()))
    }
}

fn is_directory(class: &str) -> bool {
    class == "TDirectory" || class == "TDirectoryFile"
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// One key per name: the highest cycle (ROOT's default when no cycle is given).
fn best_cycles(keys: &[Key]) -> Vec<&Key> {
    let mut out: Vec<&Key> = Vec::new();
    for k in keys {
        match out.iter_mut().find(|o| o.name == k.name && is_directory(&o.class_name) == is_directory(&k.class_name)) {
            Some(o) if o.cycle < k.cycle => *o = k,
            Some(_) => {}
            None => out.push(k),
        }
    }
    out
}

fn read_header(b: &[u8]) -> Result<Header> {
    let mut c = Cursor::new(b);
    let magic = c.bytes(4).map_err(|_| RootError::format("file is too short to be a ROOT file"))?;
    if magic == b"PAR1" {
        return Err(RootError::format("a Parquet file, not a ROOT file: query it with FROM 'file.parquet'"));
    }
    if magic != b"root" {
        return Err(RootError::format("not a ROOT file (it does not start with 'root')"));
    }
    let version = c.i32()?;
    let begin = c.i32()?;
    let big = version >= 1_000_000;
    let end = if big { c.i64()? } else { c.i32()? as i64 };
    let _seek_free = if big { c.i64()? } else { c.i32()? as i64 };
    let _nbytes_free = c.i32()?;
    let _nfree = c.i32()?;
    let nbytes_name = c.i32()?;
    let _units = c.u8()?;
    let compress = c.i32()?;
    let seek_info = if big { c.i64()? } else { c.i32()? as i64 };
    let nbytes_info = c.i32()?;
    if begin <= 0 || end < begin as i64 || nbytes_name < 0 || seek_info < 0 || nbytes_info < 0 {
        return Err(RootError::format(format!(
            "corrupt file header (fBEGIN={begin}, fEND={end}, fNbytesName={nbytes_name}, fSeekInfo={seek_info})"
        )));
    }
    Ok(Header {
        version,
        begin: begin as u64,
        end: end as u64,
        nbytes_name: nbytes_name as u32,
        compress,
        seek_info: seek_info as u64,
        nbytes_info: nbytes_info as u32,
    })
}

/// Reads a TDirectory record and the list of keys it points to.
async fn read_directory(src: &Source, record: &[u8], path: String) -> Result<Directory> {
    let mut c = Cursor::new(record);
    let version = c.i16()?;
    let _ctime = c.u32()?;
    let _mtime = c.u32()?;
    let nbytes_keys = c.i32()?;
    let _nbytes_name = c.i32()?;
    let big = version > 1000;
    let _seek_dir = if big { c.i64()? } else { c.i32()? as i64 };
    let _seek_parent = if big { c.i64()? } else { c.i32()? as i64 };
    let seek_keys = if big { c.i64()? } else { c.i32()? as i64 };
    if nbytes_keys < 0 || seek_keys <= 0 {
        if seek_keys == 0 {
            return Ok(Directory { path, keys: Vec::new() });
        }
        return Err(RootError::format(format!(
            "corrupt directory '{path}' (fNbytesKeys={nbytes_keys}, fSeekKeys={seek_keys})"
        )));
    }
    let raw = src.read(seek_keys as u64..seek_keys as u64 + nbytes_keys as u64).await?;
    let mut c = Cursor::new(&raw);
    let _self_key = Key::read(&mut c)?;
    let n = c.i32()?;
    if n < 0 || n as usize > c.remaining() / 20 {
        return Err(RootError::format(format!("directory '{path}' claims {n} keys")));
    }
    let mut keys = Vec::with_capacity(n as usize);
    for _ in 0..n {
        keys.push(Key::read(&mut c)?);
    }
    Ok(Directory { path, keys })
}

async fn read_streamers(src: &Source, h: &Header) -> Result<Streamers> {
    if h.seek_info == 0 || h.nbytes_info == 0 {
        return Ok(Streamers::default());
    }
    let raw = src.read(h.seek_info..h.seek_info + h.nbytes_info as u64).await?;
    let mut c = Cursor::new(&raw);
    let key = Key::read(&mut c)?;
    let payload = key.payload(src).await?;
    let mut c = Cursor::with_origin(&payload, key.key_len as i64);
    let mut ctx = ReadContext::new();
    let list = read_tlist(&mut c, &mut ctx)?;
    Ok(Streamers::from_objects(list))
}
