//! `crate = "..."` points generated code at a re-export of rpc-core.

mod reexport {
    pub use rpc_core as engine;
}

struct Service;

#[rpc_core::rpc(crate = "crate::reexport::engine")]
impl Service {
    fn ping(&self) -> &'static str {
        "pong"
    }
}

fn main() {
    assert_eq!(Service::METHODS[0].returns, "&'static str");
    let _ = Service.into_router();
}
