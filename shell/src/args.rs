//! Command-line arguments.

use crate::output::Format;
use hepfusion::script_vars::Vars;

pub const USAGE: &str = "usage: hepfusion [-v NAME=VALUE]... [-f FILE.sql]... [-c SQL]... [--format table|csv|tsv|json|ndjson] [--maxrows N] [-q] [--version]

  (no -f/-c)     interactive shell; statements end with ';', \\? lists meta-commands
  -f, --file     run an SQL script (repeatable, run in order)
  -c, --command  run SQL given on the command line (repeatable)
  -v, --var      set a variable: ${NAME} in the SQL becomes VALUE (${NAME:-default} if unset)
  --format       output format (default: table)
  --maxrows N    rows shown per result in table format (default: 40 interactive, all otherwise)
  -q, --quiet    no row counts, timings or warnings (SET hepfusion.warnings = false)
  -V, --version  print the version and exit

Ctrl-C cancels the running statement (and ends -c/-f with exit code 130).";

#[derive(Debug)]
pub struct Args {
    pub files: Vec<String>,
    pub commands: Vec<String>,
    pub vars: Vars,
    pub format: Format,
    pub maxrows: Option<usize>,
    pub quiet: bool,
    pub help: bool,
    pub version: bool,
}

impl Args {
    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut a = Args { files: vec![], commands: vec![], vars: Vars::default(), format: Format::Table, maxrows: None, quiet: false, help: false, version: false };
        while let Some(arg) = it.next() {
            let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "-f" | "--file" => a.files.push(value(&arg)?),
                "-c" | "--command" => a.commands.push(value(&arg)?),
                "-v" | "--var" => a.vars.set(&value(&arg)?)?,
                "--format" => a.format = value(&arg)?.parse()?,
                "--maxrows" => {
                    let v = value(&arg)?;
                    a.maxrows = Some(v.parse().map_err(|_| format!("--maxrows takes a number, not '{v}'"))?)
                }
                "-q" | "--quiet" => a.quiet = true,
                "-h" | "--help" => a.help = true,
                "-V" | "--version" => a.version = true,
                other => return Err(format!("unknown argument '{other}'")),
            }
        }
        Ok(a)
    }
}
