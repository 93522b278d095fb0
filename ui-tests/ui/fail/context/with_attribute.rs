use rpc_core::Context;

struct S;

#[rpc_core::rpc]
impl S {
    fn peer(&self, #[rpc(name = "c")] ctx: &Context) -> bool {
        ctx.peer_addr().is_some()
    }
}

fn main() {}
