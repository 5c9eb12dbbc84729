//! Warnings on stderr: branches left out of a ROOT table are reported this way. Each message is
//! shown once, although schema inference, statistics and every scan open the same tree.

use std::collections::HashSet;
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};

struct Stderr {
    seen: Mutex<HashSet<String>>,
}

impl Log for Stderr {
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= Level::Warn
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let msg = r.args().to_string();
        let first = self.seen.lock().map(|mut s| s.insert(msg.clone())).unwrap_or(true);
        if first {
            eprintln!("{}: {msg}", if r.level() == Level::Warn { "warning" } else { "error" });
        }
    }

    fn flush(&self) {}
}

pub fn init() {
    let logger = Box::leak(Box::new(Stderr { seen: Mutex::new(HashSet::new()) }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Warn);
    }
}
