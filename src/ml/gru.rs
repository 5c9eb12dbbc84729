//! A GRU layer with fused gate weights over packed sequences.
//!
//! burn's `nn::Gru` does six matrix products per time step and copies every step into a
//! `[B, T, H]` output, which makes its backward pass quadratic in T; it has no mask either.
//! This layer does one `[3H, F]` and one `[3H, H]` product per step and keeps only the running
//! state. Sequences are packed, as PyTorch's `PackedSequence`: sorted by decreasing length, so
//! that at step t the sequences still running are the first `k_t`; a sequence that has ended
//! leaves the computation with its final state. No step is computed for padding, so the
//! result cannot depend on it, and a batch costs its real elements rather than its longest
//! sequence times its size. The equations are Keras' GRU with `reset_after=True` (cuDNN's,
//! and PyTorch's): gates z, r and candidate n in that order.

use burn::module::{Initializer, Module, Param};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

#[derive(Module, Debug)]
pub struct PackedGru {
    /// Input weights of the gates z, r, n stacked: `[3H, F]`.
    wx: Param<Tensor<2>>,
    /// Recurrent weights, same layout: `[3H, H]`.
    wh: Param<Tensor<2>>,
    bx: Param<Tensor<1>>,
    bh: Param<Tensor<1>>,
    hidden: usize,
}

/// One batch of packed sequences: `steps[t]` is `[F, k_t]`, the elements at position t of the
/// `k_t` sequences longer than t, in order of decreasing length (so `k_t` never grows);
/// `restore[i]` is the packed position of the batch's row i.
///
/// Transposed so that the gates are row ranges of `[3H, k]` products: contiguous slices,
/// which flex's element-wise kernels run several times faster than strided column slices.
pub struct Sequences {
    pub rows: usize,
    pub steps: Vec<Tensor<2>>,
    pub restore: Tensor<1, Int>,
}

impl PackedGru {
    /// Keras' initialisation: Glorot-uniform input weights, orthogonal recurrent weights (per
    /// gate), zero biases.
    pub fn new(features: usize, hidden: usize, device: &Device) -> Self {
        let wx = Initializer::XavierUniform { gain: 1.0 }.init_with([3 * hidden, features], Some(features), Some(3 * hidden), device);
        let gates: Vec<Tensor<2>> = (0..3).map(|_| Initializer::Orthogonal { gain: 1.0 }.init::<2, _>([hidden, hidden], device).val()).collect();
        let wh = Param::from_tensor(Tensor::cat(gates, 0).detach());
        let zeros = || Initializer::Zeros.init::<1, _>([3 * hidden], device);
        Self { wx, wh, bx: zeros(), bh: zeros(), hidden }
    }

    /// The state after the last element of each sequence (zeros for an empty one): `[B, H]`
    /// in the batch's row order.
    pub fn forward(&self, input: &Sequences) -> Tensor<2> {
        let h = self.hidden;
        let device = self.wx.val().device();
        let mut active = input.rows;
        let mut state = Tensor::<2>::zeros([h, active], &device);
        // States of the sequences that have ended, the shortest first.
        let mut ended: Vec<Tensor<2>> = Vec::new();
        let (wx, wh) = (self.wx.val(), self.wh.val());
        let (bx, bh) = (self.bx.val().unsqueeze_dim::<2>(1), self.bh.val().unsqueeze_dim::<2>(1));
        for x in &input.steps {
            let k = x.dims()[1];
            if k < active {
                ended.push(state.clone().slice([0..h, k..active]));
                state = state.slice([0..h, 0..k]);
                active = k;
            }
            let gx = wx.clone().matmul(x.clone()) + bx.clone();
            let gh = wh.clone().matmul(state.clone()) + bh.clone();
            // z and r in one sigmoid.
            let zr = sigmoid(gx.clone().slice([0..2 * h, 0..k]) + gh.clone().slice([0..2 * h, 0..k]));
            let (z, r) = (zr.clone().slice([0..h, 0..k]), zr.slice([h..2 * h, 0..k]));
            let n = tanh_via_sigmoid(gx.slice([2 * h..3 * h, 0..k]) + r * gh.slice([2 * h..3 * h, 0..k]));
            // (1 - z) n + z h, written with one product less.
            state = n.clone() + z * (state - n);
        }
        let packed = if ended.is_empty() {
            state
        } else {
            ended.push(state);
            ended.reverse();
            Tensor::cat(ended, 1)
        };
        packed.transpose().select(0, input.restore.clone())
    }
}

