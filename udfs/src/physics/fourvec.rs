//! Reading four-vectors from struct columns. A particle struct is recognised by its field
//! names, case-insensitively, so NanoAOD (`pt, eta, phi, mass`), Delphes (`PT, Eta, Phi,
//! Mass`; `ET` for towers and photons) and Cartesian (`px, py, pz, e`) collections all work.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Fields};
use datafusion::common::{exec_err, plan_err, Result};

use crate::scalar::{as_f64, union_nulls};

const PT: &[&str] = &["pt", "et"];
const ETA: &[&str] = &["eta"];
const PHI: &[&str] = &["phi"];
const MASS: &[&str] = &["mass", "m"];
const CARTESIAN: [&[&str]; 4] = [&["px"], &["py"], &["pz"], &["e", "energy"]];

/// Whether a struct field may hold a four-vector's component: every field a physics function
/// can read of a particle is one of these, whichever layout the struct has.
pub fn is_four_vector_field(name: &str) -> bool {
    [PT, ETA, PHI, MASS].into_iter().chain(CARTESIAN).flatten().any(|n| name.eq_ignore_ascii_case(n))
}

fn find(fields: &Fields, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| fields.iter().position(|f| f.name().eq_ignore_ascii_case(n)))
}

/// How a struct type holds a four-vector: field indices of (pt, eta, phi, mass?) or
/// (px, py, pz, e).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Layout {
    Polar { pt: usize, eta: usize, phi: usize, mass: Option<usize> },
    Cartesian { px: usize, py: usize, pz: usize, e: usize },
}

impl Layout {
    pub fn of(name: &str, position: usize, t: &DataType) -> Result<(Layout, bool)> {
        let DataType::Struct(fields) = t else {
            return plan_err!("{name}: argument {position} must be a particle struct (fields pt, eta, phi[, mass] or px, py, pz, e), got {t}");
        };
        let layout = if let (Some(pt), Some(eta), Some(phi)) = (find(fields, PT), find(fields, ETA), find(fields, PHI)) {
            Layout::Polar { pt, eta, phi, mass: find(fields, MASS) }
        } else if let [Some(px), Some(py), Some(pz), Some(e)] = CARTESIAN.map(|n| find(fields, n)) {
            Layout::Cartesian { px, py, pz, e }
        } else {
            let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
            return plan_err!(
                "{name}: argument {position} must be a particle struct with fields pt (or et), eta, phi[, mass] or px, py, pz, e; it has {}",
                names.join(", ")
            );
        };
        let used = match layout {
            Layout::Polar { pt, eta, phi, mass } => [Some(pt), Some(eta), Some(phi), mass],
            Layout::Cartesian { px, py, pz, e } => [Some(px), Some(py), Some(pz), Some(e)],
        };
        for i in used.into_iter().flatten() {
            if !fields[i].data_type().is_numeric() {
                return plan_err!("{name}: field {} of argument {position} must be a number, got {}", fields[i].name(), fields[i].data_type());
            }
        }
        let all_f32 = used.into_iter().flatten().all(|i| fields[i].data_type() == &DataType::Float32);
        Ok((layout, all_f32))
    }
}

/// The element struct type of a list of particles.
pub(crate) fn list_element(name: &str, position: usize, t: &DataType) -> Result<DataType> {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => Ok(f.data_type().clone()),
        other => plan_err!("{name}: argument {position} must be a list of particle structs, got {other}"),
    }
}

/// What a function needs from the four-vectors, so that nothing else is computed: directions
/// (ΔR, isolation: no trigonometry for polar inputs), Cartesian components (sums and masses:
/// no `atan2`/`asinh` for Cartesian inputs), or both (conversions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    Direction,
    Momentum,
    Both,
}

/// Four-vectors of one array: `pt`, `eta`, `phi` unless only [`Need::Momentum`] is asked of
/// Cartesian inputs; `px`, `py`, `pz`, `e` unless only [`Need::Direction`] is asked of polar
/// ones.
pub(crate) struct Vectors {
    pub pt: Vec<f64>,
    pub eta: Vec<f64>,
    pub phi: Vec<f64>,
    pub px: Vec<f64>,
    pub py: Vec<f64>,
    pub pz: Vec<f64>,
    pub e: Vec<f64>,
    pub nulls: Option<NullBuffer>,
}

impl Vectors {
    pub fn from_struct(name: &str, array: &ArrayRef, need: Need) -> Result<Self> {
        let Some(s) = array.as_struct_opt() else {
            return exec_err!("{name}: expected a particle struct, got {}", array.data_type());
        };
        let (layout, _) = Layout::of(name, 1, array.data_type())?;
        let col = |i: usize| as_f64(s.column(i));
        match layout {
            Layout::Polar { pt, eta, phi, mass } => {
                let m = match mass {
                    Some(m) => Some(col(m)?),
                    None => None,
                };
                Self::polar(s, &col(pt)?, &col(eta)?, &col(phi)?, m.as_ref(), need)
            }
            Layout::Cartesian { px, py, pz, e } => Self::cartesian(s, &col(px)?, &col(py)?, &col(pz)?, &col(e)?, need),
        }
    }

