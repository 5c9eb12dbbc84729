//! Tab completion: SQL keywords, tables, columns, functions, `\` commands, and file paths
//! inside quotes. The names come from the session, read again after each statement
//! ([`Names::read`]), so completion itself never waits on the catalog.

use std::path::Path;

use datafusion::prelude::SessionContext;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

const KEYWORDS: &[&str] = &[
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "ORDER", "HAVING", "LIMIT", "OFFSET", "AS", "AND", "OR", "NOT", "NULL", "IS", "IN",
    "BETWEEN", "LIKE", "ILIKE", "CASE", "WHEN", "THEN", "ELSE", "END", "DISTINCT", "JOIN", "LEFT", "RIGHT", "FULL", "INNER", "OUTER",
    "CROSS", "ON", "USING", "UNION", "ALL", "EXCEPT", "INTERSECT", "WITH", "CREATE", "EXTERNAL", "TABLE", "VIEW", "DROP", "IF",
    "EXISTS", "REPLACE", "STORED", "LOCATION", "OPTIONS", "COPY", "TO", "INSERT", "INTO", "VALUES", "EXPLAIN", "ANALYZE", "DESCRIBE",
    "SHOW", "TABLES", "COLUMNS", "SET", "RESET", "CAST", "TRUE", "FALSE", "ASC", "DESC", "NULLS", "FIRST", "LAST", "OVER", "PARTITION",
    "UNNEST", "ROOT", "PARQUET", "CSV", "JSON",
];

const COMMANDS: &[&str] = &["\\q", "\\?", "\\h", "\\d", "\\root", "\\format", "\\maxrows", "\\timing"];

/// What completion offers.
#[derive(Default)]
pub struct Names {
    pub tables: Vec<String>,
    pub columns: Vec<String>,
    pub functions: Vec<String>,
}

impl Names {
    /// The session's tables, their columns and every function.
    pub async fn read(ctx: &SessionContext) -> Names {
        let state = ctx.state();
        let mut names = Names::default();
        for catalog in ctx.catalog_names().iter().filter_map(|c| ctx.catalog(c)) {
            for schema in catalog.schema_names().iter().filter(|s| *s != "information_schema").filter_map(|s| catalog.schema(s)) {
                for table in schema.table_names() {
                    if let Ok(Some(provider)) = schema.table(&table).await {
                        names.columns.extend(provider.schema().fields().iter().map(|f| f.name().clone()));
                    }
                    names.tables.push(table);
                }
            }
        }
        names.functions.extend(state.scalar_functions().keys().cloned());
        names.functions.extend(state.aggregate_functions().keys().cloned());
        names.functions.extend(state.window_functions().keys().cloned());
        names.functions.extend(state.higher_order_functions().keys().cloned());
        names.functions.extend(state.table_functions().keys().cloned());
        for v in [&mut names.tables, &mut names.columns, &mut names.functions] {
            v.sort();
            v.dedup();
        }
        names
    }
}

pub struct ShellHelper {
    pub names: Names,
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        Ok(candidates(&self.names, &line[..pos]))
    }
}

/// Where the word being completed starts in `before` (the line up to the cursor), and what it
/// may become.
pub fn candidates(names: &Names, before: &str) -> (usize, Vec<Pair>) {
    // Inside quotes: a file path.
    if before.matches('\'').count() % 2 == 1 {
        let start = before.rfind('\'').map_or(0, |i| i + 1);
        return (start, paths(&before[start..]));
    }
    if let Some(arg) = before.strip_prefix("\\root ") {
        let start = before.len() - arg.len() + arg.rfind(' ').map_or(0, |i| i + 1);
        return (start, paths(&before[start..]));
    }
    let start = before
        .char_indices()
        .rfind(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '\\'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[start..];
    if word.is_empty() {
        return (start, vec![]);
    }
    let pair = |s: &str| Pair { display: s.to_string(), replacement: s.to_string() };
    if word.starts_with('\\') {
        return (start, COMMANDS.iter().filter(|c| c.starts_with(word)).map(|c| pair(c)).collect());
    }
    let lower = word.to_lowercase();
    let after_dot = before[..start].ends_with('.');
    let mut out: Vec<Pair> = vec![];
    let mut add = |list: &[String]| out.extend(list.iter().filter(|n| n.to_lowercase().starts_with(&lower)).map(|n| pair(n)));
    add(&names.columns);
    if !after_dot {
        add(&names.tables);
        add(&names.functions);
        let upper = word.chars().next().is_some_and(|c| c.is_uppercase());
        out.extend(KEYWORDS.iter().filter(|k| k.to_lowercase().starts_with(&lower)).map(|k| pair(&if upper { k.to_string() } else { k.to_lowercase() })));
    }
    out.sort_by(|a, b| a.replacement.cmp(&b.replacement));
    out.dedup_by(|a, b| a.replacement == b.replacement);
    (start, out)
}

/// Files and directories whose path starts with `partial` (directories end with `/`).
fn paths(partial: &str) -> Vec<Pair> {
    let (dir, prefix) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let Ok(entries) = std::fs::read_dir(if dir.is_empty() { Path::new(".") } else { Path::new(dir) }) else { return vec![] };
    let mut out: Vec<Pair> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(prefix) || (name.starts_with('.') && !prefix.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(Pair { display: format!("{name}{slash}"), replacement: format!("{dir}{name}{slash}") })
        })
        .collect();
    out.sort_by(|a, b| a.replacement.cmp(&b.replacement));
    out
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Highlighter for ShellHelper {}

impl Validator for ShellHelper {}

impl Helper for ShellHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    fn replacements(names: &Names, before: &str) -> (usize, Vec<String>) {
        let (start, pairs) = candidates(names, before);
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[test]
    fn words_commands_and_paths() {
        let names = Names { tables: vec!["events".into()], columns: vec!["Jet_pt".into(), "Jet_eta".into()], functions: vec!["delta_r".into()] };
        assert_eq!(replacements(&names, "SELECT Jet_p"), (7, vec!["Jet_pt".to_string()]));
        assert_eq!(replacements(&names, "sel"), (0, vec!["select".to_string()]));
        assert_eq!(replacements(&names, "SELECT delta_r(a, b) FROM ev"), (26, vec!["events".to_string()]));
        assert_eq!(replacements(&names, "SELECT e.Jet_e"), (9, vec!["Jet_eta".to_string()]));
        assert_eq!(replacements(&names, "\\ti"), (0, vec!["\\timing".to_string()]));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("nano.root"), b"").unwrap();
        std::fs::create_dir(dir.path().join("nested")).unwrap();
        let d = dir.path().display().to_string();
        let line = format!("SELECT * FROM read_root('{d}/n");
        let (start, found) = replacements(&names, &line);
        assert_eq!(start, line.rfind('\'').unwrap() + 1);
        assert_eq!(found, vec![format!("{d}/nano.root"), format!("{d}/nested/")]);
        assert_eq!(replacements(&names, &format!("\\root {d}/na")).1, vec![format!("{d}/nano.root")]);
    }
}
