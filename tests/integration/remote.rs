//! Remote reads over HTTP with range requests, against a real server on loopback.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::*;

/// A range-capable static file server serving the test data; killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &std::path::Path) -> Server {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/support/range_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 must be installed for the HTTP tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().parse().unwrap_or_else(|_| panic!("server printed '{line}'"));
        Server { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_file_reads_like_the_local_file() {
    let server = Server::start(&shared().join("skhep-testdata"));
    let ctx = hepfusion::new_context().unwrap();
    let q = |loc: &str| format!(
        "SELECT CAST(count(*) AS BIGINT), CAST(sum(NJet) AS BIGINT), CAST(sum(MET_px * 1000) AS BIGINT) FROM read_root('{loc}', 'events')"
    );
    let url = format!("http://127.0.0.1:{}/uproot-HZZ-zstd.root", server.port);
    let remote = datafusion::arrow::util::pretty::pretty_format_batches(&query(&ctx, &q(&url)).await).unwrap().to_string();
    let local = datafusion::arrow::util::pretty::pretty_format_batches(&query(&ctx, &q(&skhep("uproot-HZZ-zstd.root"))).await)
        .unwrap()
        .to_string();
    assert_eq!(remote, local);
    query(&ctx, &format!("CREATE EXTERNAL TABLE remote_ev STORED AS ROOT LOCATION '{url}' OPTIONS ('root.tree' 'events')")).await;
    assert_eq!(scalar_i64(&ctx, "SELECT count(*) FROM remote_ev").await, 2421);
    let err = query_err(&ctx, &format!("SELECT * FROM read_root('http://127.0.0.1:{}/missing.root')", server.port)).await;
    assert!(err.contains("missing.root"), "{err}");
}
