//! Results as a box table that fits a terminal, as DuckDB's shell draws them: cells of bounded
//! width (`cell`), at most `maxrows` rows (the first and the last half, a `…` row between),
//! and, when the columns are wider than the terminal, the middle ones left out for a `…`
//! column. Only the rows shown are kept while the result streams by ([`Rows`]).

use std::collections::VecDeque;

use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use super::cell::{cell, chars};

/// The rows of a result that a table of at most `max` rows shows: the first `max - max / 2`
/// and the last `max / 2`, and how many there were.
pub struct Rows {
    max: Option<usize>,
    head: Vec<RecordBatch>,
    head_rows: usize,
    tail: VecDeque<RecordBatch>,
    tail_rows: usize,
    pub total: usize,
    pub schema: SchemaRef,
}

impl Rows {
    pub fn new(max: Option<usize>, schema: SchemaRef) -> Self {
        Rows { max, head: vec![], head_rows: 0, tail: VecDeque::new(), tail_rows: 0, total: 0, schema }
    }

    pub fn push(&mut self, batch: &RecordBatch) {
        self.total += batch.num_rows();
        let Some(max) = self.max else {
            self.head.push(batch.clone());
            return;
        };
        let head_max = max - max / 2;
        let take = (head_max - self.head_rows).min(batch.num_rows());
        if take > 0 {
            self.head.push(batch.slice(0, take));
            self.head_rows += take;
        }
        let rest = batch.num_rows() - take;
        let tail_max = max / 2;
        if rest == 0 || tail_max == 0 {
            return;
        }
        let keep = rest.min(tail_max);
        self.tail.push_back(batch.slice(batch.num_rows() - keep, keep));
        self.tail_rows += keep;
        while self.tail_rows > tail_max {
            let Some(front) = self.tail.pop_front() else { break };
            let extra = self.tail_rows - tail_max;
            if extra < front.num_rows() {
                self.tail.push_front(front.slice(extra, front.num_rows() - extra));
                self.tail_rows -= extra;
            } else {
                self.tail_rows -= front.num_rows();
            }
        }
    }

    /// Whether rows were left out between the head and the tail.
    pub fn elided(&self) -> bool {
        self.total > self.head_rows_shown() + self.tail_rows
    }

    fn head_rows_shown(&self) -> usize {
        self.head.iter().map(|b| b.num_rows()).sum()
    }

    pub fn shown(&self) -> usize {
        self.head_rows_shown() + self.tail_rows
    }
}

/// A drawn table and how many of its columns it shows.
pub struct Drawn {
    pub text: String,
    pub columns: usize,
}

/// The table of `rows`, at most `width` characters wide when a width is given.
pub fn render(rows: &Rows, width: Option<usize>) -> Drawn {
    let schema = &rows.schema;
    let header: Vec<String> = schema.fields().iter().map(|f| f.name().replace(['\n', '\t'], " ")).collect();
    let to_cells = |batches: &mut dyn Iterator<Item = &RecordBatch>| -> Vec<Vec<String>> {
        let mut out = vec![];
        for b in batches {
            for r in 0..b.num_rows() {
                out.push(b.columns().iter().map(|c| cell(c.as_ref(), r)).collect());
            }
        }
        out
    };
    let head = to_cells(&mut rows.head.iter());
    let tail = to_cells(&mut rows.tail.iter());
    // At least one character: the `…` row fills every column, named "" or not.
    let mut widths: Vec<usize> = header.iter().map(|h| chars(h).max(1)).collect();
    for row in head.iter().chain(&tail) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(chars(c));
        }
    }
    let right: Vec<bool> = schema.fields().iter().map(|f| is_number(f.data_type())).collect();
    let (shown, elided_at) = fitting_columns(&widths, width);

    let mut out = String::new();
    let line = |out: &mut String| {
        for (k, &c) in shown.iter().enumerate() {
            if Some(k) == elided_at {
                out.push_str("+---");
            }
            out.push('+');
            out.push_str(&"-".repeat(widths[c] + 2));
        }
        if elided_at == Some(shown.len()) {
            out.push_str("+---");
        }
        out.push_str("+\n");
    };
    let row_line = |out: &mut String, cells: &dyn Fn(usize) -> String| {
        for (k, &c) in shown.iter().enumerate() {
            if Some(k) == elided_at {
                out.push_str("| … ");
            }
            let text = cells(c);
            let pad = " ".repeat(widths[c].saturating_sub(chars(&text)));
            if right[c] {
                out.push_str(&format!("| {pad}{text} "));
            } else {
                out.push_str(&format!("| {text}{pad} "));
            }
        }
        if elided_at == Some(shown.len()) {
            out.push_str("| … ");
        }
        out.push_str("|\n");
    };
    line(&mut out);
    row_line(&mut out, &|c| header[c].clone());
    line(&mut out);
    for r in &head {
        row_line(&mut out, &|c| r[c].clone());
    }
    if rows.elided() {
        row_line(&mut out, &|_| "…".to_string());
    }
    for r in &tail {
        row_line(&mut out, &|c| r[c].clone());
    }
    line(&mut out);
    Drawn { text: out, columns: shown.len() }
}

