use std::sync::Arc;

struct S;

#[rpc_core::rpc]
impl S {
    fn shared(self: Arc<Self>) -> u8 {
        1
    }
}

fn main() {}
