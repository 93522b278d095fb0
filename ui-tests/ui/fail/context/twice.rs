use rpc_core::Context;

struct S;

#[rpc_core::rpc]
impl S {
    fn peer(&self, a: &Context, b: &Context) -> bool {
        a.peer_addr() == b.peer_addr()
    }
}

fn main() {}
