//! The streamed classes a reader needs, decoded from ROOT's object stream: the stream itself
//! and the classes it can hold ([`objects`]), the streamer infos that describe user classes
//! ([`streamers`]), and TTree, TBranch and TLeaf ([`tree`]). Plain data: how a branch's bytes
//! become values is `ttree`'s business.

pub(crate) mod objects;
pub(crate) mod streamers;
pub(crate) mod tree;
