//! List functions whose output can outgrow their input reserve it from the session's memory
//! pool first: beyond the pool, the query fails with a message naming the call, the batch and
//! the size, and the session goes on.

use std::sync::Arc;

use datafusion::execution::memory_pool::GreedyMemoryPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

/// A session with our functions whose memory pool holds `limit` bytes.
fn limited(limit: usize) -> SessionContext {
    // One partition: the ten events stay one batch, whose size the messages state.
    let mut config = SessionConfig::new().with_target_partitions(1);
    config.options_mut().sql_parser.dialect = datafusion::config::Dialect::DuckDB;
    let runtime = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(GreedyMemoryPool::new(limit))).build_arc().unwrap();
    let builder = SessionStateBuilder::new().with_config(config).with_runtime_env(runtime);
    let mut state = hepfusion_udfs::planning::with_planning_rules(builder).build();
    hepfusion_udfs::list::memory::attach(&mut state);
    hepfusion_udfs::register_all(&mut state).unwrap();
    SessionContext::new_with_state(state)
}

/// Ten events of 300 particles, as the Delphes tracks of the example.
async fn with_events(ctx: &SessionContext) {
    ctx.sql(
        "CREATE TABLE ev AS SELECT e, transform(range(300), i -> named_struct('pt', i * 1.0, 'eta', 0.1 * i, 'phi', 0.0)) AS tracks
         FROM range(10) AS r(e)",
    )
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
}

async fn error_of(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(b) => panic!("{sql} succeeded with {} batches", b.len()),
        },
    }
}

async fn count(ctx: &SessionContext, sql: &str) -> i64 {
    let b = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    datafusion::arrow::array::AsArray::as_primitive::<datafusion::arrow::datatypes::Int64Type>(b[0].column(0)).value(0)
}

#[tokio::test]
async fn combinations_beyond_the_pool_fail_with_the_call_and_size() {
    let ctx = limited(128 << 20);
    with_events(&ctx).await;
    let err = error_of(&ctx, "SELECT sum(cardinality(combinations(tracks, 4))) FROM ev").await;
    // 10 events x C(300, 4) = 3.3 G tuples: more than any list can hold, and than the pool.
    assert!(err.contains("combinations(tracks, 4) would produce 3.3 G elements"), "{err}");
    assert!(err.contains("filter the list first or lower k"), "{err}");
    let err = error_of(&ctx, "SELECT sum(cardinality(combinations(tracks, 3))) FROM ev").await;
    assert!(err.contains("combinations(tracks, 3) would produce 44.6 M elements") && err.contains("of the session's 128.0 MB are free"), "{err}");
    // The session goes on, and what fits still runs.
    assert_eq!(count(&ctx, "SELECT CAST(sum(cardinality(combinations(tracks, 2))) AS BIGINT) FROM ev").await, 10 * 300 * 299 / 2);
}

#[tokio::test]
async fn cartesian_and_array_pad_beyond_the_pool_fail_too() {
    let ctx = limited(128 << 20);
    with_events(&ctx).await;
    let err = error_of(&ctx, "SELECT cardinality(cartesian(tracks, cartesian(tracks, tracks))) FROM ev").await;
    // The inner 900 k pairs fit; the 270 M triples of the outer call do not.
    assert!(err.contains("cartesian(tracks, ") && err.contains("would produce 270.0 M elements"), "{err}");
    let err = error_of(&ctx, "SELECT array_pad(tracks, 1000000000, NULL) FROM ev").await;
    assert!(err.contains("array_pad(tracks, ...) would produce 10.0 G elements") && err.contains("pad to a smaller length"), "{err}");
    let err = error_of(&ctx, "SELECT cardinality(array_pad(tracks, 2000000, NULL)) FROM ev").await;
    assert!(err.contains("would produce 20.0 M elements") && err.contains("128.0 MB"), "{err}");
    assert_eq!(count(&ctx, "SELECT CAST(sum(cardinality(array_pad(tracks, 400, NULL))) AS BIGINT) FROM ev").await, 4000);
    assert_eq!(count(&ctx, "SELECT CAST(sum(cardinality(cartesian(tracks, tracks))) AS BIGINT) FROM ev").await, 900_000);
}
