//! Every function on a sliced batch (list offsets not starting at 0, values outside the slice
//! that must not be touched) gives the same answer as on a compact copy of the same rows.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float32Array, Int32Array, ListArray, RecordBatch, StructArray};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};

fn particles(pt: Vec<f32>, lengths: Vec<usize>, nulls: Option<Vec<bool>>, phase: f32) -> ArrayRef {
    let n = pt.len();
    let eta: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.37 + phase).sin() * 2.0).collect();
    let phi: Vec<f32> = (0..n).map(|i| ((i as f32) * 1.91 + phase).cos() * 3.0).collect();
    let charge: Vec<i32> = (0..n).map(|i| if i % 3 == 0 { 1 } else { -1 }).collect();
    let fields = Fields::from(vec![
        Field::new("pt", DataType::Float32, false),
        Field::new("eta", DataType::Float32, false),
        Field::new("phi", DataType::Float32, false),
        Field::new("charge", DataType::Int32, false),
    ]);
    let s = StructArray::new(
        fields.clone(),
        vec![
            Arc::new(Float32Array::from(pt)),
            Arc::new(Float32Array::from(eta)),
            Arc::new(Float32Array::from(phi)),
            Arc::new(Int32Array::from(charge)),
        ],
        None,
    );
    let item = Arc::new(Field::new_list_field(DataType::Struct(fields), false));
    Arc::new(ListArray::new(item, OffsetBuffer::from_lengths(lengths), Arc::new(s), nulls.map(NullBuffer::from)))
}

fn batch() -> RecordBatch {
    // Six events; the slice takes events 1..5, so event 0's and event 5's particles lie outside.
    let jet_lengths = vec![3, 4, 0, 2, 5, 3];
    let jets = particles((0..17).map(|i| 20.0 + 7.5 * i as f32).collect(), jet_lengths, Some(vec![true, true, true, false, true, true]), 0.3);
    let mu_lengths = vec![2, 1, 3, 0, 2, 1];
    let muons = particles((0..9).map(|i| 10.0 + 11.0 * i as f32).collect(), mu_lengths, None, 1.1);
    let met = Arc::new(Float32Array::from(vec![5.0, 25.0, 40.0, 12.0, 60.0, 7.0]));
    RecordBatch::try_from_iter(vec![("Jet", jets), ("Muon", muons), ("MET", met as ArrayRef)]).unwrap()
}

fn context(b: RecordBatch) -> SessionContext {
    let mut cfg = SessionConfig::new().with_target_partitions(1);
    cfg.options_mut().sql_parser.enable_ident_normalization = false;
    let ctx = SessionContext::new_with_state(hepfusion_udfs::session_state(cfg).unwrap());
    let t = MemTable::try_new(b.schema(), vec![vec![b]]).unwrap();
    ctx.register_table("ev", Arc::new(t)).unwrap();
    ctx
}

const QUERIES: &[&str] = &[
    "SELECT filter(Jet, (j, i) -> j.pt > MET + i) FROM ev",
    "SELECT transform(Jet, (j, i) -> j.pt * i) FROM ev",
    "SELECT exists(Jet, j -> j.pt > 100), forall(Muon, m -> m.pt > 20) FROM ev",
    "SELECT aggregate(Jet, 0.0, (acc, j) -> acc + j.pt, acc -> acc / 2) FROM ev",
    "SELECT array_sort(Jet, (a, b) -> CASE WHEN a.eta < b.eta THEN -1 WHEN a.eta > b.eta THEN 1 ELSE 0 END) FROM ev",
    "SELECT array_sort_by(Muon, m -> m.phi, 'desc'), array_argsort(transform(Jet, j -> j.phi)) FROM ev",
    "SELECT zip_with(Jet, Muon, (j, m) -> j.pt - m.pt) FROM ev",
    "SELECT array_argmax_by(Jet, j -> j.eta), array_min_by(Muon, m -> m.eta), array_first(Jet, j -> j.phi > 0) FROM ev",
    "SELECT combinations(Jet, 2), cartesian(Jet, Muon) FROM ev",
    "SELECT array_take(Jet, [2, -1]), array_pad(transform(Muon, m -> m.pt), 3, 0), array_truncate(Jet, 1) FROM ev",
    "SELECT array_concat_struct(Jet, Muon) FROM ev",
    "SELECT invariant_mass(Jet), sum_p4(Muon), transform(Jet, j -> isolation(j, Muon, 1.0)) FROM ev",
    "SELECT transform(Jet, j -> aggregate(Muon, 99.0, (acc, m) -> least(acc, delta_r(j, m)))) FROM ev",
];

#[tokio::test]
async fn sliced_and_compact_batches_agree() {
    let full = batch();
    let sliced = full.slice(1, 4);
    let compact = take_record_batch(&full, &datafusion::arrow::array::UInt32Array::from(vec![1, 2, 3, 4])).unwrap();
    assert_ne!(sliced.column(0).to_data().offset() + sliced.column(0).as_any().downcast_ref::<ListArray>().unwrap().offsets()[0] as usize, 0);
    let (a, b) = (context(sliced), context(compact));
    for q in QUERIES {
        let run = |ctx: SessionContext| async move {
            let df = hepfusion_udfs::sql::sql(&ctx, q).await.unwrap_or_else(|e| panic!("{q}: {e}"));
            pretty_format_batches(&df.collect().await.unwrap()).unwrap().to_string()
        };
        let (x, y) = (run(a.clone()).await, run(b.clone()).await);
        assert_eq!(x, y, "{q}");
        assert!(x.lines().count() == 8, "{q}: expected 4 rows\n{x}");
    }
}
