//! Ctrl-C while a statement runs. One listener takes SIGINT for the whole process and counts;
//! a running statement races its work against the next count. Dropping the statement's
//! stream aborts its tasks, and the planner makes joins and sorts yield often
//! (`CooperativeJoinsAndSorts`), so the cores are free again within milliseconds.
//!
//! At the prompt the line editor reads Ctrl-C as a key, so SIGINT arrives only while a
//! statement runs (or between statements of `-c`/`-f`, which then stop).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct Interrupts {
    count: Arc<AtomicU64>,
    notify: Arc<Notify>,
}

/// Ctrl-C came before the work finished.
#[derive(Debug)]
pub struct Interrupted;

impl Interrupts {
    /// Listens for SIGINT from now on (call on the runtime). The handler is installed before
    /// this returns: the line editor saves and restores the handler around each line it
    /// reads, and had it saved the default one first, the next Ctrl-C would kill the shell.
    pub fn listen() -> std::io::Result<Self> {
        let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
        let me = Interrupts::default();
        let listener = me.clone();
        tokio::spawn(async move {
            while sigint.recv().await.is_some() {
                listener.count.fetch_add(1, Ordering::SeqCst);
                listener.notify.notify_waiters();
            }
        });
        Ok(me)
    }

    /// How many times Ctrl-C has been pressed so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Runs `work` unless Ctrl-C comes first; then `work` is dropped (cancelled).
    pub async fn race<T>(&self, work: impl Future<Output = T>) -> Result<T, Interrupted> {
        let before = self.count();
        let interrupted = async {
            loop {
                let notified = self.notify.notified();
                if self.count() > before {
                    return;
                }
                notified.await;
            }
        };
        tokio::select! {
            biased;
            _ = interrupted => Err(Interrupted),
            r = work => Ok(r),
        }
    }
}
