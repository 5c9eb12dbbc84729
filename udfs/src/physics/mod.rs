//! Particle kinematics: angular distances, coordinate conversions, masses and isolation.
//! Computed in float64; results are float32 when the inputs are.

pub mod fourvec;
pub mod isolation;
pub mod kinematics;
pub mod mass;

/// The functions that read their particle arguments (structs, or lists of structs) only as
/// four-vectors: the fields [`fourvec::is_four_vector_field`] names. The struct-pruning rule
/// (`crate::planning`) reads only those fields of a collection passed to them.
pub const FOUR_VECTOR_FUNCTIONS: [&str; 6] = [
    kinematics::DeltaR::NAME,
    kinematics::ToCartesian::NAME,
    kinematics::ToPolar::NAME,
    mass::InvariantMass::NAME,
    mass::SumP4::NAME,
    isolation::Isolation::NAME,
];
