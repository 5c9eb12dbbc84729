//! `read_root('path' [, 'tree' [, 'options']])`: a ROOT file, directory or glob as a table,
//! without `CREATE EXTERNAL TABLE`.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;

use super::options::RootOptions;
use super::table::root_table;
use crate::blocking::block_on;
use crate::session::state_of;

#[derive(Debug, Default)]
pub struct ReadRoot;

const USAGE: &str = "read_root(path [, tree [, options]]): path and tree are strings, options a string like 'group_counters=true'";

/// Argument `i` of a table function, which must be a constant string (or NULL, or absent).
pub(crate) fn string_arg(function: &str, usage: &str, exprs: &[Expr], i: usize, what: &str) -> Result<Option<String>> {
    match exprs.get(i) {
        None => Ok(None),
        Some(Expr::Literal(v, _)) => match v.try_as_str() {
            Some(Some(s)) => Ok(Some(s.to_string())),
            Some(None) => Ok(None),
            None => Err(DataFusionError::Plan(format!("{function}: argument {} ({what}) must be a string, got {v}; {usage}", i + 1))),
        },
        Some(e) => Err(DataFusionError::Plan(format!(
            "{function}: argument {} ({what}) must be a constant string, got {e}; {usage}",
            i + 1
        ))),
    }
}

impl TableFunctionImpl for ReadRoot {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        if exprs.is_empty() || exprs.len() > 3 {
            return Err(DataFusionError::Plan(format!("read_root takes 1 to 3 arguments, got {}; {USAGE}", exprs.len())));
        }
        let path = string_arg("read_root", USAGE, exprs, 0, "path")?.ok_or_else(|| DataFusionError::Plan(format!("read_root: path is NULL; {USAGE}")))?;
        let mut map = HashMap::new();
        if let Some(extra) = string_arg("read_root", USAGE, exprs, 2, "options")? {
            for kv in extra.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| DataFusionError::Plan(format!("read_root: option '{kv}' is not key=value; {USAGE}")))?;
                map.insert(format!("root.{}", k.trim().trim_start_matches("root.")), v.trim().to_string());
            }
        }
        if let Some(tree) = string_arg("read_root", USAGE, exprs, 1, "tree")? {
            map.insert("root.tree".to_string(), tree);
        }
        let opts = RootOptions::from_map(&map)?;
        let state = state_of(args.session())?;
        block_on(async move { root_table(&state, &[path], opts).await })
    }
}
