//! `hepfusion.SessionContext`: our Rust session, with everything registered (lambdas with
//! `p.pt`, named arguments, the ROOT format, remote object stores, the ML functions).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use hepfusion::script_vars::Vars;
use pyo3::prelude::*;

use crate::dataframe::{import_stream, DataFrame};
use crate::errors::{error, to_py};
use crate::runtime::wait;

#[pyclass(name = "SessionContext", module = "hepfusion._native", frozen)]
pub struct SessionContext {
    ctx: datafusion::prelude::SessionContext,
}

#[pymethods]
impl SessionContext {
    /// `model_dir`: where `train_classifier` keeps models (default `$HEPFUSION_MODEL_DIR`,
    /// else `./models`). `target_partitions`: threads per query (default: every core).
    #[new]
    #[pyo3(signature = (model_dir = None, target_partitions = None))]
    fn new(model_dir: Option<PathBuf>, target_partitions: Option<usize>) -> PyResult<Self> {
        let mut cfg = hepfusion::session_config();
        if let Some(n) = target_partitions {
            if n == 0 {
                return Err(error("target_partitions must be at least 1"));
            }
            cfg = cfg.with_target_partitions(n);
        }
        if let Some(dir) = model_dir {
            let dir = dir.to_str().ok_or_else(|| error(format!("model_dir {} is not valid UTF-8", dir.display())))?.to_string();
            cfg.options_mut().set("hepfusion.model_dir", &dir).map_err(to_py)?;
        }
        Ok(Self { ctx: hepfusion::session::new_context_with_config(cfg).map_err(to_py)? })
    }

    /// Plans one SQL statement. DDL and `SET` take effect at once; a query runs when its rows
    /// are read (`.to_arrow_table()`, `.to_pandas()`, `pyarrow.table(df)`).
    fn sql(&self, py: Python<'_>, query: String) -> PyResult<DataFrame> {
        let ctx = self.ctx.clone();
        let df = wait(py, async move { hepfusion_udfs::sql::sql(&ctx, &query).await })?;
        Ok(DataFrame::new(df))
    }

    /// Runs a SQL script: `${name}` and `${name:-default}` are replaced from `variables`, then
    /// every statement runs to its end, in order (stopping at the first error, which names
    /// it). Returns the last statement's rows, in memory.
    #[pyo3(signature = (script, variables = None))]
    fn run_script(&self, py: Python<'_>, script: &str, variables: Option<HashMap<String, String>>) -> PyResult<DataFrame> {
        let mut vars = Vars::default();
        for (name, value) in variables.unwrap_or_default() {
            vars.insert(&name, &value).map_err(error)?;
        }
        let script = vars.substitute(script).map_err(error)?;
        let ctx = self.ctx.clone();
        let df = wait(py, async move {
            let statements = hepfusion_udfs::sql::parse_statements(&ctx, &script)?;
            let count = statements.len();
            let mut last = None;
            for (i, statement) in statements.into_iter().enumerate() {
                let what = format!("statement {} of {count}", i + 1);
                let run = async {
                    let df = hepfusion_udfs::sql::run_statement(&ctx, statement).await?;
                    let schema = Arc::new(df.schema().as_arrow().clone());
                    Ok::<_, DataFusionError>((schema, df.collect().await?))
                };
                last = Some(run.await.map_err(|e| e.context(what))?);
            }
            let (schema, batches) = last.ok_or_else(|| DataFusionError::Plan("the script has no SQL statement".into()))?;
            ctx.read_table(Arc::new(MemTable::try_new(schema, vec![batches])?))
        })?;
        Ok(DataFrame::new(df))
    }

    /// Registers Arrow data (a pyarrow table or reader, or anything with
    /// `__arrow_c_stream__`) as table `name`, in memory.
    fn register_arrow(&self, name: &str, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let (schema, batches) = import_stream(data)?;
        let table = MemTable::try_new(schema, vec![batches]).map_err(to_py)?;
        self.ctx.register_table(name, Arc::new(table)).map_err(to_py)?;
        Ok(())
    }

    fn deregister_table(&self, name: &str) -> PyResult<()> {
        self.ctx.deregister_table(name).map_err(to_py)?;
        Ok(())
    }

    /// The tables of the default schema.
    fn table_names(&self) -> Vec<String> {
        let state = self.ctx.state();
        let options = &state.config_options().catalog;
        let schema = state.catalog_list().catalog(&options.default_catalog).and_then(|c| c.schema(&options.default_schema));
        let mut names = schema.map(|s| s.table_names()).unwrap_or_default();
        names.sort();
        names
    }
}
