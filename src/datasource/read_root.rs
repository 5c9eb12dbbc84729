//! `read_root('path' [, 'tree' [, 'options']])`: a ROOT file, directory or glob as a table,
//! without `CREATE EXTERNAL TABLE`.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::{DataFusionError, Result};

use super::options::RootOptions;
use crate::arguments::{Args, TableSignature};
use super::table::root_table;
use crate::blocking::block_on;
use crate::states::States;

#[derive(Debug)]
pub struct ReadRoot {
    states: States,
}

impl ReadRoot {
    pub fn new(states: States) -> Self {
        Self { states }
    }
}

pub(crate) static SIGNATURE: TableSignature = TableSignature {
    name: "read_root",
    section: "ROOT files",
    description: "A TTree of ROOT files as a table, without `CREATE EXTERNAL TABLE`: one row per entry, one column per branch (split objects and collections as structs and lists of structs), read by clusters of entries in parallel. The path is a file, a directory, a glob or a list of them, local, `http(s)://` or `s3://`. Entries come in file order, then entry order.",
    syntax: "read_root('path' [, 'tree' [, 'options']])",
    arguments: &[
        ("path", "A ROOT file, a directory of them, or a glob (`data/*.root`), local, `http(s)://` or `s3://`."),
        ("tree", "The tree's name or path in the file (`dir/tree`); default: the file's only tree."),
        ("options", "Comma-separated `key=value`, as `CREATE EXTERNAL TABLE`'s OPTIONS: `group_counters=true` (the branches a counter counts as one list of structs), `strict=true` (unreadable branches are an error, not left out)."),
    ],
    required: 1,
    options: &[],
    example: r#"```sql
> SELECT count(*) AS events, round(avg(M), 3) AS mean_mass FROM read_root('uproot-Zmumu.root', 'events');
+--------+-----------+
| events | mean_mass |
+--------+-----------+
| 2304   | 80.206    |
+--------+-----------+

```"#,
};

impl TableFunctionImpl for ReadRoot {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let a = Args::parse(&SIGNATURE, args.exprs())?;
        let path = a.string_at(0)?;
        let mut map = HashMap::new();
        if let Some(extra) = a.optional_string_at(2)? {
            for kv in extra.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| DataFusionError::Plan(format!("read_root: option '{kv}' is not key=value; {}", SIGNATURE.syntax)))?;
                map.insert(format!("root.{}", k.trim().trim_start_matches("root.")), v.trim().to_string());
            }
        }
        if let Some(tree) = a.optional_string_at(1)? {
            map.insert("root.tree".to_string(), tree);
        }
        let opts = RootOptions::from_map(&map)?;
        let state = self.states.of(args.session())?;
        block_on(async move { root_table(&state, &[path], opts).await })
    }
}
