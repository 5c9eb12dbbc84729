//! Training progress: a bar on stderr (rows of the epoch, running loss, throughput) and, for
//! front ends without a terminal (Python in Jupyter), a listener that receives the same
//! updates. indicatif draws nothing when stderr is not a terminal (scripts, CI logs), where
//! the epoch rows that `train_classifier` returns are the record.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::train::EpochReport;

/// One progress report of a training. Owned, so a listener can keep it (Python queues them
/// for the thread that holds the GIL); reports come at most every 200 ms.
#[derive(Debug, Clone)]
pub struct Update {
    pub model: String,
    pub epoch: usize,
    pub epochs: usize,
    /// Training rows seen in this epoch, of `rows_per_epoch`.
    pub rows: u64,
    pub rows_per_epoch: u64,
    pub loss: f64,
    /// The epoch's summary line when the epoch is complete.
    pub epoch_done: Option<String>,
}

pub type Listener = Arc<dyn Fn(&Update) + Send + Sync>;

static LISTENER: RwLock<Option<Listener>> = RwLock::new(None);

/// Sets (or with `None` removes) the listener every training in this process reports to.
pub fn set_listener(listener: Option<Listener>) {
    *LISTENER.write().unwrap_or_else(|e| e.into_inner()) = listener;
}

fn listener() -> Option<Listener> {
    LISTENER.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A listener hears a batch at most this often (a Python callback per batch would cost more
/// than the batch); the end of every epoch always.
const LISTENER_INTERVAL: Duration = Duration::from_millis(200);

pub struct Progress {
    bar: ProgressBar,
    epochs: usize,
    rows_per_epoch: u64,
    name: String,
    last_heard: Option<Instant>,
}

impl Progress {
    pub fn new(name: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} rows {per_sec} {msg} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Self { bar, epochs: 0, rows_per_epoch: 0, name: name.to_string(), last_heard: None }
    }

    pub fn start(&mut self, rows: u64, epochs: usize) {
        self.epochs = epochs;
        self.rows_per_epoch = rows;
        self.bar.set_length(rows);
    }

    pub fn batch(&mut self, epoch: usize, rows: u64, loss: f64) {
        if rows == 0 || self.bar.position() > rows {
            self.bar.reset();
        }
        self.bar.set_prefix(format!("{} epoch {epoch}/{}", self.name, self.epochs));
        self.bar.set_position(rows);
        self.bar.set_message(format!("loss {loss:.4}"));
        if let Some(listen) = listener() {
            if self.last_heard.is_none_or(|t| t.elapsed() >= LISTENER_INTERVAL) {
                self.last_heard = Some(Instant::now());
                listen(&self.update(epoch, rows, loss, None));
            }
        }
    }

    pub fn epoch_done(&self, report: &EpochReport) {
        let line = super::describe_epoch(report);
        self.bar.println(&line);
        self.bar.reset();
        if let Some(listen) = listener() {
            listen(&self.update(report.epoch, self.rows_per_epoch, report.train_loss, Some(line)));
        }
    }

    fn update(&self, epoch: usize, rows: u64, loss: f64, epoch_done: Option<String>) -> Update {
        Update { model: self.name.clone(), epoch, epochs: self.epochs, rows, rows_per_epoch: self.rows_per_epoch, loss, epoch_done }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
