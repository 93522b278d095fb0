use rpc_core::Context as Ctx;

struct S;

#[rpc_core::rpc]
impl S {
    fn peer(&self, #[rpc(context)] ctx: Ctx) -> bool {
        ctx.peer_addr().is_some()
    }
}

fn main() {}
