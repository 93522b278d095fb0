//! The seeds' own clients against the `ws_methods` reference server:
//! aiohttp-json-rpc's and wsjsonrpc's Python clients unchanged, and frames
//! written by the `websockets` library; the clients of the seeds'
//! READMEs against the ports of their demo servers; and jsonrpclib-pelix's
//! client against the calculator's XML-RPC introspection methods (see
//! `tests/interop/README.md`).
//!
//! The Python environment comes from `scripts/setup.sh`. Without it these
//! tests say loudly what they skipped; with `RPC_REQUIRE_INTEROP=1` (as CI
//! sets it) a missing environment is a failure.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn python() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join("target/interop-venv/bin/python");
    // setup.sh copies the requirements it installed into the environment;
    // a different list means clients the tests need may be missing.
    let read = |path: &str| std::fs::read(root.join(path)).ok();
    let current =
        read("target/interop-venv/requirements.txt") == read("tests/interop/requirements.txt");
    let why = match (python.exists(), current) {
        (true, true) => return Some(python),
        (true, false) => "SKIPPED interop tests: the Python environment at target/interop-venv was made from another tests/interop/requirements.txt (run `bash scripts/setup.sh`)",
        (false, _) => "SKIPPED interop tests: no Python environment at target/interop-venv (run `bash scripts/setup.sh`)",
    };
    if std::env::var_os("RPC_REQUIRE_INTEROP").is_some() {
        panic!("{why}; RPC_REQUIRE_INTEROP is set, so this is a failure");
    }
    // Straight to the process's standard error, once: `eprintln!` would be
    // captured, and shown only for a failing test.
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "\n*** {why} ***\n");
    });
    None
}

/// Starts a server of the examples on a free port.
type Start = fn(
    &'static str,
) -> std::pin::Pin<
    Box<
        dyn std::future::Future<
            Output = Result<rpc_http::ServerHandle, Box<dyn std::error::Error>>,
        >,
    >,
>;

/// Runs `script` against a fresh `ws_methods` server; panics with its output on failure.
fn run(script: &str) {
    run_against(script, |addr| Box::pin(examples::ws_methods::start(addr)));
}

/// Runs `script` against a fresh server from `start`; panics with its output on failure.
fn run_against(script: &str, start: Start) {
    let Some(python) = python() else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(start("127.0.0.1:0"))
        .expect("the server starts");
    let port = server.local_addr().unwrap().port();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("interop")
        .join(script);
    let mut child = Command::new(&python)
        .arg(&path)
        .arg(port.to_string())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{script} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    runtime.block_on(async {
        server.shutdown();
        server.stopped().await;
    });
    assert!(
        status.success(),
        "{script} failed ({status}):\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("ok  "),
        "{script} checked nothing:\n{stdout}"
    );
}

#[test]
fn aiohttp_json_rpc_client_unchanged() {
    run("aiohttp_client.py");
}

#[test]
fn wsjsonrpc_client_unchanged() {
    run("wsjsonrpc_client.py");
}

#[test]
fn websockets_library_frames() {
    run("websockets_client.py");
}

#[test]
fn jsonrpclib_pelix_client_reads_the_xml_rpc_introspection_methods() {
    run_against("pelix_client.py", |addr| {
        Box::pin(examples::calculator::start(addr))
    });
}

#[test]
fn wsjsonrpc_readme_clients_against_its_math_sum_server() {
    run_against("wsjsonrpc_math_sum.py", |addr| {
        Box::pin(examples::seeds::math_sum::start(addr))
    });
}

#[test]
fn aiohttp_json_rpc_readme_client_against_its_ping_server() {
    run_against("aiohttp_ping.py", |addr| {
        Box::pin(examples::seeds::ping::start(addr))
    });
}
