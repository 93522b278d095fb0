use rpc_core::Context;

struct S;

#[rpc_core::rpc]
impl S {
    fn peer(&self, ctx: &mut Context) -> bool {
        ctx.peer_addr().is_some()
    }
}

fn main() {}
