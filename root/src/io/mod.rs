//! Bytes: where they come from ([`source`]: local files, HTTP, S3), how records in them are
//! read ([`cursor`]: ROOT's big-endian, byte-counted, versioned layout) and how compressed
//! blocks become plain ones ([`compression`]). Knows nothing of ROOT's classes.

pub(crate) mod compression;
pub(crate) mod cursor;
pub(crate) mod source;
