//! The HTTP server, from the connection in: any bytes as a client's
//! request heads and bodies (HTTP/1, HTTP/2 by its preface), over an
//! in-memory duplex through the code that serves an accepted connection
//! (its driver, head checks, layers) and `RpcService`. The server never
//! panics, ends the connection within a bound, and every JSON-RPC body it
//! sends is valid.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "served.rs"]
mod served;

fuzz_target!(|data: &[u8]| {
    served::allow_fuzzed_panics();
    let answer = served::served().exchange(data);
    if !data.starts_with(b"PRI * HTTP/2.0") {
        served::check_http1_answers(&answer);
    }
});
