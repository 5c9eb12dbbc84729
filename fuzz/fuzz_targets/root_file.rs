//! Arbitrary bytes as a ROOT file: open it, list its trees, decode every branch. Any panic,
//! overflow or out-of-memory is a bug; errors are the expected outcome for garbage.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    futures::executor::block_on(async {
        if let Ok(src) = hepfusion_root::Source::from_bytes(data.to_vec(), "fuzz.root").await {
            let _ = hepfusion_root::read_everything(src).await;
        }
    });
});
