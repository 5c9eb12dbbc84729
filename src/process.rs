//! Process-wide settings of our binaries (the shell, `root-bench`, `root-dump`) and, for the
//! runtime, of the Python module.

/// Turns transparent huge pages off for this process, unless `MIMALLOC_ALLOW_THP` asks for
/// them. mimalloc 3 advises huge pages on its arenas, and every first touch of a fresh 2 MiB
/// page then makes the kernel zero all of it at once. On the virtual machines we run on, whose
/// memory the host backs lazily, that zeroing was 40% of the pipeline's cycles and 0.4-1.5 s of
/// system time per 30k-event run, against a steady 0.45 s with 4 KiB pages, the same user
/// time, and 15% less peak memory (measured A/B with `MIMALLOC_ALLOW_THP=0`, which does this).
/// Later faults of the process then take small pages whatever mimalloc advises.
pub fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes integer arguments and touches no memory of ours.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// Threads of the tokio blocking pool: enough for the reads of local files that object_store
/// runs there (a table's files are opened 32 at a time, `meta_fetch_concurrency`), few enough
/// that each is reused often (see [`runtime_builder`]).
pub const BLOCKING_THREADS: usize = 16;

/// The multi-threaded tokio runtime of our binaries and the Python module, its blocking pool
/// capped at [`BLOCKING_THREADS`] instead of tokio's 512. object_store reads local files on
/// blocking threads, and mimalloc gives every thread a heap of its own: the read buffers a
/// blocking thread allocates are freed on the workers, and an idle thread's heap does not take
/// them back until it allocates again. With ~70 such threads (the concurrent opens of a
/// pipeline's tables start that many) the shell grew by ~300 MB over a few passes over 126 MB
/// of ROOT files.
pub fn runtime_builder() -> tokio::runtime::Builder {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all().max_blocking_threads(BLOCKING_THREADS);
    builder
}

/// Installs the process's logger: warnings (ROOT branches a table leaves out) go to `show`,
/// each message once, however many tables or queries raise it; other levels are dropped. The
/// shell shows them on stderr, the Python module as `warnings.warn`.
pub fn log_warnings_once(show: impl Fn(&str) + Send + Sync + 'static) {
    struct Once<F> {
        seen: std::sync::Mutex<std::collections::HashSet<String>>,
        show: F,
    }
    impl<F: Fn(&str) + Send + Sync> log::Log for Once<F> {
        fn enabled(&self, m: &log::Metadata) -> bool {
            m.level() <= log::Level::Warn
        }
        fn log(&self, r: &log::Record) {
            if !self.enabled(r.metadata()) {
                return;
            }
            let msg = r.args().to_string();
            if self.seen.lock().map(|mut s| s.insert(msg.clone())).unwrap_or(true) {
                (self.show)(&msg);
            }
        }
        fn flush(&self) {}
    }
    let logger = Box::leak(Box::new(Once { seen: Default::default(), show }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
}
