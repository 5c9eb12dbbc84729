//! Arguments of the ML table functions: positional constants first, then options by name
//! (`epochs => 5`; see `hepfusion_udfs::sql` for how names reach us). Every value must be a
//! constant; a wrong type or an unknown name is an error that names the function, the
//! option and what was expected.

use std::collections::BTreeMap;

use datafusion::common::{plan_err, Result, ScalarValue};
use datafusion::logical_expr::Expr;
use hepfusion_udfs::sql::named_table_args;

pub struct Args {
    function: &'static str,
    usage: &'static str,
    positional: Vec<Expr>,
    named: BTreeMap<String, ScalarValue>,
}

impl Args {
    /// Splits `exprs`; `allowed` are the option names `function` accepts.
    pub fn parse(function: &'static str, usage: &'static str, exprs: &[Expr], allowed: &[&str]) -> Result<Self> {
        let (positional, named_list) = named_table_args(exprs);
        let mut named = BTreeMap::new();
        for (k, v) in named_list {
            if !allowed.contains(&k.as_str()) {
                return plan_err!("{function}: unknown option '{k}'; it takes {}. Usage: {usage}", allowed.join(", "));
            }
            if named.insert(k.clone(), v).is_some() {
                return plan_err!("{function}: option '{k}' is given twice");
            }
        }
        Ok(Self { function, usage, positional: positional.into_iter().cloned().collect(), named })
    }

    pub fn positional_count(&self) -> usize {
        self.positional.len()
    }

    /// The positional string argument `i` (0-based), required.
    pub fn string_at(&self, i: usize, what: &str) -> Result<String> {
        match self.positional.get(i) {
            Some(Expr::Literal(v, _)) => match v.try_as_str() {
                Some(Some(s)) => Ok(s.to_string()),
                _ => plan_err!("{}: argument {} ({what}) must be a string, got {v}. Usage: {}", self.function, i + 1, self.usage),
            },
            Some(e) => plan_err!("{}: argument {} ({what}) must be a constant string, got {e}. Usage: {}", self.function, i + 1, self.usage),
            None => plan_err!("{}: argument {} ({what}) is missing. Usage: {}", self.function, i + 1, self.usage),
        }
    }

    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.named.get(key) {
            None => Ok(None),
            Some(v) => match v.try_as_str() {
                Some(Some(s)) => Ok(Some(s.to_string())),
                _ => plan_err!("{}: option {key} must be a string, got {v}", self.function),
            },
        }
    }

    /// A comma-separated list option (`features => 'ht, met'`).
    pub fn list(&self, key: &str) -> Result<Option<Vec<String>>> {
        Ok(self.string(key)?.map(|s| split_list(&s, ',')))
    }

    pub fn float(&self, key: &str) -> Result<Option<f64>> {
        match self.named.get(key) {
            None => Ok(None),
            Some(v) => match v.cast_to(&arrow::datatypes::DataType::Float64) {
                Ok(ScalarValue::Float64(Some(x))) if !matches!(v, ScalarValue::Utf8(_) | ScalarValue::Boolean(_)) => Ok(Some(x)),
                _ => plan_err!("{}: option {key} must be a number, got {v}", self.function),
            },
        }
    }

    pub fn usize(&self, key: &str) -> Result<Option<usize>> {
        match self.named.get(key) {
            None => Ok(None),
            Some(v) => match v.cast_to(&arrow::datatypes::DataType::Int64) {
                Ok(ScalarValue::Int64(Some(x))) if x >= 0 && v.data_type().is_integer() => Ok(Some(x as usize)),
                _ => plan_err!("{}: option {key} must be a non-negative integer, got {v}", self.function),
            },
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.named.get(key) {
            None => Ok(None),
            Some(ScalarValue::Boolean(Some(b))) => Ok(Some(*b)),
            Some(v) => plan_err!("{}: option {key} must be true or false, got {v}", self.function),
        }
    }

    /// The raw value of an option, for the grid of `tune_classifier`.
    pub fn raw(&self, key: &str) -> Option<&ScalarValue> {
        self.named.get(key)
    }
}

/// Splits `s` at `sep`, trimming, dropping empty parts.
pub fn split_list(s: &str, sep: char) -> Vec<String> {
    s.split(sep).map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect()
}

/// `'50, 20, 10'` → `[50, 20, 10]`.
pub fn sizes(function: &str, key: &str, s: &str) -> Result<Vec<usize>> {
    split_list(s, ',')
        .iter()
        .map(|p| p.parse::<usize>().map_err(|_| datafusion::error::DataFusionError::Plan(format!("{function}: option {key}: '{p}' is not a layer size (expected e.g. '50, 20, 10')"))))
        .collect()
}
