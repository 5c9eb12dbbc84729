"""ROOT files read from S3, checked against uproot reading the same files locally.

The S3 endpoint is moto's standalone server (a real S3 REST API: signed requests, ranged GETs,
ListObjectsV2) started on loopback by the fixture below. The `hepfusion` shell reads the
objects through `object_store`'s S3 client, configured only by the usual AWS_* variables, as
a user would configure it for a real bucket.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
import uproot

import oracle_lib

BUCKET = "events"
HZZ = ["uproot-HZZ-zlib.root", "uproot-HZZ-lz4.root", "uproot-HZZ-zstd.root"]


def _shell() -> Path:
    exe = oracle_lib.dumper_path().with_name("hepfusion")
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        pytest.fail(f"hepfusion shell not found at {exe}: build it (cargo build --release --workspace --bins)",
                    pytrace=False)
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on loopback holding the HZZ files under hzz/ (with a text file that a
    table over the prefix must skip) and a truncated file."""
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint, "AWS_ALLOW_HTTP": "true", "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "hepfusion-test", "AWS_SECRET_ACCESS_KEY": "hepfusion-test",
    }
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start on port {port}", pytrace=False)
                time.sleep(0.1)
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="hepfusion-test", aws_secret_access_key="hepfusion-test")
        client.create_bucket(Bucket=BUCKET)
        for name in HZZ:
            client.upload_file(str(oracle_lib.data_dir() / name), BUCKET, f"hzz/{name}")
        client.put_object(Bucket=BUCKET, Key="hzz/README.txt", Body=b"three codecs of the same events")
        whole = (oracle_lib.data_dir() / "uproot-HZZ-zstd.root").read_bytes()
        client.put_object(Bucket=BUCKET, Key="broken/truncated.root", Body=whole[: len(whole) // 2])
        yield {**os.environ, **env}
    finally:
        server.kill()
        server.wait()


def _run(env, *sql: str) -> subprocess.CompletedProcess:
    args = [str(_shell()), "--format", "csv"]
    for s in sql:
        args += ["-c", s]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


def test_every_branch_over_s3_equals_uproot(s3, tmp_path):
    out = tmp_path / "hzz.parquet"
    r = _run(s3, f"COPY (SELECT * FROM read_root('s3://{BUCKET}/hzz/uproot-HZZ-zstd.root', 'events')) "
                 f"TO '{out}' STORED AS PARQUET")
    assert r.returncode == 0, r.stderr
    actual = pq.read_table(out)
    tree = uproot.open(oracle_lib.data_dir() / "uproot-HZZ-zstd.root")["events"]
    assert sorted(actual.column_names) == sorted(tree.keys())
    for name in tree.keys():
        expected = oracle_lib.ak.to_arrow(tree[name].array(library="ak"), extensionarray=False)
        reason = oracle_lib.compare_arrays(expected, actual[name])
        assert reason is None, f"branch {name} over S3: {reason}"


def test_a_prefix_is_a_table_of_every_file_under_it(s3):
    totals = [(t.num_entries, int(sum(t["NJet"].array(library="np"))))
              for t in (uproot.open(oracle_lib.data_dir() / n)["events"] for n in HZZ)]
    r = _run(s3,
             f"CREATE EXTERNAL TABLE hzz STORED AS ROOT LOCATION 's3://{BUCKET}/hzz/' OPTIONS ('root.tree' 'events')",
             "SELECT count(*) AS n, sum(NJet) AS jets FROM hzz")
    assert r.returncode == 0, r.stderr
    n, jets = r.stdout.strip().splitlines()[-1].split(",")
    assert (int(n), int(jets)) == (sum(t[0] for t in totals), sum(t[1] for t in totals))


def test_a_glob_selects_the_files_it_matches(s3):
    files = [n for n in HZZ if n.startswith("uproot-HZZ-z")]
    assert len(files) == 2
    want = sum(uproot.open(oracle_lib.data_dir() / n)["events"].num_entries for n in files)
    r = _run(s3, f"SELECT count(*) FROM read_root('s3://{BUCKET}/hzz/uproot-HZZ-z*.root', 'events')")
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.strip().splitlines()[-1]) == want


def test_missing_and_truncated_objects_are_errors_naming_them(s3):
    r = _run(s3, f"SELECT count(*) FROM read_root('s3://{BUCKET}/hzz/missing.root', 'events')")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert f"s3://{BUCKET}/hzz/missing.root" in r.stderr
    r = _run(s3, f"SELECT sum(NJet) FROM read_root('s3://{BUCKET}/broken/truncated.root', 'events')")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert f"s3://{BUCKET}/broken/truncated.root" in r.stderr, r.stderr
    assert "panicked" not in r.stderr
