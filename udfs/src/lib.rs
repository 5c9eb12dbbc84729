//! Array and particle-physics functions for any DataFusion `SessionContext`: higher-order
//! functions with lambdas over particle lists, list combinatorics, kinematics and histograms.
//!
//! [`register_all`] registers everything. Lambdas need a dialect that parses them
//! (`datafusion.sql_parser.dialect = 'duckdb'`); [`sql::parse_statements`] / [`sql::sql`]
//! additionally accept `p.pt` on a struct lambda parameter. Sessions should plan with
//! [`planning::with_planning_rules`]: its rules keep DataFusion 55 from breaking lambdas when
//! it pushes projections into scans, and make scans read only the struct fields a query uses.

pub mod assert;
pub mod hist;
pub mod json;
pub mod lambda;
pub mod list;
pub mod metrics;
pub mod options;
pub mod physics;
pub mod planning;
pub mod sampling;
mod scalar;
pub mod sql;
pub mod suggest;

use std::sync::Arc;

use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, HigherOrderUDF, ScalarUDF};

use assert::AssertTrue;
use hist::{HistBin, Histogram};
use json::ToJson;
use metrics::classes::{Accuracy, ConfusionMatrix};
use metrics::roc::{FprAtTpr, RocAuc, RocCurve};
use sampling::HashUniform;
use list::cardinality::Cardinality;
use list::sum::ArraySum;
use list::combinations::{Cartesian, Combinations};
use list::concat_struct::ArrayConcatStruct;
use list::reshape::{ArrayArgsort, ArrayPad, ArrayTake, ArrayTruncate};
use physics::isolation::Isolation;
use physics::kinematics::{DeltaPhi, DeltaR, ToCartesian, ToPolar, TransverseMass};
use physics::mass::{InvariantMass, SumP4};

use lambda::aggregate::Aggregate;
use lambda::extremum::{ArgmaxBy, ArgminBy, MaxBy, MinBy};
use lambda::filter::Filter;
use lambda::matching::{ArrayFirst, Exists, Forall};
use lambda::sort::{ArraySort, ArraySortBy};
use lambda::transform::Transform;
use lambda::zip_with::ZipWith;

/// Every higher-order function hepfusion provides.
pub fn higher_order_functions() -> Vec<Arc<HigherOrderUDF>> {
    vec![
        Filter::udf(),
        Transform::udf(),
        Exists::udf(),
        Forall::udf(),
        ArrayFirst::udf(),
        Aggregate::udf(),
        ArraySort::udf(),
        ArraySortBy::udf(),
        ZipWith::udf(),
        ArgminBy::udf(),
        ArgmaxBy::udf(),
        MinBy::udf(),
        MaxBy::udf(),
    ]
}

/// Every scalar function hepfusion provides.
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![
        Cardinality::udf(),
        ArraySum::udf(),
        Combinations::udf(),
        Cartesian::udf(),
        ArrayTake::udf(),
        ArrayPad::udf(),
        ArrayTruncate::udf(),
        ArrayArgsort::udf(),
        ArrayConcatStruct::udf(),
        DeltaPhi::udf(),
        DeltaR::udf(),
        TransverseMass::udf(),
        ToCartesian::udf(),
        ToPolar::udf(),
        InvariantMass::udf(),
        SumP4::udf(),
        Isolation::udf(),
        HistBin::udf(),
        HashUniform::udf(),
        AssertTrue::udf(),
        ToJson::udf(),
    ]
}

/// Every aggregate function hepfusion provides.
pub fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![Histogram::udaf(), RocAuc::udaf(), RocCurve::udaf(), FprAtTpr::udaf(), ConfusionMatrix::udaf(), Accuracy::udaf()]
}

/// A session state with DataFusion's defaults, the DuckDB dialect (for lambdas), the
/// lambda-safe optimizer rules and every hepfusion function: what an application that only
/// wants these functions needs.
pub fn session_state(mut config: datafusion::prelude::SessionConfig) -> Result<datafusion::execution::SessionState> {
    config.options_mut().sql_parser.dialect = datafusion::config::Dialect::DuckDB;
    if config.options().extensions.get::<options::HepfusionOptions>().is_none() {
        config = config.with_option_extension(options::HepfusionOptions::default());
    }
    let mut state = planning::with_planning_rules(datafusion::execution::SessionStateBuilder::new().with_config(config)).build();
    list::memory::attach(&mut state);
    register_all(&mut state)?;
    Ok(state)
}

/// Registers every hepfusion function with `registry`. Our `cardinality` (same results,
/// computed from offsets) replaces DataFusion's, which is slow on lists of structs; our
/// `array_sum` (same results) sums float32 lists without casting them to float64 first. Our `array_sort` takes an optional
/// comparator lambda, so it replaces DataFusion's scalar `array_sort` (same results without
/// one); our `filter`/`transform`/`array_first`/`exists` replace the built-in lambda
/// functions of the same names (they add the index parameter and Spark's null semantics).
pub fn register_all(registry: &mut dyn FunctionRegistry) -> Result<()> {
    registry.deregister_udf("array_sort")?;
    for f in higher_order_functions() {
        registry.register_higher_order_function(f)?;
    }
    for f in scalar_functions() {
        registry.register_udf(f)?;
    }
    for f in aggregate_functions() {
        registry.register_udaf(f)?;
    }
    Ok(())
}