    pub fn polar(s: &StructArray, pt: &Float64Array, eta: &Float64Array, phi: &Float64Array, mass: Option<&Float64Array>, need: Need) -> Result<Self> {
        let mut parts: Vec<&dyn Array> = vec![s, pt, eta, phi];
        if let Some(m) = mass {
            parts.push(m);
        }
        let nulls = union_nulls(&parts);
        let n = pt.len();
        if need == Need::Direction {
            let c = |a: &Float64Array| a.values().to_vec();
            let v = Self { pt: c(pt), eta: c(eta), phi: c(phi), px: vec![], py: vec![], pz: vec![], e: vec![], nulls };
            return Ok(v);
        }
        let mut v = Self::with_capacity(n, nulls);
        for i in 0..n {
            let (p, h, f) = (pt.value(i), eta.value(i), phi.value(i));
            let m = mass.map_or(0.0, |m| m.value(i));
            let (sin, cos) = f.sin_cos();
            let (sinh, cosh) = sinh_cosh(h);
            let (px, py, pz) = (p * cos, p * sin, p * sinh);
            let pp = p * cosh;
            v.push(p, h, f, px, py, pz, (pp * pp + m * m).sqrt());
        }
        Ok(v)
    }

    pub fn cartesian(s: &StructArray, px: &Float64Array, py: &Float64Array, pz: &Float64Array, e: &Float64Array, need: Need) -> Result<Self> {
        let nulls = union_nulls(&[s, px, py, pz, e]);
        let c = |a: &Float64Array| a.values().to_vec();
        let mut v = Self { pt: vec![], eta: vec![], phi: vec![], px: c(px), py: c(py), pz: c(pz), e: c(e), nulls };
        if need != Need::Momentum {
            let n = v.px.len();
            (v.pt, v.eta, v.phi) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
            for i in 0..n {
                let (x, y, z) = (v.px[i], v.py[i], v.pz[i]);
                let pt = x.hypot(y);
                v.pt.push(pt);
                v.eta.push(pseudorapidity(pt, z));
                v.phi.push(y.atan2(x));
            }
        }
        Ok(v)
    }

    fn with_capacity(n: usize, nulls: Option<NullBuffer>) -> Self {
        let c = || Vec::with_capacity(n);
        Self { pt: c(), eta: c(), phi: c(), px: c(), py: c(), pz: c(), e: c(), nulls }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(&mut self, pt: f64, eta: f64, phi: f64, px: f64, py: f64, pz: f64, e: f64) {
        self.pt.push(pt);
        self.eta.push(eta);
        self.phi.push(phi);
        self.px.push(px);
        self.py.push(py);
        self.pz.push(pz);
        self.e.push(e);
    }

    pub fn is_valid(&self, i: usize) -> bool {
        self.nulls.as_ref().is_none_or(|n| n.is_valid(i))
    }
}

/// sinh and cosh from one exponential (glibc's `sinh` costs an `expm1` plus a branchy
/// wrapper, a third of a trijet query); a series near 0, where `e^x - e^-x` would cancel.
fn sinh_cosh(x: f64) -> (f64, f64) {
    if x.abs() < 1e-3 {
        let x2 = x * x;
        return (x * (1.0 + x2 / 6.0 * (1.0 + x2 / 20.0)), 1.0 + x2 / 2.0 * (1.0 + x2 / 12.0));
    }
    let t = x.exp();
    let r = 1.0 / t;
    (0.5 * (t - r), 0.5 * (t + r))
}

/// η from transverse and longitudinal momentum; ±inf along the beam, 0 for a null vector.
pub(crate) fn pseudorapidity(pt: f64, pz: f64) -> f64 {
    if pt == 0.0 {
        return if pz == 0.0 { 0.0 } else { f64::INFINITY.copysign(pz) };
    }
    (pz / pt).asinh()
}

/// φ difference wrapped to [-π, π).
pub(crate) fn delta_phi(a: f64, b: f64) -> f64 {
    use std::f64::consts::{PI, TAU};
    // Angles in [-π, π] (every detector's convention) need at most one turn and no `fmod`,
    // which would dominate isolation cone scans.
    let d = a - b;
    if (-PI..PI).contains(&d) {
        return d;
    }
    let w = if d < 0.0 { d + TAU } else { d - TAU };
    if (-PI..PI).contains(&w) {
        return w;
    }
    let w = (d + PI).rem_euclid(TAU) - PI;
    if w >= PI { w - TAU } else { w }
}

/// Mass of a four-vector sum; negative m² from rounding is clamped to 0.
pub(crate) fn mass(px: f64, py: f64, pz: f64, e: f64) -> f64 {
    (e * e - px * px - py * py - pz * pz).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::sinh_cosh;

    #[test]
    fn sinh_cosh_match_the_library() {
        // Away from 0 to a few ulps; near 0 (|x| >= 1e-3, before the series takes over) the
        // difference e^x - e^-x loses up to 10 bits: absolute error at most ~1e-15.
        for x in [-7.3, -2.5, -1.0, -0.01, -1e-3, -9.99e-4, -1e-7, 0.0, 3e-9, 5e-4, 1e-3, 0.2, 1.3, 4.9] {
            let (s, c) = sinh_cosh(x);
            assert!((s - f64::sinh(x)).abs() <= 4.0 * f64::EPSILON * f64::sinh(x).abs().max(1.0), "sinh({x}) = {s}");
            if x.abs() < 1e-3 {
                assert!((s - f64::sinh(x)).abs() <= 2.0 * f64::EPSILON * f64::sinh(x).abs(), "series sinh({x}) = {s}");
            }
            assert!((c - f64::cosh(x)).abs() <= 4.0 * f64::EPSILON * f64::cosh(x), "cosh({x}) = {c}");
        }
    }
}
