//! `plot_lines('file.svg', 'table or query', x => 'fpr', y => 'tpr', series => 'class',
//! title => '...', log_y => true)`: one line per value of `series` through the points
//! (x, y) of the query, in the query's order, written as SVG — ROC curves from `roc_curve`,
//! loss curves from `train_classifier`'s rows or `models()`. Returns one row: the file, the
//! number of lines and of points. The file is replaced atomically.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Float64Type, Schema};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{exec_err, plan_err, DataFusionError, Result};
use datafusion::physical_plan::collect;
use plotters::prelude::*;

use crate::arguments::{Args, TableSignature};
use super::input::input_plan;
use crate::states::States;
use super::task::task_table;

pub(crate) static SIGNATURE: TableSignature = TableSignature {
    name: "plot_lines",
    section: "Machine learning",
    description: "Draws the rows of a table or query as lines, one per series, into an SVG file (written atomically) and returns one row: the file, the series and the points drawn. For training curves, ROC curves, efficiencies.",
    syntax: "plot_lines('file.svg', 'table or query', x => 'column', y => 'column' [, series => 'column', title => '...', x_label => '...', y_label => '...', log_y => true, width => 800, height => 600])",
    arguments: &[("file.svg", "The SVG file to write."), ("table or query", "A table name or a query.")],
    required: 2,
    options: &[
        ("x", "The column on the horizontal axis (required)."),
        ("y", "The column on the vertical axis (required)."),
        ("series", "A column whose values name the lines (default: one line)."),
        ("title", "The plot's title."),
        ("x_label", "The horizontal axis' label (default: the column)."),
        ("y_label", "The vertical axis' label (default: the column)."),
        ("log_y", "true for a logarithmic vertical axis."),
        ("width", "Pixels (default 800)."),
        ("height", "Pixels (default 600)."),
    ],
    example: r#"```sql
> SELECT * FROM plot_lines('parabola.svg', 'SELECT value AS x, value * value AS y FROM generate_series(-5, 5)', x => 'x', y => 'y');
+--------------+-------+--------+
| file         | lines | points |
+--------------+-------+--------+
| parabola.svg | 1     | 11     |
+--------------+-------+--------+

```"#,
};

#[derive(Debug)]
pub struct PlotLines {
    states: States,
}

impl PlotLines {
    pub fn new(states: States) -> Self {
        Self { states }
    }
}

#[derive(Debug, Clone)]
struct Spec {
    path: PathBuf,
    x: String,
    y: String,
    series: Option<String>,
    title: String,
    x_label: String,
    y_label: String,
    log_y: bool,
    size: (u32, u32),
}

impl TableFunctionImpl for PlotLines {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let a = Args::parse(&SIGNATURE, args.exprs())?;
        let path = PathBuf::from(a.string_at(0)?);
        if path.extension().and_then(|e| e.to_str()) != Some("svg") {
            return plan_err!("plot_lines writes SVG: the file name must end in .svg, got '{}'", path.display());
        }
        let state = self.states.of(args.session())?;
        let input = input_plan(&state, "plot_lines", &a.string_at(1)?)?;
        let (Some(x), Some(y)) = (a.string("x")?, a.string("y")?) else {
            return plan_err!("plot_lines needs x => 'column' and y => 'column'; usage: {}", SIGNATURE.syntax);
        };
        let series = a.string("series")?;
        let schema = input.schema().as_arrow().clone();
        for c in [Some(&x), Some(&y), series.as_ref()].into_iter().flatten() {
            if schema.field_with_name(c).is_err() {
                return plan_err!("plot_lines: the input has no column '{c}'");
            }
        }
        let spec = Spec {
            path,
            x_label: a.string("x_label")?.unwrap_or_else(|| x.clone()),
            y_label: a.string("y_label")?.unwrap_or_else(|| y.clone()),
            x,
            y,
            series,
            title: a.string("title")?.unwrap_or_default(),
            log_y: a.bool("log_y")?.unwrap_or(false),
            size: (a.usize("width")?.unwrap_or(800) as u32, a.usize("height")?.unwrap_or(600) as u32),
        };
        let schema = Arc::new(Schema::new(vec![
            Field::new("file", DataType::Utf8, false),
            Field::new("lines", DataType::Int64, false),
            Field::new("points", DataType::Int64, false),
        ]));
        task_table("plot_lines", schema, move |schema, tx| {
            let (spec, input, state) = (spec.clone(), input.clone(), state.clone());
            Box::pin(async move {
                let plan = state.create_physical_plan(&input).await?;
                let batches = collect(plan, state.task_ctx()).await?;
                let lines = lines(&spec, &batches)?;
                let points: usize = lines.values().map(Vec::len).sum();
                draw(&spec, &lines)?;
                let batch = RecordBatch::try_new(
                    schema,
                    vec![
                        Arc::new(StringArray::from(vec![spec.path.display().to_string()])),
                        Arc::new(Int64Array::from(vec![lines.len() as i64])),
                        Arc::new(Int64Array::from(vec![points as i64])),
                    ],
                )?;
                let _ = tx.send(Ok(batch)).await;
                Ok(())
            })
        })
    }
}

/// The points of each series, in input order; rows with a null coordinate are skipped.
fn lines(spec: &Spec, batches: &[RecordBatch]) -> Result<BTreeMap<String, Vec<(f64, f64)>>> {
    let mut out: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for b in batches {
        let number = |c: &str| -> Result<Arc<dyn Array>> {
            let a = b.column_by_name(c).ok_or_else(|| DataFusionError::Execution(format!("plot_lines: no column '{c}'")))?;
            cast(a, &DataType::Float64).map_err(|e| DataFusionError::Execution(format!("plot_lines: column '{c}' is not numeric: {e}")))
        };
        let (x, y) = (number(&spec.x)?, number(&spec.y)?);
        let (x, y) = (x.as_primitive::<Float64Type>(), y.as_primitive::<Float64Type>());
        let series = match &spec.series {
            Some(s) => Some(cast(b.column_by_name(s).ok_or_else(|| DataFusionError::Execution(format!("plot_lines: no column '{s}'")))?, &DataType::Utf8)?),
            None => None,
        };
        for i in 0..b.num_rows() {
            if x.is_null(i) || y.is_null(i) || !x.value(i).is_finite() || !y.value(i).is_finite() {
                continue;
            }
            let name = series.as_ref().map(|s| s.as_string::<i32>()).map(|s| if s.is_null(i) { "NULL".to_string() } else { s.value(i).to_string() });
            out.entry(name.unwrap_or_default()).or_default().push((x.value(i), y.value(i)));
        }
    }
    if out.is_empty() {
        return exec_err!("plot_lines: the input has no points with finite x and y");
    }
    Ok(out)
}

fn draw(spec: &Spec, lines: &BTreeMap<String, Vec<(f64, f64)>>) -> Result<()> {
    let all = lines.values().flatten();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        if spec.log_y && y <= 0.0 {
            continue;
        }
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if !(y0 <= y1) {
        return exec_err!("plot_lines: log_y needs positive y values");
    }
    let pad = |lo: f64, hi: f64| if hi > lo { (hi - lo) * 0.02 } else { lo.abs().max(1.0) * 0.05 };
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    let tmp = spec.path.with_extension("svg.tmp");
    if let Some(dir) = spec.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| DataFusionError::Execution(format!("plot_lines: creating {}: {e}", dir.display())))?;
    }
    let fail = |e: &dyn std::fmt::Display| DataFusionError::Execution(format!("plot_lines: drawing {}: {e}", spec.path.display()));
    {
        let root = SVGBackend::new(&tmp, spec.size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let mut chart = ChartBuilder::on(&root);
        chart.caption(&spec.title, ("sans-serif", 22)).margin(15).x_label_area_size(45).y_label_area_size(65);
        let colours = [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44), RGBColor(214, 39, 40), RGBColor(148, 103, 189), RGBColor(140, 86, 75)];
        macro_rules! plot {
            ($chart:expr) => {{
                let mut c = $chart;
                c.configure_mesh().x_desc(&spec.x_label).y_desc(&spec.y_label).draw().map_err(|e| fail(&e))?;
                for (k, (name, points)) in lines.iter().enumerate() {
                    let colour = colours[k % colours.len()];
                    let pts = points.iter().copied().filter(|&(_, y)| !spec.log_y || y > 0.0);
                    let s = c.draw_series(LineSeries::new(pts, colour.stroke_width(2))).map_err(|e| fail(&e))?;
                    if spec.series.is_some() {
                        s.label(name.clone()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
                    }
                }
                if spec.series.is_some() {
                    c.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::LowerRight).draw().map_err(|e| fail(&e))?;
                }
            }};
        }
        if spec.log_y {
            plot!(chart.build_cartesian_2d(x0 - px..x1 + px, (y0 * 0.8..y1 * 1.25).log_scale()).map_err(|e| fail(&e))?);
        } else {
            plot!(chart.build_cartesian_2d(x0 - px..x1 + px, y0 - py..y1 + py).map_err(|e| fail(&e))?);
        }
        root.present().map_err(|e| fail(&e))?;
    }
    std::fs::rename(&tmp, &spec.path).map_err(|e| fail(&e))?;
    Ok(())
}
