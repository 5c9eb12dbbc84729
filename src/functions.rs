//! What hepfusion adds to a session beyond `hepfusion-udfs`: the table functions (the ROOT
//! data source's and the ML ones) and `predict_proba`; and the documentation of every
//! function, for the shell's `\h` and for `hepfusion_functions()`. DataFusion 55 lists scalar
//! and aggregate functions with their documentation in `SHOW FUNCTIONS` and
//! `information_schema.routines`, but higher-order functions not at all and table functions
//! without any: `hepfusion_functions()` shows all of ours, whatever their kind.

use std::sync::Arc;

use arrow::array::{ArrayRef, ListArray, ListBuilder, RecordBatch, StringArray, StringBuilder, StructArray};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::execution::SessionState;
use datafusion::logical_expr::{DocSection, Documentation, ScalarUDF};

use crate::arguments::{Args, TableSignature};
use crate::ml::predict_fn;
use crate::states::{States, TableFunctionEntry};
use crate::{datasource, ml};

/// Every table function hepfusion registers: the data source's, the ML ones, and
/// `hepfusion_functions()`.
fn entries() -> impl Iterator<Item = &'static TableFunctionEntry> {
    static OURS: [TableFunctionEntry; 1] = [(&SIGNATURE, |_| Arc::new(HepfusionFunctions))];
    datasource::TABLE_FUNCTIONS.iter().chain(ml::TABLE_FUNCTIONS.iter()).chain(OURS.iter())
}

/// Every table function hepfusion registers, with its signature; those that plan or read get
/// our state for the session they are called with from `states`.
pub fn table_functions(states: &States) -> Vec<(&'static TableSignature, Arc<dyn TableFunctionImpl>)> {
    entries().map(|(signature, make)| (*signature, make(states))).collect()
}

fn table_signatures() -> impl Iterator<Item = &'static TableSignature> {
    entries().map(|(signature, _)| *signature)
}

/// Scalar functions beyond `hepfusion_udfs`' (which need the ML registry).
pub fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    vec![predict_fn::PredictProba::udf()]
}

impl TableSignature {
    /// The signature as DataFusion documentation: positional arguments, then the options as
    /// `name => value`.
    pub fn documentation(&self) -> Documentation {
        let section = DocSection { include: true, label: self.section, description: None };
        let mut doc = Documentation::builder(section, self.description, self.syntax).with_sql_example(self.example);
        for (name, description) in self.arguments {
            doc = doc.with_argument(*name, *description);
        }
        for (name, description) in self.options {
            doc = doc.with_argument(format!("{name} =>"), *description);
        }
        doc.build()
    }
}

/// One function's documentation, whatever its kind.
#[derive(Debug, Clone)]
pub struct FunctionDoc {
    pub name: String,
    /// "scalar", "aggregate", "window", "higher-order" or "table".
    pub kind: &'static str,
    pub aliases: Vec<String>,
    pub documentation: Option<Documentation>,
}

impl FunctionDoc {
    fn new(name: &str, kind: &'static str, aliases: &[String], documentation: Option<&Documentation>) -> Self {
        Self { name: name.to_string(), kind, aliases: aliases.to_vec(), documentation: documentation.cloned() }
    }

    fn of_table(signature: &TableSignature) -> Self {
        Self { name: signature.name.into(), kind: "table", aliases: vec![], documentation: Some(signature.documentation()) }
    }

    /// The documentation as text for a terminal: name, kind, description, syntax, arguments,
    /// example.
    pub fn to_text(&self) -> String {
        let mut out = format!("{} ({} function", self.name, self.kind);
        if let Some(d) = &self.documentation {
            out += &format!(", {}", d.doc_section.label);
        }
        if !self.aliases.is_empty() {
            out += &format!("; also {}", self.aliases.join(", "));
        }
        out += ")\n";
        let Some(d) = &self.documentation else {
            return out + "\n  No documentation.\n";
        };
        out += &format!("\n  {}\n\n  {}\n", d.description, d.syntax_example);
        if let Some(args) = d.arguments.as_ref().filter(|a| !a.is_empty()) {
            let width = args.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
            out += "\nArguments:\n";
            for (name, description) in args {
                out += &format!("  {name:width$}  {description}\n");
            }
        }
        if let Some(example) = &d.sql_example {
            out += "\nExample:\n";
            for line in example.lines().filter(|l| !l.starts_with("```") && !l.trim().is_empty()) {
                out += &format!("  {line}\n");
            }
        }
        out
    }
}

/// The documentation of the function `name` (or alias) of `state`, of any kind: ours and
/// DataFusion's.
pub fn describe(state: &SessionState, name: &str) -> Option<FunctionDoc> {
    if let Some(sig) = table_signatures().find(|sig| sig.name == name) {
        return Some(FunctionDoc::of_table(sig));
    }
    if let Some(f) = state.scalar_functions().get(name) {
        return Some(FunctionDoc::new(f.name(), "scalar", f.aliases(), f.documentation()));
    }
    if let Some(f) = state.higher_order_functions().get(name) {
        return Some(FunctionDoc::new(f.name(), "higher-order", f.aliases(), f.documentation()));
    }
    if let Some(f) = state.aggregate_functions().get(name) {
        return Some(FunctionDoc::new(f.name(), "aggregate", f.aliases(), f.documentation()));
    }
    if let Some(f) = state.window_functions().get(name) {
        return Some(FunctionDoc::new(f.name(), "window", f.aliases(), f.documentation()));
    }
    state.table_functions().get(name).map(|f| FunctionDoc::new(f.name(), "table", &[], None))
}

