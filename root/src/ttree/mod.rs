//! A TTree as a table: the baskets of a branch ([`basket`]), how a branch's bytes are to be
//! read, from its leaves and streamers ([`interpretation`]), whole baskets decoded into Arrow
//! builders ([`decode`]), and the tree reader that plans, reads and assembles columns by
//! clusters of entries ([`reader`]). RNTuple will sit beside it, on the same `io` and `file`.

pub(crate) mod basket;
pub(crate) mod decode;
pub(crate) mod interpretation;
pub(crate) mod reader;
