//! One value as a table cell of bounded width: lists as their first elements and a count
//! (`[12.3, 4.5, … 391 more]`), structs as their first members, long text cut with `…`. One
//! Delphes event printed whole was five million characters.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// Widest cell, in characters.
pub const MAX_CELL: usize = 40;

pub fn cell(array: &dyn Array, row: usize) -> String {
    let mut out = String::new();
    write_value(array, row, MAX_CELL, &mut out);
    out
}

/// Appends the value, keeping what it adds to about `budget` characters.
fn write_value(array: &dyn Array, row: usize, budget: usize, out: &mut String) {
    if array.is_null(row) {
        out.push_str("NULL");
        return;
    }
    match array.data_type() {
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) | DataType::ListView(_) | DataType::LargeListView(_) => {
            let Some(values) = list_value(array, row) else {
                return write_scalar(array, row, budget, out);
            };
            write_items(out, '[', ']', values.len(), budget, |i, budget, out| write_value(values.as_ref(), i, budget, out));
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            write_items(out, '{', '}', fields.len(), budget, |i, budget, out| {
                out.push_str(fields[i].name());
                out.push_str(": ");
                write_value(s.column(i).as_ref(), row, budget.saturating_sub(fields[i].name().len() + 2), out);
            });
        }
        _ => write_scalar(array, row, budget, out),
    }
}

/// `open item, item, … N more close`: items while they fit in `budget`, then the count of
/// the rest. The first item is always shown (shortened itself if need be).
fn write_items(out: &mut String, open: char, close: char, n: usize, budget: usize, mut item: impl FnMut(usize, usize, &mut String)) {
    let start = chars(out);
    out.push(open);
    for i in 0..n {
        let used = chars(out) - start;
        if i > 0 {
            if used + 2 >= budget {
                out.push_str(&format!(", … {} more", n - i));
                break;
            }
            out.push_str(", ");
        }
        let before = out.len();
        let room = budget.saturating_sub(used + 2).max(8);
        item(i, room, out);
        if i > 0 && chars(out) - start > budget {
            out.truncate(before);
            out.push_str(&format!("… {} more", n - i));
            break;
        }
    }
    out.push(close);
}

fn list_value(array: &dyn Array, row: usize) -> Option<ArrayRef> {
    Some(match array.data_type() {
        DataType::List(_) => array.as_list::<i32>().value(row),
        DataType::LargeList(_) => array.as_list::<i64>().value(row),
        DataType::FixedSizeList(..) => array.as_fixed_size_list().value(row),
        _ => return None,
    })
}

fn write_scalar(array: &dyn Array, row: usize, budget: usize, out: &mut String) {
    let options = FormatOptions::default().with_null("NULL");
    let text = match ArrayFormatter::try_new(array, &options) {
        Ok(f) => f.value(row).to_string(),
        Err(_) => format!("<{}>", array.data_type()),
    };
    // One line per cell: a newline or tab in a string would break the table.
    let text = text.replace(['\n', '\r', '\t'], " ");
    if chars(&text) <= budget.max(1) {
        out.push_str(&text);
    } else {
        out.extend(text.chars().take(budget.saturating_sub(1).max(1)));
        out.push('…');
    }
}

/// Width in characters (what a terminal column counts for the text tables print).
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Float64Builder, Int32Array, ListBuilder, StringArray, StructArray};
    use datafusion::arrow::datatypes::Field;

    use super::*;

    #[test]
    fn long_lists_show_their_first_elements_and_a_count() {
        let mut b = ListBuilder::new(Float64Builder::new());
        b.values().append_slice(&(0..400).map(|i| i as f64 + 0.5).collect::<Vec<_>>());
        b.append(true);
        b.values().append_slice(&[1.0, 2.0]);
        b.append(true);
        b.append(false);
        let list = b.finish();
        let long = cell(&list, 0);
        assert!(long.starts_with("[0.5, 1.5, 2.5, "), "{long}");
        assert!(long.ends_with(" more]"), "{long}");
        let shown = long.matches(", ").count();
        assert_eq!(long, format!("{}… {} more]", &long[..long.find('…').unwrap()], 400 - shown), "{long}");
        assert!(long.chars().count() <= MAX_CELL + 12, "{long}");
        assert_eq!(cell(&list, 1), "[1.0, 2.0]");
        assert_eq!(cell(&list, 2), "NULL");
    }

    #[test]
    fn structs_and_text() {
        let s = StructArray::from(vec![
            (Arc::new(Field::new("pt", DataType::Int32, false)), Arc::new(Int32Array::from(vec![12])) as ArrayRef),
            (Arc::new(Field::new("name", DataType::Utf8, false)), Arc::new(StringArray::from(vec!["x".repeat(100)])) as ArrayRef),
        ]);
        let c = cell(&s, 0);
        assert!(c.starts_with("{pt: 12, name: xxx") && c.ends_with("…}"), "{c}");
        assert!(c.chars().count() <= MAX_CELL + 2, "{c}");
        let text = StringArray::from(vec!["a\nb"]);
        assert_eq!(cell(&text, 0), "a b");
    }
}
