//! `hepfusion`: an SQL shell over ROOT files and the hepfusion functions.
//!
//! ```text
//! hepfusion                       interactive shell (history, multi-line statements)
//! hepfusion -f a.sql -f b.sql     run script files in order
//! hepfusion -c "SELECT ..."       run statements given on the command line
//! hepfusion -v out=dir -f a.sql   ${out} in the scripts becomes dir
//! options: --format table|csv|tsv|json|ndjson   --maxrows N   -q (quiet)
//! ```

mod args;
mod logger;
mod output;
mod repl;
mod run;

use std::process::ExitCode;

/// mimalloc, as datafusion-cli: glibc malloc cost a fifth of the pipeline's CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    hepfusion::process::without_transparent_huge_pages();
    match hepfusion::process::runtime_builder().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("hepfusion: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    logger::init();
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("hepfusion: {msg}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{}", args::USAGE);
        return ExitCode::SUCCESS;
    }
    let mut config = hepfusion::session_config();
    if args.quiet {
        config.options_mut().extensions.get_mut::<hepfusion_udfs::options::HepfusionOptions>().into_iter().for_each(|o| o.warnings = false);
    }
    let ctx = match hepfusion::session::new_context_with_config(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hepfusion: cannot create the session: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut printer = output::Printer::new(args.format, args.maxrows, args.quiet);
    if args.commands.is_empty() && args.files.is_empty() {
        return match repl::run(&ctx, &mut printer).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("hepfusion: {e}");
                ExitCode::FAILURE
            }
        };
    }
    for f in &args.files {
        let sql = match std::fs::read_to_string(f) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("hepfusion: cannot read {f}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let sql = match args.vars.substitute(&sql) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("Error in {f}: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = run::run_script(&ctx, &sql, &mut printer).await {
            eprintln!("Error in {f}: {e}");
            return ExitCode::FAILURE;
        }
    }
    for c in &args.commands {
        let sql = match args.vars.substitute(c) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("Error: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = run::run_script(&ctx, &sql, &mut printer).await {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
