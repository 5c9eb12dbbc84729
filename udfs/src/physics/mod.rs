//! Particle kinematics: angular distances, coordinate conversions, masses and isolation.
//! Computed in float64; results are float32 when the inputs are.

pub mod fourvec;
pub mod isolation;
pub mod kinematics;
pub mod mass;
