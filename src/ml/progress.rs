//! The training progress bar on stderr: rows of the epoch, running loss, throughput. indicatif
//! draws nothing when stderr is not a terminal (scripts, CI logs, notebooks), where the epoch
//! rows that `train_classifier` returns are the record.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    epochs: usize,
    name: String,
}

impl Progress {
    pub fn new(name: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} rows {per_sec} {msg} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        Self { bar, epochs: 0, name: name.to_string() }
    }

    pub fn start(&mut self, rows: u64, epochs: usize) {
        self.epochs = epochs;
        self.bar.set_length(rows);
    }

    pub fn batch(&self, epoch: usize, rows: u64, loss: f64) {
        if rows == 0 || self.bar.position() > rows {
            self.bar.reset();
        }
        self.bar.set_prefix(format!("{} epoch {epoch}/{}", self.name, self.epochs));
        self.bar.set_position(rows);
        self.bar.set_message(format!("loss {loss:.4}"));
    }

    pub fn epoch_done(&self, line: &str) {
        self.bar.println(line);
        self.bar.reset();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
