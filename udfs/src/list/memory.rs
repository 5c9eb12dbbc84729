//! Memory for list outputs that can grow far beyond their input. `combinations(EFlowTrack, 4)`
//! over ten Delphes events is 21.7 M tuples; `array_pad(Jet, 1000000000, NULL)` a billion
//! elements per event. Allocated blindly, they end in the kernel's out-of-memory killer,
//! taking the shell, the Python kernel or an executor with them. These functions count what
//! they will produce before allocating it and reserve that from the session's memory pool
//! (DataFusion's `MemoryPool`, which sorts and joins also draw on, sized by
//! `HEPFUSION_MEMORY_LIMIT`); what does not fit is a query error that names the function, its
//! argument, the batch and the size.
//!
//! Scalar functions are not handed the session's runtime, only its configuration; the pool
//! travels there as the configuration extension [`SessionMemory`], which the session builder
//! adds. A session without it (a foreign application, DataFusion's FFI) gets a pool of half the
//! machine's memory for these functions, shared by the process.

use std::fmt;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::common::config::{ConfigEntry, ConfigExtension, ConfigOptions, ExtensionOptions};
use datafusion::common::{exec_err, plan_err, Result};
use datafusion::execution::memory_pool::{GreedyMemoryPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation};

/// The session's memory pool, carried in its configuration so that functions find it.
#[derive(Clone)]
pub struct SessionMemory(pub Arc<dyn MemoryPool>);

impl fmt::Debug for SessionMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionMemory({})", self.0.name())
    }
}

impl ConfigExtension for SessionMemory {
    const PREFIX: &'static str = "hepfusion_memory";
}

impl ExtensionOptions for SessionMemory {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    fn set(&mut self, key: &str, _value: &str) -> Result<()> {
        plan_err!("hepfusion_memory.{key}: the memory pool is set with HEPFUSION_MEMORY_LIMIT, not SET")
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        vec![]
    }
}

/// Hands `state`'s memory pool to its list functions (see the module's documentation).
pub fn attach(state: &mut datafusion::execution::SessionState) {
    let pool = Arc::clone(&state.runtime_env().memory_pool);
    state.config_mut().options_mut().extensions.insert(SessionMemory(pool));
}

/// The pool of a session's list functions.
fn pool(config: &ConfigOptions) -> Arc<dyn MemoryPool> {
    if let Some(m) = config.extensions.get::<SessionMemory>() {
        return Arc::clone(&m.0);
    }
    static PROCESS: OnceLock<Arc<dyn MemoryPool>> = OnceLock::new();
    Arc::clone(PROCESS.get_or_init(|| {
        let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<usize>().ok().map(|kib| kib * 1024)
        });
        Arc::new(GreedyMemoryPool::new(total.map_or(8 << 30, |t| t / 2)))
    }))
}

/// What a call is about to produce, for the reservation and its message.
pub(crate) struct Output<'a> {
    /// The call as a user would recognise it: `combinations(EFlowTrack, 4)`.
    pub call: &'a dyn fmt::Display,
    /// Elements of the output lists.
    pub elements: u128,
    /// Bytes of one element.
    pub element_bytes: u128,
    /// Rows of the batch.
    pub rows: usize,
    /// What to do instead.
    pub advice: &'a str,
}

/// Reserves the output's memory from the session's pool (held until the returned reservation
/// is dropped, once the output is built), or fails with a message that says what and why.
pub(crate) fn reserve(config: &ConfigOptions, name: &str, out: Output<'_>) -> Result<MemoryReservation> {
    let bytes = out.elements.saturating_mul(out.element_bytes);
    let pool = pool(config);
    let reservation = MemoryConsumer::new(name).register(&pool);
    let fits = usize::try_from(bytes).ok().filter(|&b| out.elements <= i32::MAX as u128 && reservation.try_grow(b).is_ok());
    if fits.is_some() {
        return Ok(reservation);
    }
    let left = match pool.memory_limit() {
        MemoryLimit::Finite(limit) => format!("{} of the session's {} are free", size(limit.saturating_sub(pool.reserved()) as u128), size(limit as u128)),
        _ => "the session's memory pool refused it".to_string(),
    };
    let why = if out.elements > i32::MAX as u128 { "more than one list array can hold".to_string() } else { left };
    exec_err!(
        "{} would produce {} elements ({}) for one batch of {} rows; {why} (HEPFUSION_MEMORY_LIMIT); {}",
        out.call,
        count(out.elements),
        size(bytes),
        out.rows,
        out.advice
    )
}

/// Bytes per element of `values` as stored (the slice it is, not the buffers it shares).
pub(crate) fn bytes_per_element(values: &ArrayRef) -> u128 {
    let n = values.len().max(1) as u128;
    let bytes = values.to_data().get_slice_memory_size().unwrap_or_else(|_| values.get_array_memory_size()) as u128;
    bytes.div_ceil(n).max(1)
}

fn count(n: u128) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.1} G", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} M", n as f64 / 1e6),
        n if n >= 10_000 => format!("{:.1} k", n as f64 / 1e3),
        n => n.to_string(),
    }
}

fn size(bytes: u128) -> String {
    let b = bytes as f64;
    match bytes {
        n if n >= 1 << 30 => format!("{:.1} GB", b / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MB", b / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} kB", b / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// `n choose k`, saturating.
pub(crate) fn choose(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k) as u128;
    let mut c: u128 = 1;
    for i in 0..k {
        c = c.saturating_mul(n as u128 - i) / (i + 1);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes() {
        assert_eq!(choose(5, 2), 10);
        assert_eq!(choose(300, 4), 330_791_175);
        assert_eq!(choose(3, 4), 0);
        assert_eq!(count(21_700_000), "21.7 M");
        assert_eq!(size(3 << 30), "3.0 GB");
    }

    #[test]
    fn a_reservation_beyond_the_pool_names_the_call() {
        let mut config = ConfigOptions::new();
        config.extensions.insert(SessionMemory(Arc::new(GreedyMemoryPool::new(1 << 20))));
        let call = "combinations(EFlowTrack, 4)";
        let small = reserve(&config, "combinations", Output { call: &call, elements: 1000, element_bytes: 100, rows: 10, advice: "filter" }).unwrap();
        assert_eq!(small.size(), 100_000);
        let err = reserve(&config, "combinations", Output { call: &call, elements: 21_700_000, element_bytes: 136, rows: 10, advice: "filter the list first or lower k" })
            .unwrap_err()
            .to_string();
        assert!(err.contains("combinations(EFlowTrack, 4) would produce 21.7 M elements (2.7 GB) for one batch of 10 rows"), "{err}");
        assert!(err.contains("filter the list first or lower k"), "{err}");
    }
}
