//! `\d TABLE`: every column of a table with its type, struct types broken over lines so that
//! a NanoAOD or Delphes table stays readable (`DESCRIBE` prints them as one long cell each,
//! and a table of 51 columns was cut at the 40 rows a result shows).

use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

/// Widest line a type is written on before its members go one per line.
const WIDTH: usize = 100;

pub async fn describe(ctx: &SessionContext, table: &str) -> Result<String> {
    let schema = ctx.table_provider(table).await?.schema();
    let name_width = schema.fields().iter().map(|f| f.name().chars().count()).max().unwrap_or(0).min(40);
    let mut out = format!("{table}: {} column{}\n", schema.fields().len(), if schema.fields().len() == 1 { "" } else { "s" });
    for f in schema.fields() {
        let indent = 2 + name_width + 2;
        let null = if f.is_nullable() { "" } else { " NOT NULL" };
        out.push_str(&format!("  {:<name_width$}  {}{null}\n", f.name(), type_text(f.data_type(), indent)));
    }
    Ok(out)
}

/// A type on one line if it fits in [`WIDTH`] from column `indent`, else with its struct
/// members one per line, indented.
pub fn type_text(t: &DataType, indent: usize) -> String {
    let line = one_line(t);
    if indent + line.chars().count() <= WIDTH {
        return line;
    }
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::ListView(f) | DataType::LargeListView(f) => {
            format!("{}<{}>", list_name(t), type_text(f.data_type(), indent))
        }
        DataType::FixedSizeList(f, n) => format!("FixedSizeList<{}, {n}>", type_text(f.data_type(), indent)),
        DataType::Struct(fields) => {
            let pad = " ".repeat(indent + 2);
            let members: Vec<String> = fields.iter().map(|m| format!("{pad}{}: {}", m.name(), type_text(m.data_type(), indent + 4 + m.name().chars().count()))).collect();
            format!("Struct<\n{}\n{}>", members.join(",\n"), " ".repeat(indent))
        }
        _ => line,
    }
}

fn list_name(t: &DataType) -> &'static str {
    match t {
        DataType::LargeList(_) => "LargeList",
        DataType::ListView(_) => "ListView",
        DataType::LargeListView(_) => "LargeListView",
        _ => "List",
    }
}

/// `List<Struct<pt: Float32, eta: Float32>>`: Arrow's names, without field metadata.
fn one_line(t: &DataType) -> String {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::ListView(f) | DataType::LargeListView(f) => format!("{}<{}>", list_name(t), one_line(f.data_type())),
        DataType::FixedSizeList(f, n) => format!("FixedSizeList<{}, {n}>", one_line(f.data_type())),
        DataType::Struct(fields) => {
            let members: Vec<String> = fields.iter().map(|m| format!("{}: {}", m.name(), one_line(m.data_type()))).collect();
            format!("Struct<{}>", members.join(", "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::datatypes::{Field, Fields};

    use super::*;

    #[test]
    fn long_structs_go_one_member_per_line() {
        let short = DataType::List(Arc::new(Field::new_list_field(DataType::Struct(Fields::from(vec![Field::new("pt", DataType::Float32, true)])), true)));
        assert_eq!(type_text(&short, 10), "List<Struct<pt: Float32>>");
        let members: Vec<Field> = (0..20).map(|i| Field::new(format!("member_{i}"), DataType::Float32, true)).collect();
        let long = DataType::List(Arc::new(Field::new_list_field(DataType::Struct(Fields::from(members)), true)));
        let text = type_text(&long, 10);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 22, "{text}");
        assert_eq!(lines[0], "List<Struct<");
        assert_eq!(lines[1], format!("{}member_0: Float32,", " ".repeat(12)));
        assert_eq!(lines[21], format!("{}>>", " ".repeat(10)));
    }
}
