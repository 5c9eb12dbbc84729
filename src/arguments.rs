//! The arguments of every table function, read one way: positional constants first, then
//! options by name (`epochs => 5`; see `hepfusion_udfs::sql` for how names reach us), checked
//! against the function's [`TableSignature`]. The same signature gives the usage in error
//! messages and the function's documentation (`SHOW`-able through `hepfusion_functions()`,
//! the shell's `\h`), so the two cannot drift apart. Every value must be a constant; a wrong
//! type, a missing argument or an unknown name is an error naming the function, the argument
//! and what was expected.

use std::collections::BTreeMap;

use datafusion::common::{plan_err, Result, ScalarValue};
use datafusion::logical_expr::Expr;
use hepfusion_udfs::sql::named_table_args;

/// A name and what it means, for the documentation.
pub type Param = (&'static str, &'static str);

/// What a table function takes and does: one description for its parser and its
/// documentation.
#[derive(Debug)]
pub struct TableSignature {
    pub name: &'static str,
    /// The documentation's section ("ROOT files", "Machine learning").
    pub section: &'static str,
    pub description: &'static str,
    /// The usage shown in errors and documentation.
    pub syntax: &'static str,
    /// Positional arguments in order; the first `required` must be given.
    pub arguments: &'static [Param],
    pub required: usize,
    /// Options by name (`name => value`).
    pub options: &'static [Param],
    /// Statements (`> ...`) each followed by its output, in DataFusion's documentation style;
    /// run as a test.
    pub example: &'static str,
}

pub struct Args {
    signature: &'static TableSignature,
    positional: Vec<Expr>,
    named: BTreeMap<String, ScalarValue>,
}

impl Args {
    /// Splits `exprs` and checks them against `signature`: the number of positional
    /// arguments, the option names, no option twice.
    pub fn parse(signature: &'static TableSignature, exprs: &[Expr]) -> Result<Self> {
        let TableSignature { name: function, syntax: usage, .. } = signature;
        let (positional, named_list) = named_table_args(exprs);
        let (min, max) = (signature.required, signature.arguments.len());
        if positional.len() < min || positional.len() > max {
            let takes = if min == max { format!("{min}") } else { format!("{min} to {max}") };
            let s = if max == 1 { "" } else { "s" };
            return plan_err!("{function} takes {takes} argument{s} before its options, got {}. Usage: {usage}", positional.len());
        }
        let mut named = BTreeMap::new();
        for (k, v) in named_list {
            if !signature.options.iter().any(|(name, _)| *name == k) {
                let takes: Vec<&str> = signature.options.iter().map(|(name, _)| *name).collect();
                return match takes.is_empty() {
                    true => plan_err!("{function}: unknown option '{k}'; it takes no options. Usage: {usage}"),
                    false => plan_err!("{function}: unknown option '{k}'; it takes {}. Usage: {usage}", takes.join(", ")),
                };
            }
            if named.insert(k.clone(), v).is_some() {
                return plan_err!("{function}: option '{k}' is given twice");
            }
        }
        Ok(Self { signature, positional: positional.into_iter().cloned().collect(), named })
    }

    /// The positional string argument `i` (0-based), required.
    pub fn string_at(&self, i: usize) -> Result<String> {
        match self.optional_string_at(i)? {
            Some(s) => Ok(s),
            None => {
                let (function, usage, what) = (self.signature.name, self.signature.syntax, self.argument_name(i));
                match self.positional.get(i) {
                    Some(_) => plan_err!("{function}: argument {} ({what}) is NULL. Usage: {usage}", i + 1),
                    None => plan_err!("{function}: argument {} ({what}) is missing. Usage: {usage}", i + 1),
                }
            }
        }
    }

    /// The positional string argument `i` (0-based); `None` when absent or NULL.
    pub fn optional_string_at(&self, i: usize) -> Result<Option<String>> {
        let (function, usage, what) = (self.signature.name, self.signature.syntax, self.argument_name(i));
        match self.positional.get(i) {
            None => Ok(None),
            Some(Expr::Literal(v, _)) => match v.try_as_str() {
                Some(s) => Ok(s.map(str::to_string)),
                None => plan_err!("{function}: argument {} ({what}) must be a string, got {v}. Usage: {usage}", i + 1),
            },
            Some(e) => plan_err!("{function}: argument {} ({what}) must be a constant string, got {e}. Usage: {usage}", i + 1),
        }
    }

    fn argument_name(&self, i: usize) -> &'static str {
        self.signature.arguments.get(i).map_or("?", |(name, _)| name)
    }

    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.named.get(key) {
            None => Ok(None),
            Some(v) => match v.try_as_str() {
                Some(Some(s)) => Ok(Some(s.to_string())),
                _ => plan_err!("{}: option {key} must be a string, got {v}", self.signature.name),
            },
        }
    }

    /// An option naming one of `T`'s choices (`optimizer => 'adam'`).
    pub fn choice<T: Choice>(&self, key: &str) -> Result<Option<T>> {
        let Some(given) = self.string(key)? else { return Ok(None) };
        match T::CHOICES.iter().find(|(name, _)| *name == given) {
            Some((_, value)) => Ok(Some(*value)),
            None => plan_err!("{}: option {key} must be {}, not '{given}'", self.signature.name, choices::<T>()),
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
                _ => plan_err!("{}: option {key} must be a number, got {v}", self.signature.name),
            },
        }
    }

    pub fn usize(&self, key: &str) -> Result<Option<usize>> {
        match self.named.get(key) {
            None => Ok(None),
            Some(v) => match v.cast_to(&arrow::datatypes::DataType::Int64) {
                Ok(ScalarValue::Int64(Some(x))) if x >= 0 && v.data_type().is_integer() => Ok(Some(x as usize)),
                _ => plan_err!("{}: option {key} must be a non-negative integer, got {v}", self.signature.name),
            },
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.named.get(key) {
            None => Ok(None),
            Some(ScalarValue::Boolean(Some(b))) => Ok(Some(*b)),
            Some(v) => plan_err!("{}: option {key} must be true or false, got {v}", self.signature.name),
        }
    }

    /// The raw value of an option, for the grid of `tune_classifier`.
    pub fn raw(&self, key: &str) -> Option<&ScalarValue> {
        self.named.get(key)
    }
}

/// A value an option names by a word: parsed once, where the arguments are read.
pub trait Choice: Copy + PartialEq + 'static {
    /// The words and their values.
    const CHOICES: &'static [(&'static str, Self)];

    /// The word for `self`.
    fn word(self) -> &'static str {
        Self::CHOICES.iter().find(|(_, v)| *v == self).map_or("?", |(w, _)| w)
    }
}

/// `'a', 'b' or 'c'`.
pub fn choices<T: Choice>() -> String {
    let words: Vec<String> = T::CHOICES.iter().map(|(w, _)| format!("'{w}'")).collect();
    match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Splits `s` at `sep`, trimming, dropping empty parts.
pub fn split_list(s: &str, sep: char) -> Vec<String> {
    s.split(sep).map(str::trim).filter(|p| !p.is_empty()).map(String::from).collect()
}
