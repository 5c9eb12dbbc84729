//! A progress line on stderr for statements that run longer than two seconds: rows and bytes
//! read by the scans, files done, time so far. It is read from the running plan's metrics,
//! redrawn in place, and erased before the result prints; it appears only when stderr is a
//! terminal, never in pipes or files.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::ExecutionPlan;

const DELAY: Duration = Duration::from_secs(2);
const EVERY: Duration = Duration::from_millis(250);

/// The line, while it is shown; dropping it erases it.
pub struct Progress {
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts watching `plan` (started at `start`), when stderr is a terminal.
    pub fn watch(plan: Arc<dyn ExecutionPlan>, start: Instant) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { task: None };
        }
        let task = tokio::spawn(async move {
            tokio::time::sleep(DELAY.saturating_sub(start.elapsed())).await;
            loop {
                let line = describe(&read(&plan), start.elapsed());
                eprint!("\r\x1b[2K{line}");
                let _ = std::io::stderr().flush();
                tokio::time::sleep(EVERY).await;
            }
        });
        Progress { task: Some(task) }
    }
}

impl Progress {
    /// Erases the line and draws it no more.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the scans of a plan have done so far.
#[derive(Debug, Default, PartialEq)]
pub struct Read {
    pub rows: usize,
    pub bytes: usize,
    pub files_done: usize,
    pub files: usize,
    /// Whether files are read in parts (byte ranges), which the counts then are.
    pub parts: bool,
}

pub fn read(plan: &Arc<dyn ExecutionPlan>) -> Read {
    let mut r = Read::default();
    let _ = plan.apply(|node| {
        if let Some(scan) = node.downcast_ref::<DataSourceExec>() {
            if let Some(m) = node.metrics() {
                r.rows += m.output_rows().unwrap_or(0);
                r.bytes += m.sum_by_name("bytes_scanned").map_or(0, |v| v.as_usize());
                r.files_done += m.sum_by_name("files_processed").map_or(0, |v| v.as_usize());
            }
            if let Some(config) = scan.data_source().downcast_ref::<FileScanConfig>() {
                let parts: Vec<_> = config.file_groups.iter().flat_map(|g| g.iter()).collect();
                r.files += parts.len();
                r.parts |= parts.iter().any(|f| f.range.is_some());
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    r
}

pub fn describe(r: &Read, elapsed: Duration) -> String {
    let mut parts = vec![format!("{} rows read", thousands(r.rows))];
    if r.bytes > 0 {
        parts.push(format!("{:.1} MB", r.bytes as f64 / 1e6));
    }
    if r.files > 0 {
        let what = if r.parts { "file parts" } else { "files" };
        parts.push(format!("{what} {}/{}", r.files_done.min(r.files), r.files));
    }
    parts.push(format!("{:.0} s (Ctrl-C cancels)", elapsed.as_secs_f64()));
    parts.join(" · ")
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line() {
        let r = Read { rows: 1234567, bytes: 25_500_000, files_done: 3, files: 8, parts: false };
        assert_eq!(describe(&r, Duration::from_secs(4)), "1,234,567 rows read · 25.5 MB · files 3/8 · 4 s (Ctrl-C cancels)");
        assert_eq!(describe(&Read::default(), Duration::from_secs(3)), "0 rows read · 3 s (Ctrl-C cancels)");
    }
}
