struct S;

#[rpc_core::rpc]
impl S {
    fn peer(&self, #[rpc(context)] ctx: &u8) -> u8 {
        *ctx
    }
}

fn main() {}