/// Every function hepfusion provides, with its documentation, in registration order.
pub fn hepfusion_functions() -> Vec<FunctionDoc> {
    let mut all = Vec::new();
    all.extend(hepfusion_udfs::higher_order_functions().iter().map(|f| FunctionDoc::new(f.name(), "higher-order", f.aliases(), f.documentation())));
    all.extend(hepfusion_udfs::scalar_functions().iter().chain(&scalar_functions()).map(|f| FunctionDoc::new(f.name(), "scalar", f.aliases(), f.documentation())));
    all.extend(hepfusion_udfs::aggregate_functions().iter().map(|f| FunctionDoc::new(f.name(), "aggregate", f.aliases(), f.documentation())));
    all.extend(table_signatures().map(FunctionDoc::of_table));
    all
}

pub(crate) static SIGNATURE: TableSignature = TableSignature {
    name: "hepfusion_functions",
    section: "Functions",
    description: "Every function hepfusion adds to DataFusion, of every kind, with its documentation: kind, section, description, syntax, arguments, an example, aliases. (DataFusion's `SHOW FUNCTIONS` lists only functions with fixed argument types, which ours do not have; its `information_schema.routines` has our scalar and aggregate functions, but not the higher-order ones, and table functions without documentation.)",
    syntax: "hepfusion_functions()",
    arguments: &[],
    required: 0,
    options: &[],
    example: r#"```sql
> SELECT name, kind, syntax FROM hepfusion_functions() WHERE section = 'Physics' ORDER BY name LIMIT 3;
+----------------+--------+------------------------------------------------------------------+
| name           | kind   | syntax                                                           |
+----------------+--------+------------------------------------------------------------------+
| delta_phi      | scalar | delta_phi(phi1, phi2)                                            |
| delta_r        | scalar | delta_r(eta1, phi1, eta2, phi2) | delta_r(particle1, particle2)  |
| invariant_mass | scalar | invariant_mass(particle1, particle2, ...) | invariant_mass(list) |
+----------------+--------+------------------------------------------------------------------+
```"#,
};

/// `hepfusion_functions()`.
#[derive(Debug, Default)]
pub struct HepfusionFunctions;

fn argument_fields() -> Fields {
    Fields::from(vec![Field::new("name", DataType::Utf8, false), Field::new("description", DataType::Utf8, false)])
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("section", DataType::Utf8, true),
        Field::new("description", DataType::Utf8, true),
        Field::new("syntax", DataType::Utf8, true),
        Field::new("arguments", DataType::List(Arc::new(Field::new_list_field(DataType::Struct(argument_fields()), true))), true),
        Field::new("example", DataType::Utf8, true),
        Field::new("aliases", DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))), false),
    ]))
}

/// The arguments of each function as a list of `{name, description}`; NULL where a function
/// has no documentation.
fn arguments(docs: &[Option<&Documentation>]) -> Result<ArrayRef> {
    let per_function: Vec<&[(String, String)]> = docs.iter().map(|d| d.and_then(|d| d.arguments.as_deref()).unwrap_or(&[])).collect();
    let all = per_function.iter().flat_map(|a| a.iter());
    let names: StringArray = all.clone().map(|(n, _)| Some(n.as_str())).collect();
    let descriptions: StringArray = all.map(|(_, d)| Some(d.as_str())).collect();
    let values = StructArray::try_new(argument_fields(), vec![Arc::new(names), Arc::new(descriptions)], None)?;
    let offsets = OffsetBuffer::from_lengths(per_function.iter().map(|a| a.len()));
    let valid = NullBuffer::from(docs.iter().map(Option::is_some).collect::<Vec<_>>());
    let item = Arc::new(Field::new_list_field(DataType::Struct(argument_fields()), true));
    Ok(Arc::new(ListArray::try_new(item, offsets, Arc::new(values), Some(valid))?))
}

impl TableFunctionImpl for HepfusionFunctions {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        Args::parse(&SIGNATURE, args.exprs())?;
        let all = hepfusion_functions();
        let docs: Vec<Option<&Documentation>> = all.iter().map(|f| f.documentation.as_ref()).collect();
        let text = |get: fn(&Documentation) -> Option<String>| -> ArrayRef { Arc::new(docs.iter().map(|d| d.and_then(get)).collect::<StringArray>()) };
        let mut aliases = ListBuilder::new(StringBuilder::new());
        for f in &all {
            aliases.append_value(f.aliases.iter().map(Some));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(all.iter().map(|f| Some(f.name.as_str())).collect::<StringArray>()),
            Arc::new(all.iter().map(|f| Some(f.kind)).collect::<StringArray>()),
            text(|d| Some(d.doc_section.label.to_string())),
            text(|d| Some(d.description.clone())),
            text(|d| Some(d.syntax_example.clone())),
            arguments(&docs)?,
            text(|d| d.sql_example.clone()),
            Arc::new(aliases.finish()),
        ];
        let schema = schema();
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}
