//! The client's answer matching: whatever bytes a server sends back, the
//! client never panics, and it takes a result only from an answer with the
//! id it sent.

#![no_main]

use std::convert::Infallible;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rpc_core::client::{Client, Transport};
use serde_json::Value;

/// Answers every message with the fuzzer's bytes.
struct Replay(Vec<u8>);

impl Transport for Replay {
    type Error = Infallible;

    async fn send(&self, _message: Vec<u8>) -> Result<Vec<u8>, Infallible> {
        Ok(self.0.clone())
    }

    async fn notify(&self, _message: Vec<u8>) -> Result<(), Infallible> {
        Ok(())
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

/// The ids of the responses in `body` that carry a result, as JSON text;
/// `None` when serde_json cannot read the body as a `Value`. The client
/// skips members it does not know unread (serde_json checks neither their
/// UTF-8 nor their escapes): such answers are matched by id all the same
/// (found cases, kept in tests/tests/fuzz_found.rs).
fn result_ids(body: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(body);
    let responses = match serde_json::from_str::<Value>(&text).ok()? {
        Value::Array(responses) => responses,
        response => vec![response],
    };
    Some(
        responses
            .iter()
            .filter(|response| response.get("result").is_some())
            .filter_map(|response| response.get("id").map(Value::to_string))
            .collect(),
    )
}

fuzz_target!(|data: &[u8]| {
    runtime().block_on(async {
        let client = Client::new(Replay(data.to_vec()));
        // The first request of a new client has id 1.
        if let (Ok(value), Some(ids)) = (client.request::<Value>("m", ()).await, result_ids(data)) {
            assert!(
                ids.iter().any(|id| id == "1"),
                "took {value} from an answer without id 1"
            );
        }
        let mut batch = client.batch();
        let first = batch.request::<Value>("a", [1]).unwrap();
        let second = batch.request::<i64>("b", ()).unwrap();
        batch.notify("c", ()).unwrap();
        if let Ok(answers) = batch.send().await {
            let _ = answers.len();
            let _ = answers.get(&first);
            let _ = answers.get(&second);
        }
    });
});
