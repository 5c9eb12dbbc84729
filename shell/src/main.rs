//! `hepfusion`: an SQL shell over ROOT files and the hepfusion functions.
//!
//! ```text
//! hepfusion                       interactive shell (history, multi-line statements)
//! hepfusion -f a.sql -f b.sql     run script files in order
//! hepfusion -c "SELECT ..."       run statements given on the command line
//! hepfusion -v out=dir -f a.sql   ${out} in the scripts becomes dir
//! options: --format table|csv|tsv|json|ndjson   --maxrows N   -q (quiet)   --version
//! ```

mod args;
mod complete;
mod describe;
mod interrupt;
mod logger;
mod output;
mod progress;
mod repl;
mod run;

use std::process::ExitCode;

/// mimalloc, as datafusion-cli: glibc malloc cost a fifth of the pipeline's CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code after Ctrl-C, as shells give a command that SIGINT ended.
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    hepfusion::process::without_transparent_huge_pages();
    match hepfusion::process::runtime_builder().build() {
        Ok(runtime) => {
            let code = runtime.block_on(run());
            // Cancelled work stops at its next yield; do not wait on it longer than that.
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            code
        }
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
    if args.version {
        println!("hepfusion {} (DataFusion {})", env!("CARGO_PKG_VERSION"), datafusion::DATAFUSION_VERSION);
        return ExitCode::SUCCESS;
    }
    let interrupts = match interrupt::Interrupts::listen() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("hepfusion: cannot listen for Ctrl-C: {e}");
            return ExitCode::FAILURE;
        }
    };
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
        return match repl::run(&ctx, &mut printer, &interrupts).await {
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
        if let Err(stop) = run::run_script(&ctx, &sql, &printer, &interrupts).await {
            return failed(&format!(" in {f}"), stop);
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
        if let Err(stop) = run::run_script(&ctx, &sql, &printer, &interrupts).await {
            return failed("", stop);
        }
    }
    ExitCode::SUCCESS
}

/// The exit of a `-c`/`-f` run that stopped: an error (1) or Ctrl-C (130).
fn failed(place: &str, stop: run::Stop) -> ExitCode {
    match stop {
        run::Stop::Cancelled => {
            eprintln!("cancelled{place}");
            ExitCode::from(INTERRUPTED)
        }
        run::Stop::Error(e) => {
            eprintln!("Error{place}: {e}");
            ExitCode::FAILURE
        }
    }
}
