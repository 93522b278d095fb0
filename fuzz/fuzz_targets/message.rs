//! The message parser and the dispatcher: any bytes in, never a panic; the
//! answer is nothing or well-formed JSON-RPC responses; and wherever the
//! byte scanner takes a message, the full serde_json parse reads it the same.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rpc_core::{Context, Router};

#[path = "common.rs"]
mod common;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

fn router() -> &'static Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(common::router)
}

fuzz_target!(|data: &[u8]| {
    common::allow_fuzzed_panics();
    if let Some((fast, full)) = rpc_core::__fuzz::scanner_and_full_parse(data, 20) {
        assert_eq!(fast, full, "the scanner and the full parse disagree");
    }
    let router = router();
    let ctx = Context::new();
    // The synchronous road transports take first, then the awaited one.
    let answer = match router.parse(data).run_now(&ctx) {
        Ok(answer) => answer,
        Err(waiting) => runtime().block_on(waiting.run(&ctx)),
    };
    if let Some(answer) = &answer {
        common::check_answer(answer);
    }
    // Params left to the methods that decode them answer as if checked first.
    if let Some(checked) = rpc_core::__fuzz::answer_with_params_checked(router, data, &ctx) {
        assert_eq!(
            answer.as_deref().map(String::from_utf8_lossy),
            checked.as_deref().map(String::from_utf8_lossy),
            "params checked later and first answer differently"
        );
    }
});