/// tanh(x) = 2 σ(2x) − 1: flex evaluates `tanh` with libm's `tanhf`, about four times the cost
/// of the `expf` inside its sigmoid, and the GRU spends most of its time in these two.
fn tanh_via_sigmoid(x: Tensor<2>) -> Tensor<2> {
    sigmoid(x.mul_scalar(2.0)).mul_scalar(2.0).sub_scalar(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::data::Rows;
    use crate::ml::network::{Architecture, ModelKind};

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// The GRU equations written out with scalars, from the layer's own weights.
    fn reference(gru: &PackedGru, sequences: &[Vec<[f32; 2]>]) -> Vec<Vec<f64>> {
        let h = gru.hidden;
        let (wx, wh) = (values(gru.wx.val()), values(gru.wh.val()));
        let (bx, bh) = (gru.bx.val().into_data().try_to_vec::<f32>().unwrap(), gru.bh.val().into_data().try_to_vec::<f32>().unwrap());
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        sequences
            .iter()
            .map(|seq| {
                let mut s = vec![0f64; h];
                for x in seq {
                    let gate = |g: usize, j: usize| {
                        let row = g * h + j;
                        let gx = (0..2).map(|f| wx[row * 2 + f] as f64 * x[f] as f64).sum::<f64>() + bx[row] as f64;
                        let gh = (0..h).map(|k| wh[row * h + k] as f64 * s[k]).sum::<f64>() + bh[row] as f64;
                        (gx, gh)
                    };
                    let next: Vec<f64> = (0..h)
                        .map(|j| {
                            let (zx, zh) = gate(0, j);
                            let (rx, rh) = gate(1, j);
                            let (nx, nh) = gate(2, j);
                            let (z, r) = (sig(zx + zh), sig(rx + rh));
                            let n = (nx + r * nh).tanh();
                            (1.0 - z) * n + z * s[j]
                        })
                        .collect();
                    s = next;
                }
                s
            })
            .collect()
    }

    #[test]
    fn matches_the_equations_and_ignores_padding() {
        let device = Device::flex();
        device.seed(11);
        let gru = PackedGru::new(2, 3, &device);
        // Lengths 4, 2 and 0: the last two are padded.
        let seqs: Vec<Vec<[f32; 2]>> = vec![
            vec![[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0], [0.1, 0.2]],
            vec![[-1.0, 1.0], [0.3, -0.6]],
            vec![],
        ];
        let flat: Vec<Vec<f32>> = seqs.iter().map(|s| s.iter().flatten().copied().collect()).collect();
        let arch = Architecture::new(ModelKind::ParticleGru, 0, 2, 3, None, Some(3), Some(0.0)).unwrap();
        let mut rows = Rows::with_capacity(3);
        for f in &flat {
            rows.push(&[], f);
        }
        let inputs = rows.inputs(&arch, &device);
        let got = values(gru.forward(inputs.sequences.as_ref().unwrap()));
        let want = reference(&gru, &seqs);
        for (b, w) in want.iter().enumerate() {
            for j in 0..3 {
                assert!((got[b * 3 + j] as f64 - w[j]).abs() < 1e-5, "sequence {b} unit {j}: {} vs {}", got[b * 3 + j], w[j]);
            }
        }
        assert!(want[2].iter().all(|&v| v == 0.0), "an empty sequence keeps the zero state");
    }

    #[test]
    fn parameter_counts_of_the_paper() {
        assert_eq!(Architecture::new(ModelKind::HlfDnn, 14, 0, 3, None, None, None).unwrap().parameters(), 2013);
        assert_eq!(Architecture::new(ModelKind::Inclusive, 14, 19, 3, None, None, None).unwrap().parameters(), 12353);
    }
}
