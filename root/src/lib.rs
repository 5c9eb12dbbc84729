//! `hepfusion-root`: our own reader of CERN ROOT files (TTree), decoding whole baskets into
//! Arrow arrays. A crate of its own, with neither DataFusion nor burn: the DataFusion data
//! source (`hepfusion::datasource`), the fuzz targets and the tools build on it; RNTuple and
//! writing will sit beside TTree here.
//!
//! Layers, each readable alone (after uproot5's design):
//! - [`source`]: where bytes come from (local, HTTP, S3 through `object_store`);
//! - [`file`]: header, keys, directories, streamer infos;
//! - [`objects`], [`streamers`], [`tree`]: the object stream and the models of TTree,
//!   TBranch and TLeaf;
//! - [`basket`], [`compression`]: basket records and their codecs;
//! - [`interpretation`], [`decode`]: how a branch's bytes become Arrow arrays;
//! - [`reader`]: a tree as a table (schema, clusters, entry ranges).
//!

pub mod basket;
pub mod compression;
pub mod cursor;
pub mod decode;
pub mod error;
pub mod file;
pub mod interpretation;
pub mod objects;
pub mod reader;
pub mod source;
pub mod streamers;
pub mod tree;

pub use error::{Result, RootError};
pub use file::RootFile;
pub use reader::{ReadStats, ReaderOptions, TreeReader};
pub use source::Source;

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
