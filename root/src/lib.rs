//! `hepfusion-root`: our own reader of CERN ROOT files (TTree), decoding whole baskets into
//! Arrow arrays. A crate of its own, with neither DataFusion nor burn: the DataFusion data
//! source (`hepfusion::datasource`), the fuzz targets and the tools build on it; RNTuple and
//! writing will sit beside TTree here.
//!
//! Layers, each reading only those above it in this list (after uproot5's design):
//! - `io`: where bytes come from (local, HTTP, S3 through `object_store`), the cursor over
//!   ROOT's records, and the codecs of compressed blocks;
//! - `models`: the object stream and the classes a reader needs (streamer infos, TTree,
//!   TBranch, TLeaf);
//! - `file`: the header, keys, directories and streamer infos of a file ([`RootFile`]);
//! - `ttree`: baskets, interpretations, decoding into Arrow, and the [`TreeReader`].
//!
//! RNTuple (`rntuple/`) and writing (`write/`) will sit beside `ttree`, on the same `io`,
//! `models` and `file`.
//!
//! Reading a branch of a tree, cluster by cluster:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> hepfusion_root::Result<()> {
//! use hepfusion_root::{ReaderOptions, Source, TreeReader};
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/skhep-testdata/uproot-Zmumu.root");
//! let reader = TreeReader::open(Source::local(path).await?, Some("events"), &ReaderOptions::default()).await?;
//! assert_eq!(reader.entries(), 2304);
//! let px1 = reader.schema().index_of("px1").unwrap();
//! let mut n = 0;
//! for &(start, stop) in reader.clusters() {
//!     let columns = reader.read_columns(&[px1], start, stop).await?;
//!     n += columns[0].len();
//! }
//! assert_eq!(n, 2304);
//! # Ok(())
//! # }
//! ```

mod error;
mod file;
mod io;
mod models;
mod ttree;

pub use error::{Result, RootError};
pub use file::{RootFile, TreeEntry};
pub use io::source::Source;
pub use models::streamers::Streamers;
pub use models::tree::{Branch, Leaf};
pub use ttree::reader::{BranchStatus, ReadStats, ReaderOptions, TreeReader};

/// Opens every tree of a file and decodes every readable branch of it, cluster by cluster;
/// returns the number of values decoded. The fuzz target drives the whole reader through this.
pub async fn read_everything(source: Source) -> Result<u64> {
    let file = RootFile::open(source.clone()).await?;
    let mut n = 0;
    for t in file.trees().await? {
        let reader = TreeReader::open(source.clone(), Some(&t.path), &ReaderOptions::default()).await?;
        let cols: Vec<usize> = (0..reader.schema().fields().len()).collect();
        for &(start, stop) in reader.clusters() {
            for a in reader.read_columns(&cols, start, stop).await? {
                n += a.len() as u64;
            }
        }
    }
    Ok(n)
}
