//! The `hepfusion.*` session options (`SET hepfusion.preserve_order = false`). DataFusion keys
//! a configuration extension by its prefix, so the options of every hepfusion crate live in
//! this one struct; each is read by the crate that uses it.

use datafusion::common::config::{ConfigExtension, ConfigOptions};
use datafusion::common::extensions_options;

extensions_options! {
    /// hepfusion's session options.
    pub struct HepfusionOptions {
        /// Results of queries without ORDER BY keep the order of their input: files in path
        /// order, then entries (row groups) in file order, as uproot, ROOT and DuckDB do. The
        /// files are still read in parallel. `false` lets partitions pass rows on as they
        /// finish (DataFusion's default), which is faster only when a query's work per row is
        /// very uneven between parts of the input.
        pub preserve_order: bool, default = true
        /// Warnings about a table (ROOT branches left out of it) are reported once per table.
        /// `false` silences them.
        pub warnings: bool, default = true
        /// The model registry of the ML functions (default `$HEPFUSION_MODEL_DIR`, else `./models`).
        pub model_dir: Option<String>, default = None
    }
}

impl ConfigExtension for HepfusionOptions {
    const PREFIX: &'static str = "hepfusion";
}

impl HepfusionOptions {
    /// The options of a session (the defaults where it has none registered).
    pub fn of(config: &ConfigOptions) -> HepfusionOptions {
        config.extensions.get::<HepfusionOptions>().cloned().unwrap_or_default()
    }
}
