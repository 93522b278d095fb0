//! A mistake in an `#[rpc]` trait gives its one error; implementations and
//! the code that uses the generated glue give none.

use std::sync::Arc;

#[rpc_core::rpc]
trait Api {
    fn take(self) -> u8;
}

struct S;

impl Api for S {
    fn take(self) -> u8 {
        1
    }
}

fn main() {
    let _ = S.into_router();
    let _ = S::router_from_arc(Arc::new(S));
    let _ = ApiClient::METHODS;
}
