//! Inference: the class probabilities of a network for rows of decoded columns, shared by
//! `predict`, `predict_proba` and the validation of `train_classifier`.

use burn::prelude::*;
use burn::tensor::activation::softmax;
use datafusion::common::{exec_err, Result};

use super::data::{Columns, Rows};
use super::network::{Architecture, Network};

/// Rows per forward pass at inference. Sequence models pad each pass to its longest
/// sequence, so they take fewer rows, sorted by length.
const FLAT_CHUNK: usize = 4096;
const SEQUENCE_CHUNK: usize = 256;

/// Softmax outputs of `network` for the rows `rows` of `c`, `rows.len() × classes`.
pub fn probabilities(network: &Network, arch: &Architecture, c: &Columns, rows: &[usize], device: &Device) -> Result<Vec<f32>> {
    let k = arch.classes;
    let mut out = vec![0f32; rows.len() * k];
    // Positions in `rows`, in the order they are computed.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let chunk = if arch.uses_sequence() {
        order.sort_by_key(|&i| c.length_of(rows[i]));
        SEQUENCE_CHUNK
    } else {
        FLAT_CHUNK
    };
    for part in order.chunks(chunk) {
        let mut batch = Rows::with_capacity(part.len());
        for &i in part {
            batch.push(c.features_of(rows[i]), c.sequence_of(rows[i]));
        }
        let p = softmax(network.forward(&batch.inputs(arch, device)), 1);
        let p: Vec<f32> = match p.into_data().try_to_vec::<f32>() {
            Ok(p) => p,
            Err(e) => return exec_err!("reading the network's output: {e:?}"),
        };
        for (j, &i) in part.iter().enumerate() {
            out[i * k..(i + 1) * k].copy_from_slice(&p[j * k..(j + 1) * k]);
        }
    }
    Ok(out)
}
