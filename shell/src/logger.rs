//! Warnings on stderr: branches left out of a ROOT table are reported this way, once each.

pub fn init() {
    hepfusion::process::log_warnings_once(|msg| eprintln!("warning: {msg}"));
}