/// The columns to show, in order, and where the `…` column goes among them: all if they fit
/// (or no width is given), else as many from the left and the right, alternately, as fit
/// beside a `…` column.
fn fitting_columns(widths: &[usize], width: Option<usize>) -> (Vec<usize>, Option<usize>) {
    let total: usize = widths.iter().map(|w| w + 3).sum::<usize>() + 1;
    let all: Vec<usize> = (0..widths.len()).collect();
    match width {
        Some(width) if total > width && widths.len() > 1 => {}
        _ => return (all, None),
    }
    let width = width.unwrap_or(usize::MAX);
    let mut left = vec![];
    let mut right = vec![];
    let mut used = 1 + 4; // the closing border and the `…` column
    let (mut l, mut r) = (0, widths.len() - 1);
    let mut from_left = true;
    while l <= r {
        let c = if from_left { l } else { r };
        if used + widths[c] + 3 > width {
            break;
        }
        used += widths[c] + 3;
        if from_left {
            left.push(c);
            l += 1;
        } else {
            right.push(c);
            if r == 0 {
                break;
            }
            r -= 1;
        }
        from_left = !from_left;
    }
    if left.is_empty() {
        // Not even one column fits: show the first anyway.
        left.push(0);
        right.retain(|&c| c != 0);
    }
    right.reverse();
    let gap = left.len();
    (left.into_iter().chain(right).collect(), Some(gap))
}

fn is_number(t: &DataType) -> bool {
    t.is_numeric()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Int64Array};

    use super::*;

    fn numbers(range: std::ops::Range<i64>) -> RecordBatch {
        RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from_iter_values(range)) as ArrayRef)]).unwrap()
    }

    #[test]
    fn first_and_last_rows_across_batches() {
        let mut rows = Rows::new(Some(5), numbers(0..1).schema());
        for start in (0..100).step_by(7) {
            rows.push(&numbers(start..(start + 7).min(100)));
        }
        assert_eq!(rows.total, 100);
        assert_eq!(rows.shown(), 5);
        let text = render(&rows, None).text;
        let cells: Vec<&str> = text.lines().filter(|l| l.starts_with('|')).skip(1).map(|l| l.trim_matches(['|', ' '])).collect();
        assert_eq!(cells, ["0", "1", "2", "…", "98", "99"]);
    }

    #[test]
    fn wide_results_leave_out_middle_columns() {
        let columns: Vec<(String, ArrayRef)> = (0..30).map(|i| (format!("column_{i:02}"), Arc::new(Int64Array::from(vec![i])) as ArrayRef)).collect();
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let mut rows = Rows::new(None, batch.schema());
        rows.push(&batch);
        let text = render(&rows, Some(80)).text;
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        let header = text.lines().nth(1).unwrap();
        assert!(header.starts_with("| column_00 | column_01 |") && header.ends_with("| column_28 | column_29 |"), "{header}");
        assert!(header.contains("| … |"), "{header}");
        assert_eq!(render(&rows, None).text.lines().nth(1).unwrap().matches("column_").count(), 30);
    }
}
