//! Helpers shared by the integration tests.

use std::path::PathBuf;

use datafusion::arrow::array::{Array, Int64Array};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

/// `../shared/data` beside the repository (or `$HEPFUSION_SHARED`).
pub fn shared() -> PathBuf {
    match std::env::var_os("HEPFUSION_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

pub fn skhep(name: &str) -> String {
    let p = shared().join("skhep-testdata").join(name);
    assert!(p.exists(), "test data {} is missing", p.display());
    p.display().to_string()
}

/// Runs `sql` as our shell does (`p.pt` on lambda parameters, `exists(list, ...)`).
pub async fn query(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    hepfusion_udfs::sql::sql(ctx, sql).await.unwrap_or_else(|e| panic!("{sql}: {e}")).collect().await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub async fn query_err(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(b) => panic!("{sql} should fail, returned {} batches", b.len()),
        },
    }
}

/// The single integer a query returns (cast to BIGINT in the SQL).
pub async fn scalar_i64(ctx: &SessionContext, sql: &str) -> i64 {
    let b = query(ctx, sql).await;
    let b = b.iter().find(|b| b.num_rows() > 0).unwrap_or_else(|| panic!("{sql}: no rows"));
    let a = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap_or_else(|| panic!("{sql}: not BIGINT"));
    assert!(!a.is_null(0), "{sql}: NULL");
    a.value(0)
}
