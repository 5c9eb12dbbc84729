//! Options of a ROOT table, from `OPTIONS (...)` of `CREATE EXTERNAL TABLE` or from
//! `read_root`'s arguments.

use std::collections::HashMap;

use datafusion::error::{DataFusionError, Result};

use crate::root::ReaderOptions;

/// Which tree to read and how to turn it into a table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RootOptions {
    /// Path of the tree inside the file (`Events`, `dir/tree`); `None`: the file's only tree.
    pub tree: Option<String>,
    pub reader: ReaderOptions,
}

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(DataFusionError::Plan(format!("option '{key}' must be true or false, not '{v}'"))),
    }
}

impl RootOptions {
    /// Reads `root.tree` / `tree`, `root.group_counters` / `group_counters` and `root.strict`
    /// (keys without a dot reach us as `format.<key>`). Unknown `root.*` keys are errors.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self> {
        let mut o = RootOptions::default();
        for (k, v) in map {
            let key = k.strip_prefix("root.").or_else(|| k.strip_prefix("format.")).unwrap_or(k);
            match key {
                "tree" => o.tree = Some(v.clone()).filter(|t| !t.is_empty()),
                "group_counters" => o.reader.group_counters = parse_bool(k, v)?,
                "strict" => o.reader.strict = parse_bool(k, v)?,
                _ if k.starts_with("root.") => {
                    return Err(DataFusionError::Plan(format!(
                        "unknown ROOT option '{k}' (known: root.tree, root.group_counters, root.strict)"
                    )))
                }
                _ => {}
            }
        }
        Ok(o)
    }
}
